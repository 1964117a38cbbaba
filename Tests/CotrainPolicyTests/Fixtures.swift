import CotrainTensor
@testable import CotrainPolicy

/// Tiny models and synthetic batches shared by the policy tests.
enum Fixture {
    static let corpus = [
        "pick up the red cube", "put the blue ball in the bowl", "what color is the cube?",
        "red", "blue", "move to the cube", "the cube is red", "grasp the ball",
    ]
    static let tokenizer = try! Tokenizer.build(from: corpus, maxSize: 300)
    static let armA = EmbodimentSpec(name: "arm_a", stateDimension: 3, actionDimension: 2)
    static let armB = EmbodimentSpec(name: "arm_b", stateDimension: 2, actionDimension: 3)

    /// 16×16 images (4 patches of 8×8), width 16, one trunk and one expert layer.
    static func config(
        head: ActionHead = .flowMatching, bins: Int = 0, width: Int = 16, layers: Int = 1, expertLayers: Int = 1,
        stem: Int? = nil
    ) -> PolicyConfig {
        var c = PolicyConfig(embodiments: [armA, armB])
        (c.imageSize, c.patchSize, c.width, c.heads, c.layers, c.expertLayers) = (16, 8, width, 2, layers, expertLayers)
        c.expertWidth = width / 2
        (c.textTokens, c.chunkLength, c.executeSteps, c.flowSteps) = (10, 4, 2, 4)
        c.actionHead = head
        c.discreteBins = bins
        c.stemChannels = stem
        return c
    }

    static let stats: [String: EmbodimentStats] = [
        "arm_a": EmbodimentStats(state: NormalizationStats(low: [-1, 0, 0], high: [1, 2, 4]),
                                 action: NormalizationStats(low: [-0.5, 0], high: [0.5, 1])),
        "arm_b": EmbodimentStats(state: .unit(dimension: 2), action: NormalizationStats(low: [0, 0, -2], high: [1, 1, 2])),
    ]

    static func model(_ config: PolicyConfig = config(), seed: UInt64 = 1) -> PolicyModel {
        try! PolicyModel(config: config, tokenizer: tokenizer, normalization: stats, seed: seed)
    }

    static func image(_ rng: inout Xoshiro256, side: Int = 16) -> [UInt8] {
        (0..<(side * side * 3)).map { _ in UInt8(rng.int(below: 256)) }
    }

    /// A robot sample of `spec` with `rows` actions in the robot's units.
    static func robot(_ spec: EmbodimentSpec, _ rng: inout Xoshiro256, rows: Int = 4, target: String? = nil) -> PolicySample {
        let range = stats[spec.name]!.action
        let actions = (0..<rows).map { _ in (0..<spec.actionDimension).map { j in rng.uniform(range.low[j], range.high[j]) } }
        return PolicySample(
            image: image(&rng), embodiment: spec.name, proprio: (0..<spec.stateDimension).map { _ in rng.uniform(-1, 1) },
            actions: actions, prompt: "pick up the red cube", target: target)
    }

    /// A vision-language sample (no actions).
    static func vl(_ rng: inout Xoshiro256, question: String = "what color is the cube?", answer: String = "red") -> PolicySample {
        PolicySample(image: image(&rng), prompt: question, target: answer)
    }

    /// A mixed batch: two robots, a VL sample, an annotated sample.
    static func mixedBatch(seed: UInt64 = 7) -> PolicyBatch {
        var rng = Xoshiro256(seed: seed)
        return PolicyBatch([
            robot(armA, &rng), robot(armB, &rng, rows: 3), vl(&rng),
            robot(armA, &rng, target: "move to the cube"),
        ])
    }

    /// Trains on one batch with a fixed noise seed (so the batch, noise included, is
    /// fixed) and returns the losses of every step.
    static func overfit(
        _ model: PolicyModel, _ batch: PolicyBatch, steps: Int, peak: Float = 1e-2, weights: LossWeights = LossWeights()
    ) -> [PolicyLosses] {
        let tape = Tape(threads: 2)
        var configuration = AdamW.Configuration()
        configuration.weightDecay = 0
        let optimizer = AdamW(parameters: model.parameters, configuration: configuration, threads: 2)
        let schedule = CosineSchedule(peak: peak, warmupSteps: 10, totalSteps: steps, finalRatio: 0.05)
        var history: [PolicyLosses] = []
        for step in 0..<steps {
            tape.reset()
            var flops = FlopCount()
            let (total, losses) = try! model.lossForward(tape, batch, weights: weights, noiseSeed: 3, flops: &flops)
            tape.backward(total)
            optimizer.step(learningRate: schedule.learningRate(at: step))
            history.append(losses)
        }
        return history
    }

    /// Trains `model` on a fresh batch from `batch` every step (one thread; AdamW at
    /// 3e-3 after a 20-step warm-up, each step's flow noise seeded by the step).
    static func train(
        _ model: PolicyModel, steps: Int, weights: LossWeights, batch: () -> PolicyBatch
    ) throws -> [PolicyLosses] {
        let tape = Tape(threads: 1)
        let optimizer = AdamW(parameters: model.parameters, configuration: AdamW.Configuration(), threads: 1)
        var history: [PolicyLosses] = []
        for step in 0..<steps {
            tape.reset()
            var flops = FlopCount()
            let (total, losses) = try model.lossForward(tape, batch(), weights: weights, noiseSeed: UInt64(step), flops: &flops)
            tape.backward(total)
            optimizer.step(learningRate: step < 20 ? 3e-3 * Float(step + 1) / 20 : 3e-3)
            history.append(losses)
        }
        return history
    }
}
