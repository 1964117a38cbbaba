// Shared fixtures for the delta, aggregation, journal and round tests: a seeded RNG,
// Gaussian parameter sets, node keys, and a temporary directory.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

/// SplitMix64: small, seeded, the same on every machine.
struct DeltaRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    mutating func gaussians(_ count: Int, sigma: Float = 1) -> [Float] {
        (0..<count).map { _ in gaussian() * sigma }
    }
}

enum DeltaFixtures {
    /// A small model-like schema: shared trunk tensors plus one embodiment's stem.
    static let tensors: [(name: String, shape: [Int])] = [
        ("shared.trunk.0.wq", [24, 16]), ("shared.trunk.0.bias", [37]), ("shared.head.w", [5, 3, 7]),
        ("shared.scalar", []), ("embodiment.panda.stem", [9, 11]),
    ]

    static var sharedSchema: ParameterSchema {
        try! ParameterSchema(tensors.filter { $0.name.hasPrefix("shared.") })
    }

    /// Gaussian values for `schema` (σ = `sigma`), plus `offset` for every value.
    static func gaussianSet(_ schema: ParameterSchema, seed: UInt64, sigma: Float = 0.01, offset: [Float]? = nil) -> ParameterSet {
        // The module's generator is compiled with -O; test code is not.
        let noise = FederationBenchmark.gaussianSet(schema, seed: seed, sigma: sigma)
        guard let offset else { return noise }
        return ParameterSet.build(schema: schema) { flat in
            noise.withFlatValues { for i in 0..<flat.count { flat[i] = $0[i] + offset[i] } }
        }
    }

    static func flat(_ set: ParameterSet) -> [Float] { set.withFlatValues { Array($0) } }

    static func set(_ schema: ParameterSchema, _ values: [Float]) -> ParameterSet {
        ParameterSet.build(schema: schema) { flat in _ = flat.update(fromContentsOf: values) }
    }

    /// ‖a − b‖ / ‖b‖ in Double.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) {
            num += Double(x - y) * Double(x - y)
            den += Double(y) * Double(y)
        }
        return (num / den).squareRoot()
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }

    static func norm(_ a: [Float]) -> Double { a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
}

/// A node with a key, for signing deltas and records.
struct TestNode {
    let key: Ed25519PrivateKey
    let id: NodeID

    init() {
        key = try! Ed25519PrivateKey()
        id = try! key.publicKey.nodeID()
    }

    /// `count` nodes sorted by id.
    static func make(_ count: Int) -> [TestNode] {
        (0..<count).map { _ in TestNode() }.sorted { $0.id < $1.id }
    }

    static func keys(_ nodes: [TestNode]) -> (NodeID) -> Ed25519PublicKey? {
        let table = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0.key.publicKey) })
        return { table[$0] }
    }
}

/// A temporary directory removed when released.
final class JournalTempDir {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "cotrain-journal.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil)
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
