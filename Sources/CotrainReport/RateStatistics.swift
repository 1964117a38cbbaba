// Intervals and tests for success rates, computed here from the counts in a results
// file so the report needs no other cotrain module. The formulas are the ones
// docs/evaluation.md describes: Wilson score intervals, Newcombe's hybrid score
// interval for a difference, and the pooled two-proportion z-test.
import Foundation

/// k successes of n trials with the 95 % Wilson score interval.
public struct SuccessRate: Sendable, Equatable {
    public let successes: Int
    public let trials: Int
    /// k/n (0 when n = 0).
    public var rate: Double { trials == 0 ? 0 : Double(successes) / Double(trials) }
    /// The 95 % Wilson interval ([0, 1] when n = 0).
    public let lower: Double, upper: Double

    /// The two-sided 95 % normal quantile.
    static let z = 1.959963984540054

    /// `successes` of `trials`; the caller guarantees 0 ≤ successes ≤ trials.
    public init(successes: Int, trials: Int) {
        self.successes = successes
        self.trials = trials
        guard trials > 0 else { (lower, upper) = (0, 1); return }
        let n = Double(trials), p = Double(successes) / n, z2 = Self.z * Self.z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = Self.z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        lower = successes == 0 ? 0 : max(0, centre - half)
        upper = successes == trials ? 1 : min(1, centre + half)
    }
}

/// What a comparison of two rates says.
public enum ComparisonVerdict: String, Sendable, Equatable {
    /// The whole 95 % interval of A − B is above zero.
    case better
    /// The whole interval is below zero.
    case worse
    /// The interval contains zero: these episodes cannot tell the policies apart.
    case noClearDifference = "no clear difference"
}

/// Policy A's rate against policy B's in one cell.
public struct RateDifference: Sendable, Equatable {
    public let a: SuccessRate, b: SuccessRate
    /// A − B, with its 95 % Newcombe hybrid score interval.
    public let difference: Double, lower: Double, upper: Double
    /// Two-sided p-value of the pooled two-proportion z-test.
    public let pValue: Double
    public let verdict: ComparisonVerdict

    /// Compares `a` with `b`.
    public init(a: SuccessRate, b: SuccessRate) {
        self.a = a
        self.b = b
        difference = a.rate - b.rate
        let dl = ((a.rate - a.lower) * (a.rate - a.lower) + (b.upper - b.rate) * (b.upper - b.rate)).squareRoot()
        let du = ((a.upper - a.rate) * (a.upper - a.rate) + (b.rate - b.lower) * (b.rate - b.lower)).squareRoot()
        lower = max(-1, difference - dl)
        upper = min(1, difference + du)
        verdict = lower > 0 ? .better : upper < 0 ? .worse : .noClearDifference
        let pooled = a.trials + b.trials == 0 ? 0 : Double(a.successes + b.successes) / Double(a.trials + b.trials)
        let variance = a.trials > 0 && b.trials > 0 ? pooled * (1 - pooled) * (1 / Double(a.trials) + 1 / Double(b.trials)) : 0
        pValue = variance > 0 ? erfc(abs(difference) / variance.squareRoot() / 2.0.squareRoot()) : 1
    }
}
