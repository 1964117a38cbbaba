// Scales map data values to pixel positions and choose their ticks.
import Foundation

/// A mapping from data values to pixels with tick positions for an axis.
public protocol Scale: Sendable {
    /// The data values at the two ends of the axis.
    var domain: (lower: Double, upper: Double) { get }
    /// The pixel positions of `domain.lower` and `domain.upper` (for a y axis the lower
    /// value usually maps to the larger pixel coordinate).
    var pixels: (start: Double, end: Double) { get }
    /// The pixel position of `value` (values outside the domain extrapolate).
    func position(_ value: Double) -> Double
    /// Tick values, inside the domain.
    var ticks: [Double] { get }
    /// A tick's label.
    func label(_ tick: Double) -> String
}

/// A linear scale; with `nice` the domain is widened to 1-2-5 step multiples.
public struct LinearScale: Scale {
    public let domain: (lower: Double, upper: Double)
    public let pixels: (start: Double, end: Double)
    public let ticks: [Double]
    /// Label ticks as whole percentages (for rates in 0…1).
    public var percent = false
    let step: Double

    /// A scale over `lower...upper` drawn from `start` to `end` pixels, with about
    /// `tickCount` intervals.
    public init(lower: Double, upper: Double, start: Double, end: Double, nice: Bool = true, tickCount: Int = 5) {
        var domain = (lower, upper)
        if nice || !(upper > lower) { domain = NiceNumbers.domain(lower: lower, upper: upper, count: tickCount) }
        self.domain = domain
        self.pixels = (start, end)
        self.ticks = NiceNumbers.ticks(lower: domain.0, upper: domain.1, count: tickCount)
        self.step = NiceNumbers.step(span: domain.1 - domain.0, count: tickCount)
    }

    public func position(_ value: Double) -> Double {
        pixels.start + (value - domain.lower) / (domain.upper - domain.lower) * (pixels.end - pixels.start)
    }

    public func label(_ tick: Double) -> String {
        percent ? NumberText.percent(tick) : NumberText.tick(tick, step: step).replacingMinus()
    }
}

/// A base-10 logarithmic scale over positive values; the domain is widened to 1-2-5
/// values. Non-positive values map to the bottom end.
public struct LogScale: Scale {
    public let domain: (lower: Double, upper: Double)
    public let pixels: (start: Double, end: Double)
    public let ticks: [Double]

    /// A scale over positive `lower...upper` drawn from `start` to `end` pixels.
    public init(lower: Double, upper: Double, start: Double, end: Double) {
        domain = NiceNumbers.logDomain(lower: lower, upper: upper)
        pixels = (start, end)
        ticks = NiceNumbers.logTicks(lower: domain.lower, upper: domain.upper)
    }

    public func position(_ value: Double) -> Double {
        let v = value > 0 ? value : domain.lower
        let t = (log10(v) - log10(domain.lower)) / (log10(domain.upper) - log10(domain.lower))
        return pixels.start + t * (pixels.end - pixels.start)
    }

    public func label(_ tick: Double) -> String {
        var step = 1.0
        while step > tick * 1.000_001, step > 1e-12 { step /= 10 }
        return NumberText.tick(tick, step: step)
    }
}
