// One line of DIR/state/audit.log: who did what to which node, when and why, chained
// to the line before it by hash.
import CotrainCore
import Foundation

/// What an audit entry records.
public enum AuditAction: String, Sendable, CaseIterable {
    /// The node home was created.
    case initialize = "init"
    /// An unknown node asked to join (or changed its pending request).
    case joinRequest = "join-request"
    /// The admin approved a pending request.
    case approve
    /// The admin rejected a pending request.
    case reject
    /// The admin withdrew a node's approval; it stays revoked.
    case revoke
    /// The admin lifted a revocation; the node may ask to join again.
    case unrevoke
    /// This node's admin asked to join another node.
    case joinSent = "join-sent"
    /// A node this node asked to join accepted, and was pinned as a peer.
    case joinAccepted = "join-accepted"
    /// An incomplete last line (a crash mid-append) was dropped before appending.
    case logRepair = "log-repair"
}

/// One audit log entry.
///
/// `hash` is the SHA-256 (hex) of the canonical JSON of the entry without `hash`;
/// `prev` is the previous entry's hash (64 zeros for the first). Stored one per line
/// as canonical JSON.
public struct AuditEntry: Sendable, Equatable {
    /// 1 for the first entry, then +1 per line.
    public var seq: Int
    /// When it happened (UTC, RFC 3339 with milliseconds).
    public var time: String
    /// Who did it: a user name, `remote <address>` or `node`.
    public var actor: String
    /// What was done (an ``AuditAction`` raw value).
    public var action: String
    /// The node the action is about (hex id), if any.
    public var nodeID: String?
    /// That node's lab name, if known.
    public var lab: String?
    /// Why (the admin's `--reason`); empty when none was given.
    public var reason: String
    /// Extra facts, e.g. the source address of a join request.
    public var detail: String?
    /// The previous entry's hash.
    public var prev: String
    /// This entry's hash.
    public var hash: String

    /// The `prev` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The entry without `hash`: the value that is hashed.
    var body: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            ("seq", .int(Int64(seq))), ("time", .string(time)), ("actor", .string(actor)),
            ("action", .string(action)), ("node_id", optional(nodeID)), ("lab", optional(lab)),
            ("reason", .string(reason)), ("detail", optional(detail)), ("prev", .string(prev)),
        ])
    }

    /// The SHA-256 (hex) of the canonical JSON of ``body``.
    func computedHash() throws -> String {
        try SHA256.hash(body.canonicalBytes).hex
    }

    /// The entry with `hash`, as JSON.
    public var json: JSONValue {
        guard case .object(var members) = body else { return body }
        members.append(("hash", .string(hash)))
        return .object(members)
    }

    /// Parses one log line (without its newline); `source` names it in errors.
    static func parse(_ line: ArraySlice<UInt8>, source: String) throws(ConfigError) -> AuditEntry {
        var object = try ConfigObject.parse(Array(line), source: source)
        let entry = AuditEntry(
            seq: try object.int("seq", in: 1...Int.max), time: try object.string("time"),
            actor: try object.string("actor"), action: try object.string("action"),
            nodeID: try object.optionalString("node_id"), lab: try object.optionalString("lab"),
            reason: try object.string("reason"), detail: try object.optionalString("detail"),
            prev: try object.string("prev"), hash: try object.string("hash"))
        try object.finish()
        return entry
    }

    /// The login name of the user running this process, or `uid N`.
    public static func currentUser() -> String {
        userName(uid: geteuid())
    }

    /// The login name of `uid`, or `uid N` when it has none.
    public static func userName(uid: uid_t) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return "uid \(uid)" }
        return String(cString: name)
    }
}
