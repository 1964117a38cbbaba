// The messages of wire protocol version 1, as values. Encoding and strict decoding live
// in WireMessage+Encoding.swift and WireMessage+Decoding.swift; the layouts and limits
// are specified in docs/protocol.md.
import CotrainCore

/// The protocol version this node speaks, and the limits it enforces on input.
public enum WireProtocol {
    /// Major version: a peer with another major version is refused.
    public static let major = 1
    /// Minor version: informational within a major version (a minor release may only
    /// add message types, which are never sent to a peer with a lower minor version).
    public static let minor = 0
    /// Largest integer in a JSON body (2^53 − 1, exact in every JSON implementation).
    public static let maxInteger = (1 << 53) - 1
    /// Longest free text (join message, reasons, error messages), in UTF-8 bytes.
    public static let maxTextBytes = 1024
    /// Longest lab or embodiment name, shard source or licence, metadata key, in bytes.
    public static let maxNameBytes = 64
    /// Longest endpoint text (`HOST:PORT`).
    public static let maxEndpointBytes = 261
    /// Longest shard source or licence text.
    public static let maxLabelBytes = 256
}

/// Limits a node sets on what it accepts; every count and length from a peer is
/// checked against them before it is used.
public struct WireLimits: Sendable, Equatable {
    /// Largest frame length field (type byte + body). Default 4 MiB.
    public var maxFrameLength: Int
    /// Largest chunk payload (delta, shard, blob chunks). Default 1 MiB.
    public var maxChunkBytes: Int
    /// Most shards in one inventory. Default 4096.
    public var maxInventoryShards: Int
    /// Most round records in one catch-up response. Default 4096.
    public var maxCatchupRecords: Int
    /// Most metadata entries in a delta offer. Default 64.
    public var maxMetadataEntries: Int

    /// Limits with explicit values.
    public init(maxFrameLength: Int = Frame.defaultMaxLength, maxChunkBytes: Int = 1 << 20,
                maxInventoryShards: Int = 4096, maxCatchupRecords: Int = 4096, maxMetadataEntries: Int = 64) {
        self.maxFrameLength = maxFrameLength
        self.maxChunkBytes = maxChunkBytes
        self.maxInventoryShards = maxInventoryShards
        self.maxCatchupRecords = maxCatchupRecords
        self.maxMetadataEntries = maxMetadataEntries
    }

    /// The defaults above.
    public static let `default` = WireLimits()

    /// What the JSON parser may spend on one control-message body.
    var json: JSONLimits {
        JSONLimits(maxInputBytes: maxFrameLength, maxDepth: 16, maxStringBytes: 64 << 10, maxValues: 200_000)
    }
}

/// One message of the wire protocol.
public enum WireMessage: Sendable, Equatable {
    /// Who the sender is and where it stands in the rounds; first on every connection.
    case hello(Hello)
    /// Asks the receiver's admin to approve the sender.
    case joinRequest(JoinRequest)
    /// The answer to a join request.
    case joinStatus(JoinStatus)
    /// Announces a signed delta; its bytes follow as ``deltaChunk`` frames.
    case deltaOffer(DeltaOffer)
    /// Bytes of an offered delta.
    case deltaChunk(Chunk)
    /// The receiver's verdict on a delta.
    case deltaAck(DeltaAck)
    /// The VL shards the sender can serve.
    case shardInventory([ShardManifest])
    /// Asks for a byte range of a shard; answered with ``shardChunk`` frames.
    case shardRequest(ShardRequest)
    /// Bytes of a requested shard.
    case shardChunk(Chunk)
    /// Asks for the round records from `fromRound` on.
    case catchupRequest(fromRound: Int)
    /// Round records and the checkpoint hash; the checkpoint follows as ``blobChunk`` frames.
    case catchupResponse(CatchupResponse)
    /// Bytes of a content-addressed blob (the catch-up checkpoint).
    case blobChunk(Chunk)
    /// Liveness probe.
    case ping(nonce: UInt64)
    /// Answer to a ping, echoing its nonce.
    case pong(nonce: UInt64)
    /// Why the sender closes the connection.
    case error(ErrorMessage)

    /// The type byte this message travels with.
    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .joinRequest: .joinRequest
        case .joinStatus: .joinStatus
        case .deltaOffer: .deltaOffer
        case .deltaChunk: .deltaChunk
        case .deltaAck: .deltaAck
        case .shardInventory: .shardInventory
        case .shardRequest: .shardRequest
        case .shardChunk: .shardChunk
        case .catchupRequest: .catchupRequest
        case .catchupResponse: .catchupResponse
        case .blobChunk: .blobChunk
        case .ping: .ping
        case .pong: .pong
        case .error: .error
        }
    }
}
