// Progress lines (rate, ETA) and the reporter every long command uses: redrawn in
// place on a terminal, throttled plain lines otherwise.
import Synchronization
import Testing
@testable import CotrainCore

/// Collects what a reporter writes, with a clock the test moves.
final class ProgressCapture: Sendable {
    private let state = Mutex((text: "", time: 0.0))
    var text: String { state.withLock { $0.text } }
    func advance(_ seconds: Double) { state.withLock { $0.time += seconds } }

    func reporter(_ style: ProgressReporter.Style, total: Int? = 100, width: Int? = 200) -> ProgressReporter {
        ProgressReporter(
            "job", meter: ProgressMeter(total: total, unit: "items"), style: style, width: width,
            now: { self.state.withLock { $0.time } }, write: { text in self.state.withLock { $0.text += text } })
    }
}

@Suite struct ProgressTests {
    @Test func durationsAndDecimalsReadWell() {
        #expect(ProgressMeter.duration(8.4) == "8 s")
        #expect(ProgressMeter.duration(185) == "3 min 05 s")
        #expect(ProgressMeter.duration(3720) == "1 h 02 min")
        #expect(ProgressMeter.decimal(14.25, digits: 1) == "14.3" && ProgressMeter.decimal(0.5, digits: 2) == "0.50")
        #expect(ProgressMeter.decimal(-2.04, digits: 1) == "-2.0" && ProgressMeter.decimal(7, digits: 0) == "7")
    }

    @Test func lineShowsCountRateAndETA() {
        let meter = ProgressMeter(total: 200, unit: "episodes")
        #expect(meter.line(done: 50, elapsed: 5) == "50/200 episodes (25%)  10.0 episodes/s  ETA 15 s")
        #expect(meter.line(done: 200, elapsed: 20) == "200/200 episodes (100%)  10.0 episodes/s  in 20 s")
        #expect(meter.line(done: 0, elapsed: 0).hasSuffix("ETA —"))
        let live = meter.line(done: 50)
        #expect(live.hasPrefix("50/200 episodes (25%)") && live.contains("episodes/s") && live.contains("ETA"))
    }

    @Test func lineWithoutATotalShowsCountAndRate() {
        let meter = ProgressMeter(total: nil, unit: "samples")
        #expect(meter.line(done: 1200, elapsed: 4) == "1200 samples  300.0 samples/s  4 s")
    }

    @Test func terminalRedrawsOneLineInPlaceAtMostTenTimesASecond() {
        let capture = ProgressCapture()
        let reporter = capture.reporter(.terminal)
        for done in 1...50 {
            reporter.update(done: done, detail: "cell \(done)")
            capture.advance(1.0 / 64)  // 64 updates a second: every 7th is drawn (≥ 0.1 s apart)
        }
        reporter.finish(done: 100)
        let text = capture.text
        let draws = text.components(separatedBy: "\r\u{1B}[K").dropFirst()
        #expect(draws.count == 9)  // updates 1, 8, 15, 22, 29, 36, 43, 50, and the final line
        #expect(draws.first == "job: 1/100 items (1%)  0.00 items/s  ETA —  cell 1")
        #expect(draws.last?.hasPrefix("job: 100/100 items (100%)") == true && text.hasSuffix("\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)  // only the final line ends the line
    }

    @Test func withoutATerminalPrintsPlainLinesEveryFiveSecondsAndTheFinalOne() {
        let capture = ProgressCapture()
        let reporter = capture.reporter(.lines)
        for done in 1...100 {
            reporter.update(done: done)
            capture.advance(0.25)  // 25 s in all: lines at 0, 5, 10, 15 and 20 s
        }
        reporter.finish(done: 100)
        let lines = capture.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 7 && lines.last == "")  // 5 updates + final + trailing newline
        #expect(!capture.text.contains("\r") && !capture.text.contains("\u{1B}"))
        #expect(lines[0].hasPrefix("job: 1/100 items (1%)") && lines[1].hasPrefix("job: 21/100 items (21%)"))
        #expect(lines[5].hasPrefix("job: 100/100 items (100%)"))
    }

    @Test func notesGoAboveTheStatusLine() {
        let capture = ProgressCapture()
        let reporter = capture.reporter(.terminal)
        reporter.update("step 1")
        reporter.note("milestone")
        #expect(capture.text == "\r\u{1B}[Kjob: step 1" + "\r\u{1B}[Kmilestone\n" + "job: step 1")
        let plain = ProgressCapture()
        let lines = plain.reporter(.lines)
        lines.update("step 1")
        lines.note("milestone")
        #expect(plain.text == "job: step 1\nmilestone\n")
    }

    @Test func silentShowsNothingAndLongLinesAreCutToTheTerminal() {
        let capture = ProgressCapture()
        let silent = capture.reporter(.silent)
        silent.update(done: 1)
        silent.note("x")
        silent.finish(done: 100)
        #expect(capture.text.isEmpty)
        let narrow = ProgressCapture()
        let reporter = narrow.reporter(.terminal, width: 20)
        reporter.update(done: 1)
        #expect(narrow.text == "\r\u{1B}[K" + "job: 1/100 items (…")
    }

    @Test func automaticStyleFollowsQuietAndTheTerminal() {
        #expect(ProgressReporter.Style.automatic(quiet: true) == .silent)
        let expected: ProgressReporter.Style = Console.isTerminal(STDERR_FILENO) && getenv("TERM").map { String(cString: $0) } != "dumb" ? .terminal : .lines
        #expect(ProgressReporter.Style.automatic(quiet: false) == expected)
    }
}
