// Atomic writes: temp file in the same directory, fsync, rename, fsync the directory.
// A reader sees the old file or the new one, never a partial file, even after kill -9
// or power loss (the invariant in ARCHITECTURE.md).

/// Writes files atomically and durably.
public enum AtomicFile {
    /// Writes `bytes` to `path`, replacing any existing file atomically.
    ///
    /// - Parameter mode: permissions of the new file, set at creation (so a key file
    ///   is never briefly world-readable).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        try write(to: path, mode: mode) { fd in try fd.writeAll(bytes) }
    }

    /// Writes a file atomically by streaming into it: `body` writes to the temp file's
    /// descriptor; on success the file is synced and renamed over `path`. On any error
    /// the temp file is removed and `path` is untouched.
    public static func write(
        to path: String, mode: mode_t = 0o644,
        _ body: (borrowing FileDescriptor) throws -> Void
    ) throws {
        let directory = parentDirectory(of: path)
        let temp = temporaryPath(for: path)
        do {
            let fd = try FileDescriptor(path: temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode)
            try body(fd)
            try fd.sync()
        } catch {
            unlink(temp)
            throw error
        }
        do {
            try sysCall("rename", "\(temp) → \(path)") { rename(temp, path) }
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Fsyncs a directory so a rename or create inside it survives a crash.
    public static func syncDirectory(_ directory: String) throws(SystemError) {
        let dir = try FileDescriptor.directory(directory)
        try dir.sync()
    }

    /// The directory part of `path` ("." when there is none).
    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// A unique temp name beside `path`; the `.tmp-` infix lets recovery sweep leftovers.
    static func temporaryPath(for path: String) -> String {
        // The system generator (getrandom) makes names unguessable and collision-free.
        let suffix = UInt64.random(in: 0 ... .max)
        return "\(path).tmp-\(String(suffix, radix: 16))"
    }

    /// Removes temp files left beside their targets by a crash mid-write.
    /// Returns the names removed.
    @discardableResult
    public static func sweepTemporaries(in directory: String) -> [String] {
        let names = (try? directoryEntries(directory)) ?? []
        return names.filter { $0.contains(".tmp-") && unlink("\(directory)/\($0)") == 0 }
    }
}
