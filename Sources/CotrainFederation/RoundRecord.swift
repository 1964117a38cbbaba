// One round's record in the hash-chained journal: what was aggregated, how, and the
// result, linked to the previous record by hash. Optionally signed by the node.
import CotrainCore

/// One delta included in a round.
public struct RoundRecordEntry: Hashable, Sendable {
    /// The sender.
    public let node: NodeID
    /// The delta's hash (``SignedDelta/deltaHash``).
    public let deltaHash: SHA256Digest
    /// Its declared sample count.
    public let sampleCount: Int

    /// An entry from its parts.
    public init(node: NodeID, deltaHash: SHA256Digest, sampleCount: Int) {
        self.node = node
        self.deltaHash = deltaHash
        self.sampleCount = sampleCount
    }
}

/// A journal record. ``recordHash`` is SHA-256 of the canonical JSON ``body``; the
/// optional signature is over the 32 hash bytes (domain `round-record`) and is not
/// part of the body, so every node that aggregated the same round computes the same hash.
public struct RoundRecord: Hashable, Sendable {
    /// The record format version.
    public static let version = 1
    /// The `previous_hash` of the first record: 32 zero bytes.
    public static let genesis = try! SHA256Digest(bytes: [UInt8](repeating: 0, count: 32))

    /// The round number.
    public let round: Int
    /// The base the round started from.
    public let baseHash: SHA256Digest
    /// The deltas aggregated, sorted by node id.
    public let entries: [RoundRecordEntry]
    /// The rule, as ``AggregationRule/json``.
    public let rule: JSONValue
    /// Content hash of the new base.
    public let resultHash: SHA256Digest
    /// The previous record's hash (``genesis`` for the first).
    public let previousHash: SHA256Digest
    /// The signer and its 64-byte signature, if signed.
    public internal(set) var signature: (signer: NodeID, bytes: [UInt8])?

    /// A record; `entries` are sorted here.
    public init(
        round: Int, baseHash: SHA256Digest, entries: [RoundRecordEntry], rule: JSONValue,
        resultHash: SHA256Digest, previousHash: SHA256Digest
    ) {
        self.round = round
        self.baseHash = baseHash
        self.entries = entries.sorted { $0.node < $1.node }
        self.rule = rule
        self.resultHash = resultHash
        self.previousHash = previousHash
    }

    /// The hashed fields as JSON: version, round, base_hash, deltas [{node_id, delta_hash,
    /// sample_count}], rule, result_hash, previous_hash (hashes as lower-case hex).
    public var body: JSONValue {
        .object([
            ("version", .int(Int64(Self.version))), ("round", .int(Int64(round))), ("base_hash", .string(baseHash.hex)),
            ("deltas", .array(entries.map { e in
                .object([("node_id", .string(e.node.digest.hex)), ("delta_hash", .string(e.deltaHash.hex)),
                         ("sample_count", .int(Int64(e.sampleCount)))])
            })),
            ("rule", rule), ("result_hash", .string(resultHash.hex)), ("previous_hash", .string(previousHash.hex)),
        ])
    }

    /// SHA-256 of the canonical JSON of ``body``.
    public var recordHash: SHA256Digest { try! SHA256.hash(body.canonicalBytes) }

    /// Signs the record hash with `key` in domain `round-record`.
    public mutating func sign(with key: Ed25519PrivateKey) throws(CryptoError) {
        let hash = recordHash.bytes
        signature = (try key.publicKey.nodeID(), try key.sign(message: hash, domain: .roundRecord))
    }

    /// The journal line: ``body`` plus `record_hash`, and `signer`/`signature` when signed.
    public var line: JSONValue {
        guard case var .object(members) = body else { return body }
        members.append(("record_hash", .string(recordHash.hex)))
        if let signature {
            members.append(("signer", .string(signature.signer.digest.hex)))
            members.append(("signature", .string(Hex.encode(signature.bytes))))
        }
        return .object(members)
    }

    /// Records are equal when their journal lines are byte-identical.
    public static func == (a: RoundRecord, b: RoundRecord) -> Bool {
        a.line.canonicalBytes == b.line.canonicalBytes
    }

    /// Hashes the record hash.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(recordHash)
    }
}
