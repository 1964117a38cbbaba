// Weight averaging (`ema_decay` in a recipe): the checkpoint's policy is the moving
// average of the weights along the run, training itself is unchanged, a resumed run
// equals an uninterrupted one, and the recipe key is validated.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
@testable import CotrainPolicy
import CotrainRuntime

@Suite struct WeightAverageTests {
    let data = SamplerFixture.shared.data

    func options(_ dir: String, resume: Bool = false) -> TrainerOptions {
        var o = TrainerOptions(outputDirectory: dir)
        o.resume = resume
        o.threads = 2
        o.checkpointInterval = 3
        return o
    }

    func recipe(decay: Double) throws -> Recipe {
        var r = try tinyRecipe("[" + trainPhase("a", steps: 7, batch: 6, lr: 0.003, warmup: 2, #"{"robot":2,"vl":1}"#) + "]")
        r.emaDecay = decay
        try r.validate()
        return r
    }

    @Test("the checkpoint holds the moving average of the weights along the run; the live weights train exactly as without it")
    func checkpointHoldsTheAverage() throws {
        let scratch = Scratch("cotrain-ema")
        // Without averaging: the weights after every step.
        let plain = try Trainer(recipe: try recipe(decay: 0), data: data, options: options(scratch.file("plain")))
        var trajectory: [[[Float]]] = []
        _ = try plain.run { _ in trajectory.append(plain.model.parameters.map(\.tensor.values)) }
        #expect(trajectory.count == 7)

        let averaged = try Trainer(recipe: try recipe(decay: 0.9), data: data, options: options(scratch.file("ema")))
        _ = try averaged.run()
        let saved = try PolicyCheckpoint.load(path: scratch.file("ema/checkpoint.safetensors"))
        let stored = try #require(saved.optimizer?.average)
        #expect(abs(stored.decay - 0.9) < 1e-6)
        // The live weights are those of the run without averaging, bit for bit.
        for (k, p) in plain.model.parameters.enumerated() { #expect(stored.live[p.name] == trajectory[6][k], "\(p.name)") }

        // The model's weights are the average: start at the initial weights (the
        // trajectory's start is the fresh model, rebuilt from the same seed), then
        // fold in every step's weights with decay min(0.9, (1 + n) / (10 + n)).
        let fresh = try Trainer(recipe: try recipe(decay: 0), data: data, options: options(scratch.file("fresh")))
        var expected = fresh.model.parameters.map(\.tensor.values)
        for (n, weights) in trajectory.enumerated() {
            let d = min(Float(0.9), Float(1 + n) / Float(10 + n))
            for k in expected.indices { for i in expected[k].indices { expected[k][i] = d * expected[k][i] + (1 - d) * weights[k][i] } }
        }
        var worst: Float = 0, moved = false
        for (k, p) in saved.model.parameters.enumerated() {
            for (a, b) in zip(p.tensor.values, expected[k]) { worst = max(worst, abs(a - b)) }
            if p.tensor.values != trajectory[6][k] { moved = true }
        }
        #expect(worst < 1e-5, "largest difference from the hand-computed average: \(worst)")
        #expect(moved, "the averaged weights differ from the last step's")
        // After the run, the trainer's model is the checkpoint's policy.
        for (p, q) in zip(averaged.model.parameters, saved.model.parameters) { #expect(p.tensor.values == q.tensor.values) }
    }

    @Test("with weight averaging, a run interrupted and resumed ends bit for bit where an uninterrupted run does")
    func resumeEqualsUninterrupted() throws {
        let scratch = Scratch("cotrain-ema-resume")
        let r = try recipe(decay: 0.8)
        let whole = scratch.file("whole"), split = scratch.file("split")
        _ = try Trainer(recipe: r, data: data, options: options(whole)).run()
        let first = try trainInterrupted(r, data: data, options: options(split), after: 4)
        #expect(first.interrupted && first.step == 4)
        _ = try Trainer(recipe: r, data: data, options: options(split, resume: true)).run()
        #expect(try bytes("\(whole)/checkpoint.safetensors") == bytes("\(split)/checkpoint.safetensors"))
    }

    @Test("ema_decay: written only when on (recipes without it keep their hash), 0 or within [0.5, 1), needed in the checkpoint to resume")
    func recipeKey() throws {
        let off = try recipe(decay: 0), on = try recipe(decay: 0.999)
        #expect(off.json["ema_decay"] == nil)
        #expect(on.json["ema_decay"]?.double == 0.999)
        #expect(try Recipe(bytes: on.json.prettyBytes) == on)
        #expect(off.hash != on.hash)
        for bad in [0.3, 1.0, -0.1, Double.nan] {
            var r = off
            r.emaDecay = bad
            #expect { try r.validate() } throws: { "\($0)".contains("ema_decay") }
        }
        // A checkpoint without live weights cannot continue an averaged run.
        let scratch = Scratch("cotrain-ema-key")
        _ = try Trainer(recipe: off, data: data, options: options(scratch.path)).run()
        let checkpoint = try PolicyCheckpoint.load(path: scratch.file("checkpoint.safetensors"))
        #expect { try Trainer.resumeAverage(recipe: on, checkpoint: checkpoint, path: "p") } throws: { "\($0)".contains("no live weights") }
    }
}
