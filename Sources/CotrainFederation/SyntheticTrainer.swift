// A small, real and deterministic training workload for the federation: every node
// fits its own seeded least-squares problem with a few steps of gradient descent.
// Used by tests and by `cotrain serve --trainer synthetic` until the co-training
// trainer takes over; it exercises every federation path with tiny, honest deltas.
import CotrainCore
import Foundation

/// The synthetic model: a few HPT-shaped tensors, `shared.*` for everyone and
/// `embodiment.<e>.*` per robot.
///
/// The initial `shared.*` values come from a fixed seed, so every node of a federation
/// starts from the same round base; each embodiment's tensors are seeded by its name.
public enum SyntheticModel {
    /// Width of the synthetic trunk.
    public static let width = 32

    /// The tensors of the model for `embodiments`.
    public static func tensors(embodiments: [String]) -> [(name: String, shape: [Int])] {
        var tensors: [(name: String, shape: [Int])] = [
            ("shared.trunk.w", [width, width]), ("shared.trunk.b", [width]), ("shared.head.w", [8, width]),
        ]
        for e in embodiments {
            tensors += [("embodiment.\(e).stem.w", [width, 8]), ("embodiment.\(e).action.w", [7, width])]
        }
        return tensors
    }

    /// The initial checkpoint for a node training `embodiments`.
    public static func initial(embodiments: [String]) throws -> ParameterSet {
        let schema = try ParameterSchema(tensors(embodiments: embodiments))
        return ParameterSet.build(schema: schema) { flat in
            for spec in schema.specs {
                let group = spec.name.hasPrefix(ParameterScope.sharedPrefix) ? "shared" : spec.name
                var random = SeededRandom(label: "cotrain-synthetic-init/\(group)/\(spec.name)")
                for i in spec.offset..<(spec.offset + spec.count) { flat[i] = 0.1 * random.symmetric() }
            }
        }
    }
}

/// Local training on a seeded least-squares objective, deterministic per node.
///
/// Each group of federated tensors (`shared.*`, and each `embodiment.<e>.*`) is one
/// flat vector x of length d. The node has a fixed target t (seeded by its node id and
/// the group) and, each round, `rows` fresh samples: a matrix A (rows × d, entries
/// uniform in ±1/√d, seeded by node, group and round) and b = A·t. Training runs
/// `steps` steps of x ← x − lr · Aᵀ(A·x − b). Every loop runs in a fixed order on one
/// thread, so the same node, base and round give the same bits. Nodes pull towards
/// different targets, so their deltas differ and aggregation visibly moves the model.
public struct SyntheticTrainer: LocalTrainer {
    /// Whose data this is (seeds targets and samples).
    public let nodeID: NodeID
    /// Gradient steps per round.
    public let steps: Int
    /// Step size (stable below ≈ 4 for these matrices).
    public let learningRate: Float
    /// Each round takes at least this long (the trainer thread sleeps the rest), to
    /// stand in for a real workload's duration in tests and demos.
    public let minimumSeconds: Double

    /// A trainer for node `nodeID`.
    public init(nodeID: NodeID, steps: Int = 4, learningRate: Float = 1, minimumSeconds: Double = 0) {
        self.nodeID = nodeID
        self.steps = steps
        self.learningRate = learningRate
        self.minimumSeconds = minimumSeconds
    }

    /// Samples per round for this node: 32–63, fixed per node (so FedAvg weights differ).
    public var rows: Int { 32 + Int(nodeID.digest.bytes[0] % 32) }

    public func train(base: ParameterSet, round: Int) throws -> (trained: ParameterSet, samples: Int) {
        let start = ContinuousClock.now
        defer {
            let left = minimumSeconds - ConnectionStateMachine.seconds(ContinuousClock.now - start)
            if left > 0 { Thread.sleep(forTimeInterval: left) }
        }
        var groups = [ParameterScope.sharedPrefix]
        for name in base.names where name.hasPrefix("embodiment.") {
            let prefix = name.split(separator: ".").prefix(2).joined(separator: ".") + "."
            if !groups.contains(prefix) { groups.append(prefix) }
        }
        var trained = base
        for prefix in groups {
            let part = base.filtered(prefixes: [prefix])
            guard part.elementCount > 0 else { continue }
            var x = part.withFlatValues { Array($0) }
            fit(&x, group: prefix, round: round)
            let updated = try ParameterSet(part.schema.specs.map { spec in
                (spec.name, spec.shape, Array(x[spec.offset..<(spec.offset + spec.count)]))
            })
            trained = try trained.replacing(with: updated)
        }
        return (trained, rows)
    }

    /// Gradient descent on ½‖A·x − b‖² for this node's samples of `group` in `round`.
    func fit(_ x: inout [Float], group: String, round: Int) {
        let d = x.count, m = rows
        var targets = SeededRandom(label: "cotrain-synthetic-target/\(nodeID.digest.hex)/\(group)")
        let t = (0..<d).map { _ in targets.symmetric() }
        var samples = SeededRandom(label: "cotrain-synthetic-data/\(nodeID.digest.hex)/\(group)/\(round)")
        let scale = 1 / Float(d).squareRoot()
        let a = (0..<(m * d)).map { _ in scale * samples.symmetric() }  // A (m, d), row-major
        var b = [Float](repeating: 0, count: m)
        var residual = [Float](repeating: 0, count: m)
        a.withUnsafeBufferPointer { a in
            for i in 0..<m {
                var sum: Float = 0
                for j in 0..<d { sum = sum.addingProduct(a[i * d + j], t[j]) }
                b[i] = sum
            }
            for _ in 0..<steps {
                for i in 0..<m {  // residual = A·x − b
                    var sum: Float = 0
                    for j in 0..<d { sum = sum.addingProduct(a[i * d + j], x[j]) }
                    residual[i] = sum - b[i]
                }
                for j in 0..<d {  // x −= lr · Aᵀ·residual
                    var gradient: Float = 0
                    for i in 0..<m { gradient = gradient.addingProduct(a[i * d + j], residual[i]) }
                    x[j] = x[j].addingProduct(-learningRate, gradient)
                }
            }
        }
    }
}

/// SplitMix64 seeded from the SHA-256 of a label: reproducible everywhere.
struct SeededRandom {
    private var state: UInt64

    init(label: String) {
        let digest = try! SHA256.hash(Array(label.utf8)).bytes
        state = digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−1, 1), 24 bits of resolution.
    mutating func symmetric() -> Float {
        Float(next() >> 40) * 0x1p-23 - 1
    }
}
