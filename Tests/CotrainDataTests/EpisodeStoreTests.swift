// Episode store: round trips, determinism, several embodiments, and corruption
// detection (bit flips, truncation, index mismatches) with recovery by rebuild.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainSim

@Suite struct EpisodeStoreTests {
    @Test func roundTripMatchesTheRecordedEpisode() throws {
        let dir = Scratch()
        let plan = smallPlan(.ur5e, [.pick, .place], count: 2, seed: 11)
        let store = try collect(plan, into: dir.path)
        #expect(store.index.entries.count == 2)
        let reopened = try EpisodeStore.open(at: dir.path)
        #expect(reopened.index == store.index)
        for i in 0..<2 {
            let (family, _, seed) = plan.episode(i)
            let expected = ScriptedExpert.record(
                embodiment: .ur5e, task: TaskSpec(family, scene: plan.scene), seed: seed,
                config: SimConfig(imageWidth: testImageSize, imageHeight: testImageSize))
            let entry = try #require(reopened.index.entries.first { $0.seed == seed })
            let episode = try reopened.open(entry)
            #expect(episode.images() == expected.images)
            #expect(episode.proprioRows() == expected.proprio)
            #expect(episode.actionRows() == expected.actions)
            #expect(episode.metadata.annotations == expected.annotations)
            #expect(episode.metadata.instruction == expected.instruction)
            #expect(episode.metadata.success == expected.success)
            #expect(episode.metadata.family == family && episode.metadata.source == "sim")
            #expect(entry.steps == expected.steps)
        }
    }

    @Test func collectIsDeterministic() throws {
        let a = Scratch(), b = Scratch(), c = Scratch()
        var plan = smallPlan(.panda, count: 3, seed: 5)
        plan.shifts = ["lighting", "camera"]
        try collect(plan, into: a.path)
        try collect(plan, into: b.path)
        plan.seed = 6
        try collect(plan, into: c.path)
        for name in ["index.json", "stats.json"] { #expect(try bytes(a.file(name)) == bytes(b.file(name))) }
        let files = try FileManager.default.contentsOfDirectory(atPath: a.file("episodes")).sorted()
        #expect(files == (try FileManager.default.contentsOfDirectory(atPath: b.file("episodes")).sorted()))
        for f in files { #expect(try bytes(a.file("episodes/\(f)")) == bytes(b.file("episodes/\(f)"))) }
        #expect(try bytes(a.file("index.json")) != bytes(c.file("index.json")))
        let shifts = try EpisodeStore.open(at: a.path).index.entries.map { try EpisodeStore.open(at: a.path).open($0).metadata.shifts }
        #expect(Set(shifts.flatMap { $0 }) == ["lighting", "camera"])
    }

    @Test func collectPlanRejectsNoiseFractionsOutsideZeroToOne() {
        for (perturbation, misses, word) in [(Float(-0.1), Float(0), "--perturbation"), (0, 1.5, "--misses"), (0, .nan, "--misses")] {
            var plan = smallPlan(.ur5e, count: 1, seed: 1)
            (plan.perturbation, plan.misses) = (perturbation, misses)
            #expect { try plan.validate() } throws: { "\($0)".contains(word) }
        }
        for steps in [-1, 65] {
            var plan = smallPlan(.ur5e, count: 1, seed: 1)
            plan.afterSuccess = steps
            #expect { try plan.validate() } throws: { "\($0)".contains("--after-success") }
        }
    }

    @Test func severalEmbodimentsShareAStoreAndSummarise() throws {
        let dir = Scratch()
        try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 1), into: dir.path)
        try collect(smallPlan(.hand, [.pick], count: 1, seed: 2), into: dir.path)
        let store = try collect(smallPlan(.scara, [.push], count: 1, seed: 3, source: "lab"), into: dir.path)
        let rows = store.summary()
        #expect(rows.map { "\($0.source)/\($0.embodiment.rawValue)/\($0.family.rawValue)" } == ["lab/scara/push", "sim/hand/pick", "sim/ur5e/pick"])
        #expect(rows[2].episodes == 2 && rows[2].steps > 0 && rows[2].bytes > 0)
        #expect(store.verify().isClean)
        let stats = try DataStatistics.load(store: store)
        #expect(stats.groups.count == 3)
        let hand = try store.open(store.entries(embodiment: .hand)[0])
        #expect(hand.metadata.actionDimension == 7)  // 6-DoF EE pose + grasp
    }

    @Test func bitFlipIsDetected() throws {
        let dir = Scratch()
        let store = try collect(smallPlan(.ur5e, count: 1, seed: 9), into: dir.path)
        let entry = store.index.entries[0]
        var data = try bytes(store.path(of: entry))
        data[data.count - 100] ^= 0x04
        try overwrite(store.path(of: entry), data)
        #expect(throws: DataError.self) { try store.open(entry) }
        let report = store.verify()
        #expect(report.good == 0)
        guard case .episodeHashMismatch = report.problems.first else {
            Issue.record("expected a hash mismatch, got \(report.problems)"); return
        }
    }

    @Test func truncationIsDetected() throws {
        let dir = Scratch()
        let store = try collect(smallPlan(.gantry, count: 1, seed: 4), into: dir.path)
        let entry = store.index.entries[0]
        try overwrite(store.path(of: entry), Array(try bytes(store.path(of: entry)).prefix(1000)))
        guard case .episodeSizeMismatch(_, let expected, let actual) = store.verify().problems.first else {
            Issue.record("expected a size mismatch"); return
        }
        #expect(expected == entry.bytes && actual == 1000)
        // Unverified opening still refuses the file: the safetensors reader checks sizes.
        #expect(throws: (any Error).self) { try store.open(entry, verify: false) }
    }

    @Test func indexMismatchesAreReportedAndRebuildFixesThem() throws {
        let dir = Scratch()
        let store = try collect(smallPlan(.ur5e, count: 3, seed: 2), into: dir.path)
        // Drop one entry from the index: its file becomes unindexed.
        let dropped = store.index.entries[0]
        try AtomicFile.write(EpisodeIndex(entries: Array(store.index.entries.dropFirst())).json.prettyBytes, to: store.indexPath)
        // Remove another entry's file: the index lists a missing file.
        let missing = store.index.entries[1]
        try FileManager.default.removeItem(atPath: store.path(of: missing))
        // Garbage that looks like an episode file.
        try overwrite(dir.file("episodes/junk.safetensors"), Array("not a safetensors file".utf8))
        let problems = try EpisodeStore.open(at: dir.path).verify().problems.map(\.description)
        #expect(problems.count == 3)
        #expect(problems.contains { $0.contains(dropped.file) && $0.contains("not in the index") })
        #expect(problems.contains { $0.contains(missing.file) && $0.contains("missing") })
        // Stale statistics are refused rather than used.
        #expect(throws: DataError.self) { try DataStatistics.load(store: try EpisodeStore.open(at: dir.path)) }

        let (rebuilt, quarantined) = try EpisodeStore.rebuildIndex(at: dir.path)
        #expect(quarantined.count == 1)
        #expect(rebuilt.index.entries.map(\.file) == [dropped.file, store.index.entries[2].file].sorted())
        #expect(rebuilt.verify().isClean)
        #expect(FileManager.default.fileExists(atPath: dir.file("quarantine/junk.safetensors")))
    }

    @Test func malformedIndexIsAnErrorThatSaysHowToRebuild() throws {
        let dir = Scratch()
        try collect(smallPlan(.ur5e, count: 1, seed: 2), into: dir.path)
        try overwrite(dir.file("index.json"), Array(#"{"format":"cotrain.episode-index.v1","episodes":[],"extra":1}"#.utf8))
        let error = #expect(throws: DataError.self) { try EpisodeStore.open(at: dir.path) }
        #expect(error?.description.contains("extra") == true)
        #expect(error?.description.contains("--rebuild-index") == true)
        #expect(throws: DataError.notAStore(dir.file("nothing"))) { try EpisodeStore.open(at: dir.file("nothing")) }
    }
}
