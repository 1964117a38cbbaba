// One process per node home: an exclusive, non-blocking flock on DIR/.lock.
// The kernel drops the lock when the process dies, so a crash never leaves it stale.

/// Raised when another process holds a node home.
public struct LockError: CotrainError, Equatable {
    /// The lock file.
    public let path: String
    /// The pid recorded by the holder, when readable.
    public let holder: Int32?

    public var description: String {
        let who = holder.map { "process \($0)" } ?? "another process"
        return "\(path) is held by \(who): stop that cotrain process first, or use another --home"
    }
}

/// An exclusive lock on a node home, held for the life of this value.
public struct NodeLock: ~Copyable {
    private let fd: FileDescriptor

    /// Takes the lock on `directory/.lock` without blocking, recording this pid in it.
    public init(directory: String) throws {
        let path = "\(directory)/.lock"
        let fd = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600)
        if flock(fd.raw, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else { throw SystemError("flock", path, code: code) }
            throw LockError(path: path, holder: NodeLock.recordedPID(fd))
        }
        try sysCall("ftruncate", path) { ftruncate(fd.raw, 0) }
        try fd.writeAll(Array("\(getpid())\n".utf8))
        self.fd = fd
    }

    private static func recordedPID(_ fd: borrowing FileDescriptor) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { pread(fd.raw, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[..<n].prefix(while: { $0 >= 0x30 && $0 <= 0x39 }), as: UTF8.self))
    }
}
