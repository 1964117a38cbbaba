// The local control protocol between admin commands and a running node, over the Unix
// socket DIR/state/control.sock: one request per connection, as one line of JSON, and
// one line of JSON back. See docs/operations.md ("The control socket").
//
//   → {"by":"alice","command":"approve","id":"MFRG-GZDF","reason":"MoU signed","version":1}
//   ← {"ok":true,"result":{...}}      or      {"error":"node … has no pending join request","ok":false}
import CotrainCore

/// What an admin command asks the node to do.
public enum ControlCommand: String, Sendable, CaseIterable {
    /// The node's id and lab, and whether a node process answered.
    case status
    /// The pending join requests.
    case pending
    /// Approved peers, revoked nodes and records that failed their checks.
    case list
    /// Approve a pending request (`id`, `reason`, `by`).
    case approve
    /// Reject a pending request (`id`, `reason`, `by`).
    case reject
    /// Revoke a node (`id`, `reason`, `by`).
    case revoke
    /// Lift a revocation (`id`, `reason`, `by`).
    case unrevoke
    /// Ask another node to let this one join (`endpoint`, `id`, `message`, `by`).
    case join
}

/// One admin request.
public struct ControlRequest: Sendable, Equatable {
    /// The protocol version.
    public static let version = 1
    /// The largest request or response line, in bytes.
    public static let maximumLineBytes = 256 << 10

    /// What to do.
    public var command: ControlCommand
    /// The node id as the admin typed it (full, prefix or hex); resolved by the node.
    public var id: String?
    /// Why (approve, reject, revoke, unrevoke).
    public var reason: String
    /// Who the admin says they are; the audit log also records the OS user.
    public var by: String?
    /// The address to dial (join).
    public var endpoint: String?
    /// The message for the other admin (join).
    public var message: String

    /// A request.
    public init(_ command: ControlCommand, id: String? = nil, reason: String = "", by: String? = nil,
                endpoint: String? = nil, message: String = "") {
        self.command = command
        self.id = id
        self.reason = reason
        self.by = by
        self.endpoint = endpoint
        self.message = message
    }

    /// The request as JSON.
    public var json: JSONValue {
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        return .object([
            ("version", .int(Int64(Self.version))), ("command", .string(command.rawValue)), ("id", optional(id)),
            ("reason", .string(reason)), ("by", optional(by)), ("endpoint", optional(endpoint)), ("message", .string(message)),
        ])
    }

    /// Parses a request line; unknown fields, commands and versions are errors.
    public static func parse(_ bytes: [UInt8]) throws(ConfigError) -> ControlRequest {
        let source = "control request"
        var object = try ConfigObject.parse(bytes, source: source)
        _ = try object.int("version", in: version...version)
        let command = try ControlCommand.parse(object.string("command"), source: source, field: "command")
        let request = ControlRequest(
            command, id: try object.optionalString("id"), reason: try object.optionalString("reason") ?? "",
            by: try object.optionalString("by"), endpoint: try object.optionalString("endpoint"),
            message: try object.optionalString("message") ?? "")
        try object.finish()
        return request
    }
}

/// A failure of the control socket or of a request sent through it.
public enum ControlError: CotrainError, Equatable {
    /// A node process holds the home but its control socket is missing or refuses.
    case noSocket(path: String, reason: String)
    /// The node answered with an error (the message is the node's).
    case failed(String)
    /// The other side broke the protocol (bad JSON, too long, closed early).
    case protocolError(String)
    /// The connecting user is not the node's user or root.
    case permissionDenied(uid: UInt32)

    public var description: String {
        switch self {
        case .noSocket(let path, let reason):
            return "the node home is in use by a running node, but its control socket \(path) cannot be reached (\(reason)); "
                + "check that `cotrain serve` is running, or stop it and retry"
        case .failed(let message):
            return message
        case .protocolError(let reason):
            return "control socket protocol error: \(reason)"
        case .permissionDenied(let uid):
            return "uid \(uid) may not use this node's control socket; run the command as the node's user"
        }
    }
}
