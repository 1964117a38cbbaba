// The envelope header of a signed delta: what the delta is (round, base, sender,
// codec, schema, sizes), as canonical JSON. The same fields, minus `raw_bytes`, are
// repeated in the payload's safetensors `__metadata__` so a file on disk explains itself.
import CotrainCore

/// The header of a ``SignedDelta``; its canonical JSON is part of the signed message.
public struct DeltaHeader: Hashable, Sendable {
    /// The format tag written as `format`.
    public static let format = "cotrain-delta/1"

    /// The round this delta is for.
    public var round: Int
    /// Content hash of the round's base (`shared.*` tensors).
    public var baseHash: SHA256Digest
    /// The sender.
    public var node: NodeID
    /// Set when the delta also carries `embodiment.<name>.*` tensors.
    public var embodiment: String?
    /// Training samples behind the delta (FedAvg weight before caps).
    public var sampleCount: Int
    /// How values are encoded.
    public var codec: DeltaCodec
    /// ``ParameterSchema/hash`` of the delta's tensors.
    public var schemaHash: SHA256Digest
    /// The exact size of the decompressed payload (a safetensors file).
    public var rawBytes: Int

    /// A header from its fields.
    public init(
        round: Int, baseHash: SHA256Digest, node: NodeID, embodiment: String?, sampleCount: Int,
        codec: DeltaCodec, schemaHash: SHA256Digest, rawBytes: Int
    ) {
        self.round = round
        self.baseHash = baseHash
        self.node = node
        self.embodiment = embodiment
        self.sampleCount = sampleCount
        self.codec = codec
        self.schemaHash = schemaHash
        self.rawBytes = rawBytes
    }

    /// The payload's safetensors `__metadata__`: every header field except `raw_bytes`,
    /// as strings (`embodiment` is "" when absent).
    public var metadata: [String: String] {
        [
            "format": Self.format, "round": String(round), "base_hash": baseHash.hex,
            "node_id": node.digest.hex, "embodiment": embodiment ?? "", "sample_count": String(sampleCount),
            "codec": codec.name, "block_size": String(codec.blockSize), "schema_hash": schemaHash.hex,
        ]
    }

    /// The header as JSON: the metadata fields with integers as numbers, plus `raw_bytes`.
    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)), ("round", .int(Int64(round))), ("base_hash", .string(baseHash.hex)),
            ("node_id", .string(node.digest.hex)), ("embodiment", .string(embodiment ?? "")),
            ("sample_count", .int(Int64(sampleCount))), ("codec", .string(codec.name)),
            ("block_size", .int(Int64(codec.blockSize))), ("schema_hash", .string(schemaHash.hex)),
            ("raw_bytes", .int(Int64(rawBytes))),
        ])
    }

    /// The canonical JSON bytes (what is signed and sent).
    public var canonicalBytes: [UInt8] { json.canonicalBytes }

    /// Parses header bytes strictly: exactly the ten keys, right types, non-negative
    /// integers, valid hashes and names, and in canonical form (so one header has one
    /// byte encoding, and one delta one hash).
    public init(canonical bytes: [UInt8]) throws(DeltaError) {
        let limits = JSONLimits(maxInputBytes: 16_384, maxDepth: 2, maxStringBytes: 256, maxValues: 32)
        let value: JSONValue
        do { value = try JSONValue.parse(bytes, limits: limits) } catch { throw DeltaError(.header, "\(error)") }
        guard let members = value.object, members.count == 10 else { throw DeltaError(.header, "not an object of the 10 header keys") }
        func string(_ key: String) throws(DeltaError) -> String {
            guard let s = value[key]?.string else { throw DeltaError(.header, "\"\(key)\" is missing or not a string") }
            return s
        }
        func count(_ key: String) throws(DeltaError) -> Int {
            guard let n = value[key]?.int, n >= 0, case .int = value[key]! else {
                throw DeltaError(.header, "\"\(key)\" is missing or not a non-negative integer")
            }
            return n
        }
        func digest(_ key: String) throws(DeltaError) -> SHA256Digest {
            let text = try string(key)
            guard text.utf8.count == 64, text == text.lowercased(), let d = try? SHA256Digest(hex: text) else {
                throw DeltaError(.header, "\"\(key)\" is not 64 lower-case hex digits")
            }
            return d
        }
        guard try string("format") == Self.format else { throw DeltaError(.header, "format is not \"\(Self.format)\"") }
        let node = NodeID(digest: try digest("node_id"))
        let embodiment = try string("embodiment")
        guard embodiment.isEmpty || ParameterScope.isValidEmbodiment(embodiment) else {
            throw DeltaError(.header, node: node, "embodiment \"\(embodiment)\" is not a valid name")
        }
        guard let codec = DeltaCodec(name: try string("codec"), blockSize: try count("block_size")) else {
            throw DeltaError(.codec, node: node, "unknown codec or block size")
        }
        self.init(
            round: try count("round"), baseHash: try digest("base_hash"), node: node,
            embodiment: embodiment.isEmpty ? nil : embodiment, sampleCount: try count("sample_count"),
            codec: codec, schemaHash: try digest("schema_hash"), rawBytes: try count("raw_bytes"))
        guard canonicalBytes == bytes else { throw DeltaError(.header, node: node, "header is not in canonical JSON form") }
    }
}
