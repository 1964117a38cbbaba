// The configured aggregation rule: method, norm clipping and server learning rate,
// with a canonical JSON form that goes into every round record.
import CotrainCore

/// How the deltas of a round are combined into one (see docs/aggregation.md).
public enum AggregationMethod: Hashable, Sendable {
    /// Weighted mean, weights = sample counts, each first capped at `maxSamples` and
    /// then at `maxShare` of the total (water-filling); nil means no cap.
    case fedAvg(maxShare: Double? = nil, maxSamples: Int? = nil)
    /// Coordinate-wise median (unweighted).
    case median
    /// Coordinate-wise mean after dropping the `trim` lowest and highest values (unweighted).
    case trimmedMean(Trim)
}

/// How many values a trimmed mean drops from each side.
public enum Trim: Hashable, Sendable {
    /// Exactly `k` from each side.
    case count(Int)
    /// `floor(fraction · n)` from each side, `0 ≤ fraction < 0.5`.
    case fraction(Double)

    /// The number trimmed from each side for `n` deltas.
    public func perSide(_ n: Int) -> Int {
        switch self {
        case let .count(k): return k
        case let .fraction(f): return Int((f * Double(n)).rounded(.down))
        }
    }
}

/// Norm clipping applied to every delta before the method: a delta whose global L2
/// norm exceeds the threshold τ is scaled by τ / norm.
public enum NormClipping: Hashable, Sendable {
    /// No clipping.
    case none
    /// τ is this fixed value.
    case fixed(Double)
    /// τ = factor × the median of the round's delta norms.
    case medianNorm(factor: Double)
}

/// A complete aggregation rule.
public struct AggregationRule: Hashable, Sendable {
    /// The combining method.
    public var method: AggregationMethod
    /// Clipping before the method.
    public var clipping: NormClipping
    /// The server learning rate: new base = base + rate · aggregate (applied as Float).
    public var serverLearningRate: Double

    /// A rule; the default is plain FedAvg with rate 1.
    public init(method: AggregationMethod = .fedAvg(), clipping: NormClipping = .none, serverLearningRate: Double = 1) {
        self.method = method
        self.clipping = clipping
        self.serverLearningRate = serverLearningRate
    }

    /// Throws ``AggregationError/invalidRule(_:)`` if a parameter is out of range.
    public func validate() throws(AggregationError) {
        switch method {
        case let .fedAvg(share, samples):
            if let share, !(share > 0 && share <= 1) { throw .invalidRule("max_share \(share) is not in (0, 1]") }
            if let samples, samples < 1 { throw .invalidRule("max_samples \(samples) is below 1") }
        case .median: break
        case .trimmedMean(.count(let k)): if k < 0 { throw .invalidRule("trim count \(k) is negative") }
        case .trimmedMean(.fraction(let f)): if !(f >= 0 && f < 0.5) { throw .invalidRule("trim fraction \(f) is not in [0, 0.5)") }
        }
        switch clipping {
        case .none: break
        case let .fixed(t): if !(t > 0 && t.isFinite) { throw .invalidRule("clip threshold \(t) is not positive") }
        case let .medianNorm(f): if !(f > 0 && f.isFinite) { throw .invalidRule("clip factor \(f) is not positive") }
        }
        guard serverLearningRate.isFinite, serverLearningRate > 0 else { throw .invalidRule("server_lr \(serverLearningRate) is not positive") }
    }

    /// The rule as JSON (keys: method, max_share, max_samples, trim, trim_fraction,
    /// clipping, clip_value, server_lr; absent options are null).
    public var json: JSONValue {
        var method = "fedavg"
        var share: JSONValue = .null, samples: JSONValue = .null, trim: JSONValue = .null, fraction: JSONValue = .null
        switch self.method {
        case let .fedAvg(s, n):
            share = s.map { .double($0) } ?? .null
            samples = n.map { .int(Int64($0)) } ?? .null
        case .median: method = "median"
        case let .trimmedMean(.count(k)): method = "trimmed_mean"; trim = .int(Int64(k))
        case let .trimmedMean(.fraction(f)): method = "trimmed_mean"; fraction = .double(f)
        }
        let clip: (String, JSONValue)
        switch clipping {
        case .none: clip = ("none", .null)
        case let .fixed(t): clip = ("fixed", .double(t))
        case let .medianNorm(f): clip = ("median_norm", .double(f))
        }
        return .object([
            ("method", .string(method)), ("max_share", share), ("max_samples", samples), ("trim", trim),
            ("trim_fraction", fraction), ("clipping", .string(clip.0)), ("clip_value", clip.1),
            ("server_lr", .double(serverLearningRate)),
        ])
    }

    /// Parses ``json`` back (as read from a journal or a config).
    public init(json: JSONValue) throws(AggregationError) {
        func number(_ key: String) -> Double? { json[key]?.double }
        let method: AggregationMethod
        switch json["method"]?.string {
        case "fedavg": method = .fedAvg(maxShare: number("max_share"), maxSamples: json["max_samples"]?.int)
        case "median": method = .median
        case "trimmed_mean":
            if let k = json["trim"]?.int { method = .trimmedMean(.count(k)) } else if let f = number("trim_fraction") {
                method = .trimmedMean(.fraction(f))
            } else { throw .invalidRule("trimmed_mean needs trim or trim_fraction") }
        default: throw .invalidRule("method must be fedavg, median or trimmed_mean")
        }
        let clipping: NormClipping
        switch (json["clipping"]?.string, number("clip_value")) {
        case ("none", _), (nil, _): clipping = .none
        case let ("fixed", t?): clipping = .fixed(t)
        case let ("median_norm", f?): clipping = .medianNorm(factor: f)
        default: throw .invalidRule("clipping must be none, fixed or median_norm, with clip_value")
        }
        self.init(method: method, clipping: clipping, serverLearningRate: number("server_lr") ?? 1)
        try validate()
    }
}

/// Why a set of deltas could not be aggregated.
public enum AggregationError: CotrainError, Equatable {
    /// There were no deltas.
    case noInputs
    /// A rule parameter is out of range.
    case invalidRule(String)
    /// Two deltas came from the same node.
    case duplicateNode(NodeID)
    /// A delta's names or shapes differ from the others'.
    case schemaMismatch(NodeID)
    /// The method cannot run on this many deltas (e.g. trimming everything).
    case tooFewInputs(count: Int, needed: Int)
    /// The base does not have the aggregate's names and shapes.
    case baseMismatch(String)

    public var description: String {
        switch self {
        case .noInputs: return "aggregation needs at least one delta"
        case let .invalidRule(why): return "invalid aggregation rule: \(why)"
        case let .duplicateNode(node): return "two deltas from node \(node.short) in one aggregation"
        case let .schemaMismatch(node): return "delta from node \(node.short) has different tensors than the others"
        case let .tooFewInputs(count, needed): return "aggregation got \(count) deltas but the rule needs at least \(needed)"
        case let .baseMismatch(why): return "cannot apply the aggregate to this base: \(why)"
        }
    }
}
