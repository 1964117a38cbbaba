import CotrainTensor
import Foundation
import Testing

@testable import CotrainPolicy

/// The orientation head: the state token → (cos ψ, sin ψ) of how an object is turned.
@Suite struct OrientationTests {
    /// A 16×16 grey image with a dark bar through the centre at a random angle α; the
    /// bar looks the same after half a turn, so the label is ψ = 2α.
    static func scene(_ rng: inout Xoshiro256) -> (sample: PolicySample, label: [Float]) {
        let side = 16
        var image = [UInt8](repeating: 200, count: side * side * 3)
        let alpha = Float(rng.uniform(0, 1)) * .pi
        for r in stride(from: Float(-7), through: 7, by: 0.25) {
            let x = Int((7.5 + r * cosf(alpha)).rounded()), y = Int((7.5 - r * sinf(alpha)).rounded())
            guard (0..<side).contains(x), (0..<side).contains(y) else { continue }
            for c in 0..<3 { image[(y * side + x) * 3 + c] = 20 }
        }
        let label = [cosf(2 * alpha), sinf(2 * alpha)]
        var sample = PolicySample(image: image, embodiment: "arm_a", proprio: [0, 0, 0], prompt: "bar", flowWeight: 0, tokenWeight: 0)
        sample.orientation = label
        return (sample, label)
    }

    static func config() -> PolicyConfig {
        var c = Fixture.config(width: 32, layers: 2, stem: 4)
        c.orientation = true
        return c
    }

    @Test("the orientation loss teaches the head how a bar is turned, in new images")
    func learnsOrientation() throws {
        let model = Fixture.model(Self.config(), seed: 3)
        var rng = Xoshiro256(seed: 4)
        let history = try Fixture.train(model, steps: 300, weights: LossWeights(flow: 0, text: 0, tokens: 0, orientation: 1)) {
            PolicyBatch((0..<16).map { _ in Self.scene(&rng).sample })
        }
        #expect(history.allSatisfy { $0.orientationSamples == 16 })
        let first = history[0].orientation
        var error: Float = 0
        let trials = 40
        for _ in 0..<trials {
            let (sample, label) = Self.scene(&rng)
            let o = try #require(try model.orientation(PolicyObservation(
                image: sample.image!, proprio: [0, 0, 0], instruction: "bar", embodiment: "arm_a")))
            #expect(o.count == 2)
            var d = abs(atan2f(o[1], o[0]) - atan2f(label[1], label[0]))
            if d > .pi { d = 2 * .pi - d }
            error += d / 2 * 180 / .pi  // degrees of the bar's angle
        }
        error /= Float(trials)
        // Guessing gives 45° on average.
        #expect(error < 15, "mean error \(error)° (first loss \(first))")
    }

    @Test("only labelled samples feed the loss; weight 0 or no head gives none; the head saves and loads")
    func maskedAndStored() throws {
        let model = Fixture.model(Self.config(), seed: 5)
        var rng = Xoshiro256(seed: 6)
        var samples = (0..<6).map { _ in Self.scene(&rng).sample }
        for i in [1, 3, 4] { samples[i].orientation = nil }
        let tape = Tape(threads: 1)
        var flops = FlopCount()
        let weighted = try model.lossForward(
            tape, PolicyBatch(samples), weights: LossWeights(flow: 0, text: 0, tokens: 0, orientation: 1), noiseSeed: 1, flops: &flops)
        #expect(weighted.losses.orientationSamples == 3 && weighted.losses.orientation > 0)
        // Unlabelled samples alone: nothing to train.
        let unlabelled = [samples[1], samples[3]]
        #expect(throws: PolicyError.emptyBatch) {
            tape.reset()
            _ = try model.lossForward(
                tape, PolicyBatch(unlabelled), weights: LossWeights(flow: 0, text: 0, tokens: 0, orientation: 1), noiseSeed: 1, flops: &flops)
        }
        tape.reset()
        let captioned = samples.map { s in
            var s = s
            s.target = "a bar"
            return s
        }
        let off = try model.lossForward(
            tape, PolicyBatch(captioned), weights: LossWeights(flow: 0, text: 1, tokens: 0, orientation: 0), noiseSeed: 1, flops: &flops)
        #expect(off.losses.orientationSamples == 0)

        #expect(model.parameter("shared.orientation.head.weight")?.shape.dims == [2, 32])
        let observation = PolicyObservation(image: samples[0].image!, proprio: [0, 0, 0], instruction: "bar", embodiment: "arm_a")
        let loaded = try PolicyCheckpoint.load(bytes: try PolicyCheckpoint.writer(model: model, step: 0).bytes())
        #expect(loaded.model.config == model.config)
        #expect(try loaded.model.orientation(observation) == (try model.orientation(observation)))
        #expect(try Fixture.model(Fixture.config(width: 32, stem: 4)).orientation(observation) == nil)
    }
}
