import CotrainTensor
import Foundation
import Testing
@testable import CotrainPolicy

/// Language-conditioned pointers: the instruction picks which object the pointer finds.
@Suite struct PointerTests {
    /// A 16×16 grey image with a red and a blue 2×2 blob at random, separate places; the
    /// prompt names one colour and the label is the named blob's centre in [−1, 1].
    static func scene(_ rng: inout Xoshiro256) -> (sample: PolicySample, named: (Float, Float)) {
        let side = 16
        var image = [UInt8](repeating: 120, count: side * side * 3)
        func spot() -> (Int, Int) { (rng.int(below: side - 1), rng.int(below: side - 1)) }
        let red = spot()
        var blue = spot()
        while abs(blue.0 - red.0) < 3 && abs(blue.1 - red.1) < 3 { blue = spot() }
        for ((x, y), rgb) in [(red, [220, 30, 30]), (blue, [30, 60, 220])] {
            for dy in 0..<2 { for dx in 0..<2 { for c in 0..<3 { image[((y + dy) * side + x + dx) * 3 + c] = UInt8(rgb[c]) } } }
        }
        let wantsRed = rng.int(below: 2) == 0
        let (x, y) = wantsRed ? red : blue
        // The blob covers pixels x, x+1: its centre is at x + 1 in pixel-edge units.
        let named = (Float(x + 1) / Float(side) * 2 - 1, Float(y + 1) / Float(side) * 2 - 1)
        var sample = PolicySample(
            image: image, embodiment: "arm_a", proprio: [0, 0, 0], prompt: wantsRed ? "red" : "blue", flowWeight: 0, tokenWeight: 0)
        sample.points = [named.0, named.1, 1, 0, 0, 0]
        return (sample, named)
    }

    static func config() -> PolicyConfig {
        var c = Fixture.config(width: 32, stem: 4)
        c.pointers = 1
        return c
    }

    /// Two pointers (object, destination) and a wrist camera.
    static func wristConfig() -> PolicyConfig {
        var c = config()
        (c.wristCamera, c.pointers) = (true, 2)
        return c
    }

    @Test("the pointing loss, and the pointing-mass loss alone, teach the pointer to find the colour the prompt names, in new scenes",
          arguments: ["squared error", "mass"])
    func learnsToPoint(_ loss: String) throws {
        let model = Fixture.model(Self.config(), seed: 5)
        var rng = Xoshiro256(seed: 8)
        let weights = loss == "mass"
            ? LossWeights(flow: 0, text: 0, tokens: 0, pointingMass: 1) : LossWeights(flow: 0, text: 0, tokens: 0, pointing: 1)
        _ = try Fixture.train(model, steps: 400, weights: weights) {
            PolicyBatch((0..<16).map { _ in Self.scene(&rng).sample })
        }
        var error: Float = 0, other: Float = 0
        let trials = 40
        for _ in 0..<trials {
            let (sample, named) = Self.scene(&rng)
            let p = try #require(try model.points(PolicyObservation(
                image: sample.image!, proprio: [0, 0, 0], instruction: sample.prompt!, embodiment: "arm_a")))
            #expect(p.count == 2)
            error += hypot(p[0] - named.0, p[1] - named.1) * 8  // pixels: [−1, 1] spans 16
            other += hypot(named.0, named.1) * 8  // what pointing at the image centre would miss by
        }
        error /= Float(trials); other /= Float(trials)
        #expect(error < 1.5, "mean pointing error \(error) px (centre: \(other) px)")
    }

    @Test("the pointing-mass loss reads every labelled point, 2 px around it in the main camera and 4 px in the wrist camera")
    func pointingMassRadii() throws {
        let model = Fixture.model(Self.wristConfig(), seed: 11)
        #expect(model.pointingMassRadius(camera: 0, pointer: 0) == 0.25)  // 2 of 16 pixels, [−1, 1] across
        #expect(model.pointingMassRadius(camera: 0, pointer: 1) == 0.25 && model.pointingMassRadius(camera: 1, pointer: 0) == 0.5)
        func losses(wrist: Float, visible: Float = 1) throws -> PolicyLosses {
            var rng = Xoshiro256(seed: 14)
            let samples = (0..<4).map { _ in
                var sample = Fixture.robot(Fixture.armA, &rng)
                sample.wristImage = Fixture.image(&rng)
                sample.points = [0.1, -0.2, 1, 0.4, 0.4, 1, wrist, 0.3, visible, 0.5, wrist, visible]  // main (object, destination), wrist (…)
                return sample
            }
            var flops = FlopCount()
            return try model.lossForward(
                Tape(threads: 1), PolicyBatch(samples), weights: LossWeights(pointing: 1, pointingMass: 1), noiseSeed: 2, flops: &flops
            ).losses
        }
        let (a, b) = (try losses(wrist: 0.4), try losses(wrist: -0.6))
        #expect(a.pointingMass > 0 && a.pointingMass.isFinite && a.pointingSamples == 4)
        #expect(a.pointingMass != b.pointingMass && a.pointing != b.pointing)
        // Labels marked invisible are read by neither loss.
        #expect(try losses(wrist: 0.4, visible: 0).pointingMass == (try losses(wrist: -0.6, visible: 0)).pointingMass)
    }

    @Test("the points reach the action expert: the action loss alone gives the pointer queries a gradient")
    func actionGradientReachesPointer() throws {
        let model = Fixture.model(Self.config(), seed: 6)
        var rng = Xoshiro256(seed: 9)
        let batch = PolicyBatch((0..<4).map { _ in Fixture.robot(Fixture.armA, &rng) })
        let tape = Tape(threads: 1)
        var flops = FlopCount()
        let (total, losses) = try model.lossForward(tape, batch, weights: LossWeights(), noiseSeed: 1, flops: &flops)
        #expect(losses.pointingSamples == 0)
        tape.backward(total)
        for name in ["shared.pointer.query.weight", "shared.pointer.context.weight", "shared.pointer.condition.weight", "shared.pointer.state.weight"] {
            let grad = try #require(model.parameter(name)?.tensor.gradient)
            #expect(grad.contains { $0 != 0 }, "\(name) has no gradient")
        }
    }

    @Test("a model with pointers (and a wrist camera) saves, loads and acts the same; configs are checked")
    func roundTripAndValidation() throws {
        let config = Self.wristConfig()
        let model = Fixture.model(config, seed: 7)
        #expect(model.parameter("shared.pointer.query.weight")?.shape.dims == [2 * 4, 32])
        #expect(model.parameter("shared.pointer.condition.weight")?.shape.dims == [16, 2 * 2 * 2])
        var rng = Xoshiro256(seed: 10)
        let observation = PolicyObservation(
            image: Fixture.image(&rng), wristImage: Fixture.image(&rng), proprio: [0.1, 0.2, 0.3],
            instruction: "pick up the red cube", embodiment: "arm_a")
        let points = try #require(try model.points(observation))
        #expect(points.count == 8 && points.allSatisfy { $0.isFinite && abs($0) <= 1 })
        // One pass gives the chunk and the points, the same as asking for each alone.
        let both = try model.actAndPoint(batch: [observation], seed: 3)
        let alone = try model.act(observation, seed: 3)
        #expect(both.points == [points] && both.chunks == [alone])
        let bytes = try PolicyCheckpoint.writer(model: model, step: 0).bytes()
        let loaded = try PolicyCheckpoint.load(bytes: bytes)
        #expect(loaded.model.config == config)
        #expect(try loaded.model.act(observation, seed: 3) == (try model.act(observation, seed: 3)))

        var bad = Fixture.config(width: 32)
        bad.pointers = 1
        #expect(throws: PolicyError.invalidConfig("pointers need a stem (stemChannels)")) { try bad.validate() }
        bad.stemChannels = 4
        bad.pointers = 5
        #expect(throws: PolicyError.invalidConfig("pointers 5 must be in 1...4 (or absent)")) { try bad.validate() }
    }

    @Test("with a surround the pointers weigh twice the stem's channels; such a model saves, loads and acts the same; configs are checked")
    func surround() throws {
        var config = Self.config()
        config.pointerSurround = 2
        let model = Fixture.model(config, seed: 4)
        #expect(config.pointerFeatures == 8 && model.parameter("shared.pointer.query.weight")?.shape.dims == [8, 32])
        var rng = Xoshiro256(seed: 12)
        let observation = PolicyObservation(image: Fixture.image(&rng), proprio: [0.1, 0.2, 0.3], instruction: "red", embodiment: "arm_a")
        let loaded = try PolicyCheckpoint.load(bytes: try PolicyCheckpoint.writer(model: model, step: 0).bytes())
        #expect(loaded.model.config == config)
        #expect(try loaded.model.points(observation) == (try model.points(observation)))
        var bad = config
        bad.pointerSurround = 9
        #expect(throws: PolicyError.invalidConfig("pointerSurround 9 must be in 1...8 (or absent)")) { try bad.validate() }
        bad.pointerSurround = 1
        bad.pointers = nil
        #expect(throws: PolicyError.invalidConfig("pointerSurround needs pointers")) { try bad.validate() }
    }

    @Test("bench train times the keypoint and pointer kernels at the recipe's training shape")
    func spatialKernelBenchmark() {
        let (keypoints, pointer, surround) = TrainBenchmark.spatialKernels(threads: 2)
        #expect([keypoints, pointer, surround].allSatisfy { $0 > 0 && $0.isFinite })
    }
}
