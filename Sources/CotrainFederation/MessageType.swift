// The type byte of each frame, and which types a peer may send given its standing.

/// The message types of wire protocol version 1 (the frame's type byte).
///
/// Control messages have canonical-JSON bodies; chunks, ping and pong have small binary
/// bodies (see docs/protocol.md for every layout).
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// First message on every connection, both directions.
    case hello = 0x01
    /// A node asks to be approved as a peer.
    case joinRequest = 0x02
    /// Where a join request stands: pending, approved or rejected.
    case joinStatus = 0x03
    /// Announces a signed model delta for a round.
    case deltaOffer = 0x10
    /// A piece of an offered delta.
    case deltaChunk = 0x11
    /// The receiver verified (or refused) a delta.
    case deltaAck = 0x12
    /// The VL shards a node can serve.
    case shardInventory = 0x20
    /// Asks for a byte range of a shard.
    case shardRequest = 0x21
    /// A piece of a requested shard.
    case shardChunk = 0x22
    /// Asks for round records from a round on.
    case catchupRequest = 0x30
    /// Round records and the checkpoint that goes with them.
    case catchupResponse = 0x31
    /// A piece of a content-addressed blob (e.g. the catch-up checkpoint).
    case blobChunk = 0x32
    /// Liveness probe; answered by pong with the same nonce.
    case ping = 0x40
    /// Answer to ping.
    case pong = 0x41
    /// Says why the sender is closing the connection; the last frame it sends.
    case error = 0x7F

    /// The camelCase name used in docs and logs, e.g. "deltaOffer".
    public var description: String {
        switch self {
        case .hello: "hello"
        case .joinRequest: "joinRequest"
        case .joinStatus: "joinStatus"
        case .deltaOffer: "deltaOffer"
        case .deltaChunk: "deltaChunk"
        case .deltaAck: "deltaAck"
        case .shardInventory: "shardInventory"
        case .shardRequest: "shardRequest"
        case .shardChunk: "shardChunk"
        case .catchupRequest: "catchupRequest"
        case .catchupResponse: "catchupResponse"
        case .blobChunk: "blobChunk"
        case .ping: "ping"
        case .pong: "pong"
        case .error: "error"
        }
    }

    /// Whether the body is a binary layout rather than canonical JSON.
    public var isBinary: Bool {
        switch self {
        case .deltaChunk, .shardChunk, .blobChunk, .ping, .pong: true
        default: false
        }
    }

    /// Whether a peer of `standing` may send this type once hello is done. Approved
    /// peers may send everything; unknown and pending ones only the join exchange and
    /// connection control; revoked ones nothing.
    public func isPermitted(from standing: PeerStanding) -> Bool {
        switch standing {
        case .approved: return true
        case .unknown, .pending: return [.joinRequest, .joinStatus, .ping, .pong, .error].contains(self)
        case .revoked: return false
        }
    }
}
