import CotrainTensor
import Testing
@testable import CotrainPolicy

@Suite struct InferenceTests {
    static func observation(_ sample: PolicySample) -> PolicyObservation {
        PolicyObservation(image: sample.image!, proprio: sample.proprio!, instruction: sample.prompt!, embodiment: sample.embodiment!)
    }

    @Test("act returns H actions in the robot's units, deterministic in the seed")
    func shapes() throws {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 1)
        for spec in [Fixture.armA, Fixture.armB] {
            let o = Self.observation(Fixture.robot(spec, &rng))
            let chunk = try model.act(o, seed: 3)
            #expect(chunk.count == model.config.chunkLength && chunk.allSatisfy { $0.count == spec.actionDimension })
            let stats = Fixture.stats[spec.name]!.action
            let lo = stats.denormalize(Array(repeating: -1.5, count: spec.actionDimension))
            let hi = stats.denormalize(Array(repeating: 1.5, count: spec.actionDimension))
            for row in chunk { for j in row.indices { #expect(row[j] >= lo[j] - 1e-5 && row[j] <= hi[j] + 1e-5) } }
            #expect(try model.act(o, seed: 3) == chunk)
            #expect(try model.act(o, seed: 4) != chunk)
        }
        let both = try model.act(batch: [Self.observation(Fixture.robot(Fixture.armA, &rng)), Self.observation(Fixture.robot(Fixture.armB, &rng))])
        #expect(both[0][0].count == 2 && both[1][0].count == 3)
    }

    @Test("noise scale: 1 is the default sampling, 0 gives one chunk whatever the seed, between them the chunks move towards it")
    func noiseScale() throws {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 2)
        let o = Self.observation(Fixture.robot(Fixture.armA, &rng))
        #expect(try model.act(o, seed: 5, noiseScale: 1) == model.act(o, seed: 5))
        let mean = try model.act(o, seed: 5, noiseScale: 0)
        #expect(try model.act(o, seed: 6, noiseScale: 0) == mean)
        func distance(_ a: [[Float]], _ b: [[Float]]) -> Float { zip(a.joined(), b.joined()).map { abs($0 - $1) }.reduce(0, +) }
        var (near, far): (Float, Float) = (0, 0)
        for seed in UInt64(1)...8 {
            near += distance(try model.act(o, seed: seed, noiseScale: 0.2), mean)
            far += distance(try model.act(o, seed: seed, noiseScale: 1), mean)
        }
        #expect(near < far, "scaled-down noise lands nearer the deterministic chunk: \(near) vs \(far)")
    }

    @Test("the inference-only NN linear on transposed weights matches Tape.linear")
    func fastLinear() {
        let model = Fixture.model()
        let layer = model.expert[0].fc
        let cache = TransposedWeights()
        cache.refresh([layer])
        model.transposedWeights = cache
        defer { model.transposedWeights = nil }
        let tape = Tape(threads: 2)
        tape.isRecording = false
        var rng = Xoshiro256(seed: 3)
        let x = Tensor(zeros: Shape(3, 5, layer.weight.shape[1]))
        rng.fillNormal(x, std: 1)
        let fast = try! #require(model.fastLinear(tape, x, layer)).values
        let plain = tape.linear(x, weight: layer.weight.tensor, bias: layer.bias!.tensor).values
        #expect(zip(fast, plain).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        tape.isRecording = true
        #expect(model.fastLinear(tape, x, layer) == nil)  // never on a recording tape
    }

    @Test("bad observations are rejected")
    func badObservations() {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 2)
        var o = Self.observation(Fixture.robot(Fixture.armA, &rng))
        o.embodiment = "arm_z"
        #expect(throws: PolicyError.self) { try model.act(o) }
        o.embodiment = "arm_a"
        o.proprio = [1]
        #expect(throws: PolicyError.self) { try model.act(o) }
        o.proprio = [1, 2, 3]
        o.image = []
        #expect(throws: PolicyError.self) { try model.act(o) }
    }

    @Test("after memorising a batch, the cached-prefix inference path reproduces the trained chunks (L1 head)")
    func inferenceMatchesTraining() throws {
        let model = Fixture.model(Fixture.config(head: .l1Regression, width: 32), seed: 21)
        var rng = Xoshiro256(seed: 5)
        let samples = [Fixture.robot(Fixture.armA, &rng), Fixture.robot(Fixture.armB, &rng)]
        _ = Fixture.overfit(model, PolicyBatch(samples), steps: 300)
        let chunks = try model.act(batch: samples.map(Self.observation))
        for (sample, chunk) in zip(samples, chunks) {
            let range = Fixture.stats[sample.embodiment!]!.action
            for (want, got) in zip(sample.actions!, chunk) {
                for j in want.indices { #expect(abs(want[j] - got[j]) < 0.03 * (range.high[j] - range.low[j])) }
            }
        }
    }

    @Test("chain-of-thought hook: the reasoning is generated greedily and then conditions the actions")
    func reasoning() throws {
        var config = Fixture.config(width: 32)
        config.reasoning = true
        config.textTokens = 14
        let model = Fixture.model(config, seed: 22)
        var rng = Xoshiro256(seed: 6)
        let samples = [Fixture.robot(Fixture.armA, &rng, target: "move to the cube"),
                       Fixture.robot(Fixture.armB, &rng, target: "grasp the ball")]
        let history = Fixture.overfit(model, PolicyBatch(samples), steps: 200)
        #expect(history.last!.text < 0.05)
        for s in samples {
            let prompt = TextPrompt(image: s.image, embodiment: s.embodiment, proprio: s.proprio, prompt: s.prompt!)
            #expect(try model.generateText(prefix: prompt, maxTokens: 10) == s.target)
            #expect(try model.generateText(prefix: prompt, maxTokens: 1) == s.target!.split(separator: " ").first.map(String.init))
            #expect(try model.act(Self.observation(s)).count == config.chunkLength)
        }
    }
}
