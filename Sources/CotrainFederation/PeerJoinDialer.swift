// The joining side: `cotrain peers join HOST:PORT --id ID` records the intended peer
// in DIR/state/outgoing/ and hands the request to a JoinDialer. A running node sends it
// at once over TLS (TLSJoinDialer, Dialer+Join.swift); a stopped node's admin command
// only records it, and the node sends every recorded request when it starts.
import CotrainCore
import Foundation

/// A join request this node sends to another node.
public struct OutgoingJoin: Sendable {
    /// The node to join; the transport must check it presents this id.
    public let target: NodeID
    /// Where to dial it.
    public let endpoint: NodeEndpoint
    /// The message for its admin (at most 1 KiB).
    public let message: String
    /// This node's lab name, sent along.
    public let lab: String
    /// This node's embodiment, sent along.
    public let embodiment: String
    /// Where the target can dial this node back.
    public let advertise: NodeEndpoint
    /// Who asked (this node's admin).
    public let requestedBy: String
    /// When (UTC, RFC 3339).
    public let requestedAt: String

    /// A request; `message` must be at most 1 KiB without control characters.
    public init(
        target: NodeID, endpoint: NodeEndpoint, message: String, lab: String, embodiment: String,
        advertise: NodeEndpoint, requestedBy: String, requestedAt: String
    ) {
        self.target = target
        self.endpoint = endpoint
        self.message = message
        self.lab = lab
        self.embodiment = embodiment
        self.advertise = advertise
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
    }

    /// The record kept in `state/outgoing/<hex-id>.json`.
    public var json: JSONValue {
        .object([
            ("format", 1), ("node_id", .string(target.digest.hex)), ("endpoint", .string(endpoint.description)),
            ("message", .string(message)), ("lab", .string(lab)), ("embodiment", .string(embodiment)),
            ("advertise", .string(advertise.description)), ("requested_by", .string(requestedBy)),
            ("requested_at", .string(requestedAt)),
        ])
    }
}

/// The target's answer to a join request.
public struct JoinReply: Sendable {
    /// The standing the target gave this node.
    public let status: JoinStatus
    /// The target's certificate as presented in the TLS handshake (its id was checked).
    public let certificate: Certificate
    /// The target's embodiment, as it reported it.
    public let embodiment: String

    /// A reply.
    public init(status: JoinStatus, certificate: Certificate, embodiment: String) {
        self.status = status
        self.certificate = certificate
        self.embodiment = embodiment
    }
}

/// Sends a join request over the network: dials the endpoint with this node's
/// identity, checks the target's node id, sends the request and returns the answer.
/// Implemented by the TLS transport.
public protocol JoinDialer: Sendable {
    /// Sends `request` and returns the target's reply; throws on any failure.
    func sendJoinRequest(_ request: OutgoingJoin) throws -> JoinReply
}

/// The dialer of admin commands run while the node is stopped: the request stays
/// recorded in `state/outgoing/` and this says it was not sent yet (no fake success).
public struct UnavailableJoinDialer: JoinDialer {
    /// A dialer that cannot dial.
    public init() {}

    /// Always throws ``JoinSendError/transportUnavailable(recorded:)``.
    public func sendJoinRequest(_ request: OutgoingJoin) throws -> JoinReply {
        throw JoinSendError.transportUnavailable(recorded: request.target)
    }
}

/// Why a join request was not sent.
public enum JoinSendError: CotrainError, Equatable {
    /// The node is not running; the request is recorded and goes out when it starts.
    case transportUnavailable(recorded: NodeID)
    /// The target answered, but the certificate it presented is not the id asked for.
    case wrongTarget(expected: NodeID, found: NodeID)

    public var description: String {
        switch self {
        case .transportUnavailable(let id):
            return "the join request to \(id.short) is recorded in state/outgoing/ but NOT sent yet, because this node is not "
                + "running: start it (`cotrain serve`) and it sends the request when it starts"
        case .wrongTarget(let expected, let found):
            return "the node at that address is \(found), not \(expected); check the id with the other lab"
        }
    }
}
