// The manifest of a VL shard store: what each content-addressed shard holds, where it
// came from and under which licence. Federation signs and exchanges it; here it is
// built, parsed, and given canonical bytes to sign.
import CotrainCore

/// One shard as the manifest lists it.
public struct ShardEntry: Sendable, Equatable {
    /// SHA-256 of the tar (its name in the blob store), its size and sample count.
    public var sha256: String
    public var bytes: Int
    public var samples: Int
    /// Who produced it ("cotrain-sim", an importer's `--source`) and under which licence.
    public var source: String
    public var licence: String
    /// "train" (co-training data) or "probe" (held-out questions measuring VL retention).
    public var split: String
    /// Concepts its samples cover, sorted.
    public var concepts: [String]

    /// The two splits a shard can belong to.
    public static let splits = ["train", "probe"]

    /// An entry; `concepts` are sorted.
    public init(sha256: String, bytes: Int, samples: Int, source: String, licence: String, split: String, concepts: [String]) {
        self.sha256 = sha256; self.bytes = bytes; self.samples = samples; self.source = source
        self.licence = licence; self.split = split; self.concepts = concepts.sorted()
    }

    var json: JSONValue {
        .object([
            ("sha256", .string(sha256)), ("bytes", .int(Int64(bytes))), ("samples", .int(Int64(samples))),
            ("source", .string(source)), ("licence", .string(licence)), ("split", .string(split)),
            ("concepts", .strings(concepts)),
        ])
    }

    init(json: JSONValue, path: String) throws(FieldProblem) {
        var f = try JSONFields(json, path: path)
        self.init(
            sha256: try f.string("sha256"), bytes: try f.int("bytes"), samples: try f.int("samples"),
            source: try f.string("source"), licence: try f.string("licence"), split: try f.string("split"),
            concepts: try f.strings("concepts"))
        try f.finish()
        guard (try? SHA256Digest(hex: sha256))?.hex == sha256 else { throw .invalid(path: f.child("sha256"), reason: "not 64 lowercase hex digits") }
        guard bytes > 0, samples >= 0 else { throw .invalid(path: path, reason: "bytes must be positive and samples non-negative") }
        guard Self.splits.contains(split) else { throw .invalid(path: f.child("split"), reason: "must be \"train\" or \"probe\"") }
        guard !licence.isEmpty else { throw .invalid(path: f.child("licence"), reason: "must name a licence") }
    }
}

/// A signature over ``VLManifest/signingBytes``, kept verbatim; verifying it is the
/// federation layer's job (see ``ManifestSignatureVerifier``).
public struct ManifestSignature: Sendable, Equatable {
    /// Who signed (e.g. a node id), the algorithm (e.g. "ed25519") and the signature text.
    public var signer: String
    public var algorithm: String
    public var value: String

    /// A signature as federation produced it.
    public init(signer: String, algorithm: String, value: String) {
        self.signer = signer; self.algorithm = algorithm; self.value = value
    }
}

/// The hook federation implements to check manifest signatures.
public protocol ManifestSignatureVerifier {
    /// Throws unless `signature` is a valid signature of `payload` by a trusted signer.
    func verify(payload: [UInt8], signature: ManifestSignature) throws
}

/// The manifest of a VL shard store (`DIR/manifest.json`).
public struct VLManifest: Sendable, Equatable {
    /// The format tag.
    public static let format = "cotrain.vl-manifest.v1"
    /// Shards in the order they were added.
    public var shards: [ShardEntry]
    /// The concept split of generated data (``ConceptSplit/json``), or null.
    public var conceptSplit: JSONValue
    /// Signatures added by federation; not part of ``signingBytes``.
    public var signatures: [ManifestSignature]

    /// A manifest of `shards`.
    public init(shards: [ShardEntry] = [], conceptSplit: JSONValue = .null, signatures: [ManifestSignature] = []) {
        self.shards = shards; self.conceptSplit = conceptSplit; self.signatures = signatures
    }

    /// Shards of one split.
    public func shards(split: String) -> [ShardEntry] { shards.filter { $0.split == split } }

    private var unsignedJSON: [(String, JSONValue)] {
        [("format", .string(Self.format)), ("concept_split", conceptSplit), ("shards", .array(shards.map(\.json)))]
    }

    /// The canonical JSON of everything except the signatures: the bytes to sign.
    public var signingBytes: [UInt8] { JSONValue.object(unsignedJSON).canonicalBytes }

    /// Checks every signature with `verifier` (federation's trust rules); returns how
    /// many there were. An unsigned manifest returns 0: callers decide whether to accept it.
    @discardableResult
    public func verifySignatures(with verifier: some ManifestSignatureVerifier) throws -> Int {
        let payload = signingBytes
        for signature in signatures { try verifier.verify(payload: payload, signature: signature) }
        return signatures.count
    }

    /// The full document, with signatures.
    public var json: JSONValue {
        .object(unsignedJSON + [("signatures", .array(signatures.map {
            .object([("signer", .string($0.signer)), ("algorithm", .string($0.algorithm)), ("value", .string($0.value))])
        }))])
    }

    /// Parses a manifest (strict: unknown keys, duplicate shards and bad fields are errors).
    public init(bytes: [UInt8], file: String) throws(DataError) {
        do {
            var f = try JSONFields(try JSONValue.parse(bytes), path: "")
            let format = try f.string("format")
            guard format == Self.format else { throw FieldProblem.invalid(path: "format", reason: "unknown format \"\(format)\"") }
            conceptSplit = f.value("concept_split") ?? .null
            guard conceptSplit.isNull || conceptSplit.object != nil else { throw FieldProblem.wrongType(path: "concept_split", expected: "an object or null") }
            shards = try f.array("shards").enumerated().map { i, item throws(FieldProblem) in try ShardEntry(json: item, path: "shards[\(i)]") }
            signatures = []
            for (i, item) in (try f.optionalArray("signatures") ?? []).enumerated() {
                var s = try JSONFields(item, path: "signatures[\(i)]")
                signatures.append(ManifestSignature(signer: try s.string("signer"), algorithm: try s.string("algorithm"), value: try s.string("value")))
                try s.finish()
            }
            try f.finish()
            guard Set(shards.map(\.sha256)).count == shards.count else { throw FieldProblem.invalid(path: "shards", reason: "a shard is listed twice") }
        } catch let problem as FieldProblem {
            throw .badManifest(file: file, reason: problem.description)
        } catch {
            throw .badManifest(file: file, reason: "\(error)")
        }
    }
}
