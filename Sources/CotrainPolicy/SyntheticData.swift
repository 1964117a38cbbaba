// Deterministic synthetic co-training data for benchmarks and smoke tests: random
// images, instructions from a few templates, random proprioception and actions.
import CotrainTensor

/// Synthetic samples shaped like the real mixture (75% robot, 25% vision-language).
public struct SyntheticData: Sendable {
    /// The model configuration the samples fit.
    public let config: PolicyConfig
    /// A tokenizer built from the synthetic corpus.
    public let tokenizer: Tokenizer
    private let seed: UInt64
    static let objects = ["red cube", "blue ball", "green block", "yellow cup", "small bowl"]
    static let templates = ["pick up the {}", "put the {} in the bowl", "push the {} to the left", "stack the {} on the box"]

    /// Data for `config` (which needs at least one embodiment).
    public init(config: PolicyConfig, seed: UInt64) throws(PolicyError) {
        precondition(!config.embodiments.isEmpty, "SyntheticData needs an embodiment")
        self.config = config
        self.seed = seed
        var corpus: [String] = []
        for t in Self.templates { for o in Self.objects { corpus.append(t.replacingOccurrences(of: "{}", with: o)) } }
        corpus += Self.objects.map { "what is on the table? a \($0)" }
        tokenizer = try Tokenizer.build(from: corpus, maxSize: 1024)
    }

    /// A batch of `size` samples: every fourth is vision-language, the rest are robot
    /// samples of alternating embodiments.
    public func batch(size: Int, seed s: UInt64) -> PolicyBatch {
        var rng = Xoshiro256(seed: seed ^ (s &* 0x9E37_79B9_7F4A_7C15))
        return PolicyBatch((0..<size).map { i in
            let object = Self.objects[rng.int(below: Self.objects.count)]
            let image = (0..<(config.imageSize * config.imageSize * 3)).map { _ in UInt8(rng.int(below: 256)) }
            if i % 4 == 3 { return PolicySample(image: image, prompt: "what is on the table?", target: "a \(object)") }
            let spec = config.embodiments[i % config.embodiments.count]
            let instruction = Self.templates[rng.int(below: Self.templates.count)].replacingOccurrences(of: "{}", with: object)
            return PolicySample(
                image: image, embodiment: spec.name, proprio: (0..<spec.stateDimension).map { _ in rng.uniform(-1, 1) },
                actions: (0..<config.chunkLength).map { _ in (0..<spec.actionDimension).map { _ in rng.uniform(-1, 1) } },
                prompt: instruction)
        })
    }

    /// One observation of the first embodiment.
    public func observation(seed s: UInt64) -> PolicyObservation {
        let sample = batch(size: 1, seed: s).samples[0]
        return PolicyObservation(image: sample.image!, proprio: sample.proprio!, instruction: sample.prompt!, embodiment: sample.embodiment!)
    }
}
