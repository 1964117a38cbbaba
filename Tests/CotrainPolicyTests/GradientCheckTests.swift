import CotrainTensor
import Testing
@testable import CotrainPolicy

/// Finite-difference checks of the whole model's gradients, one objective at a time.
@Suite struct GradientCheckTests {
    /// Compares every parameter's analytic gradient with central differences of the
    /// loss at a few elements; the error is relative to the largest gradient magnitude
    /// of the tensor, floored at 0.02: float32 rounding of a loss near 5 limits a central
    /// difference with eps 3e-3 to about 1e-4 absolute.
    static func check(
        _ model: PolicyModel, _ batch: PolicyBatch, weights: LossWeights, eps: Float = 3e-3, tolerance: Double = 1e-2,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let tape = Tape(threads: 2)
        var flops = FlopCount()
        for p in model.parameters { p.zeroGrad() }
        let (total, _) = try model.lossForward(tape, batch, weights: weights, noiseSeed: 5, flops: &flops)
        tape.backward(total)
        let probe = Tape(threads: 2)
        probe.isRecording = false
        func loss() throws -> Double {
            probe.reset()
            return Double(try model.lossForward(probe, batch, weights: weights, noiseSeed: 5, flops: &flops).total[0])
        }
        var checked = 0, nonZero = 0
        for p in model.parameters {
            let analytic = p.tensor.gradient
            let t = p.tensor
            let stride = max(1, t.count / 4)
            var pairs: [(Double, Double)] = []
            for i in Swift.stride(from: stride / 2, to: t.count, by: stride) {
                let saved = t[i]
                t[i] = saved + eps
                let up = try loss()
                t[i] = saved - eps
                let down = try loss()
                t[i] = saved
                pairs.append((Double(analytic[i]), (up - down) / (2 * Double(eps))))
            }
            let scale = max(2e-2, analytic.map { abs(Double($0)) }.max() ?? 0)
            let worst = pairs.map { abs($0.0 - $0.1) }.max() ?? 0
            #expect(worst / scale < tolerance, "\(p.name): max |analytic − numeric| = \(worst), scale \(scale)",
                    sourceLocation: sourceLocation)
            checked += pairs.count
            if pairs.contains(where: { abs($0.0) > 1e-4 }) { nonZero += 1 }
        }
        #expect(checked > 100 && nonZero > 10, "checked \(checked) elements, \(nonZero) tensors with gradient",
                sourceLocation: sourceLocation)
    }

    static func robotBatch(seed: UInt64) -> PolicyBatch {
        var rng = Xoshiro256(seed: seed)
        return PolicyBatch([
            Fixture.robot(Fixture.armA, &rng), Fixture.robot(Fixture.armB, &rng, rows: 3), Fixture.robot(Fixture.armA, &rng),
        ])
    }

    @Test("flow matching: gradients match finite differences (two embodiments, padded chunk)")
    func flow() throws {
        try Self.check(Fixture.model(), Self.robotBatch(seed: 1), weights: LossWeights(text: 0, tokens: 0))
    }

    @Test("L1 regression: gradients match finite differences")
    func l1() throws {
        try Self.check(Fixture.model(Fixture.config(head: .l1Regression)), Self.robotBatch(seed: 2),
                       weights: LossWeights(text: 0, tokens: 0), eps: 1e-3, tolerance: 3e-2)
    }

    @Test("text cross-entropy (prefix-LM): gradients match finite differences")
    func text() throws {
        var rng = Xoshiro256(seed: 3)
        var annotated = Fixture.robot(Fixture.armB, &rng, target: "move to the cube")
        annotated.flowWeight = 0
        let batch = PolicyBatch([Fixture.vl(&rng), annotated, Fixture.vl(&rng, question: "what is it?", answer: "a zebra")])
        try Self.check(Fixture.model(), batch, weights: LossWeights())
    }

    @Test("discrete action tokens: gradients match finite differences")
    func discrete() throws {
        var batch = Self.robotBatch(seed: 4)
        for i in batch.samples.indices { batch.samples[i].flowWeight = 0 }
        try Self.check(Fixture.model(Fixture.config(bins: 8)), batch, weights: LossWeights(tokens: 1))
    }

    @Test("convolutional stem and keypoint token: gradients match finite differences")
    func stem() throws {
        try Self.check(Fixture.model(Fixture.config(stem: 3)), Fixture.mixedBatch(), weights: LossWeights(text: 0.5, tokens: 0))
    }

    @Test("all objectives at once on a mixed batch")
    func mixed() throws {
        try Self.check(Fixture.model(Fixture.config(bins: 8)), Fixture.mixedBatch(), weights: LossWeights(text: 0.5, tokens: 0.3))
    }
}
