// The one contract between the peer registry (who is approved) and the transport
// (who may talk): the transport asks, at every handshake and on every frame, what a
// node id's standing is; the registry answers from DIR/peers and DIR/state.
import CotrainCore

/// What a node id may do on a connection.
public enum PeerStanding: Sendable, Equatable {
    /// Approved by this node's admin: every message type is allowed.
    case approved
    /// Has a join request waiting for the admin: may only resend its join request.
    case pending
    /// Never seen: may only send a join request.
    case unknown
    /// Approval withdrawn: the connection is refused or cut at once.
    case revoked
}

/// Answers "what may this node id do?" — implemented by the peer registry, consulted
/// by the transport at the handshake and again before every frame is acted on, so a
/// revocation takes effect on live connections immediately.
public protocol PeerAuthorizing: Sendable {
    /// The standing of `id` now.
    func standing(of id: NodeID) -> PeerStanding
}
