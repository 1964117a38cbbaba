// CotrainRuntime/Statistics.swift: intervals and tests for success rates.
//
// Success over n episodes is binomial. With the small n of robot evaluations (10–50) the
// textbook p ± 1.96·se interval is badly off near 0 and 1, so we use Wilson score
// intervals, Newcombe's hybrid score interval for a difference (method 10 in Newcombe
// 1998), a pooled two-proportion z-test, and McNemar's exact test for paired episodes.
import Foundation

/// A proportion with its 95 % Wilson score interval.
public struct Proportion: Sendable, Equatable {
    public var successes: Int
    public var trials: Int
    /// Point estimate k/n (0 when n = 0).
    public var rate: Double { trials == 0 ? 0 : Double(successes) / Double(trials) }
    /// 95 % Wilson score interval.
    public var lower: Double
    public var upper: Double

    /// k successes of n trials (0 ≤ k ≤ n).
    public init(successes: Int, trials: Int) {
        precondition(trials >= 0 && (0...trials).contains(successes), "need 0 <= successes <= trials")
        self.successes = successes; self.trials = trials
        (lower, upper) = Statistics.wilson(successes: successes, trials: trials)
    }
}

/// Statistical helpers used by evaluation reports.
public enum Statistics {
    /// The two-sided 95 % normal quantile.
    public static let z95 = 1.959963984540054

    /// Wilson score interval for k/n at confidence `z` (n = 0 gives [0, 1]).
    public static func wilson(successes k: Int, trials n: Int, z: Double = z95) -> (Double, Double) {
        guard n > 0 else { return (0, 1) }
        let p = Double(k) / Double(n), nd = Double(n), z2 = z * z
        let centre = (p + z2 / (2 * nd)) / (1 + z2 / nd)
        let half = z / (1 + z2 / nd) * (p * (1 - p) / nd + z2 / (4 * nd * nd)).squareRoot()
        // Exact at the ends (rounding would otherwise leave 1e-17 gaps).
        return (k == 0 ? 0 : max(0, centre - half), k == n ? 1 : min(1, centre + half))
    }

    /// Newcombe's hybrid score interval for p₁ − p₂ (independent samples).
    public static func newcombe(_ a: Proportion, _ b: Proportion) -> (Double, Double) {
        let d = a.rate - b.rate
        let lower = d - ((a.rate - a.lower) * (a.rate - a.lower) + (b.upper - b.rate) * (b.upper - b.rate)).squareRoot()
        let upper = d + ((a.upper - a.rate) * (a.upper - a.rate) + (b.rate - b.lower) * (b.rate - b.lower)).squareRoot()
        return (max(-1, lower), min(1, upper))
    }

    /// Two-sided p-value of the pooled two-proportion z-test of p₁ = p₂.
    public static func twoProportionPValue(_ a: Proportion, _ b: Proportion) -> Double {
        guard a.trials > 0, b.trials > 0 else { return 1 }
        let pooled = Double(a.successes + b.successes) / Double(a.trials + b.trials)
        let variance = pooled * (1 - pooled) * (1 / Double(a.trials) + 1 / Double(b.trials))
        guard variance > 0 else { return 1 }
        let z = abs(a.rate - b.rate) / variance.squareRoot()
        return erfc(z / 2.0.squareRoot())
    }

    /// McNemar's exact two-sided p-value for paired outcomes: `onlyA` pairs where only
    /// the first policy succeeded, `onlyB` where only the second did.
    public static func mcNemarPValue(onlyA b: Int, onlyB c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        // 2 · P(X ≤ min(b, c)) for X ~ Binomial(n, 1/2), summed in log space.
        var total = 0.0
        for i in 0...min(b, c) {
            total += exp(lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) - Double(n) * log(2.0))
        }
        return min(1, 2 * total)
    }
}

/// Whether one policy did better than another in one cell.
public enum Verdict: String, Sendable, Equatable {
    case better
    case worse
    case noClearDifference = "no clear difference"
}

/// The comparison of two success rates on the same episodes (same seeds).
public struct RateComparison: Sendable, Equatable {
    /// Policy A's and policy B's results.
    public var a: Proportion
    public var b: Proportion
    /// p_A − p_B and its 95 % Newcombe interval.
    public var difference: Double
    public var lower: Double
    public var upper: Double
    /// Pooled two-proportion z-test p-value, and McNemar's exact p-value when the
    /// episodes are paired (nil otherwise).
    public var pValue: Double
    public var pairedPValue: Double?
    /// "better" when the whole interval is above 0, "worse" when below, else "no clear difference".
    public var verdict: Verdict

    /// Compares `a` with `b`; pass the per-episode outcomes (same seeds, same order) to
    /// get the paired test too.
    public init(a: Proportion, b: Proportion, pairs: [(Bool, Bool)]? = nil) {
        self.a = a; self.b = b
        difference = a.rate - b.rate
        (lower, upper) = Statistics.newcombe(a, b)
        pValue = Statistics.twoProportionPValue(a, b)
        pairedPValue = pairs.map { p in
            Statistics.mcNemarPValue(onlyA: p.filter { $0.0 && !$0.1 }.count, onlyB: p.filter { !$0.0 && $0.1 }.count)
        }
        verdict = lower > 0 ? .better : upper < 0 ? .worse : .noClearDifference
    }

    /// One sentence for the terminal, e.g. "A is better: +20 points (95 % CI +5 to +33, p = 0.008)".
    public func sentence(_ nameA: String, _ nameB: String) -> String {
        func pts(_ x: Double) -> String { (x >= 0 ? "+" : "") + format(x * 100, 0) }
        let ci = "95 % CI \(pts(lower)) to \(pts(upper)) points, p = \(format(pValue, 3))"
        switch verdict {
        case .better: return "\(nameA) is better than \(nameB): \(pts(difference)) points (\(ci))"
        case .worse: return "\(nameA) is worse than \(nameB): \(pts(difference)) points (\(ci))"
        case .noClearDifference: return "no clear difference between \(nameA) and \(nameB): \(pts(difference)) points (\(ci))"
        }
    }
}
