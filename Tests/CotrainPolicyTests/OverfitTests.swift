import CotrainTensor
import Testing
@testable import CotrainPolicy

/// A small model memorises a fixed batch (noise included) with each head: the loss
/// must fall at least 100×.
@Suite struct OverfitTests {
    static func robotBatch(seed: UInt64, tokenWeight: Float = 0, flowWeight: Float = 1) -> PolicyBatch {
        var rng = Xoshiro256(seed: seed)
        var samples = [
            Fixture.robot(Fixture.armA, &rng), Fixture.robot(Fixture.armB, &rng),
            Fixture.robot(Fixture.armA, &rng, rows: 2), Fixture.robot(Fixture.armB, &rng),
        ]
        for i in samples.indices { (samples[i].tokenWeight, samples[i].flowWeight) = (tokenWeight, flowWeight) }
        return PolicyBatch(samples)
    }

    static func expectFall(_ values: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        let first = values[0], last = values.suffix(5).reduce(0, +) / 5
        #expect(first / last >= 100, "loss \(first) → \(last)", sourceLocation: sourceLocation)
    }

    @Test("flow matching")
    func flow() {
        let model = Fixture.model(Fixture.config(width: 32), seed: 11)
        let history = Fixture.overfit(model, Self.robotBatch(seed: 1), steps: 300)
        Self.expectFall(history.map(\.action))
    }

    @Test("L1 regression")
    func l1() {
        let model = Fixture.model(Fixture.config(head: .l1Regression, width: 32), seed: 12)
        let history = Fixture.overfit(model, Self.robotBatch(seed: 2), steps: 300)
        Self.expectFall(history.map(\.action))
    }

    @Test("text cross-entropy, and the VL probe then answers as trained")
    func text() throws {
        var config = Fixture.config(width: 32)
        config.textTokens = 16  // room for the longest question and answer (bytes for unknown words)
        let model = Fixture.model(config, seed: 13)
        var rng = Xoshiro256(seed: 3)
        let qa = [("what color is the cube?", "red"), ("what color is the ball?", "blue"),
                  ("what is in the bowl?", "the red cube"), ("what is it?", "a zebra")]
        let samples = qa.map { Fixture.vl(&rng, question: $0.0, answer: $0.1) }
        let history = Fixture.overfit(model, PolicyBatch(samples), steps: 200)
        Self.expectFall(history.map(\.text))
        for (sample, (_, answer)) in zip(samples, qa) {
            let got = try model.answer(image: sample.image, question: sample.prompt!)
            #expect(got == answer, "answered \"\(got)\" final loss \(history.last!.text)")
        }
    }

    @Test("discrete action tokens")
    func discrete() {
        let model = Fixture.model(Fixture.config(bins: 16, width: 32), seed: 14)
        let history = Fixture.overfit(model, Self.robotBatch(seed: 4, tokenWeight: 1, flowWeight: 0), steps: 300,
                                      weights: LossWeights(tokens: 1))
        Self.expectFall(history.map(\.tokens))
    }
}
