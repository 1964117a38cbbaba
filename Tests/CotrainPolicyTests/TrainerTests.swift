import CotrainTensor
import Testing
@testable import CotrainPolicy

@Suite struct TrainerTests {
    @Test("after warm-up, steps allocate no buffers, whatever the batches' text lengths")
    func steadyState() throws {
        let model = Fixture.model()
        let trainer = try PolicyTrainer(model: model, seed: 1, threads: 2)
        var rng = Xoshiro256(seed: 1)
        func batch(_ target: String?) -> PolicyBatch {
            PolicyBatch([Fixture.robot(Fixture.armA, &rng, target: target), Fixture.robot(Fixture.armB, &rng), Fixture.vl(&rng)])
        }
        _ = try trainer.step(batch(nil), learningRate: 1e-3)
        let warm = trainer.tape.allocations
        for target in ["move to the cube", nil, "grasp the ball and lift it up high"] {
            _ = try trainer.step(batch(target), learningRate: 1e-3)
        }
        #expect(trainer.tape.allocations == warm)
    }

    @Test("gradient accumulation over micro-batches: each draws its own noise, one update")
    func accumulation() throws {
        let model = Fixture.model()
        let trainer = try PolicyTrainer(model: model, seed: 1, threads: 2)
        let batch = Fixture.mixedBatch()
        let (a, _) = try trainer.accumulateGradients(batch, scale: 0.5, microBatch: 0)
        let (b, _) = try trainer.accumulateGradients(batch, scale: 0.5, microBatch: 1)
        #expect(a.action != b.action && a.text == b.text)
        #expect(try trainer.evaluate(batch).text == a.text)  // no gradients, parameters untouched
        let before = model.parameters[0].tensor.values
        trainer.update(learningRate: 1e-3)
        #expect(trainer.step == 1 && model.parameters[0].tensor.values != before)
    }
}
