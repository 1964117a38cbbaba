import CotrainTensor
import Testing
@testable import CotrainPolicy

/// Per-sample loss masks: objectives a batch does not carry leave their parameters'
/// gradients exactly zero, and masked samples do not change the others' gradients.
@Suite struct MaskTests {
    /// Runs forward and backward; returns the losses (gradients stay in the parameters).
    static func gradients(_ model: PolicyModel, _ batch: PolicyBatch, weights: LossWeights = LossWeights(tokens: 1)) throws -> PolicyLosses {
        for p in model.parameters { p.zeroGrad() }
        let tape = Tape(threads: 2)
        var flops = FlopCount()
        let (total, losses) = try model.lossForward(tape, batch, weights: weights, noiseSeed: 9, flops: &flops)
        tape.backward(total)
        return losses
    }

    static func isZero(_ p: Parameter) -> Bool { p.tensor.gradient.allSatisfy { $0 == 0 } }

    @Test("a vision-language-only batch leaves the action expert and every embodiment head at exactly zero")
    func visionLanguageOnly() throws {
        let model = Fixture.model(Fixture.config(bins: 8))
        var rng = Xoshiro256(seed: 1)
        let losses = try Self.gradients(model, PolicyBatch([Fixture.vl(&rng), Fixture.vl(&rng, question: "what is it?", answer: "blue")]))
        #expect(losses.text > 0 && losses.action == 0 && losses.tokens == 0)
        let actionSide = model.parameters.filter {
            $0.name.hasPrefix("shared.expert.") || $0.name.hasPrefix("embodiment.") || $0.name.hasPrefix("shared.discrete.")
        }
        #expect(actionSide.count > 20)
        for p in actionSide { #expect(Self.isZero(p), "\(p.name) has a gradient") }
        #expect(!Self.isZero(model.parameter("shared.text.head.weight")!))
        #expect(!Self.isZero(model.parameter("shared.trunk.0.attn.qkv.weight")!))
    }

    @Test("a robot-only batch without target text leaves the text head at exactly zero; absent robots too")
    func robotOnly() throws {
        let model = Fixture.model(Fixture.config(bins: 8))
        var rng = Xoshiro256(seed: 2)
        let batch = PolicyBatch([Fixture.robot(Fixture.armA, &rng), Fixture.robot(Fixture.armA, &rng, rows: 2)])
        let losses = try Self.gradients(model, batch)
        #expect(losses.action > 0 && losses.tokens > 0 && losses.text == 0)
        #expect(Self.isZero(model.parameter("shared.text.head.weight")!))
        for p in model.embodimentParameters("arm_b") { #expect(Self.isZero(p), "\(p.name) has a gradient") }
        for p in model.embodimentParameters("arm_a") { #expect(!Self.isZero(p), "\(p.name) has no gradient") }
    }

    @Test("a sample with flowWeight 0 changes no action-side gradient")
    func maskedSample() throws {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 3)
        let kept = Fixture.robot(Fixture.armA, &rng)
        var masked = Fixture.robot(Fixture.armA, &rng)
        masked.flowWeight = 0
        var stripped = masked
        stripped.actions = nil
        _ = try Self.gradients(model, PolicyBatch([kept, masked]))
        let withMasked = model.parameters.filter { $0.name.hasPrefix("shared.expert.") }.map(\.tensor.gradient)
        _ = try Self.gradients(model, PolicyBatch([kept, stripped]))
        let withoutActions = model.parameters.filter { $0.name.hasPrefix("shared.expert.") }.map(\.tensor.gradient)
        #expect(withMasked == withoutActions)
    }

    @Test("adding a vision-language sample leaves the action loss unchanged")
    func mixedActionLoss() throws {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 4)
        let a = Fixture.robot(Fixture.armA, &rng), b = Fixture.robot(Fixture.armB, &rng), vl = Fixture.vl(&rng)
        let robotsOnly = try Self.gradients(model, PolicyBatch([a, b]))
        let mixed = try Self.gradients(model, PolicyBatch([a, vl, b]))
        #expect(abs(robotsOnly.action - mixed.action) <= 1e-6 * robotsOnly.action)
        #expect(mixed.actionSamples == 2 && mixed.textSamples == 1)
    }

    @Test("bad samples are rejected with a message naming the sample")
    func badInput() {
        let model = Fixture.model()
        var rng = Xoshiro256(seed: 5)
        var wrongDim = Fixture.robot(Fixture.armA, &rng)
        wrongDim.actions = [[1, 2, 3]]
        var unknown = Fixture.robot(Fixture.armA, &rng)
        unknown.embodiment = "arm_z"
        var smallImage = Fixture.vl(&rng)
        smallImage.image = [0, 1, 2]
        for bad in [wrongDim, unknown, smallImage] {
            #expect(throws: PolicyError.self) { try Self.gradients(model, PolicyBatch([bad])) }
        }
        #expect(throws: PolicyError.emptyBatch) { try Self.gradients(model, PolicyBatch([])) }
        #expect(throws: PolicyError.emptyBatch) { try Self.gradients(model, PolicyBatch([PolicySample(prompt: "hello")])) }
    }
}
