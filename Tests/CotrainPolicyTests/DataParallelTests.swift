import CotrainTensor
import Testing
@testable import CotrainPolicy

/// Data-parallel steps (PolicyTrainer+DataParallel.swift): slices on model replicas.
@Suite struct DataParallelTests {
    /// Eight mixed samples: two of each kind in `Fixture.mixedBatch`, so both halves mix.
    static func batch(seed: UInt64 = 11) -> PolicyBatch {
        PolicyBatch(Fixture.mixedBatch(seed: seed).samples + Fixture.mixedBatch(seed: seed + 1).samples)
    }

    @Test("a two-worker step has the gradient of accumulating its two halves, each with its own noise")
    func slicesEqualAccumulation() throws {
        let batch = Self.batch()
        let sliced = try PolicyTrainer(model: Fixture.model(), seed: 4, threads: 2)
        #expect(sliced.dataParallelWorkers(for: batch.count) == 2)
        let (losses, _) = try sliced.accumulateInSlices(batch, workers: 2)

        let serial = try PolicyTrainer(model: Fixture.model(), seed: 4, threads: 1)
        let halves = [PolicyBatch(Array(batch.samples[0..<4])), PolicyBatch(Array(batch.samples[4..<8]))]
        let (a, _) = try serial.accumulateGradients(halves[0], scale: 0.5, microBatch: 0)
        let (b, _) = try serial.accumulateGradients(halves[1], scale: 0.5, microBatch: 1)
        #expect(abs(losses.total - 0.5 * (a.total + b.total)) < 1e-5)
        #expect(losses.actionSamples == a.actionSamples + b.actionSamples && losses.textSamples == a.textSamples + b.textSamples)

        var checked = 0
        for (p, q) in zip(sliced.model.parameters, serial.model.parameters) {
            let (g, h) = (p.tensor.gradient, q.tensor.gradient)
            let scale = max(h.map(abs).max() ?? 0, 1e-6)
            let worst = zip(g, h).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "\(p.name): largest difference \(worst) (gradient scale \(scale))")
            if h.contains(where: { $0 != 0 }) { checked += 1 }
        }
        #expect(checked > 10)  // the comparison covered real gradients, not zeros
    }

    @Test("the same thread count gives bit-identical parameters, and replicas follow every update")
    func deterministic() throws {
        func train() throws -> [[Float]] {
            let trainer = try PolicyTrainer(model: Fixture.model(), seed: 9, threads: 2)
            for s in 0..<3 { _ = try trainer.step(Self.batch(seed: UInt64(20 + s)), learningRate: 1e-2) }
            // Replicas lag the last update until the next step refreshes them.
            #expect(zip(trainer.model.parameters, trainer.replicas[0].model.parameters).contains { $0.tensor.values != $1.tensor.values })
            try trainer.prepareReplicas(1)
            #expect(zip(trainer.model.parameters, trainer.replicas[0].model.parameters).allSatisfy { $0.tensor.values == $1.tensor.values })
            return trainer.model.parameters.map(\.tensor.values)
        }
        #expect(try train() == train())
    }

    @Test("after warm-up, sliced steps allocate no tape buffers")
    func steadyState() throws {
        let trainer = try PolicyTrainer(model: Fixture.model(), seed: 1, threads: 2)
        _ = try trainer.step(Self.batch(seed: 1), learningRate: 1e-3)
        let warm = trainer.sliceTape.allocations + trainer.replicas.map(\.tape.allocations).reduce(0, +)
        for s in 2..<5 { _ = try trainer.step(Self.batch(seed: UInt64(s)), learningRate: 1e-3) }
        #expect(trainer.sliceTape.allocations + trainer.replicas.map(\.tape.allocations).reduce(0, +) == warm)
    }
}

/// `patchDropout`: patch tokens hidden in training only, keypoints always kept.
@Suite struct PatchDropoutTests {
    @Test("training hides about the given fraction of patch tokens, never a keypoint token; the same seed hides the same ones")
    func hidesPatchesOnly() throws {
        var config = Fixture.config(stem: 2)
        config.imageSize = 32  // 16 patches, 2 keypoint tokens
        config.patchDropout = 0.5
        let model = Fixture.model(config)
        var rng = Xoshiro256(seed: 3)
        let samples = (0..<32).map { _ in
            var s = Fixture.robot(Fixture.armA, &rng)
            s.image = Fixture.image(&rng, side: 32)
            return s
        }
        func mask(seed: UInt64) throws -> [Float] {
            let tape = Tape(threads: 1)
            let prefix = try model.encodePrefix(tape, model.prefixItems(samples), slot: "t")
            model.hideTrainingTokens(prefix, seed: seed)
            return prefix.keyMask.values
        }
        let m = try mask(seed: 1), t = config.sequenceLength
        var hidden = 0
        for s in 0..<samples.count {
            for j in 0..<config.patchTokens where m[s * t + j] == 0 { hidden += 1 }
            #expect((config.patchTokens..<config.imageTokens).allSatisfy { m[s * t + $0] == 1 }, "keypoint tokens stay")
        }
        let fraction = Double(hidden) / Double(samples.count * config.patchTokens)
        #expect(abs(fraction - 0.5) < 0.1, "hid \(fraction) of the patches")
        #expect(try mask(seed: 1) == m && mask(seed: 2) != m)

        // Evaluation (not recording) sees every token: the same loss as the same weights
        // without dropout.
        var plain = config
        plain.patchDropout = nil
        let with = try PolicyTrainer(model: model, seed: 1, threads: 1), without = try PolicyTrainer(model: Fixture.model(plain), seed: 1, threads: 1)
        #expect(try with.evaluate(PolicyBatch(samples)).total == without.evaluate(PolicyBatch(samples)).total)
        let (trained, _) = try with.accumulateGradients(PolicyBatch(samples))
        #expect(trained.total != (try without.evaluate(PolicyBatch(samples))).total)
    }

    @Test("proprioception dropout hides about the given share of samples' state tokens and nothing else")
    func hidesProprioception() throws {
        var config = Fixture.config()
        config.proprioDropout = 0.5
        let model = Fixture.model(config)
        var rng = Xoshiro256(seed: 4)
        let samples = (0..<64).map { _ in Fixture.robot(Fixture.armA, &rng) }
        let tape = Tape(threads: 1)
        let prefix = try model.encodePrefix(tape, model.prefixItems(samples), slot: "t")
        let before = prefix.keyMask.values
        model.hideTrainingTokens(prefix, seed: 7)
        let after = prefix.keyMask.values, t = config.sequenceLength
        let hidden = (0..<samples.count).filter { after[$0 * t + config.proprioToken] == 0 }.count
        #expect((20...44).contains(hidden), "hid \(hidden) of 64")
        for i in before.indices where i % t != config.proprioToken { #expect(after[i] == before[i]) }
    }
}
