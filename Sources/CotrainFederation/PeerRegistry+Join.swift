// The transport's side of joining: an unknown node's join request is checked,
// rate-limited per source address, bounded in number, stored as pending and logged.
import CotrainCore
import Foundation

/// Where a node stands in the join process, as told to the node that asked.
public enum JoinStatus: Sendable, Equatable {
    /// Never seen (or rejected and forgotten).
    case unknown
    /// Waiting for this node's admin.
    case pending
    /// Approved: the node is a peer.
    case approved
    /// Rejected by the admin, with the reason given.
    case rejected(reason: String)
    /// Revoked: every connection is refused until the admin lifts it.
    case revoked
}

/// A join request the registry refuses.
public enum JoinRequestError: CotrainError, Equatable {
    /// Too many requests from this source address.
    case rateLimited(address: String, retryAfterSeconds: Int)
    /// The pending list is full.
    case pendingFull(limit: Int)
    /// A field of the request is not acceptable.
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .rateLimited(let address, let seconds):
            return "too many join requests from \(address); try again in \(seconds) s"
        case .pendingFull(let limit):
            return "this node already has \(limit) join requests waiting for its admin; try again later"
        case .invalid(let field, let reason):
            return "join request refused: the \(field) is invalid: \(reason)"
        }
    }
}

extension PeerRegistry {
    /// Handles a join request received from an unknown or pending node.
    ///
    /// Called by the transport after the TLS handshake: `certificate` is the one the
    /// node presented (so its id is proven). Requests are rate-limited per source
    /// address; a new request needs a free slot among the pending ones; a resend from
    /// a pending node updates its request. A revoked node's request is ignored.
    ///
    /// - Parameter address: the source address (`HOST` or `HOST:PORT`).
    /// - Returns: the node's standing afterwards (`.pending`, or `.approved` /
    ///   `.revoked` when the request changed nothing).
    /// - Throws: ``JoinRequestError``, or an I/O error.
    public func receivedJoinRequest(
        certificate: Certificate, lab: String, embodiment: String, endpoint: String, message: String,
        from address: String
    ) throws -> JoinStatus {
        let now = clock()
        let decision = limiter.withLock { $0.admit(address, at: now.timeIntervalSince1970) }
        if case .limited(let wait) = decision {
            throw JoinRequestError.rateLimited(address: address, retryAfterSeconds: Int(wait.rounded(.up)))
        }
        let id = certificate.nodeID
        switch standing(of: id) {
        case .revoked: return .revoked
        case .approved: return .approved
        case .pending, .unknown: break
        }
        let parsedEndpoint = try Self.checkJoinFields(certificate, lab: lab, embodiment: embodiment, endpoint: endpoint, message: message, now: now)
        return try writer.withLock { _ in
            var state = snapshot.withLock { $0 }
            if state.revoked.entry(for: id) != nil { return .revoked }
            if state.peers[id] != nil { return .approved }
            let previous = state.pending[id]
            guard previous != nil || state.pending.count < maximumPending else {
                throw JoinRequestError.pendingFull(limit: maximumPending)
            }
            let stamp = ISO8601.format(now)
            let request = PendingRequest(
                nodeID: id, lab: lab, embodiment: embodiment, endpoint: parsedEndpoint, message: message,
                certificate: certificate, receivedAt: previous?.receivedAt ?? stamp, updatedAt: stamp, fromAddress: address)
            if previous.map({ !$0.sameRequest(as: request) }) ?? true {
                let earlier = state.rejected.entry(for: id).map { ", rejected before at \($0.at)" } ?? ""
                let kind = previous == nil ? "new" : "changed"
                try audit.append(.joinRequest, actor: "remote \(address)", nodeID: id, lab: lab, reason: "",
                                 detail: "\(kind) request, embodiment \(embodiment), endpoint \(parsedEndpoint)\(earlier)", time: now)
            }
            try request.write(in: home)
            if state.rejected.remove(id) { try state.rejected.write(to: home.rejectedPath) }
            let rejected = state.rejected
            snapshot.withLock {
                $0.pending[id] = request
                $0.rejected = rejected
            }
            return .pending
        }
    }

    /// Where `id` stands in the join process.
    public func joinStatus(of id: NodeID) -> JoinStatus {
        snapshot.withLock { state in
            if state.revoked.entry(for: id) != nil { return .revoked }
            if state.peers[id] != nil { return .approved }
            if state.pending[id] != nil { return .pending }
            if let entry = state.rejected.entry(for: id) { return .rejected(reason: entry.reason) }
            return .unknown
        }
    }

    /// Checks the fields of a join request; returns the parsed endpoint.
    static func checkJoinFields(
        _ certificate: Certificate, lab: String, embodiment: String, endpoint: String, message: String, now: Date
    ) throws -> NodeEndpoint {
        if let problem = PeerFields.labProblem(lab) { throw JoinRequestError.invalid(field: "lab", reason: problem) }
        if let problem = PeerFields.certificateProblem(certificate, id: nil, lab: lab) {
            throw JoinRequestError.invalid(field: "certificate", reason: problem)
        }
        guard certificate.isValid(at: now) else {
            throw JoinRequestError.invalid(field: "certificate", reason: "it is not valid now (valid \(ISO8601.format(certificate.notBefore)) to \(ISO8601.format(certificate.notAfter)))")
        }
        if let problem = EmbodimentName.problem(with: embodiment) { throw JoinRequestError.invalid(field: "embodiment", reason: problem) }
        if let problem = PeerFields.textProblem(message, limit: PeerFields.maximumMessageBytes) {
            throw JoinRequestError.invalid(field: "message", reason: problem)
        }
        do {
            return try NodeEndpoint(parsing: endpoint)
        } catch {
            throw JoinRequestError.invalid(field: "endpoint", reason: error.reason)
        }
    }
}
