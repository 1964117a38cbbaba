// An owned file descriptor: closed exactly once, every call EINTR-safe and typed.

/// A file descriptor owned by this value; closed when the value is destroyed.
///
/// Non-copyable so two owners can never close the same descriptor. All calls retry
/// EINTR and throw ``SystemError`` naming the path.
public struct FileDescriptor: ~Copyable {
    /// The raw descriptor, for calls this type does not wrap (mmap, flock, fstat).
    public let raw: Int32
    /// The path it was opened from, used in error messages.
    public let path: String

    /// Opens `path` with `flags` (O_CLOEXEC is always added) and, when creating, `mode`.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(SystemError) {
        self.raw = try sysCall("open", path) { open(path, flags | O_CLOEXEC, mode) }
        self.path = path
    }

    /// Opens a directory for fsync (making a rename or create durable).
    public static func directory(_ path: String) throws(SystemError) -> FileDescriptor {
        try FileDescriptor(path: path, flags: O_RDONLY | O_DIRECTORY)
    }

    deinit { close(raw) }

    /// Writes all of `bytes`, looping over short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = try sysCall("write", path) { write(raw, next, left) }
            next += n
            left -= n
        }
    }

    /// Writes all of `bytes`.
    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeAll($0) }
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try sysCall("read", path) { Glibc.read(raw, base, buffer.count) }
    }

    /// Flushes data and metadata to stable storage.
    public func sync() throws(SystemError) {
        try sysCall("fsync", path) { fsync(raw) }
    }

    /// The file's status (size, mode, owner).
    public func status() throws(SystemError) -> stat {
        var st = stat()
        try sysCall("fstat", path) { fstat(raw, &st) }
        return st
    }
}

/// Errors about file contents and sizes, as opposed to failed system calls.
public enum FileError: CotrainError, Equatable {
    /// The file is larger than the caller allows.
    case tooLarge(path: String, size: Int, limit: Int)
    /// The path is not a regular file.
    case notRegularFile(path: String)

    public var description: String {
        switch self {
        case let .tooLarge(path, size, limit):
            return "\(path) is \(size) bytes, more than the limit of \(limit) bytes for this kind of file"
        case let .notRegularFile(path):
            return "\(path) is not a regular file"
        }
    }
}

/// Reads a whole regular file, refusing files larger than `limit` bytes before reading.
///
/// Use for config, PEM and record files, which are small; large data (checkpoints,
/// shards) is memory-mapped or streamed instead.
public func readFile(_ path: String, limit: Int) throws -> [UInt8] {
    let fd = try FileDescriptor(path: path, flags: O_RDONLY)
    let st = try fd.status()
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw FileError.notRegularFile(path: path) }
    let size = Int(st.st_size)
    guard size <= limit else { throw FileError.tooLarge(path: path, size: size, limit: limit) }
    // Read one byte past the stat size so a file that grew meanwhile is still capped.
    var bytes = [UInt8](repeating: 0, count: size + 1)
    var filled = 0
    while filled < bytes.count {
        let n = try bytes.withUnsafeMutableBytes {
            try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
        }
        if n == 0 { break }
        filled += n
    }
    guard filled <= limit else {
        throw FileError.tooLarge(path: path, size: filled, limit: limit)
    }
    bytes.removeSubrange(filled...)
    return bytes
}

/// The names in `directory` (without "." and ".."), in no particular order.
public func directoryEntries(_ directory: String) throws(SystemError) -> [String] {
    guard let dir = opendir(directory) else { throw SystemError("opendir", directory, code: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
