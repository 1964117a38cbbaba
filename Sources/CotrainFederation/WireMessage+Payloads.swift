// The payloads of the wire messages. Plain values; their limits are checked when a
// message is encoded (so a node never sends what a peer would refuse) and decoded.
import CotrainCore

extension WireMessage {
    /// The first message in both directions: who the sender is and its round state.
    public struct Hello: Sendable, Equatable {
        /// The sender's major protocol version (``WireProtocol/major``).
        public var protocolMajor: Int
        /// The sender's minor protocol version.
        public var protocolMinor: Int
        /// The sender's node id; must equal the id of its TLS certificate.
        public var nodeID: NodeID
        /// The sender's lab name (a certificate common name, 1–64 characters).
        public var lab: String
        /// The sender's robot embodiment, e.g. "panda" (1–64 bytes).
        public var embodiment: String
        /// SHA-256 of the model schema (parameter names, shapes, dtypes) the sender trains.
        public var schema: SHA256Digest
        /// The sender's current round (0…2^53−1).
        public var round: Int
        /// The hash of the sender's round base checkpoint.
        public var base: SHA256Digest

        /// A hello in this node's protocol version.
        public init(nodeID: NodeID, lab: String, embodiment: String, schema: SHA256Digest, round: Int, base: SHA256Digest,
                    protocolMajor: Int = WireProtocol.major, protocolMinor: Int = WireProtocol.minor) {
            self.protocolMajor = protocolMajor
            self.protocolMinor = protocolMinor
            self.nodeID = nodeID
            self.lab = lab
            self.embodiment = embodiment
            self.schema = schema
            self.round = round
            self.base = base
        }
    }

    /// A request to be approved; the certificate is the one the TLS handshake showed.
    public struct JoinRequest: Sendable, Equatable {
        /// The requesting lab's name (1–64 characters, as in its certificate).
        public var lab: String
        /// The requesting lab's embodiment (1–64 bytes).
        public var embodiment: String
        /// Where the requesting node listens, `HOST:PORT`.
        public var endpoint: String
        /// A note for the admin (at most 1 KiB of UTF-8; may be empty).
        public var message: String

        /// A join request.
        public init(lab: String, embodiment: String, endpoint: String, message: String) {
            self.lab = lab
            self.embodiment = embodiment
            self.endpoint = endpoint
            self.message = message
        }
    }

    /// Where a join request stands.
    public struct JoinStatus: Sendable, Equatable {
        /// The decision so far.
        public enum Status: String, Sendable, CaseIterable {
            case pending, approved, rejected
        }
        /// The decision so far.
        public var status: Status
        /// The admin's reason (at most 1 KiB; may be empty).
        public var reason: String

        /// A join status.
        public init(status: Status, reason: String = "") {
            self.status = status
            self.reason = reason
        }
    }

    /// Announces a delta for a round; its bytes follow as ``WireMessage/deltaChunk(_:)``.
    public struct DeltaOffer: Sendable, Equatable {
        /// The round the delta belongs to.
        public var round: Int
        /// The base checkpoint hash the delta was computed against.
        public var base: SHA256Digest
        /// SHA-256 of the encoded delta bytes (what the chunks carry).
        public var delta: SHA256Digest
        /// Size of the encoded delta in bytes (1…2^53−1).
        public var size: Int
        /// Ed25519 signature (64 bytes) in domain `model-delta`, see docs/protocol.md.
        public var signature: [UInt8]
        /// Sender-defined metadata, e.g. sample counts for weighting (string → string).
        public var metadata: [String: String]

        /// A delta offer.
        public init(round: Int, base: SHA256Digest, delta: SHA256Digest, size: Int, signature: [UInt8], metadata: [String: String] = [:]) {
            self.round = round
            self.base = base
            self.delta = delta
            self.size = size
            self.signature = signature
            self.metadata = metadata
        }
    }

    /// A piece of a content-addressed object: its hash, where the piece starts, the bytes.
    public struct Chunk: Sendable, Equatable {
        /// SHA-256 of the whole object (delta, shard or blob).
        public var hash: SHA256Digest
        /// Offset of `bytes` within the object.
        public var offset: UInt64
        /// The bytes (1…``WireLimits/maxChunkBytes``).
        public var bytes: [UInt8]

        /// A chunk.
        public init(hash: SHA256Digest, offset: UInt64, bytes: [UInt8]) {
            self.hash = hash
            self.offset = offset
            self.bytes = bytes
        }
    }

    /// The receiver's verdict on a delta it fetched.
    public struct DeltaAck: Sendable, Equatable {
        /// The delta's hash.
        public var delta: SHA256Digest
        /// Whether it verified and was kept.
        public var accepted: Bool
        /// Why not, when refused (at most 1 KiB; may be empty).
        public var reason: String

        /// A delta acknowledgement.
        public init(delta: SHA256Digest, accepted: Bool, reason: String = "") {
            self.delta = delta
            self.accepted = accepted
            self.reason = reason
        }
    }

    /// One VL shard a node can serve.
    public struct ShardManifest: Sendable, Equatable {
        /// SHA-256 of the shard's tar bytes.
        public var hash: SHA256Digest
        /// Size in bytes (1…2^53−1).
        public var size: Int
        /// Number of samples (0…2^53−1).
        public var samples: Int
        /// Where the data came from (1–256 bytes).
        public var source: String
        /// Its licence, e.g. "CC-BY-4.0" (1–256 bytes).
        public var licence: String

        /// A shard manifest.
        public init(hash: SHA256Digest, size: Int, samples: Int, source: String, licence: String) {
            self.hash = hash
            self.size = size
            self.samples = samples
            self.source = source
            self.licence = licence
        }
    }

    /// Asks for `length` bytes of a shard from `offset` (resuming a partial download).
    public struct ShardRequest: Sendable, Equatable {
        /// The shard's hash.
        public var hash: SHA256Digest
        /// First byte wanted (0…2^53−1).
        public var offset: Int
        /// Number of bytes wanted (1…2^53−1).
        public var length: Int

        /// A shard request.
        public init(hash: SHA256Digest, offset: Int, length: Int) {
            self.hash = hash
            self.offset = offset
            self.length = length
        }
    }

    /// Round records for catching up; the checkpoint follows as blob chunks.
    public struct CatchupResponse: Sendable, Equatable {
        /// Journal records, oldest first (JSON objects; the journal verifies the chain).
        public var records: [JSONValue]
        /// Hash of the checkpoint the last record produced.
        public var checkpoint: SHA256Digest
        /// Its size in bytes.
        public var checkpointSize: Int

        /// A catch-up response.
        public init(records: [JSONValue], checkpoint: SHA256Digest, checkpointSize: Int) {
            self.records = records
            self.checkpoint = checkpoint
            self.checkpointSize = checkpointSize
        }
    }

    /// Why the sender closes the connection.
    public struct ErrorMessage: Sendable, Equatable {
        /// A machine-readable code.
        public var code: WireErrorCode
        /// A one-line explanation for the other side's operator (at most 1 KiB).
        public var message: String

        /// An error message.
        public init(code: WireErrorCode, message: String) {
            self.code = code
            self.message = message
        }
    }
}
