// Why a peer connection could not be made or was closed. Messages name the peer: its
// address and, once the handshake told us, its short node id.
import CotrainCore

/// A connection failure or the reason a connection ended.
public enum ConnectionError: CotrainError, Equatable {
    /// `HOST:PORT` text that is not an endpoint.
    case invalidEndpoint(String, reason: String)
    /// The host name did not resolve.
    case unresolvable(host: String, reason: String)
    /// Nobody answered at the address within the connect timeout.
    case connectTimedOut(String)
    /// A socket call failed (connect refused, reset, bind in use …).
    case system(SystemError)
    /// The TLS layer failed (handshake, certificate, encrypted stream).
    case tls(TLSError)
    /// The dialled node id is not the id of the node that answered.
    case unexpectedPeer(address: String, dialled: NodeID, found: NodeID)
    /// This node refuses the peer: its approval was revoked.
    case revoked(peer: String)
    /// The peer closed the connection with an error message.
    case refusedByPeer(peer: String, code: String, message: String)
    /// The peer sent a message its standing does not allow (e.g. a delta from a node
    /// that is not approved).
    case notPermitted(peer: String, message: String, standing: PeerStanding)
    /// The peer sent bytes that are not a valid frame or message.
    case protocolViolation(peer: String, WireError)
    /// The peer sent a valid message at the wrong time (e.g. anything before hello).
    case unexpectedMessage(peer: String, message: String, reason: String)
    /// The peer's hello claims a node id other than its certificate's.
    case helloMismatch(peer: String, claimed: String)
    /// Nothing arrived from the peer in time.
    case timedOut(peer: String, waitingFor: String, seconds: Double)
    /// The peer closed the connection.
    case closedByPeer(peer: String)
    /// This node closed the connection (stop, revocation, `disconnect`).
    case disconnected(peer: String, reason: String)
    /// This node tried to send a message the peer's standing does not allow.
    case sendRefused(peer: String, message: String, standing: PeerStanding)
    /// The listener already holds its maximum number of connections.
    case tooManyConnections(address: String, limit: Int)
    /// A message this node tried to send breaks the protocol's limits.
    case invalidOutgoing(peer: String, WireError)
    /// The connection is not open (still handshaking, closing or closed).
    case notOpen(peer: String)
    /// The send queue holds more than its limit; wait for earlier sends to finish.
    case sendQueueFull(peer: String, limit: Int)

    public var description: String {
        switch self {
        case let .invalidEndpoint(text, reason):
            return "\(text.debugDescription) is not a HOST:PORT endpoint: \(reason)"
        case let .unresolvable(host, reason):
            return "cannot resolve host \(host): \(reason)"
        case let .connectTimedOut(address):
            return "connecting to \(address) timed out; is the node running and the port open?"
        case let .system(error):
            return error.description
        case let .tls(error):
            return error.description
        case let .unexpectedPeer(address, dialled, found):
            return "dialled \(dialled) at \(address) but the server is \(found); check the node id you were given"
        case let .revoked(peer):
            return "\(peer) is revoked; connection refused"
        case let .refusedByPeer(peer, code, message):
            return "\(peer) closed the connection: \(message) (\(code))"
        case let .notPermitted(peer, message, standing):
            return "\(peer) sent \(message), which a peer that is \(standing) may not send; connection closed"
        case let .protocolViolation(peer, error):
            return "\(peer): \(error.description); connection closed"
        case let .unexpectedMessage(peer, message, reason):
            return "\(peer) sent \(message) \(reason); connection closed"
        case let .helloMismatch(peer, claimed):
            return "\(peer) says it is node \(claimed), which is not the node id of its certificate; connection closed"
        case let .timedOut(peer, waitingFor, seconds):
            return "\(peer) sent no \(waitingFor) within \(TLSError.seconds(seconds)) s; connection closed"
        case let .closedByPeer(peer):
            return "\(peer) closed the connection"
        case let .disconnected(peer, reason):
            return "connection to \(peer) closed: \(reason)"
        case let .sendRefused(peer, message, standing):
            return "not sending \(message) to \(peer): it is \(standing), not approved"
        case let .tooManyConnections(address, limit):
            return "refused a connection from \(address): already holding the maximum of \(limit) connections"
        case let .invalidOutgoing(peer, error):
            return "not sending to \(peer): \(error.description)"
        case let .notOpen(peer):
            return "the connection to \(peer) is not open"
        case let .sendQueueFull(peer, limit):
            return "the send queue to \(peer) is over its \(limit)-byte limit; wait for earlier sends to complete"
        }
    }
}
