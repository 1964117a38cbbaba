// Normalisation statistics: exact percentiles on known data, the [−1, 1] mapping,
// per-source separation, and the file format.
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainSim

@Suite struct DataStatisticsTests {
    @Test func percentilesMatchNumPyLinearInterpolation() {
        // numpy.percentile(range(101), [2, 98]) == [2, 98]; of [1, 2, 3, 4]: [1.06, 3.94].
        let hundred = (0...100).map(Float.init)
        #expect(DimensionStats.percentile(sorted: hundred, 0.02) == 2)
        #expect(DimensionStats.percentile(sorted: hundred, 0.98) == 98)
        let four: [Float] = [1, 2, 3, 4]
        #expect(abs(DimensionStats.percentile(sorted: four, 0.02) - 1.06) < 1e-9)
        #expect(abs(DimensionStats.percentile(sorted: four, 0.98) - 3.94) < 1e-9)
        #expect(DimensionStats.percentile(sorted: [7], 0.98) == 7)
    }

    @Test func statsArePerDimensionAndOrderIndependent() {
        // Two columns: 0...999 shuffled, and a constant.
        var values = (0..<1000).map(Float.init)
        var rng = SimRandom(seed: 3)
        rng.shuffle(&values)
        let rows: [Float] = values.flatMap { v -> [Float] in [v, 5] }
        let stats = DimensionStats(rows: rows, width: 2)
        #expect(abs(stats.p02[0] - 19.98) < 1e-9 && abs(stats.p98[0] - 979.02) < 1e-9)
        #expect(stats.min == [0, 5] && stats.max == [999, 5] && stats.mean == [499.5, 5])
        #expect(stats.normalise(19.98, dimension: 0) == -1)
        #expect(abs(stats.normalise(499.5, dimension: 0)) < 1e-6)
        #expect(stats.normalise(5000, dimension: 0) == 1.5 && stats.normalise(-5000, dimension: 0) == -1.5)
        #expect(stats.normalise(5, dimension: 1) == 0 && stats.denormalise(0.3, dimension: 1) == 5)
        for x: Float in [100, 250.5, 900] {
            #expect(abs(stats.denormalise(stats.normalise(x, dimension: 0), dimension: 0) - x) < 1e-3)
        }
    }

    @Test("actions normalise over their extremes, so a rare large one stays representable; proprioception over its percentiles")
    func actionsKeepTheirRareExtremes() throws {
        // 96 still steps and a few wrist turns of ±0.25 rad (as a demonstration's turn
        // to a cube's faces): the percentiles would clip the turn to a fraction.
        var rows = [Float](repeating: 0.001, count: 96)
        rows += [0.25, 0.24, -0.25, -0.23]
        var turn = DimensionStats(rows: rows, width: 1)
        #expect(turn.normalise(0.25, dimension: 0) == 1.5)  // percentiles: clipped
        #expect(abs(turn.denormalise(1.5, dimension: 0)) < 0.05)
        turn.range = .extremes
        #expect(turn.normalise(0.25, dimension: 0) == 1 && turn.normalise(-0.25, dimension: 0) == -1)
        #expect(abs(turn.denormalise(turn.normalise(0.24, dimension: 0), dimension: 0) - 0.24) < 1e-6)

        let dir = Scratch()
        let store = try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 1), into: dir.path)
        let group = try DataStatistics.load(store: store).stats(source: "sim", embodiment: .ur5e)
        #expect(group.actions.range == .extremes && group.proprio.range == .percentiles)
        let stats = PolicyAdapter.embodimentStats(group)
        #expect(stats.action.low.map(Double.init) == group.actions.min.map { Double(Float($0)) })
        #expect(stats.state.low.map(Double.init) == group.proprio.p02.map { Double(Float($0)) })
    }

    @Test func sourcesAreNeverPooled() throws {
        let dir = Scratch()
        try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 1, source: "sim"), into: dir.path)
        let store = try collect(smallPlan(.ur5e, [.push], count: 2, seed: 2, source: "arm"), into: dir.path)
        let stats = try DataStatistics.load(store: store)
        #expect(stats.groups.map(\.source) == ["arm", "sim"])
        let arm = try stats.stats(source: "arm", embodiment: .ur5e), sim = try stats.stats(source: "sim", embodiment: .ur5e)
        #expect(arm.episodes == 2 && sim.episodes == 2)
        // Each group equals the statistics of its own episodes alone.
        let simEpisodes = try store.entries(source: "sim").map { try store.open($0) }
        var expected = DimensionStats(rows: simEpisodes.flatMap { $0.actionRows() }, width: 7)
        expected.range = .extremes
        #expect(sim.actions == expected)
        #expect(arm.actions != sim.actions)
        #expect(throws: DataError.self) { try stats.stats(source: "arm", embodiment: .panda) }
    }

    @Test func fileRoundTripsAndStaleStatsAreRefused() throws {
        let dir = Scratch()
        var store = try collect(smallPlan(.scara, [.pick], count: 2, seed: 8), into: dir.path)
        let loaded = try DataStatistics.load(store: store)
        #expect(try DataStatistics(json: JSONValue.parse(bytes(store.statsPath))) == loaded)
        #expect(loaded.indexDigest == store.index.digest)
        // A new episode without recomputing: the statistics no longer describe the store.
        let extra = ScriptedExpert.record(
            embodiment: .scara, task: TaskSpec(.pick), seed: 99, config: SimConfig(imageWidth: 16, imageHeight: 16))
        try store.add(EpisodeRecord(episode: extra, source: "sim", shifts: [], scene: .standard))
        try store.saveIndex()
        let error = #expect(throws: DataError.self) { try DataStatistics.load(store: store) }
        #expect(error?.description.contains("cotrain data stats") == true)
    }
}
