// The admin's decisions: approve, reject, revoke, unrevoke. Each one is written to the
// audit log first (so no change ever happens unrecorded), then to the record files,
// then published to the snapshot the transport reads.
import CotrainCore

extension PeerRegistry {
    /// Approves the pending request of `id`: pins its certificate in `peers/`.
    ///
    /// - Parameters:
    ///   - by: who approves (recorded in the peer record and the audit log).
    ///   - reason: why (may be empty), at most 1 KiB.
    /// - Throws: ``PeerRegistryError`` when `id` has no pending request.
    @discardableResult
    public func approve(_ id: NodeID, by actor: String, reason: String = "") throws -> PeerRecord {
        try Self.checkText(actor: actor, reason: reason)
        return try writer.withLock { _ in
            let state = snapshot.withLock { $0 }
            guard let request = state.pending[id] else { throw missingPending(id, state) }
            let record = PeerRecord(
                nodeID: id, lab: request.lab, embodiment: request.embodiment, endpoint: request.endpoint,
                certificate: request.certificate, approvedBy: actor, approvedAt: timestamp, reason: reason)
            try audit.append(.approve, actor: actor, nodeID: id, lab: request.lab, reason: reason,
                             detail: "embodiment \(request.embodiment), endpoint \(request.endpoint)", time: clock())
            try record.write(in: home)
            try removeFile(home.pendingPath(id))
            snapshot.withLock {
                $0.peers[id] = record
                $0.pending[id] = nil
            }
            return record
        }
    }

    /// Rejects the pending request of `id`. The node may ask again later (subject to
    /// the rate limit); the rejection is remembered so it can learn the outcome.
    @discardableResult
    public func reject(_ id: NodeID, by actor: String, reason: String = "") throws -> PendingRequest {
        try Self.checkText(actor: actor, reason: reason)
        return try writer.withLock { _ in
            var state = snapshot.withLock { $0 }
            guard let request = state.pending[id] else { throw missingPending(id, state) }
            try audit.append(.reject, actor: actor, nodeID: id, lab: request.lab, reason: reason, time: clock())
            state.rejected.insert(PeerDecision(nodeID: id, lab: request.lab, at: timestamp, by: actor, reason: reason))
            try state.rejected.write(to: home.rejectedPath)
            try removeFile(home.pendingPath(id))
            let rejected = state.rejected
            snapshot.withLock {
                $0.rejected = rejected
                $0.pending[id] = nil
            }
            return request
        }
    }

    /// Revokes `id`: removes its approval (or pending request) and remembers it, so it
    /// stays revoked — its connections are refused and its join requests ignored —
    /// until ``unrevoke(_:by:reason:)``. Any full id may be revoked, even an unknown
    /// one (to refuse it in advance). Revocation handlers run after it is durable.
    public func revoke(_ id: NodeID, by actor: String, reason: String = "") throws {
        try Self.checkText(actor: actor, reason: reason)
        try writer.withLock { _ in
            var state = snapshot.withLock { $0 }
            guard state.revoked.entry(for: id) == nil else { throw PeerRegistryError.alreadyRevoked(id) }
            let lab = state.peers[id]?.lab ?? state.pending[id]?.lab
            let was = state.peers[id] != nil ? "approved peer" : state.pending[id] != nil ? "pending request" : "not a peer"
            try audit.append(.revoke, actor: actor, nodeID: id, lab: lab, reason: reason, detail: "was: \(was)", time: clock())
            state.revoked.insert(PeerDecision(nodeID: id, lab: lab, at: timestamp, by: actor, reason: reason))
            try state.revoked.write(to: home.revokedPath)
            try removeFile(home.peerPath(id))
            try removeFile(home.pendingPath(id))
            let revoked = state.revoked
            snapshot.withLock {
                $0.revoked = revoked
                $0.peers[id] = nil
                $0.pending[id] = nil
            }
        }
        notifyRevoked(id)
    }

    /// Lifts the revocation of `id`. It becomes unknown: to rejoin it must send a new
    /// join request, which the admin approves like any other.
    public func unrevoke(_ id: NodeID, by actor: String, reason: String = "") throws {
        try Self.checkText(actor: actor, reason: reason)
        try writer.withLock { _ in
            var state = snapshot.withLock { $0 }
            guard let entry = state.revoked.entry(for: id) else { throw PeerRegistryError.notRevoked(id) }
            try audit.append(.unrevoke, actor: actor, nodeID: id, lab: entry.lab, reason: reason, time: clock())
            state.revoked.remove(id)
            try state.revoked.write(to: home.revokedPath)
            let revoked = state.revoked
            snapshot.withLock { $0.revoked = revoked }
        }
    }

    /// The error for a decision about an id without a pending request.
    private func missingPending(_ id: NodeID, _ state: Snapshot) -> PeerRegistryError {
        if state.revoked.entry(for: id) != nil { return .revokedNotPending(id) }
        if state.peers[id] != nil { return .alreadyApproved(id) }
        return .notPending(id)
    }

    static func checkText(actor: String, reason: String) throws {
        if actor.isEmpty { throw PeerRegistryError.invalidText(field: "approver", reason: "it is empty") }
        if let problem = PeerFields.textProblem(actor, limit: 128) { throw PeerRegistryError.invalidText(field: "approver", reason: problem) }
        if let problem = PeerFields.textProblem(reason, limit: PeerFields.maximumReasonBytes) {
            throw PeerRegistryError.invalidText(field: "reason", reason: problem)
        }
    }
}

/// A registry operation that cannot be done, with what to do instead.
public enum PeerRegistryError: CotrainError, Equatable {
    /// The id has no pending join request.
    case notPending(NodeID)
    /// The id is already an approved peer.
    case alreadyApproved(NodeID)
    /// The id is revoked, so it has no pending request to decide on.
    case revokedNotPending(NodeID)
    /// The id is already revoked.
    case alreadyRevoked(NodeID)
    /// The id is not revoked.
    case notRevoked(NodeID)
    /// An id prefix matches no node of the kind the command acts on.
    case noMatch(String, among: String)
    /// An id prefix matches several nodes.
    case ambiguous(String, matches: [NodeID])
    /// The text is not a node id or a usable prefix of one.
    case invalidID(String, reason: String)
    /// A reason or approver name is refused.
    case invalidText(field: String, reason: String)

    public var description: String {
        switch self {
        case .notPending(let id):
            return "node \(id) has no pending join request; see `cotrain peers pending`"
        case .alreadyApproved(let id):
            return "node \(id) is already an approved peer; see `cotrain peers list`"
        case .revokedNotPending(let id):
            return "node \(id) is revoked; run `cotrain peers unrevoke` first, then it must send a new join request"
        case .alreadyRevoked(let id):
            return "node \(id) is already revoked"
        case .notRevoked(let id):
            return "node \(id) is not revoked; see `cotrain peers list`"
        case .noMatch(let text, let among):
            return "no \(among) has an id starting with '\(text)'; give more of the id or the full id"
        case .ambiguous(let text, let matches):
            return "'\(text)' matches \(matches.count) nodes (\(matches.map(\.short).joined(separator: ", "))); give more of the id"
        case .invalidID(let text, let reason):
            return "'\(text)' is not a node id: \(reason)"
        case .invalidText(let field, let reason):
            return "the \(field) is refused: \(reason)"
        }
    }
}
