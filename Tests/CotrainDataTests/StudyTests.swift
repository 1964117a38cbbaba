// The study runner at toy size: built-in data is built once and reused, recipes train
// from a shared VL base, every policy runs the same suite episodes, the report compares
// them with the baseline and carries the VL probe, and a second run continues.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainRuntime
import CotrainSim

@Suite(.serialized) struct StudyTests {
    /// Two tiny recipes with the same model, distinguished by their data.
    func recipes() throws -> [Recipe] {
        var robot = try tinyRecipe("[" + trainPhase("main", steps: 12, batch: 8, lr: 0.003, warmup: 2, #"{"robot":1}"#) + "]")
        robot.name = "robot-only"
        var vl = try tinyRecipe("[" + trainPhase("main", steps: 12, batch: 8, lr: 0.003, warmup: 2, #"{"robot":0.6,"vl":0.4}"#) + "]")
        (vl.name, vl.question) = ("vl", "does VL help?")
        return [robot, vl]
    }

    func suite() -> EvaluationSuite {
        let c = EvalCondition.builtIn
        return EvaluationSuite(name: "toy", tasks: [TaskSpec(.pick)], conditions: [c["nominal"]!, c["paraphrase"]!],
                               unseenTasks: [TaskSpec(.push)], episodes: 2)
    }

    @Test("a study trains from a shared base, evaluates every recipe on the same episodes, and reports")
    func runsAndReports() throws {
        let scratch = Scratch("cotrain-study")
        let fixture = SamplerFixture.shared.scratch
        var plan = StudyPlan(recipes: try recipes(), suite: suite(), outputDirectory: scratch.path)
        (plan.episodeStores, plan.vlStores) = ([fixture.file("episodes")], [fixture.file("vl")])
        (plan.baseSteps, plan.threads) = (6, 2)
        var lines: [String] = []
        let report = try Study.run(plan, log: { lines.append($0) })
        #expect(report.entries.map(\.recipe.name) == ["robot-only", "vl"] && report.baseline?.recipe.name == "robot-only")
        #expect(report.conditions == ["nominal", "paraphrase", "unseen_task"])
        for e in report.entries {
            #expect(e.runs.count == 1)
            let run = e.runs[0]
            #expect(run.training.step == 12 && run.evaluation.episodeCount == 6 && e.probe.total > 0)
            // Same seeds for every policy: the comparison is paired.
            #expect(run.evaluation.cells.map { $0.episodes.map(\.seed) } == report.entries[0].runs[0].evaluation.cells.map { $0.episodes.map(\.seed) })
        }
        let vl = report.entries[1]
        #expect(report.comparison(vl, condition: "nominal")?.pairedPValue != nil)
        #expect(report.probeComparison(vl)?.pairedPValue != nil && report.baseProbe != nil)
        for file in ["study.json", "study.md", "base/checkpoint.safetensors", "runs/vl/eval.json", "runs/robot-only/run.json"] {
            #expect(FileManager.default.fileExists(atPath: scratch.file(file)), "\(file) is missing")
        }
        let json = try JSONValue.parse(try bytes(scratch.file("study.json")))
        #expect(json["format"]?.string == "cotrain.study.v2" && json["recipes"]?.array?.count == 2)
        #expect(json["seeds"]?.array?.count == 1 && json["recipes"]?[0]?["runs"]?.array?.count == 1)
        #expect(json["recipes"]?[1]?["conditions"]?[0]?["vs_baseline"]?["verdict"]?.string != nil)
        let markdown = String(decoding: try bytes(scratch.file("study.md")), as: UTF8.self)
        for heading in ["## Success per condition", "## Differences against robot-only", "## Vision-language knowledge", "does VL help?"] {
            #expect(markdown.contains(heading), "study.md lacks \(heading)")
        }

        // Running it again continues: nothing is retrained and the results are the same.
        let again = try Study.run(plan)
        #expect(again.entries.allSatisfy { $0.runs[0].training.sessionSteps == 0 })
        #expect(again.json["recipes"]?[1]?["conditions"] == report.json["recipes"]?[1]?["conditions"])
    }

    @Test("with several seeds every recipe and the base train once per seed; success and the probe pool the runs, paired run by run")
    func severalSeeds() throws {
        let scratch = Scratch("cotrain-study-seeds")
        let fixture = SamplerFixture.shared.scratch
        var plan = StudyPlan(recipes: try recipes(), suite: suite(), outputDirectory: scratch.path)
        (plan.episodeStores, plan.vlStores) = ([fixture.file("episodes")], [fixture.file("vl")])
        (plan.baseSteps, plan.threads, plan.seeds) = (4, 2, [3, 4])
        plan.stepScale = 0.5
        let report = try Study.run(plan)
        #expect(report.seeds == [3, 4])
        for e in report.entries {
            #expect(e.runs.map(\.seed) == [3, 4] && e.runs.allSatisfy { $0.training.step == 6 })
            #expect(e.overall.trials == 12 && e.overall.successes == e.runs.map(\.evaluation.overall.successes).reduce(0, +))
            #expect(e.probe.total == 2 * e.runs[0].probe.total && e.probe.outcomes == e.runs[0].probe.outcomes + e.runs[1].probe.outcomes)
        }
        // The two seeds train different policies from different bases.
        for dir in ["base/seed-3", "base/seed-4", "runs/vl/seed-3", "runs/vl/seed-4", "runs/robot-only/seed-4"] {
            #expect(FileManager.default.fileExists(atPath: scratch.file("\(dir)/checkpoint.safetensors")), "\(dir) is missing")
        }
        #expect(try bytes(scratch.file("runs/vl/seed-3/checkpoint.safetensors")) != bytes(scratch.file("runs/vl/seed-4/checkpoint.safetensors")))
        let vl = report.entries[1]
        let nominal = try #require(report.comparison(vl, condition: "nominal"))
        #expect(nominal.pairedPValue != nil && nominal.a.trials == 4)
        let json = report.json
        #expect(json["seeds"]?.array?.compactMap(\.int) == [3, 4])
        #expect(json["recipes"]?[1]?["runs"]?.array?.compactMap { $0["seed"]?.int } == [3, 4])
        #expect(json["recipes"]?[1]?["runs"]?[0]?["recipe_sha256"] != json["recipes"]?[1]?["runs"]?[1]?["recipe_sha256"])
        #expect(report.markdown.contains("## Per training seed") && report.markdown.contains("; probe ") && report.markdown.contains("| vl | 4 | 6 |"))
        plan.seeds = [3, 3]
        #expect(throws: TrainerError.self) { try plan.validate() }
    }

    @Test("recipes of different model sizes cannot share a base; step scaling keeps warm-up within the phase")
    func planChecks() throws {
        var rs = try recipes()
        rs[1].model.width = 64
        var plan = StudyPlan(recipes: rs, suite: suite(), outputDirectory: "/nonexistent")
        plan.baseSteps = 10
        #expect(throws: TrainerError.self) { try plan.validate() }
        plan.baseSteps = 0
        try plan.validate()
        plan.stepScale = 0.1
        #expect(plan.trainedRecipes().allSatisfy { $0.phases.allSatisfy { $0.steps >= 1 && $0.warmup <= $0.steps } })
        #expect(plan.trainedRecipes()[0].phases[0].steps == 1)
        #expect(plan.trainedRecipes(seed: 9).allSatisfy { $0.seed == 9 })
    }

    @Test("built-in study data is built once, reused, and refused when the plan changed")
    func builtInData() throws {
        let scratch = Scratch("cotrain-study-data")
        var data = StudyDataPlan()
        (data.robotEpisodes, data.crossEmbodimentEpisodes, data.humanVideoEpisodes) = (4, 2, 2)
        (data.vlSamples, data.probeSamples, data.imageSize) = (8, 2, testImageSize)
        let (episodes, vl) = try data.build(in: scratch.path)
        let store = try EpisodeStore.open(at: episodes)
        #expect(store.index.entries.count == 8 && Set(store.index.entries.map(\.embodiment)) == [.ur5e, .panda, .hand])
        #expect(try VLShardStore.open(at: vl).samples(split: "probe").count == 2)
        let before = try bytes("\(episodes)/index.json")
        _ = try data.build(in: scratch.path)
        #expect(try bytes("\(episodes)/index.json") == before)
        data.robotEpisodes = 5
        #expect(throws: DataError.self) { try data.build(in: scratch.path) }
    }
}
