// Building a signed delta: trained − base on the federated tensors, encoded with a
// codec into a safetensors payload, zstd-compressed, signed.
import CotrainCore

/// Encodes and signs deltas.
public struct DeltaEncoder: Sendable {
    /// How values are stored.
    public var codec: DeltaCodec
    /// The zstd level (3 by default).
    public var compressionLevel: Int

    /// An encoder with `codec` at zstd `compressionLevel`.
    public init(codec: DeltaCodec = .int8Default, compressionLevel: Int = Zstd.defaultLevel) {
        self.codec = codec
        self.compressionLevel = compressionLevel
    }

    /// Encodes `delta` for `round` and signs it with `key` (the node id is derived from it).
    ///
    /// `delta` must hold only `shared.*` tensors, plus `embodiment.<embodiment>.*` when
    /// `embodiment` is given, and only finite values; else ``DeltaError/Check/encoding``.
    public func encode(
        delta: ParameterSet, round: Int, baseHash: SHA256Digest, embodiment: String? = nil,
        sampleCount: Int, key: Ed25519PrivateKey
    ) throws(DeltaError) -> SignedDelta {
        let node: NodeID
        do { node = try key.publicKey.nodeID() } catch { throw DeltaError(.encoding, "node id of the signing key: \(error)") }
        if let embodiment, !ParameterScope.isValidEmbodiment(embodiment) {
            throw DeltaError(.encoding, node: node, "embodiment \"\(embodiment)\" is not a valid name")
        }
        if let name = DeltaScope.firstOutside(delta.names, embodiment: embodiment) {
            throw DeltaError(.encoding, node: node, "tensor \"\(name)\" is neither shared nor of the delta's embodiment")
        }
        guard delta.isFinite else { throw DeltaError(.encoding, node: node, "the delta holds NaN or infinite values") }
        guard round >= 0, sampleCount >= 0 else { throw DeltaError(.encoding, node: node, "negative round or sample count") }
        var header = DeltaHeader(
            round: round, baseHash: baseHash, node: node, embodiment: embodiment, sampleCount: sampleCount,
            codec: codec, schemaHash: delta.schema.hash, rawBytes: 0)
        let raw = try payload(delta: delta, metadata: header.metadata, node: node)
        header.rawBytes = raw.count
        let compressed: [UInt8]
        do { compressed = try Zstd.compress(raw, level: compressionLevel) } catch {
            throw DeltaError(.encoding, node: node, "zstd: \(error)")
        }
        return try SignedDelta.sign(header: header, payload: compressed, key: key)
    }

    /// The uncompressed safetensors payload for `delta` with `metadata`.
    func payload(delta: ParameterSet, metadata: [String: String], node: NodeID?) throws(DeltaError) -> [UInt8] {
        var writer: SafetensorsWriter
        do {
            switch codec {
            case .fp32:
                writer = delta.safetensorsWriter(metadata: metadata)
            case .fp16, .bf16:
                writer = SafetensorsWriter(metadata: metadata)
                for spec in delta.schema.specs {
                    let values = delta.withFlatValues { Array($0[spec.offset..<(spec.offset + spec.count)]) }
                    try writer.add(spec.name, shape: spec.shape, floats: values, as: codec == .fp16 ? .f16 : .bf16)
                }
            case let .int8(blockSize):
                writer = SafetensorsWriter(metadata: metadata)
                for spec in delta.schema.specs {
                    let blocks = Int8BlockQuantizer.blockCount(spec.count, blockSize: blockSize)
                    var codes = [Int8](repeating: 0, count: spec.count)
                    var scales = [Float](repeating: 0, count: blocks)
                    delta.withFlatValues { flat in
                        codes.withUnsafeMutableBufferPointer { q in
                            scales.withUnsafeMutableBufferPointer { s in
                                Int8BlockQuantizer.quantize(
                                    UnsafeBufferPointer(rebasing: flat[spec.offset..<(spec.offset + spec.count)]),
                                    blockSize: blockSize, into: q, scales: s)
                            }
                        }
                    }
                    try writer.add(spec.name, shape: spec.shape, values: codes)
                    try writer.add(spec.name + DeltaCodec.scalesSuffix, shape: [blocks], values: scales)
                }
            }
            return try writer.bytes()
        } catch {
            throw DeltaError(.encoding, node: node, "safetensors payload: \(error)")
        }
    }
}

/// Which tensors a delta may carry: `shared.*`, and `embodiment.<e>.*` for its own embodiment.
enum DeltaScope {
    /// The first name outside the delta's scope, or nil if all are inside.
    static func firstOutside(_ names: [String], embodiment: String?) -> String? {
        let own = embodiment.map(ParameterScope.embodimentPrefix)
        return names.first { name in
            !(name.hasPrefix(ParameterScope.sharedPrefix) || (own.map { name.hasPrefix($0) } ?? false))
        }
    }
}
