// The joining side in the registry: the admin's `peers join` records the target in
// state/outgoing/ (this node's admin thereby agrees to trust it), the dialer sends the
// request, and when the target approves, its certificate is pinned as a peer.
import CotrainCore
import Foundation

extension PeerRegistry {
    /// Records `request` in `state/outgoing/` and sends it with `dialer`.
    ///
    /// The record is kept when sending fails, so the intent is not lost. When the
    /// target answers `.approved`, it is pinned as a peer at once.
    ///
    /// - Returns: the target's answer.
    /// - Throws: ``PeerRegistryError`` when the target is revoked or already a peer,
    ///   ``JoinSendError`` or the dialer's error when sending fails.
    public func sendJoinRequest(_ request: OutgoingJoin, with dialer: some JoinDialer) throws -> JoinStatus {
        switch standing(of: request.target) {
        case .revoked: throw PeerRegistryError.revokedNotPending(request.target)
        case .approved: throw PeerRegistryError.alreadyApproved(request.target)
        case .pending, .unknown: break
        }
        if let problem = PeerFields.textProblem(request.message, limit: PeerFields.maximumMessageBytes) {
            throw JoinRequestError.invalid(field: "message", reason: problem)
        }
        try writer.withLock { _ in
            try AtomicFile.write(request.json.prettyBytes, to: home.outgoingPath(request.target), mode: 0o600)
        }
        let reply = try dialer.sendJoinRequest(request)
        guard reply.certificate.nodeID == request.target else {
            throw JoinSendError.wrongTarget(expected: request.target, found: reply.certificate.nodeID)
        }
        try audit.append(.joinSent, actor: request.requestedBy, nodeID: request.target, lab: reply.certificate.commonName,
                         reason: "", detail: "to \(request.endpoint), answer: \(reply.status)", time: clock())
        if reply.status == .approved {
            try outgoingJoinAccepted(certificate: reply.certificate, embodiment: reply.embodiment)
        }
        return reply.status
    }

    /// Pins a node this node asked to join, once it has approved this node. Called by
    /// the transport (or ``sendJoinRequest(_:with:)``) with the certificate the target
    /// presented in a handshake. Does nothing unless `state/outgoing/` holds a request
    /// to that id — trust is only ever granted by an admin's `peers join` or `approve`.
    ///
    /// - Returns: the new peer record, or nil when there was no outgoing request.
    @discardableResult
    public func outgoingJoinAccepted(certificate: Certificate, embodiment: String) throws -> PeerRecord? {
        let id = certificate.nodeID
        let path = home.outgoingPath(id)
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        var object = try ConfigObject.parse(readFile(path, limit: 64 << 10), source: path)
        let endpoint = try PeerFields.endpoint(object.string("endpoint"), source: path)
        let requestedBy = try object.string("requested_by")
        let lab = certificate.commonName ?? ""
        if let problem = PeerFields.certificateProblem(certificate, id: id, lab: lab) {
            throw JoinRequestError.invalid(field: "certificate", reason: problem)
        }
        if let problem = EmbodimentName.problem(with: embodiment) { throw JoinRequestError.invalid(field: "embodiment", reason: problem) }
        return try writer.withLock { _ in
            guard snapshot.withLock({ $0.revoked.entry(for: id) == nil }) else { throw PeerRegistryError.revokedNotPending(id) }
            let record = PeerRecord(
                nodeID: id, lab: lab, embodiment: embodiment, endpoint: endpoint, certificate: certificate,
                approvedBy: requestedBy, approvedAt: timestamp, reason: "joined at this node's request (cotrain peers join)")
            try audit.append(.joinAccepted, actor: requestedBy, nodeID: id, lab: lab, reason: record.reason,
                             detail: "endpoint \(endpoint), embodiment \(embodiment)", time: clock())
            try record.write(in: home)
            try removeFile(path)
            snapshot.withLock { $0.peers[id] = record }
            return record
        }
    }
}
