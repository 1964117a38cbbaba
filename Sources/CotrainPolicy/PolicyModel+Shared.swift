// The federation's view of a model: named float arrays, the shared subset, and a
// canonical hash of the shared parameters.
import CotrainCore
import CotrainTensor

/// A parameter as plain values: what the federation module averages and ships.
public struct NamedTensor: Sendable, Equatable {
    /// The checkpoint name, e.g. `shared.trunk.0.attn.qkv.weight`.
    public var name: String
    /// Dimensions, row-major.
    public var shape: [Int]
    /// `shape.reduce(1, *)` floats.
    public var values: [Float]

    /// A named tensor.
    public init(name: String, shape: [Int], values: [Float]) {
        (self.name, self.shape, self.values) = (name, shape, values)
    }
}

extension PolicyModel {
    /// Copies of the parameters whose names start with `prefix` (all for ""), in
    /// parameter order.
    public func tensors(prefix: String = "") -> [NamedTensor] {
        parameters.filter { $0.name.hasPrefix(prefix) }.map { NamedTensor(name: $0.name, shape: $0.shape.dims, values: $0.tensor.values) }
    }

    /// The shared (`shared.*`) parameters: what every lab of a federation exchanges.
    public func sharedTensors() -> [NamedTensor] { tensors(prefix: "shared.") }

    /// The shared parameters keyed by name (`name → (shape, values)`).
    public func sharedTensorsByName() -> [String: NamedTensor] {
        Dictionary(uniqueKeysWithValues: sharedTensors().map { ($0.name, $0) })
    }

    /// Overwrites the named parameters (any subset, e.g. an aggregated shared part).
    /// Every name must exist and every shape match; nothing is changed on error.
    public func apply(_ tensors: [NamedTensor]) throws(CheckpointError) {
        var targets: [(Parameter, [Float])] = []
        for t in tensors {
            guard let p = parameter(t.name) else { throw .unexpectedTensor(t.name) }
            guard p.shape.dims == t.shape, t.values.count == p.tensor.count else {
                throw .shapeMismatch(tensor: t.name, expected: p.shape.dims, found: t.shape)
            }
            targets.append((p, t.values))
        }
        for (p, values) in targets { p.tensor.copy(from: values) }
    }

    /// SHA-256 (hex) of the shared parameters in the canonical encoding: for each
    /// `shared.*` parameter in order of its name's UTF-8 bytes, the name's UTF-8 bytes,
    /// one 0x00 byte, the rank and each dimension as u64 little-endian, then the values
    /// as f32 little-endian.
    public func sharedSHA256() throws(CryptoError) -> String {
        let hasher = try SHA256Hasher()
        let shared = sharedParameters.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        for p in shared {
            hasher.update(Array(p.name.utf8) + [0])
            var header: [UInt8] = []
            for v in [p.shape.rank] + p.shape.dims { withUnsafeBytes(of: UInt64(v).littleEndian) { header += $0 } }
            hasher.update(header)
            let values = p.tensor.values.map { $0.bitPattern.littleEndian }
            values.withUnsafeBytes { hasher.update($0) }
        }
        return try hasher.finalize().hex
    }
}
