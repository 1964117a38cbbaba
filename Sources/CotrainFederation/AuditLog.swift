// DIR/state/audit.log: append-only, hash-chained JSON lines. An append is one write()
// with O_APPEND followed by fsync, so an entry is either wholly there or a torn last
// line (a crash mid-append). A torn line was never acknowledged: the next append
// drops it and records that it did (a `log-repair` entry), so the chain continues
// from the last complete entry and the repair is itself on the record.
import CotrainCore
import Foundation
import Synchronization

/// The audit log of a node home. Thread-safe; one process appends (the one holding
/// the node lock), any process may read and verify.
public final class AuditLog: Sendable {
    /// The log file.
    public let path: String
    /// Seq and hash of the last complete entry and the file size after it, read from
    /// the file on the first append and again whenever the size is not the one left by
    /// this value's last append (another writer, a restore, a torn write).
    private let tail = Mutex<(seq: Int, hash: String, size: Int)?>(nil)

    /// The largest log file read (about a million entries).
    static let maximumSize = 512 << 20

    /// The log at `path` (created, 0600, on first append).
    public init(path: String) {
        self.path = path
    }

    /// Appends one entry durably and returns it.
    ///
    /// - Throws: ``AuditLogError/brokenTail(path:line:reason:)`` when the last complete
    ///   line is not a valid entry (the chain must not continue from it: run
    ///   `cotrain audit verify`), or a ``SystemError``.
    @discardableResult
    public func append(
        _ action: AuditAction, actor: String, nodeID: NodeID? = nil, lab: String? = nil,
        reason: String = "", detail: String? = nil, time: Date = Date()
    ) throws -> AuditEntry {
        try tail.withLock { tail in
            var st = stat()
            let size = lstat(path, &st) == 0 ? Int(st.st_size) : 0
            var last: (seq: Int, hash: String)
            if let tail, tail.size == size {
                last = (tail.seq, tail.hash)
            } else {
                last = try recoverTail(time: time)
            }
            let (entry, newSize) = try write(action.rawValue, actor: actor, nodeID: nodeID?.digest.hex, lab: lab,
                                             reason: reason, detail: detail, time: time, after: last)
            tail = (entry.seq, entry.hash, newSize)
            return entry
        }
    }

    /// Builds the entry after `previous`, writes it as one line and fsyncs; returns it
    /// and the file's size afterwards.
    private func write(
        _ action: String, actor: String, nodeID: String?, lab: String?, reason: String, detail: String?,
        time: Date, after previous: (seq: Int, hash: String)
    ) throws -> (AuditEntry, Int) {
        var entry = AuditEntry(
            seq: previous.seq + 1, time: ISO8601.format(time), actor: actor, action: action, nodeID: nodeID,
            lab: lab, reason: reason, detail: detail, prev: previous.hash, hash: "")
        entry.hash = try entry.computedHash()
        var created = stat()
        let isNew = lstat(path, &created) != 0
        let fd = try FileDescriptor(path: path, flags: O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode: 0o600)
        try fd.writeAll(entry.json.canonicalBytes + [0x0A])
        try fd.sync()
        if isNew { try AtomicFile.syncDirectory(AuditLog.directory(of: path)) }
        return (entry, Int(try fd.status().st_size))
    }

    /// Reads the file's last complete entry. Drops a torn last line (truncating the
    /// file back to the last newline) and records the repair as an entry.
    private func recoverTail(time: Date) throws -> (seq: Int, hash: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return (0, AuditEntry.genesis) }
        let bytes = try readFile(path, limit: Self.maximumSize)
        let end = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        var last: (seq: Int, hash: String) = (0, AuditEntry.genesis)
        if end > 0 {
            let lineStart = (bytes[..<(end - 1)].lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
            let lineNumber = bytes[..<end].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            do {
                let entry = try AuditEntry.parse(bytes[lineStart..<(end - 1)], source: "\(path) line \(lineNumber)")
                guard try entry.computedHash() == entry.hash else {
                    throw AuditLogError.brokenTail(path: path, line: lineNumber, reason: "its hash does not match its content")
                }
                last = (entry.seq, entry.hash)
            } catch let error as ConfigError {
                throw AuditLogError.brokenTail(path: path, line: lineNumber, reason: error.description)
            }
        }
        guard end < bytes.count else { return last }
        let torn = Array(bytes[end...])
        let fd = try FileDescriptor(path: path, flags: O_WRONLY | O_NOFOLLOW)
        try sysCall("ftruncate", path) { ftruncate(fd.raw, off_t(end)) }
        try fd.sync()
        let (repair, _) = try write(
            AuditAction.logRepair.rawValue, actor: "node", nodeID: nil, lab: nil, reason: "",
            detail: "dropped an incomplete last line of \(torn.count) bytes (sha256 \(try SHA256.hash(torn).hex)) left by a crash during an append",
            time: time, after: last)
        return (repair.seq, repair.hash)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Why the audit log cannot be appended to or does not verify.
public enum AuditLogError: CotrainError, Equatable {
    /// The last complete line is not a valid entry, so the chain cannot continue.
    case brokenTail(path: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .brokenTail(let path, let line, let reason):
            return "\(path) line \(line) is not a valid audit entry (\(reason)); nothing more is logged until it is fixed: "
                + "run `cotrain audit verify`, then restore the log from a backup"
        }
    }
}
