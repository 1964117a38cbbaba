// Progress lines and seed derivation used by the data jobs.
import Testing
@testable import CotrainData

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
        let line = meter.line(done: 50)
        #expect(line.hasPrefix("50/200 episodes (25%)") && line.contains("episodes/s") && line.contains("ETA"))
        #expect(meter.line(done: 200).contains(" in "))
    }

    @Test func derivedSeedsAreDistinctAndStable() {
        let seeds = (0..<1000).map { mixSeed(1, UInt64($0)) }
        #expect(Set(seeds).count == 1000)
        #expect(mixSeed(1, 0) == mixSeed(1, 0) && mixSeed(1, 0) != mixSeed(2, 0))
    }
}
