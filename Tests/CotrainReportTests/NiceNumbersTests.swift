import Testing
@testable import CotrainReport

@Suite struct NiceNumbersTests {
    @Test(arguments: [
        (1.0, 5, 0.2), (10.0, 5, 2.0), (7.0, 5, 2.0), (0.93, 5, 0.2), (100.0, 4, 50.0), (1000.0, 6, 200.0), (3.0, 10, 0.5), (0.011, 5, 0.005),
    ])
    func stepsAreOneTwoFive(span: Double, count: Int, expected: Double) {
        #expect(NiceNumbers.step(span: span, count: count) == expected)
    }

    @Test func ticksAreExactMultiples() {
        #expect(NiceNumbers.ticks(lower: 0, upper: 1, count: 5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(NiceNumbers.ticks(lower: 0, upper: 0.3, count: 3) == [0, 0.1, 0.2, 0.3])
        #expect(NiceNumbers.ticks(lower: 1, upper: 600, count: 6) == [100, 200, 300, 400, 500, 600])
        #expect(NiceNumbers.ticks(lower: -7, upper: 7, count: 4) == [-5, 0, 5])
        #expect(NiceNumbers.ticks(lower: 0.13, upper: 0.87, count: 5) == [0.2, 0.4, 0.6, 0.8])
    }

    @Test func domainWidensToStepMultiples() {
        #expect(NiceNumbers.domain(lower: 0.13, upper: 0.87, count: 5) == (0, 1))
        #expect(NiceNumbers.domain(lower: 0, upper: 5.3, count: 5) == (0, 6))
        let flat = NiceNumbers.domain(lower: 2, upper: 2, count: 5)
        #expect(flat.0 < 2 && flat.1 > 2)
        let zero = NiceNumbers.domain(lower: 0, upper: 0, count: 5)
        #expect(zero.0 < 0 && zero.1 > 0)
    }

    @Test func logTicksUseOneTwoFiveOrDecades() {
        #expect(NiceNumbers.logTicks(lower: 0.1, upper: 10) == [0.1, 0.2, 0.5, 1, 2, 5, 10])
        #expect(NiceNumbers.logTicks(lower: 1e-4, upper: 10) == [1e-4, 1e-3, 0.01, 0.1, 1, 10])
        // Narrow span: fewer than three 1-2-5 values, so linear nice ticks instead.
        #expect(NiceNumbers.logTicks(lower: 0.5, upper: 1) == [0.6, 0.8, 1])
        let many = NiceNumbers.logTicks(lower: 1e-10, upper: 1e10)
        #expect(many.count <= 11 && many.first == 1e-10)
    }

    @Test func logDomainSnapsToOneTwoFive() {
        #expect(NiceNumbers.logDomain(lower: 0.083, upper: 5.5) == (0.05, 10))
        #expect(NiceNumbers.logDomain(lower: 1, upper: 2) == (1, 2))
        #expect(NiceNumbers.logDomain(lower: 0.3, upper: 0.3) == (0.2, 5))
    }
}

@Suite struct ScaleTests {
    @Test func linearMapsEndsAndMiddle() {
        let y = LinearScale(lower: 0, upper: 1, start: 200, end: 20, nice: false)
        #expect(y.position(0) == 200)
        #expect(y.position(1) == 20)
        #expect(y.position(0.5) == 110)
        #expect(y.ticks.map(y.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        var percent = y
        percent.percent = true
        #expect(percent.ticks.map(percent.label) == ["0%", "20%", "40%", "60%", "80%", "100%"])
    }

    @Test func linearNiceDomainCoversData() {
        let x = LinearScale(lower: 3, upper: 97, start: 0, end: 100, tickCount: 5)
        #expect(x.domain.lower == 0 && x.domain.upper == 100)
        #expect(x.position(50) == 50)
    }

    @Test func logMapsDecadesEvenly() {
        let y = LogScale(lower: 0.01, upper: 10, start: 300, end: 0)
        #expect(y.domain.lower == 0.01 && y.domain.upper == 10)
        #expect(abs(y.position(0.1) - 200) < 1e-9)
        #expect(abs(y.position(1) - 100) < 1e-9)
        #expect(y.position(0) == 300)  // non-positive values sit at the bottom
        #expect(y.label(0.01) == "0.01" && y.label(0.05) == "0.05" && y.label(2) == "2")
    }

    @Test func tickLabels() {
        #expect(NumberText.tick(20_000, step: 5000) == "20k")
        #expect(NumberText.tick(0.30000000000000004, step: 0.1) == "0.3")
        #expect(NumberText.tick(-2, step: 1) == "-2")
        #expect(LinearScale(lower: -2, upper: 2, start: 0, end: 1, tickCount: 4).label(-2) == "−2")
    }
}
