// Per-dimension normalisation of proprioception and actions: a range of the data (the
// 2nd–98th percentile for proprioception, the minimum–maximum for actions) maps to
// [−1, 1], values beyond are clipped at ±1.5; actions may instead be companded about
// zero (`power`).
import CotrainCore
import Foundation

/// Maps one vector space (a robot's state or action) to roughly [−1, 1] per dimension.
///
/// `y = 2·(x − low)/(high − low) − 1`, clipped to `±clip`. A dimension whose range is
/// (near) zero maps to 0 and denormalises to `low`.
public struct NormalizationStats: Sendable, Equatable {
    /// Per-dimension lower percentile (maps to −1).
    public var low: [Float]
    /// Per-dimension upper percentile (maps to +1).
    public var high: [Float]
    /// Normalised values are clipped to ±clip.
    public static let clip: Float = 1.5
    /// Companding exponent γ (nil: linear). With it, a dimension maps about zero instead:
    /// `y = sign(x)·(|x|/s)^γ`, s the larger of |low| and |high|, so with γ < 1 small
    /// values spread over more of [−1, 1] (γ 0.5: a tenth of the range maps to 0.32)
    /// and a model's error in normalised units is a smaller error on small actions.
    /// For actions, whose zero is "no motion" (docs/model.md, "Normalisation").
    public var power: Float?
    /// The values `power` may take.
    public static let powerRange: ClosedRange<Float> = 0.2...1

    /// Stats with explicit bounds (`low.count == high.count`).
    public init(low: [Float], high: [Float]) {
        precondition(low.count == high.count, "NormalizationStats: \(low.count) lows vs \(high.count) highs")
        (self.low, self.high) = (low, high)
    }

    /// The identity-like mapping of `[-1, 1]` onto itself for `dimension` components.
    public static func unit(dimension: Int) -> NormalizationStats {
        NormalizationStats(low: Array(repeating: -1, count: dimension), high: Array(repeating: 1, count: dimension))
    }

    /// Number of dimensions.
    public var dimension: Int { low.count }

    /// Fits the `lower`–`upper` percentiles (linear interpolation between order
    /// statistics, as NumPy's default) of each dimension of `samples`.
    public static func fit(
        _ samples: [[Float]], lower: Double = 2, upper: Double = 98
    ) throws(PolicyError) -> NormalizationStats {
        guard let d = samples.first?.count, d > 0 else { throw .invalidInput("normalisation needs at least one non-empty sample") }
        guard samples.allSatisfy({ $0.count == d }) else { throw .invalidInput("normalisation samples differ in length") }
        guard 0 <= lower && lower < upper && upper <= 100 else { throw .invalidInput("percentiles \(lower)–\(upper)") }
        var low: [Float] = [], high: [Float] = []
        for j in 0..<d {
            let column = samples.map { $0[j] }.sorted()
            guard column.allSatisfy(\.isFinite) else { throw .invalidInput("normalisation dimension \(j) has a non-finite value") }
            low.append(percentile(column, lower))
            high.append(percentile(column, upper))
        }
        return NormalizationStats(low: low, high: high)
    }

    /// The `p`-th percentile of sorted values.
    static func percentile(_ sorted: [Float], _ p: Double) -> Float {
        let position = p / 100 * Double(sorted.count - 1)
        let i = Int(position), frac = position - Double(i)
        if i + 1 >= sorted.count { return sorted[sorted.count - 1] }
        return Float(Double(sorted[i]) + frac * (Double(sorted[i + 1]) - Double(sorted[i])))
    }

    /// `x` mapped to [−1, 1] and clipped to ±1.5.
    public func normalize(_ x: [Float]) -> [Float] {
        precondition(x.count == dimension, "normalize: \(x.count) values for \(dimension) dimensions")
        return (0..<dimension).map { j in
            let range = high[j] - low[j]
            guard range > 1e-8 else { return 0 }
            let y: Float
            if let power {
                let s = Swift.max(abs(low[j]), abs(high[j]))
                y = x[j] < 0 ? -pow(-x[j] / s, power) : pow(x[j] / s, power)
            } else {
                y = 2 * (x[j] - low[j]) / range - 1
            }
            return Swift.min(Swift.max(y, -Self.clip), Self.clip)
        }
    }

    /// The inverse of `normalize` (for unclipped values). Companded, |y| beyond 1 maps
    /// to s: never a larger action than the data's largest.
    public func denormalize(_ y: [Float]) -> [Float] {
        precondition(y.count == dimension, "denormalize: \(y.count) values for \(dimension) dimensions")
        return (0..<dimension).map { j in
            guard let power else { return (y[j] + 1) / 2 * (high[j] - low[j]) + low[j] }
            guard high[j] - low[j] > 1e-8 else { return low[j] }
            let s = Swift.max(abs(low[j]), abs(high[j])), magnitude = pow(Swift.min(abs(y[j]), 1), 1 / power) * s
            return y[j] < 0 ? -magnitude : magnitude
        }
    }

    /// The same bounds without companding (the data layer's linear map).
    public var linear: NormalizationStats { NormalizationStats(low: low, high: high) }

    /// `{"low":[…],"high":[…]}`, plus `"power"` when companded.
    public var json: JSONValue {
        .object([("low", .array(low.map { .double(Double($0)) })), ("high", .array(high.map { .double(Double($0)) }))]
            + (power.map { [("power", .double(Double($0)))] } ?? []))
    }

    /// Stats from their JSON form.
    public init(json: JSONValue) throws(PolicyError) {
        func floats(_ key: String) throws(PolicyError) -> [Float] {
            guard let list = json[key]?.array else { throw .invalidConfig("normalisation JSON lacks \"\(key)\"") }
            var out: [Float] = []
            for v in list {
                guard let d = v.double else { throw .invalidConfig("normalisation \"\(key)\" holds a non-number") }
                out.append(Float(d))
            }
            return out
        }
        let (low, high) = (try floats("low"), try floats("high"))
        guard low.count == high.count else { throw .invalidConfig("normalisation low/high lengths differ") }
        self.init(low: low, high: high)
        if let value = json["power"] {
            guard let p = value.double.map(Float.init), Self.powerRange.contains(p) else {
                throw .invalidConfig("normalisation \"power\" must be a number within \(Self.powerRange)")
            }
            power = p
        }
    }
}

/// The normalisation of one robot: its proprioception and its actions.
public struct EmbodimentStats: Sendable, Equatable {
    /// Proprioception normalisation.
    public var state: NormalizationStats
    /// Action normalisation.
    public var action: NormalizationStats

    /// Stats for both spaces.
    public init(state: NormalizationStats, action: NormalizationStats) {
        (self.state, self.action) = (state, action)
    }

    /// Fits both from example states and actions (e.g. every step of the lab's episodes).
    public static func fit(states: [[Float]], actions: [[Float]]) throws(PolicyError) -> EmbodimentStats {
        EmbodimentStats(state: try .fit(states), action: try .fit(actions))
    }

    /// `{"state":{…},"action":{…}}`.
    public var json: JSONValue { .object([("state", state.json), ("action", action.json)]) }

    /// Stats from their JSON form.
    public init(json: JSONValue) throws(PolicyError) {
        guard let s = json["state"], let a = json["action"] else { throw .invalidConfig("embodiment stats need state and action") }
        self.init(state: try NormalizationStats(json: s), action: try NormalizationStats(json: a))
    }
}
