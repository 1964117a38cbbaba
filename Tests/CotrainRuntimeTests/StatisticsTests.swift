// Intervals and tests against published values (Newcombe 1998, Table II) and direct
// calculation.
import Testing
@testable import CotrainRuntime

@Suite struct StatisticsTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(a - b) <= tolerance, "\(a) vs \(b)", sourceLocation: sourceLocation)
    }

    @Test func wilsonIntervalsMatchKnownValues() {
        let p = Proportion(successes: 8, trials: 10)
        close(p.lower, 0.4902, 1e-4); close(p.upper, 0.9433, 1e-4)
        let zero = Proportion(successes: 0, trials: 10)
        #expect(zero.lower == 0); close(zero.upper, 0.2775, 1e-4)
        let all = Proportion(successes: 50, trials: 50)
        #expect(all.upper == 1); close(all.lower, 0.9287, 1e-4)
        let none = Proportion(successes: 0, trials: 0)
        #expect(none.lower == 0 && none.upper == 1)
    }

    @Test func newcombeIntervalsMatchThePaper() {
        // Newcombe (1998), method 10: 56/70 − 48/80 and 9/10 − 3/10.
        var (lo, hi) = Statistics.newcombe(Proportion(successes: 56, trials: 70), Proportion(successes: 48, trials: 80))
        close(lo, 0.0524); close(hi, 0.3339)
        (lo, hi) = Statistics.newcombe(Proportion(successes: 9, trials: 10), Proportion(successes: 3, trials: 10))
        close(lo, 0.1705); close(hi, 0.8090)
    }

    @Test func twoProportionTestAndVerdicts() {
        let a = Proportion(successes: 56, trials: 70), b = Proportion(successes: 48, trials: 80)
        close(Statistics.twoProportionPValue(a, b), 0.0080451, 1e-6)
        #expect(RateComparison(a: a, b: b).verdict == .better)
        #expect(RateComparison(a: b, b: a).verdict == .worse)
        let c = RateComparison(a: Proportion(successes: 6, trials: 10), b: Proportion(successes: 5, trials: 10))
        #expect(c.verdict == .noClearDifference)
        #expect(c.sentence("A", "B").hasPrefix("no clear difference between A and B: +10 points"))
        #expect(Statistics.twoProportionPValue(Proportion(successes: 0, trials: 5), Proportion(successes: 0, trials: 5)) == 1)
    }

    @Test func mcNemarExactTest() {
        // 2 · P(X ≤ 1), X ~ Bin(10, 1/2) = 2 · 11/1024.
        close(Statistics.mcNemarPValue(onlyA: 9, onlyB: 1), 22.0 / 1024, 1e-12)
        #expect(Statistics.mcNemarPValue(onlyA: 0, onlyB: 0) == 1)
        #expect(Statistics.mcNemarPValue(onlyA: 3, onlyB: 3) == 1)
        let paired = RateComparison(
            a: Proportion(successes: 9, trials: 10), b: Proportion(successes: 1, trials: 10),
            pairs: (0..<10).map { ($0 < 9, $0 == 9) })
        close(paired.pairedPValue ?? -1, 22.0 / 1024, 1e-12)
    }

    @Test func timingPercentiles() {
        let r = TimingReport(targetPeriod: 0.1, errors: (1...100).map { Double($0) * -0.001 }, policySeconds: [0.01, 0.03])
        close(r.meanError, 0.0505, 1e-9); close(r.p95Error, 0.095, 1e-9); close(r.maxError, 0.1, 1e-9)
        close(r.meanPolicySeconds, 0.02, 1e-12)
        #expect(r.count == 100)
    }
}
