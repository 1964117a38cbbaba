// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, so axis labels read as
// round numbers (0, 0.2, 0.4 … rather than 0, 0.17, 0.34 …).
import Foundation

/// The 1-2-5 tick algorithm for linear and logarithmic axes.
public enum NiceNumbers {
    /// The 1-2-5 step (1, 2 or 5 × 10^k) nearest above `span / count`, so a span gets
    /// at most about `count` intervals. `span` must be positive and finite.
    public static func step(span: Double, count: Int) -> Double {
        let (mantissa, exponent) = stepParts(span: span, count: count)
        return value(mantissa, exponent)
    }

    /// Ticks at the multiples of ``step(span:count:)`` that lie in `lower...upper`.
    /// Each tick is computed as an integer times the step (no accumulated rounding).
    public static func ticks(lower: Double, upper: Double, count: Int = 5) -> [Double] {
        guard lower.isFinite, upper.isFinite, upper > lower else { return lower.isFinite ? [lower] : [] }
        let (mantissa, exponent) = stepParts(span: upper - lower, count: count)
        let step = value(mantissa, exponent)
        let first = (lower / step - 1e-9).rounded(.up), last = (upper / step + 1e-9).rounded(.down)
        guard first <= last, last - first < 10_000 else { return [] }
        return stride(from: first, through: last, by: 1).map { value(Int64($0) * mantissa, exponent) }
    }

    /// The domain widened to the nearest step multiples around `lower...upper`; a zero
    /// or empty span is widened first, so the axis never collapses.
    public static func domain(lower: Double, upper: Double, count: Int = 5) -> (Double, Double) {
        var (lo, hi) = (lower, upper)
        if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let step = self.step(span: hi - lo, count: count)
        return ((lo / step + 1e-9).rounded(.down) * step, (hi / step - 1e-9).rounded(.up) * step)
    }

    /// Ticks for a logarithmic axis over positive `lower...upper`: 1-2-5 × 10^k when the
    /// span is at most three decades, powers of ten (thinned to about eight) beyond, and
    /// linear nice ticks when fewer than three 1-2-5 values fall inside.
    public static func logTicks(lower: Double, upper: Double) -> [Double] {
        guard lower > 0, upper > lower, lower.isFinite, upper.isFinite else { return [] }
        let low = Int(log10(lower).rounded(.down)), high = Int(log10(upper).rounded(.up))
        let decades = log10(upper / lower)
        var ticks: [Double] = []
        if decades <= 3 {
            for e in low...high { for m: Int64 in [1, 2, 5] { ticks.append(value(m, e)) } }
        } else {
            let every = max(1, (high - low + 7) / 8)
            for e in low...high where (e - low) % every == 0 { ticks.append(value(1, e)) }
        }
        ticks = ticks.filter { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) }
        if ticks.count < 3 && decades <= 3 { return self.ticks(lower: lower, upper: upper, count: 4).filter { $0 > 0 } }
        return ticks
    }

    /// The positive domain widened to the nearest 1-2-5 values around `lower...upper`.
    public static func logDomain(lower: Double, upper: Double) -> (Double, Double) {
        guard lower > 0, upper.isFinite, lower.isFinite else { return (1, 10) }
        let hi = upper > lower ? upper : lower * 10
        let low = Int(log10(lower).rounded(.down)) - 1, high = Int(log10(hi).rounded(.up)) + 1
        var below = value(1, low), above = value(1, high)
        for e in low...high {
            for m: Int64 in [1, 2, 5] {
                let v = value(m, e)
                if v <= lower * (1 + 1e-12) { below = v }
                if v >= hi * (1 - 1e-12) && v < above { above = v }
            }
        }
        return (below, above)
    }

    /// (mantissa 1, 2 or 5; exponent) of the step.
    static func stepParts(span: Double, count: Int) -> (Int64, Int) {
        let raw = span / Double(max(1, count))
        var exponent = Int(log10(raw).rounded(.down))
        let fraction = raw / pow(10, Double(exponent))
        let mantissa: Int64
        switch fraction {
        case ...1.000_000_1: mantissa = 1
        case ...2.000_000_1: mantissa = 2
        case ...5.000_000_1: mantissa = 5
        default: mantissa = 1; exponent += 1
        }
        return (mantissa, exponent)
    }

    /// m × 10^e, computed so that e.g. 3 × 10^-1 is exactly the Double nearest 0.3.
    static func value(_ m: Int64, _ e: Int) -> Double {
        e >= 0 ? Double(m) * pow(10, Double(e)) : Double(m) / pow(10, Double(-e))
    }
}
