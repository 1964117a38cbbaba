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
            #expect(e.training.step == 12 && e.evaluation.episodeCount == 6 && e.probe.total > 0)
            // Same seeds for every policy: the comparison is paired.
            #expect(e.evaluation.cells.map { $0.episodes.map(\.seed) } == report.entries[0].evaluation.cells.map { $0.episodes.map(\.seed) })
        }
        let vl = report.entries[1]
        #expect(report.comparison(vl, condition: "nominal")?.pairedPValue != nil)
        #expect(report.probeComparison(vl)?.pairedPValue != nil && report.baseProbe != nil)
        for file in ["study.json", "study.md", "base/checkpoint.safetensors", "runs/vl/eval.json", "runs/robot-only/run.json"] {
            #expect(FileManager.default.fileExists(atPath: scratch.file(file)), "\(file) is missing")
        }
        let json = try JSONValue.parse(try bytes(scratch.file("study.json")))
        #expect(json["format"]?.string == "cotrain.study.v1" && json["recipes"]?.array?.count == 2)
        #expect(json["recipes"]?[1]?["conditions"]?[0]?["vs_baseline"]?["verdict"]?.string != nil)
        let markdown = String(decoding: try bytes(scratch.file("study.md")), as: UTF8.self)
        for heading in ["## Success per condition", "## Differences against robot-only", "## Vision-language knowledge", "does VL help?"] {
            #expect(markdown.contains(heading), "study.md lacks \(heading)")
        }

        // Running it again continues: nothing is retrained and the results are the same.
        let again = try Study.run(plan)
        #expect(again.entries.allSatisfy { $0.training.sessionSteps == 0 })
        #expect(again.json["recipes"]?[1]?["conditions"] == report.json["recipes"]?[1]?["conditions"])
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
        #expect(plan.trainedRecipes.allSatisfy { $0.phases.allSatisfy { $0.steps >= 1 && $0.warmup <= $0.steps } })
        #expect(plan.trainedRecipes[0].phases[0].steps == 1)
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
