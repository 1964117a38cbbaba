// Progress lines with rate and ETA for long data jobs (collect, generate, import).

/// Measures progress of a job of known size and renders one status line.
public struct ProgressMeter: Sendable {
    /// What is being counted, e.g. "episodes".
    public let unit: String
    /// Total units of work.
    public let total: Int
    private let start: ContinuousClock.Instant

    /// Starts the clock.
    public init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
        start = .now
    }

    /// Seconds since the meter started.
    public var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// "120/500 episodes (24%)  14.2 episodes/s  ETA 27 s" after `done` units.
    public func line(done: Int) -> String {
        let seconds = elapsed
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let percent = total > 0 ? done * 100 / total : 100
        var text = "\(done)/\(total) \(unit) (\(percent)%)  \(Self.decimal(rate, digits: rate < 10 ? 2 : 1)) \(unit)/s"
        if done < total {
            text += rate > 0 ? "  ETA \(Self.duration(Double(total - done) / rate))" : "  ETA —"
        } else {
            text += "  in \(Self.duration(seconds))"
        }
        return text
    }

    /// "8 s", "3 min 05 s", "1 h 02 min".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "—" }
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60 < 10 ? "0" : "")\(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60 < 10 ? "0" : "")\(s % 3600 / 60) min"
    }

    /// A number with a fixed count of decimals, without Foundation.
    public static func decimal(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "—" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return text
    }
}

/// SplitMix64 step: derives independent 64-bit seeds (per episode, per sample, per
/// step) from one user seed, stably across platforms and Swift versions.
@inline(__always)
func mixSeed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
    var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
