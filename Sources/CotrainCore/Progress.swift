// Progress of long jobs, one implementation for every command: a meter that turns
// "done of total" into a line with rate and ETA, and a reporter that shows such lines
// on stderr — redrawn in place on a terminal, as plain lines now and then otherwise
// (logs, CI, pipes), so a lab engineer always sees how far along a job is.
import Synchronization

/// Measures progress of a job and renders one status line with rate and ETA.
public struct ProgressMeter: Sendable {
    /// What is being counted, e.g. "episodes".
    public let unit: String
    /// Total units of work; nil when unknown (e.g. a streamed import).
    public let total: Int?
    private let start: ContinuousClock.Instant

    /// Starts the clock for a job of `total` units (nil: unknown).
    public init(total: Int?, unit: String) {
        self.total = total
        self.unit = unit
        start = .now
    }

    /// Seconds since the meter started.
    public var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// "120/500 episodes (24%)  14.2 episodes/s  ETA 27 s" after `done` units; once
    /// done, "500/500 episodes (100%)  14.2 episodes/s  in 35 s". Without a total:
    /// "1200 samples  340 samples/s  4 s".
    public func line(done: Int) -> String { line(done: done, elapsed: elapsed) }

    /// The line for `done` units after `seconds` (what ``line(done:)`` uses; for tests).
    public func line(done: Int, elapsed seconds: Double) -> String {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let rateText = "\(Self.decimal(rate, digits: rate < 10 ? 2 : 1)) \(unit)/s"
        guard let total else { return "\(done) \(unit)  \(rateText)  \(Self.duration(seconds))" }
        let percent = total > 0 ? min(done, total) * 100 / total : 100
        var text = "\(done)/\(total) \(unit) (\(percent)%)  \(rateText)"
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

/// Shows the progress of one long job on stderr, the same way in every command.
///
/// - On a terminal (``Style/terminal``) the status line is redrawn in place (`\r`,
///   clear to end of line), at most 10 times a second, cut to the terminal's width;
///   ``finish(_:)`` leaves the last line on screen and ends it with a newline.
/// - Otherwise (``Style/lines``: a log file, CI, a pipe) each status is a plain line,
///   at most one every 5 seconds (the first at once), and the final line always.
/// - ``Style/silent`` (`--quiet`, `--json`) shows nothing.
///
/// ``note(_:)`` prints a permanent line (a milestone, or a per-episode line with
/// `--verbose`) above the status line without breaking it. Thread-safe.
public final class ProgressReporter: Sendable {
    /// How progress is shown.
    public enum Style: Sendable, Equatable {
        /// Redraw one line in place (stderr is a terminal).
        case terminal
        /// Plain lines at most every `interval` seconds, plus the final line.
        case lines
        /// Nothing (quiet).
        case silent

        /// `silent` when `quiet`, else `terminal` when stderr is a terminal (and `TERM`
        /// is not `dumb`), else `lines`.
        public static func automatic(quiet: Bool) -> Style {
            if quiet { return .silent }
            let term = getenv("TERM").map { String(cString: $0) }
            return Console.isTerminal(STDERR_FILENO) && term != "dumb" ? .terminal : .lines
        }
    }

    /// Seconds between redraws on a terminal (10 Hz).
    public static let terminalInterval = 0.1
    /// Seconds between plain lines when stderr is not a terminal.
    public static let linesInterval = 5.0

    /// Prefixed to every status line, e.g. "eval" gives "eval: 37/180 episodes …".
    public let label: String
    public let style: Style
    private let meter: ProgressMeter?
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Double
    private let started: Double
    private let width: Int?
    private let state = Mutex(State())

    private struct State {
        var lastShown = -Double.infinity
        /// The status line currently drawn on the terminal ("" when none).
        var drawn = ""
    }

    /// A reporter for a job of `total` units of `unit` (nil total: unknown), whose
    /// status lines carry rate and ETA (timed from now) as ``ProgressMeter`` renders them.
    public convenience init(_ label: String, total: Int?, unit: String, style: Style) {
        self.init(label, meter: ProgressMeter(total: total, unit: unit), style: style)
    }

    /// A reporter whose caller renders its own status lines (``update(_:)``).
    public convenience init(_ label: String, style: Style) {
        self.init(label, meter: nil, style: style)
    }

    /// The general form; `write`, `now` and `width` replace stderr, the monotonic
    /// clock and the terminal's width (tests).
    public init(
        _ label: String, meter: ProgressMeter?, style: Style, width: Int? = nil,
        now: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds,
        write: @escaping @Sendable (String) -> Void = { Console.error($0) }
    ) {
        self.label = label
        self.meter = meter
        self.style = style
        self.now = now
        started = now()
        self.write = write
        self.width = style == .terminal ? (width ?? Console.terminalWidth(STDERR_FILENO)) : nil
    }

    /// Seconds since the reporter was made.
    public var elapsed: Double { now() - started }

    /// The meter's line for `done` units, with `detail` after it (e.g. "pick/nominal 8/10 ok").
    public func line(done: Int, detail: String = "") -> String {
        let base = meter?.line(done: done, elapsed: elapsed) ?? "\(done)"
        return detail.isEmpty ? base : base + "  " + detail
    }

    /// Reports `done` units (throttled; see the type's description).
    public func update(done: Int, detail: String = "") {
        guard style != .silent, due() else { return }
        show(line(done: done, detail: detail), final: false)
    }

    /// Reports a status line the caller rendered (throttled).
    public func update(_ status: String) {
        guard style != .silent, due() else { return }
        show(status, final: false)
    }

    /// The final status: always shown (unless silent), ending the line.
    public func finish(done: Int, detail: String = "") {
        guard style != .silent else { return }
        show(line(done: done, detail: detail), final: true)
    }

    /// The final status line the caller rendered.
    public func finish(_ status: String) {
        guard style != .silent else { return }
        show(status, final: true)
    }

    /// A permanent line above the status line (not throttled, not labelled).
    public func note(_ text: String) {
        guard style != .silent else { return }
        state.withLock { s in
            if style == .terminal && !s.drawn.isEmpty {
                write("\r\u{1B}[K" + text + "\n" + s.drawn)
            } else {
                write(text + "\n")
            }
        }
    }

    /// Ends a status line left drawn on the terminal (a job that stopped before its
    /// final line) with a newline, so what follows starts on a fresh line and the
    /// last status stays readable.
    public func endLine() {
        state.withLock { s in
            if style == .terminal && !s.drawn.isEmpty { write("\n") }
            s.drawn = ""
        }
    }

    /// True when a throttled update should be shown now (and records that it is).
    private func due() -> Bool {
        let interval = style == .terminal ? Self.terminalInterval : Self.linesInterval
        let t = now()
        return state.withLock { s in
            guard t - s.lastShown >= interval else { return false }
            s.lastShown = t
            return true
        }
    }

    private func show(_ status: String, final: Bool) {
        let text = label.isEmpty ? status : "\(label): \(status)"
        state.withLock { s in
            switch style {
            case .silent: return
            case .lines:
                write(text + "\n")
            case .terminal:
                let fitted = fit(text)
                write("\r\u{1B}[K" + fitted + (final ? "\n" : ""))
                s.drawn = final ? "" : fitted
            }
        }
    }

    /// Cuts a line to the terminal's width, so redrawing with `\r` never wraps.
    private func fit(_ text: String) -> String {
        guard let width, width > 1, text.count >= width else { return text }
        return String(text.prefix(width - 2)) + "…"
    }

    /// Seconds on the monotonic clock.
    @Sendable public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
