// Writing safetensors: tensors are declared first (so the header can be written),
// then their bytes are streamed in one pass, in a fixed order.

/// Builds a safetensors file from tensors and writes it in one pass.
///
/// Output is deterministic: the same tensors and metadata give the same bytes whatever
/// order they were added in. Tensors are laid out by element size, largest first, then
/// by name (UTF-8 bytes), as the Python `safetensors` package does; with the data
/// section starting at a multiple of 8, every tensor is then aligned to its element
/// size. The header is canonical JSON (see ``JSONValue/canonicalBytes``) padded with
/// spaces to a multiple of 8; `__metadata__` is present only when non-empty.
public struct SafetensorsWriter {
    /// The `__metadata__` entries.
    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names = Set<String>()

    private struct Entry {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let byteCount: Int
        let produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    }

    /// A writer with no tensors.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Adds a tensor whose bytes `producer` streams at write time (e.g. straight from a
    /// model's storage, with no copy). `producer` must pass exactly dtype size ×
    /// product(shape) little-endian bytes to `write`, in as many calls as it likes.
    public mutating func add(
        _ name: String, dtype: SafetensorsDType, shape: [Int],
        producer: @escaping (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws(SafetensorsError) {
        guard name != "__metadata__" else { throw .invalidTensor(name: name, reason: "the name is reserved") }
        guard !names.contains(name) else { throw .duplicateTensor(name) }
        guard let byteCount = dtype.byteCount(shape: shape) else {
            throw .invalidTensor(name: name, reason: "shape \(shape) has a negative dimension or is too large")
        }
        names.insert(name)
        entries.append(Entry(name: name, dtype: dtype, shape: shape, byteCount: byteCount, produce: producer))
    }

    /// Adds a tensor from its raw little-endian bytes.
    public mutating func add(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) throws(SafetensorsError) {
        try checkCount(name, dtype: dtype, shape: shape, bytes: bytes.count)
        try add(name, dtype: dtype, shape: shape) { write in try bytes.withUnsafeBytes { try write($0) } }
    }

    /// Adds a tensor of Swift values stored as their own dtype (`[Float]` as F32, …).
    public mutating func add<T: SafetensorsScalar>(_ name: String, shape: [Int], values: [T]) throws(SafetensorsError) {
        let dtype = T.safetensorsDType
        try checkCount(name, dtype: dtype, shape: shape, bytes: values.count * MemoryLayout<T>.size)
        try add(name, dtype: dtype, shape: shape) { write in
            try values.withUnsafeBytes { try writeLittleEndian($0, elementSize: MemoryLayout<T>.size, to: write) }
        }
    }

    /// Adds Floats stored as F16 or BF16 (rounded to nearest even at write time).
    public mutating func add(_ name: String, shape: [Int], floats: [Float], as format: HalfFloat) throws(SafetensorsError) {
        let dtype: SafetensorsDType = format == .f16 ? .f16 : .bf16
        try checkCount(name, dtype: dtype, shape: shape, bytes: floats.count * 2)
        try add(name, dtype: dtype, shape: shape) { write in
            let chunk = 32_768
            var scratch = [UInt8](repeating: 0, count: 2 * chunk)
            try floats.withUnsafeBufferPointer { source in
                var start = 0
                while start < source.count {
                    let count = min(chunk, source.count - start)
                    try scratch.withUnsafeMutableBytes { raw in
                        let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<(2 * count)])
                        format.encode(UnsafeBufferPointer(rebasing: source[start..<(start + count)]), into: target)
                        try write(UnsafeRawBufferPointer(target))
                    }
                    start += count
                }
            }
        }
    }

    private func checkCount(_ name: String, dtype: SafetensorsDType, shape: [Int], bytes: Int) throws(SafetensorsError) {
        guard let expected = dtype.byteCount(shape: shape) else {
            throw .invalidTensor(name: name, reason: "shape \(shape) has a negative dimension or is too large")
        }
        guard bytes == expected else { throw .byteCountMismatch(tensor: name, bytes: bytes, expected: expected) }
    }

    /// Tensors in file order.
    private var ordered: [Entry] {
        entries.sorted { a, b in
            if a.dtype.byteSize != b.dtype.byteSize { return a.dtype.byteSize > b.dtype.byteSize }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
    }

    /// The 8-byte length and the padded header, for tensors in `ordered` order.
    private func headerBytes(_ ordered: [Entry]) throws(SafetensorsError) -> (bytes: [UInt8], dataLength: Int) {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(ordered.count + 1)
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for entry in ordered {
            let (end, overflow) = offset.addingReportingOverflow(entry.byteCount)
            guard !overflow else { throw .invalidTensor(name: entry.name, reason: "total data size overflows") }
            members.append((entry.name, [
                "dtype": .string(entry.dtype.rawValue),
                "shape": .array(entry.shape.map { .int(Int64($0)) }),
                "data_offsets": [.int(Int64(offset)), .int(Int64(end))],
            ]))
            offset = end
        }
        var json = JSONValue.object(members).canonicalBytes
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        guard json.count <= SafetensorsHeader.maxHeaderBytes else {
            throw .headerTooLarge(declared: UInt64(json.count), limit: SafetensorsHeader.maxHeaderBytes)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        return (bytes, offset)
    }

    /// Writes the file to `sink`: the header in one call, then each tensor's bytes as
    /// its producer passes them. Errors from `sink` or a producer propagate; a producer
    /// that writes the wrong amount throws ``SafetensorsError/producerSizeMismatch(tensor:wrote:expected:)``
    /// (the sink has then seen a partial file).
    public func write(to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let ordered = self.ordered
        try stream(ordered, header: try headerBytes(ordered).bytes, to: sink)
    }

    /// The whole file in memory, built in one buffer of the final size.
    public func bytes() throws -> [UInt8] {
        let ordered = self.ordered
        let (header, dataLength) = try headerBytes(ordered)
        let total = header.count + dataLength
        return try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            let output = UnsafeMutableRawBufferPointer(buffer)
            try stream(ordered, header: header) { chunk in
                // `stream` checks every producer's count, so the chunks fill `total` exactly.
                UnsafeMutableRawBufferPointer(rebasing: output[initialized..<(initialized + chunk.count)]).copyMemory(from: chunk)
                initialized += chunk.count
            }
        }
    }

    private func stream(_ ordered: [Entry], header: [UInt8], to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try header.withUnsafeBytes { try sink($0) }
        for entry in ordered {
            var written = 0
            try entry.produce { chunk in
                written += chunk.count
                guard written <= entry.byteCount else {
                    throw SafetensorsError.producerSizeMismatch(tensor: entry.name, wrote: written, expected: entry.byteCount)
                }
                try sink(chunk)
            }
            guard written == entry.byteCount else {
                throw SafetensorsError.producerSizeMismatch(tensor: entry.name, wrote: written, expected: entry.byteCount)
            }
        }
    }
}

/// Passes little-endian bytes of `elementSize`-byte values to `write`: directly on
/// little-endian hosts, through a byte-swapped copy on big-endian ones.
func writeLittleEndian(
    _ bytes: UnsafeRawBufferPointer, elementSize: Int, to write: (UnsafeRawBufferPointer) throws -> Void
) throws {
    #if _endian(little)
    try write(bytes)
    #else
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + (1 << 16) / elementSize * elementSize)
        var chunk = Array(bytes[start..<end])
        chunk.withUnsafeMutableBytes { reverseElementBytes($0, elementSize: elementSize) }
        try chunk.withUnsafeBytes { try write($0) }
        start = end
    }
    #endif
}
