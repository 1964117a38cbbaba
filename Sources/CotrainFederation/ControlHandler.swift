// Carries out admin requests against the registry. The same handler serves both
// paths: the control socket of a running node, and an admin command that holds the
// node lock itself. Results are JSON, printed by the CLI or sent over the socket.
import CotrainCore
import Foundation

/// Executes ``ControlRequest``s for one node.
public struct ControlHandler: Sendable {
    /// The registry requests act on.
    public let registry: PeerRegistry
    /// The node's effective config (lab, embodiments, advertised endpoint).
    public let config: NodeConfig
    /// This node's id.
    public let nodeID: NodeID
    /// Sends `join` requests (the transport's, once wired in).
    public let dialer: any JoinDialer

    /// A handler; `dialer` defaults to one that reports the transport missing.
    public init(registry: PeerRegistry, config: NodeConfig, nodeID: NodeID, dialer: any JoinDialer = UnavailableJoinDialer()) {
        self.registry = registry
        self.config = config
        self.nodeID = nodeID
        self.dialer = dialer
    }

    /// Carries out `request` for the local user `uid` and returns its result.
    ///
    /// The audit log's actor is the OS user of `uid`; a different `by` is recorded as
    /// `by (as user)`, so who really acted is never lost.
    public func perform(_ request: ControlRequest, uid: uid_t) throws -> JSONValue {
        let user = AuditEntry.userName(uid: uid)
        let actor = request.by.map { $0.isEmpty || $0 == user ? user : "\($0) (as \(user))" } ?? user
        switch request.command {
        case .status:
            return .object([("node_id", .string(nodeID.description)), ("short", .string(nodeID.short)), ("lab", .string(config.lab))])
        case .pending:
            return .object([("pending", .array(try registry.pendingRequests.map(Self.describe)))])
        case .list:
            return .object([
                ("peers", .array(try registry.peers.map(Self.describe))),
                ("revoked", .array(registry.revokedNodes.map(Self.describe))),
                ("problems", .array(registry.problems.map { .string($0) })),
            ])
        case .approve:
            let id = try registry.resolve(try required(request.id, "id"), in: [.pending])
            return .object([("approved", try Self.describe(registry.approve(id, by: actor, reason: request.reason)))])
        case .reject:
            let id = try registry.resolve(try required(request.id, "id"), in: [.pending])
            return .object([("rejected", try Self.describe(registry.reject(id, by: actor, reason: request.reason)))])
        case .revoke:
            let id = try registry.resolve(try required(request.id, "id"), in: [.approved, .pending])
            try registry.revoke(id, by: actor, reason: request.reason)
            return .object([("revoked", registry.revokedNodes.last { $0.nodeID == id }.map(Self.describe) ?? Self.identity(id))])
        case .unrevoke:
            let id = try registry.resolve(try required(request.id, "id"), in: [.revoked])
            try registry.unrevoke(id, by: actor, reason: request.reason)
            return .object([("unrevoked", Self.identity(id))])
        case .join:
            return try join(request, actor: actor)
        }
    }

    private func join(_ request: ControlRequest, actor: String) throws -> JSONValue {
        let endpoint: NodeEndpoint
        do { endpoint = try NodeEndpoint(parsing: try required(request.endpoint, "endpoint")) } catch let error as NodeEndpointError {
            throw JoinRequestError.invalid(field: "endpoint", reason: error.reason)
        }
        let target = try registry.resolve(try required(request.id, "id"), in: [])
        guard target != nodeID else { throw JoinRequestError.invalid(field: "id", reason: "it is this node's own id") }
        let outgoing = OutgoingJoin(
            target: target, endpoint: endpoint, message: request.message, lab: config.lab,
            embodiment: config.embodiments[0], advertise: config.advertise, requestedBy: actor,
            requestedAt: ISO8601.format(Date()))
        let status = try registry.sendJoinRequest(outgoing, with: dialer)
        return .object([("target", Self.identity(target)), ("endpoint", .string(endpoint.description)), ("status", .string("\(status)"))])
    }

    private func required(_ value: String?, _ field: String) throws -> String {
        guard let value, !value.isEmpty else { throw ControlError.protocolError("the request needs '\(field)'") }
        return value
    }

    /// The id in every form a person or a script may want.
    static func identity(_ id: NodeID) -> [(String, JSONValue)] {
        [("node_id", .string(id.description)), ("short", .string(id.short)), ("hex", .string(id.digest.hex))]
    }

    static func identity(_ id: NodeID) -> JSONValue { .object(identity(id)) }

    static func describe(_ record: PeerRecord) throws -> JSONValue {
        .object(identity(record.nodeID) + [
            ("lab", .string(record.lab)), ("embodiment", .string(record.embodiment)),
            ("endpoint", .string(record.endpoint.description)), ("approved_by", .string(record.approvedBy)),
            ("approved_at", .string(record.approvedAt)), ("reason", .string(record.reason)),
        ])
    }

    static func describe(_ request: PendingRequest) throws -> JSONValue {
        .object(identity(request.nodeID) + [
            ("lab", .string(request.lab)), ("embodiment", .string(request.embodiment)),
            ("endpoint", .string(request.endpoint.description)), ("message", .string(request.message)),
            ("received_at", .string(request.receivedAt)), ("updated_at", .string(request.updatedAt)),
            ("from_address", .string(request.fromAddress)),
        ])
    }

    static func describe(_ decision: PeerDecision) -> JSONValue {
        .object(identity(decision.nodeID) + [
            ("lab", decision.lab.map { .string($0) } ?? .null), ("at", .string(decision.at)),
            ("by", .string(decision.by)), ("reason", .string(decision.reason)),
        ])
    }
}
