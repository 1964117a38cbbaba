import Testing
@testable import CotrainTensor

/// The pieces together: composed gradients, optimisation, determinism, allocation.
@Suite struct TrainingTests {
    @Test("a 2-layer transformer's gradients match finite differences")
    func composedGradients() {
        let model = TinyTransformer(vocab: 11, width: 16, heads: 2, layers: 2, context: 6, seed: 1)
        let data = TokenBatch(batch: 3, length: 6, vocab: 11, seed: 2)
        let keyMask = Tensor(shape: Shape(3, 6), values: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1])
        GradCheck.check(model.parameters.map(\.tensor), eps: 1e-2, tolerance: 5e-3, samples: 6) { tape in
            let logits = model.logits(tape, tokens: data.tokens, batch: 3, keyMask: keyMask)
            return tape.crossEntropy(logits, targets: data.targets, weights: data.weights)
        }
    }

    /// Trains `model` on one fixed batch; returns the loss of each step.
    static func train(
        _ model: TinyTransformer, _ data: TokenBatch, steps: Int, threads: Int, microBatches: Int = 1,
        tape: Tape? = nil
    ) -> [Float] {
        let tape = tape ?? Tape(threads: threads)
        var config = AdamW.Configuration()
        config.groups["decay"] = AdamW.Group(learningRateScale: 1, weightDecay: true)
        let opt = AdamW(parameters: model.parameters, configuration: config, threads: threads)
        let schedule = CosineSchedule(peak: 1e-2, warmupSteps: min(10, steps), totalSteps: steps, finalRatio: 0.1)
        var losses: [Float] = []
        for step in 0..<steps {
            var loss: Float = 0
            for _ in 0..<microBatches {
                tape.reset()
                let logits = model.logits(tape, tokens: data.tokens, batch: data.batch)
                let l = tape.crossEntropy(logits, targets: data.targets, weights: data.weights)
                tape.backward(tape.scale(l, 1 / Float(microBatches)))
                loss += l[0] / Float(microBatches)
            }
            opt.step(learningRate: schedule.learningRate(at: step))
            losses.append(loss)
        }
        return losses
    }

    @Test("a small transformer overfits a fixed batch (loss falls ≥ 100×)")
    func overfits() {
        let model = TinyTransformer(vocab: 16, width: 32, heads: 4, layers: 2, context: 8, seed: 3)
        let data = TokenBatch(batch: 8, length: 8, vocab: 16, seed: 4)
        let losses = Self.train(model, data, steps: 300, threads: 2)
        #expect(losses[0] / losses.last! >= 100, "loss \(losses[0]) → \(losses.last!)")
    }

    @Test("same seed and data ⇒ bit-identical parameters, for 1 and 2 threads")
    func deterministic() {
        func run(threads: Int) -> [[Float]] {
            let model = TinyTransformer(vocab: 13, width: 32, heads: 4, layers: 2, context: 9, seed: 5)
            let data = TokenBatch(batch: 5, length: 9, vocab: 13, seed: 6)
            _ = Self.train(model, data, steps: 12, threads: threads)
            return model.parameters.map(\.tensor.values)
        }
        let a = run(threads: 2), b = run(threads: 2), c = run(threads: 1)
        #expect(a == b)
        #expect(a == c)
    }

    @Test("after warm-up a training step allocates no buffers")
    func noAllocationAfterWarmUp() {
        let model = TinyTransformer(vocab: 13, width: 32, heads: 4, layers: 2, context: 9, seed: 7)
        let data = TokenBatch(batch: 4, length: 9, vocab: 13, seed: 8)
        let tape = Tape(threads: 2)
        _ = Self.train(model, data, steps: 1, threads: 2, tape: tape)
        let warm = tape.allocations
        #expect(warm > 0)
        _ = Self.train(model, data, steps: 3, threads: 2, microBatches: 2, tape: tape)
        #expect(tape.allocations == warm)
    }

    @Test("gradient accumulation over micro-batches equals one big batch")
    func accumulation() {
        let model = TinyTransformer(vocab: 7, width: 16, heads: 2, layers: 1, context: 4, seed: 9)
        let data = TokenBatch(batch: 2, length: 4, vocab: 7, seed: 10)
        let tape = Tape(threads: 2)
        func grads(micro: Int) -> [[Float]] {
            for p in model.parameters { p.zeroGrad() }
            for _ in 0..<micro {
                tape.reset()
                let logits = model.logits(tape, tokens: data.tokens, batch: 2)
                tape.backward(tape.scale(tape.crossEntropy(logits, targets: data.targets), 1 / Float(micro)))
            }
            return model.parameters.map(\.tensor.gradient)
        }
        let one = grads(micro: 1), three = grads(micro: 3)
        for (a, b) in zip(one, three) {
            #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-5 * abs($0) })
        }
    }
}
