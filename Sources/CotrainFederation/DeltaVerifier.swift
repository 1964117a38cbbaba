// Verification before use: every check a received delta must pass, cheapest first,
// each failure a DeltaError naming the check and the sender.
import CotrainCore

/// Size and value bounds for received deltas.
public struct DeltaLimits: Sendable, Equatable {
    /// The largest compressed payload accepted (checked before copying it).
    public var maxCompressedBytes: Int
    /// The largest decompressed payload accepted; the real cap is the smaller of this
    /// and the exact size the expected schema and codec need, plus header room.
    public var maxDecompressedBytes: Int
    /// Accepted sample counts.
    public var sampleCounts: ClosedRange<Int>
    /// Accepted codec names (`fp32`, `fp16`, `bf16`, `int8`).
    public var codecs: Set<String>

    /// Limits with the given bounds; the defaults suit models up to ~500M parameters.
    public init(
        maxCompressedBytes: Int = 2 << 30, maxDecompressedBytes: Int = 4 << 30,
        sampleCounts: ClosedRange<Int> = 1...1_000_000_000, codecs: Set<String> = ["fp32", "fp16", "bf16", "int8"]
    ) {
        self.maxCompressedBytes = maxCompressedBytes
        self.maxDecompressedBytes = maxDecompressedBytes
        self.sampleCounts = sampleCounts
        self.codecs = codecs
    }
}

/// What a delta must match in the current round.
public struct DeltaExpectation: Sendable {
    /// The open round.
    public var round: Int
    /// Its base hash.
    public var baseHash: SHA256Digest
    /// The `shared.*` schema every delta carries.
    public var sharedSchema: ParameterSchema
    /// Per embodiment federated here, the `embodiment.<name>.*` schema a delta naming it adds.
    public var embodimentSchemas: [String: ParameterSchema]

    /// An expectation for `round` with `baseHash`.
    public init(round: Int, baseHash: SHA256Digest, sharedSchema: ParameterSchema, embodimentSchemas: [String: ParameterSchema] = [:]) {
        self.round = round
        self.baseHash = baseHash
        self.sharedSchema = sharedSchema
        self.embodimentSchemas = embodimentSchemas
    }

    /// The full schema of a delta declaring `embodiment`, or nil if that embodiment is not federated here.
    public func schema(embodiment: String?) -> ParameterSchema? {
        guard let embodiment else { return sharedSchema }
        guard let extra = embodimentSchemas[embodiment] else { return nil }
        return try? ParameterSchema((sharedSchema.specs + extra.specs).map { ($0.name, $0.shape) })
    }
}

/// A delta that passed every check, decoded to floats.
public struct VerifiedDelta: Sendable {
    /// Its header.
    public let header: DeltaHeader
    /// Its identity (``SignedDelta/deltaHash``).
    public let deltaHash: SHA256Digest
    /// The decoded delta values.
    public let values: ParameterSet
}

/// Verifies received deltas. Stateless; the caller owns the ``DeltaReplayGuard``.
public struct DeltaVerifier: Sendable {
    /// The bounds applied.
    public var limits: DeltaLimits

    /// A verifier with `limits`.
    public init(limits: DeltaLimits = DeltaLimits()) {
        self.limits = limits
    }

    /// Parses envelope bytes and verifies them (see ``verify(_:expecting:keys:replay:)``).
    public func verify(
        serialized bytes: [UInt8], expecting expected: DeltaExpectation,
        keys: (NodeID) -> Ed25519PublicKey?, replay: DeltaReplayGuard? = nil
    ) throws(DeltaError) -> VerifiedDelta {
        try verify(SignedDelta(serialized: bytes, maxPayloadBytes: limits.maxCompressedBytes), expecting: expected, keys: keys, replay: replay)
    }

    /// Runs every check in order: sender approved (`keys` returns the public key of an
    /// approved node, nil otherwise) and its key matches its id; signature; replay
    /// (closed round, duplicate hash); round; base hash; codec; sample count; schema
    /// hash and tensor scope; sizes; decompression under the cap; payload metadata
    /// equal to the header; tensor names, dtypes and shapes; finite scales and values.
    public func verify(
        _ delta: SignedDelta, expecting expected: DeltaExpectation,
        keys: (NodeID) -> Ed25519PublicKey?, replay: DeltaReplayGuard? = nil
    ) throws(DeltaError) -> VerifiedDelta {
        let header = delta.header
        let node = header.node
        func fail(_ check: DeltaError.Check, _ detail: String) -> DeltaError { DeltaError(check, node: node, detail) }

        guard let key = keys(node) else { throw fail(.sender, "node is not an approved peer") }
        guard (try? key.nodeID()) == node else { throw fail(.sender, "the registered key does not hash to this node id") }
        guard delta.hasValidSignature(from: key) else { throw fail(.signature, "Ed25519 signature does not verify") }
        let hash = delta.deltaHash
        try replay?.check(round: header.round, hash: hash, node: node)
        guard header.round == expected.round else { throw fail(.round, "delta is for round \(header.round), current round is \(expected.round)") }
        guard header.baseHash == expected.baseHash else {
            throw fail(.baseHash, "base \(header.baseHash.hex.prefix(16))… is not the round's base \(expected.baseHash.hex.prefix(16))…")
        }
        guard limits.codecs.contains(header.codec.name) else { throw fail(.codec, "codec \(header.codec) is not accepted here") }
        guard limits.sampleCounts.contains(header.sampleCount) else {
            throw fail(.sampleCount, "sample count \(header.sampleCount) is outside \(limits.sampleCounts)")
        }
        guard let schema = expected.schema(embodiment: header.embodiment) else {
            throw fail(.schema, "embodiment \"\(header.embodiment ?? "")\" is not federated with this node")
        }
        guard header.schemaHash == schema.hash else { throw fail(.schema, "schema hash differs from the expected names and shapes") }
        // Header room: the JSON header lists each tensor (and int8 scales) in < 400 bytes plus metadata.
        let cap = min(limits.maxDecompressedBytes, header.codec.dataBytes(for: schema) + 4096 + 800 * schema.specs.count)
        guard header.rawBytes <= cap else { throw fail(.size, "declared payload of \(header.rawBytes) bytes is over the \(cap)-byte cap") }
        guard delta.payload.count <= limits.maxCompressedBytes else {
            throw fail(.size, "compressed payload of \(delta.payload.count) bytes is over \(limits.maxCompressedBytes)")
        }
        let raw: [UInt8]
        do { raw = try ZstdDecompressor(limit: header.rawBytes).decompress(delta.payload) } catch {
            throw fail(error.isOverLimit ? .size : .payload, "\(error)")
        }
        guard raw.count == header.rawBytes else { throw fail(.payload, "payload is \(raw.count) bytes, header says \(header.rawBytes)") }
        let file: SafetensorsFile
        do { file = try SafetensorsFile(bytes: raw) } catch { throw fail(.payload, "\(error)") }
        guard file.metadata == header.metadata else { throw fail(.payload, "safetensors metadata differs from the signed header") }
        let values = try DeltaDecoder.decode(file, header: header, schema: schema)
        return VerifiedDelta(header: header, deltaHash: hash, values: values)
    }
}

extension ZstdError {
    /// Whether the error is the decompression cap.
    var isOverLimit: Bool {
        if case .exceedsLimit = self { return true }
        return false
    }
}
