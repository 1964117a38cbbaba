import Testing
@testable import CotrainPolicy

@Suite struct NormalizationTests {
    @Test("fit takes the 2nd and 98th percentiles per dimension (linear interpolation)")
    func percentiles() throws {
        let samples = (0...100).map { i in [Float(i), Float(100 - i) * 2, 5] }
        let stats = try NormalizationStats.fit(samples)
        #expect(stats.low == [2, 4, 5] && stats.high == [98, 196, 5])
        let small = try NormalizationStats.fit([[0], [10]])
        #expect(abs(small.low[0] - 0.2) < 1e-6 && abs(small.high[0] - 9.8) < 1e-5)
    }

    @Test("the range maps to [−1, 1], outliers clip at ±1.5, and denormalize inverts")
    func mapping() {
        let stats = NormalizationStats(low: [0, -2, 3], high: [10, 2, 3])
        #expect(stats.normalize([0, -2, 3]) == [-1, -1, 0])
        #expect(stats.normalize([10, 2, 7]) == [1, 1, 0])
        #expect(stats.normalize([5, 0, 3]) == [0, 0, 0])
        #expect(stats.normalize([100, -50, 3]) == [1.5, -1.5, 0])
        let x: [Float] = [2.5, 1.25, 3]
        let back = stats.denormalize(stats.normalize(x))
        #expect(zip(back, x).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("companding maps about zero: small actions spread out, the extremes stay at ±1, denormalize inverts and never exceeds the data's largest")
    func companding() throws {
        var stats = NormalizationStats(low: [-0.04, -0.02, -1, 0.5], high: [0.05, 0.02, 1, 0.5])
        stats.power = 0.5
        let y = stats.normalize([0.005, -0.02, 1, 0.5])
        // s = 0.05: 0.005 → √0.1; −0.02 of s 0.02 → −1; the gripper's ±1 stays; a constant dimension maps to 0.
        #expect(abs(y[0] - Float(0.1).squareRoot()) < 1e-6 && y[1] == -1 && y[2] == 1 && y[3] == 0)
        #expect(stats.normalize([0, 0, 0, 0.5])[0] == 0)
        let linear = stats.linear.normalize([0.005, -0.02, 1, 0.5])
        #expect(y[0] > linear[0] + 0.15 && stats.linear.power == nil)
        for x: [Float] in [[0.003, -0.011, -0.4, 0.5], [-0.04, 0.0001, 0.9, 0.5]] {
            let back = stats.denormalize(stats.normalize(x))
            #expect(zip(back, x).allSatisfy { abs($0 - $1) < 1e-6 }, "\(x) → \(back)")
        }
        // Clipped model outputs beyond ±1 denormalise to the largest action, not beyond.
        #expect(stats.denormalize([1.5, -1.5, 1.2, 0]) == [0.05, -0.02, 1, 0.5])
        let both = EmbodimentStats(state: NormalizationStats(low: [0], high: [1]), action: stats)
        #expect(try EmbodimentStats(json: both.json) == both)
        #expect(NormalizationStats(low: [0], high: [1]).json["power"] == nil)
        var bad = both.json.object!
        bad[1].1 = .object([("low", .array([.double(0)])), ("high", .array([.double(1)])), ("power", .double(3))])
        #expect(throws: PolicyError.self) { try EmbodimentStats(json: .object(bad)) }
    }

    @Test("fit rejects empty, ragged and non-finite samples")
    func badInput() {
        #expect(throws: PolicyError.self) { try NormalizationStats.fit([]) }
        #expect(throws: PolicyError.self) { try NormalizationStats.fit([[1, 2], [1]]) }
        #expect(throws: PolicyError.self) { try NormalizationStats.fit([[.nan], [1]]) }
    }

    @Test("stats survive their JSON form bit for bit")
    func json() throws {
        let stats = EmbodimentStats(state: NormalizationStats(low: [0.1, -3.3e-5], high: [1.7, 2e7]),
                                    action: NormalizationStats(low: [-0.123456789], high: [0.987654321]))
        #expect(try EmbodimentStats(json: stats.json) == stats)
    }

    @Test("discrete bins cover [−1, 1] evenly and clamp beyond")
    func bins() {
        #expect(DiscreteActions.bin(-1, bins: 256) == 0 && DiscreteActions.bin(1, bins: 256) == 255)
        #expect(DiscreteActions.bin(-1.4, bins: 256) == 0 && DiscreteActions.bin(0, bins: 256) == 128)
        #expect(DiscreteActions.bin(DiscreteActions.center(37, bins: 256), bins: 256) == 37)
    }
}
