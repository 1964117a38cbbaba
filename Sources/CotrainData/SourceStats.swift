// Normalisation statistics: per data source × embodiment, the exact 2nd and 98th
// percentiles, minimum, maximum and mean of every proprio and action dimension.
// Computed once after a store changes, saved beside the index, never pooled across
// sources (a lab arm and the simulator of the same robot get separate statistics).
// Proprioception normalises over its 2nd–98th percentiles (robust to outliers), actions
// over their minimum–maximum: a rare action must stay representable (see `SourceStats`).
import CotrainCore
import CotrainSim

/// Per-dimension statistics of one kind of vector (proprio or actions).
public struct DimensionStats: Sendable, Equatable {
    /// 2nd and 98th percentiles, minimum, maximum and mean per dimension.
    public var p02: [Double]
    public var p98: [Double]
    public var min: [Double]
    public var max: [Double]
    public var mean: [Double]

    /// Which range maps to [−1, 1] (not stored: the owner decides, see `SourceStats`).
    public var range = NormalisationRange.percentiles

    /// Number of dimensions.
    public var count: Int { p02.count }

    /// The values of dimension `d` that map to −1 and +1.
    @inline(__always)
    public func low(_ d: Int) -> Double { range == .extremes ? min[d] : p02[d] }
    @inline(__always)
    public func high(_ d: Int) -> Double { range == .extremes ? max[d] : p98[d] }

    /// Statistics of `rows` (row-major, `width` values per row), exact: each dimension
    /// is sorted and the percentiles interpolated linearly between order statistics
    /// (NumPy's default `linear` method: position q·(n−1)).
    public init(rows: [Float], width: Int) {
        precondition(width > 0 && rows.count % width == 0 && !rows.isEmpty, "need at least one row of \(width) values")
        let n = rows.count / width
        p02 = []; p98 = []; min = []; max = []; mean = []
        var column = [Float](repeating: 0, count: n)
        for d in 0..<width {
            var sum = 0.0
            for r in 0..<n { column[r] = rows[r * width + d]; sum += Double(column[r]) }
            column.sort()
            p02.append(Self.percentile(sorted: column, 0.02))
            p98.append(Self.percentile(sorted: column, 0.98))
            min.append(Double(column[0])); max.append(Double(column[n - 1]))
            mean.append(sum / Double(n))
        }
    }

    /// The `q` quantile (0...1) of sorted values, linearly interpolated.
    public static func percentile(sorted values: [Float], _ q: Double) -> Double {
        precondition(!values.isEmpty && (0...1).contains(q), "percentile of an empty list or q outside 0...1")
        let position = q * Double(values.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, values.count - 1)
        let fraction = position - Double(lower)
        return Double(values[lower]) + fraction * (Double(values[upper]) - Double(values[lower]))
    }

    /// Normalised values are clipped to ±clip (the policy's convention, so pre-normalised
    /// samples and the policy's own normalisation agree).
    public static let clip: Float = 1.5

    /// Maps `value` of dimension `d` so that the low end of the range (the 2nd
    /// percentile, or the minimum) goes to −1 and the high end to +1, clipped to
    /// ±``clip``. A constant dimension (range < 1e-6) maps to 0.
    @inline(__always)
    public func normalise(_ value: Float, dimension d: Int) -> Float {
        let lo = Float(low(d)), range = Float(high(d) - low(d))
        guard range > 1e-6 else { return 0 }
        return Swift.min(Self.clip, Swift.max(-Self.clip, 2 * (value - lo) / range - 1))
    }

    /// The inverse of ``normalise(_:dimension:)`` for unclipped values.
    @inline(__always)
    public func denormalise(_ value: Float, dimension d: Int) -> Float {
        let lo = Float(low(d)), range = Float(high(d) - low(d))
        guard range > 1e-6 else { return lo }
        return lo + (value + 1) * 0.5 * range
    }

    var json: JSONValue {
        func list(_ v: [Double]) -> JSONValue { .array(v.map { .double($0) }) }
        return .object([("p02", list(p02)), ("p98", list(p98)), ("min", list(min)), ("max", list(max)), ("mean", list(mean))])
    }

    init(json: JSONValue, path: String) throws(FieldProblem) {
        var f = try JSONFields(json, path: path)
        func list(_ key: String) throws(FieldProblem) -> [Double] {
            var out: [Double] = []
            for (i, item) in try f.array(key).enumerated() {
                guard let v = item.double else { throw .wrongType(path: "\(f.child(key))[\(i)]", expected: "a number") }
                out.append(v)
            }
            return out
        }
        p02 = try list("p02"); p98 = try list("p98"); min = try list("min"); max = try list("max"); mean = try list("mean")
        try f.finish()
        guard [p98.count, min.count, max.count, mean.count].allSatisfy({ $0 == p02.count }), !p02.isEmpty else {
            throw .invalid(path: path, reason: "p02, p98, min, max and mean must have the same, non-zero length")
        }
    }
}

/// Which of a dimension's ranges normalisation maps to [−1, 1].
public enum NormalisationRange: Sendable, Equatable {
    /// 2nd to 98th percentile: a few outliers do not squeeze the rest.
    case percentiles
    /// Minimum to maximum: every recorded value is representable.
    case extremes
}

/// Statistics of one source × embodiment.
///
/// Actions normalise over their extremes. A demonstration's wrist turn (up to 0.25 rad
/// a step) happens in about 4 % of the steps, so its 98th percentile is 0.02 rad; with
/// the percentile range and the ±1.5 clip the largest turn a policy could learn was
/// 0.033 rad, an eighth of the expert's, and learned policies closed on cubes at
/// whatever yaw they arrived with (docs/study.md, fifth round). Recorded actions are
/// commands within the robot's per-step bounds, so their extremes are bounded too.
public struct SourceStats: Sendable, Equatable {
    /// The group.
    public var source: String
    public var embodiment: EmbodimentKind
    /// How much data they summarise.
    public var episodes: Int
    public var steps: Int
    /// Proprio and action statistics.
    public var proprio: DimensionStats
    public var actions: DimensionStats

    /// Statistics of the given episodes (which must all be of this group).
    public init(source: String, embodiment: EmbodimentKind, episodes: [StoredEpisode]) {
        precondition(!episodes.isEmpty, "statistics need at least one episode")
        self.source = source; self.embodiment = embodiment
        self.episodes = episodes.count
        steps = episodes.reduce(0) { $0 + $1.steps }
        let p = episodes[0].metadata.proprioDimension, a = episodes[0].metadata.actionDimension
        proprio = DimensionStats(rows: episodes.flatMap { $0.proprioRows() }, width: p)
        actions = DimensionStats(rows: episodes.flatMap { $0.actionRows() }, width: a)
        actions.range = .extremes
    }

    init(source: String, embodiment: EmbodimentKind, episodes: Int, steps: Int, proprio: DimensionStats, actions: DimensionStats) {
        self.source = source; self.embodiment = embodiment; self.episodes = episodes; self.steps = steps
        self.proprio = proprio; self.actions = actions
        self.proprio.range = .percentiles
        self.actions.range = .extremes
    }
}
