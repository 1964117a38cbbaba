// Whole runs of the trainer on a tiny model: phases switch at the right step with
// their own learning rates, a run interrupted and resumed equals one that never
// stopped (checkpoint bytes and log), and misuse of an output directory is refused.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime

@Suite struct TrainerRunTests {
    let data = SamplerFixture.shared.data

    func options(_ dir: String, resume: Bool = false, interval: Int = 3) -> TrainerOptions {
        var o = TrainerOptions(outputDirectory: dir)
        o.resume = resume
        o.threads = 2
        o.checkpointInterval = interval
        return o
    }

    /// The log as parsed lines.
    func logLines(_ dir: String) throws -> [JSONValue] {
        let text = String(decoding: try bytes("\(dir)/training-log.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }

    @Test("phases switch at the right step, each with its own mixture, switches and learning-rate schedule")
    func phaseSwitching() throws {
        let scratch = Scratch("cotrain-trainer")
        let recipe = try tinyRecipe("[" + trainPhase("first", steps: 3, batch: 8, lr: 0.004, warmup: 2, #"{"robot":1,"cross_embodiment":1}"#, #"{"dense_annotations":true}"#)
            + "," + trainPhase("second", steps: 4, batch: 6, lr: 0.001, #"{"vl":1}"#) + "]")
        let trainer = try Trainer(recipe: recipe, data: data, options: options(scratch.path))
        var phases: [String] = []
        let result = try trainer.run { phases.append($0.phase) }
        #expect(phases == ["first", "first", "first", "second", "second", "second", "second"])
        #expect(result.step == 7 && !result.interrupted)
        let log = try logLines(scratch.path)
        #expect(log.map { $0["phase"]?.string ?? "" } == phases)
        // Warm-up (0.002, 0.004) then cosine in "first"; "second" starts at its own peak and decays.
        let lr = log.map { Float($0["lr"]!.double!) }
        func near(_ x: Float, _ y: Float) -> Bool { abs(x - y) < 1e-9 }
        #expect(near(lr[0], 0.002) && near(lr[1], 0.004) && near(lr[2], 0.004) && near(lr[3], 0.001))
        #expect(lr[4] < lr[3] && lr[5] < lr[4] && lr[6] < lr[5] && lr[6] > 0.0001)
        // Phase one: robot + cross-embodiment actions with annotation text; phase two: VL text only.
        for line in log.prefix(3) { #expect(line["action_samples"]?.int == 8 && line["text_samples"]?.int == 8) }
        for line in log.suffix(4) { #expect(line["action_samples"]?.int == 0 && (line["text_samples"]?.int ?? 0) > 0) }
        #expect(trainer.model.config.embodiments.map(\.name) == ["panda", "ur5e"])
    }

    @Test("a run interrupted and resumed ends bit for bit where an uninterrupted run does")
    func resumeEqualsUninterrupted() throws {
        let scratch = Scratch("cotrain-resume")
        let recipe = try tinyRecipe("[" + trainPhase("a", steps: 5, batch: 6, lr: 0.003, warmup: 2, #"{"robot":2,"vl":1}"#, #"{"dense_annotations":true}"#)
            + "," + trainPhase("b", steps: 4, batch: 6, #"{"robot":1,"vl":1}"#) + "]")
        let whole = scratch.file("whole"), split = scratch.file("split")
        _ = try Trainer(recipe: recipe, data: data, options: options(whole)).run()

        // Stop after step 4 (a checkpoint is written at the stop), as Ctrl-C would.
        let first = try trainInterrupted(recipe, data: data, options: options(split), after: 4)
        #expect(first.interrupted && first.step == 4)
        // A crash after the log was written but before the next checkpoint leaves extra lines.
        let extra = #"{"step":4,"phase":"a","loss":9}"# + "\n"
        try overwrite("\(split)/training-log.jsonl", try bytes("\(split)/training-log.jsonl") + Array(extra.utf8))

        let resumed = try Trainer(recipe: recipe, data: data, options: options(split, resume: true))
        #expect(resumed.startStep == 4)
        let second = try resumed.run()
        #expect(!second.interrupted && second.step == 9 && second.sessionSteps == 5)
        #expect(try bytes("\(whole)/checkpoint.safetensors") == bytes("\(split)/checkpoint.safetensors"))
        #expect(try bytes("\(whole)/training-log.jsonl") == bytes("\(split)/training-log.jsonl"))
    }

    @Test("an output directory with a run needs --resume, and resuming needs the same recipe")
    func outputDirectoryGuards() throws {
        let scratch = Scratch("cotrain-guards")
        let recipe = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        _ = try Trainer(recipe: recipe, data: data, options: options(scratch.path)).run()
        #expect(throws: TrainerError.checkpointExists(scratch.path)) {
            try Trainer(recipe: recipe, data: data, options: options(scratch.path))
        }
        let other = try tinyRecipe("[" + trainPhase("a", steps: 3, batch: 4, #"{"robot":1}"#) + "]")
        #expect {
            try Trainer(recipe: other, data: data, options: options(scratch.path, resume: true))
        } throws: { error in
            if case TrainerError.recipeChanged = error { return true }
            return false
        }
        // A finished run resumed has nothing left to do and changes nothing.
        let before = try bytes(scratch.file("checkpoint.safetensors"))
        let again = try Trainer(recipe: recipe, data: data, options: options(scratch.path, resume: true)).run()
        #expect(again.sessionSteps == 0 && again.step == 2)
        #expect(try bytes(scratch.file("checkpoint.safetensors")) == before)
    }

    @Test("a recipe whose data is missing is refused before training, naming the phase and the fix")
    func missingData() throws {
        let scratch = Scratch("cotrain-missing")
        let robotOnly = TrainingData(ownEmbodiment: .ur5e, episodes: [], vlSamples: data.vlSamples)
        let recipe = try tinyRecipe("[" + trainPhase("main", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        #expect {
            try Trainer(recipe: recipe, data: robotOnly, options: options(scratch.path))
        } throws: { error in
            "\(error)".contains("phase \"main\" uses robot") && "\(error)".contains("cotrain data collect")
        }
    }
}
