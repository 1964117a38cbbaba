// Reading safetensors: a validated header plus zero-copy views of the tensor bytes,
// over a memory-mapped file or an in-memory buffer.

/// A validated safetensors file whose tensors can be viewed in place or copied out.
///
/// ``open(path:)`` maps the file read-only (`MAP_PRIVATE`): opening reads only the
/// header pages, and tensor bytes are paged in when a caller touches them. Files are
/// replaced by atomic rename, so a mapping keeps seeing the old contents; truncating a
/// mapped file in place would fault the reader (SIGBUS), which cotrain never does.
/// Immutable after creation, so it can be shared between threads.
public final class SafetensorsFile: @unchecked Sendable {
    /// The validated header.
    public let header: SafetensorsHeader
    private let storage: Storage

    private enum Storage {
        case bytes([UInt8])
        case mapping(UnsafeRawBufferPointer)
    }

    /// Validates a complete safetensors file held in memory (e.g. received from a peer).
    /// The bytes are kept, not copied.
    public init(bytes: [UInt8]) throws(SafetensorsError) {
        let parsed = bytes.withUnsafeBytes { raw in Result { () throws(SafetensorsError) in try SafetensorsHeader.parse(raw) } }
        header = try parsed.get()
        storage = .bytes(bytes)
    }

    private init(header: SafetensorsHeader, mapping: UnsafeRawBufferPointer) {
        self.header = header
        self.storage = .mapping(mapping)
    }

    deinit {
        if case let .mapping(region) = storage, let base = region.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), region.count)
        }
    }

    /// Maps and validates the safetensors file at `path`.
    ///
    /// Errors other than I/O failures are wrapped in ``SafetensorsError/inFile(path:_:)``.
    public static func open(path: String) throws(SafetensorsError) -> SafetensorsFile {
        let region = try map(path: path)
        do {
            return SafetensorsFile(header: try SafetensorsHeader.parse(region), mapping: region)
        } catch {
            if let base = region.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), region.count) }
            throw .inFile(path: path, error)
        }
    }

    private static func map(path: String) throws(SafetensorsError) -> UnsafeRawBufferPointer {
        let fd: Int32
        do { fd = try sysCall("open", path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) } } catch { throw .io(error) }
        defer { close(fd) }
        var info = stat()
        do { try sysCall("fstat", path) { fstat(fd, &info) } } catch { throw .io(error) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .inFile(path: path, .notRegularFile) }
        let size = Int(info.st_size)
        guard size >= 8 else { throw .inFile(path: path, .truncated(size: size, needed: 8)) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .io(SystemError("mmap", path, code: errno))
        }
        return UnsafeRawBufferPointer(start: base, count: size)
    }

    /// The tensors in file order.
    public var tensors: [SafetensorsTensor] { header.tensors }

    /// The `__metadata__` entries.
    public var metadata: [String: String] { header.metadata }

    /// The tensor called `name`; throws ``SafetensorsError/tensorNotFound(_:)``.
    public func tensor(_ name: String) throws(SafetensorsError) -> SafetensorsTensor {
        guard let tensor = header.tensor(named: name) else { throw .tensorNotFound(name) }
        return tensor
    }

    /// Calls `body` with the tensor's bytes in place (little-endian, possibly unaligned).
    /// The pointer is valid only during the call.
    ///
    /// - Precondition: `tensor` comes from this file's header.
    public func withBytes<R, E: Error>(
        of tensor: SafetensorsTensor, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        precondition(header.tensor(named: tensor.name) == tensor, "tensor \"\(tensor.name)\" is not from this file")
        let range = (header.dataStart + tensor.dataOffsets.lowerBound)..<(header.dataStart + tensor.dataOffsets.upperBound)
        switch storage {
        case let .mapping(region):
            return try body(UnsafeRawBufferPointer(rebasing: region[range]))
        case let .bytes(array):
            let result = array.withUnsafeBytes { raw in
                Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: raw[range])) }
            }
            return try result.get()
        }
    }

    /// Copies tensor `name` out as `T`, whose dtype must match exactly.
    public func values<T: SafetensorsScalar>(_ name: String, as type: T.Type = T.self) throws(SafetensorsError) -> [T] {
        let tensor = try tensor(name)
        guard tensor.dtype == T.safetensorsDType else {
            throw .dtypeMismatch(tensor: name, dtype: tensor.dtype, requested: T.safetensorsDType.rawValue)
        }
        return withBytes(of: tensor) { bytes in
            [T](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
                let destination = UnsafeMutableRawBufferPointer(buffer)
                destination.copyMemory(from: bytes)
                swapToOrFromLittleEndian(destination, elementSize: MemoryLayout<T>.size)
                initialized = tensor.elementCount
            }
        }
    }

    /// Copies tensor `name` out as Floats, converting `F16` and `BF16` exactly.
    /// Other dtypes throw ``SafetensorsError/dtypeMismatch(tensor:dtype:requested:)``.
    public func floats(_ name: String) throws(SafetensorsError) -> [Float] {
        let tensor = try tensor(name)
        let format: HalfFloat
        switch tensor.dtype {
        case .f32: return try values(name, as: Float.self)
        case .f16: format = .f16
        case .bf16: format = .bf16
        default: throw .dtypeMismatch(tensor: name, dtype: tensor.dtype, requested: "F32, F16 or BF16")
        }
        return withBytes(of: tensor) { bytes in
            [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
                format.decode(bytes, into: buffer)
                initialized = tensor.elementCount
            }
        }
    }
}
