import CotrainTensor
import Foundation
import Testing
@testable import CotrainPolicy

/// The glimpse: the stem's features in a window of the wrist image centred where the
/// object pointer points.
@Suite struct GlimpseTests {
    static func config(glimpse: Int = 6) -> PolicyConfig {
        var c = Fixture.config(width: 32, stem: 4)
        c.wristCamera = true
        c.pointers = 1
        c.glimpse = glimpse
        return c
    }

    /// The [−1, 1] coordinate of pixel `i`'s centre in a 16-pixel image.
    static func coordinate(_ i: Int) -> Float { (Float(i) + 0.5) / 16 * 2 - 1 }

    @Test("window rows are the stem's rows of the pixels around the point; the window stays inside the image")
    func windowRows() {
        let c = Self.config()
        let coords = PolicyModel.stemCoordinates(c).values
        var rows = Set<Int>()
        for y in 0..<16 {
            for x in 0..<16 {
                let r = PolicyModel.stemRow(x: x, y: y, c)
                rows.insert(r)
                #expect(coords[2 * r] == Self.coordinate(x) && coords[2 * r + 1] == Self.coordinate(y), "pixel (\(x), \(y)) → row \(r)")
            }
        }
        #expect(rows.count == 256)
        #expect(PolicyModel.windowStart(Self.coordinate(7), window: 6, side: 16) == 4)
        #expect(PolicyModel.windowStart(Self.coordinate(8), window: 5, side: 16) == 6)
        #expect(PolicyModel.windowStart(-1, window: 6, side: 16) == 0)
        #expect(PolicyModel.windowStart(1, window: 6, side: 16) == 10)
        #expect(PolicyModel.windowStart(-40, window: 6, side: 16) == 0)
        #expect(PolicyModel.windowStart(.nan, window: 6, side: 16) == 5)
        #expect(PolicyModel.windowStart(.infinity, window: 16, side: 16) == 0)
    }

    /// A grey 16×16 image with a 3×2 red bar whose top-left pixel is `(x, y)`.
    static func bar(x: Int, y: Int) -> [UInt8] {
        var image = [UInt8](repeating: 110, count: 16 * 16 * 3)
        for dy in 0..<2 { for dx in 0..<3 { image[((y + dy) * 16 + x + dx) * 3] = 230 } }
        return image
    }

    /// The glimpse features of each wrist image with the wrist pointer at `points`.
    static func glimpses(_ model: PolicyModel, wrist: [[UInt8]], points: [(Float, Float)]) throws -> [[Float]] {
        let tape = Tape(threads: 1)
        tape.isRecording = false
        let items = wrist.map { w in
            PrefixItem(image: Self.bar(x: 0, y: 0), wristImage: w, embodiment: "arm_a", proprio: [0, 0, 0],
                       text: TextLayout(prompt: Fixture.tokenizer.encode("red"), target: nil, length: model.config.textTokens))
        }
        let prefix = try model.encodePrefix(tape, items, slot: "test")
        var flops = FlopCount()
        let stem = try #require(model.trunkPass(tape, prefix, flops: &flops).stem)
        let p = tape.constant(Shape(items.count, 1, model.config.pointerOutputs))
        p.fill(0)
        for (s, (x, y)) in points.enumerated() {
            p[s * model.config.pointerOutputs + 2] = x
            p[s * model.config.pointerOutputs + 3] = y
        }
        let g = try #require(model.glimpseForward(tape, stem: stem, points: p, slot: "test", flops: &flops)).features
        #expect(g.shape == Shape(items.count, model.config.expertWidth))
        return PolicyModel.rows(g, count: items.count)
    }

    @Test("an object looks the same to the glimpse wherever it is in the wrist image, and different from the table")
    func translationInvariant() throws {
        let model = Fixture.model(Self.config(), seed: 3)
        // Bars at (3, 4) and (9, 8), the pointer on the pixel right of each one's
        // top-left; then the second image's pointer on bare table.
        let g = try Self.glimpses(
            model, wrist: [Self.bar(x: 3, y: 4), Self.bar(x: 9, y: 8), Self.bar(x: 9, y: 8)],
            points: [(Self.coordinate(4), Self.coordinate(4)), (Self.coordinate(10), Self.coordinate(8)), (Self.coordinate(3), Self.coordinate(12))])
        let same = zip(g[0], g[1]).map { abs($0 - $1) }.max()!
        let table = zip(g[0], g[2]).map { abs($0 - $1) }.max()!
        #expect(same < 1e-5, "the same bar, moved, changed the glimpse by \(same)")
        #expect(table > 1e-3, "the glimpse of bare table equals the bar's (difference \(table))")
    }

    @Test("the action loss trains the glimpse and, through it, the stem; models without one draw the same weights as before")
    func gradientsAndInitialisation() throws {
        let model = Fixture.model(Self.config(), seed: 6)
        #expect(model.parameter("shared.glimpse.in.weight")?.shape.dims == [16, 6 * 6 * 4])
        var rng = Xoshiro256(seed: 9)
        let batch = PolicyBatch((0..<4).map { _ in
            var s = Fixture.robot(Fixture.armA, &rng)
            s.wristImage = Fixture.image(&rng)
            return s
        })
        let tape = Tape(threads: 1)
        var flops = FlopCount()
        let (total, _) = try model.lossForward(tape, batch, weights: LossWeights(), noiseSeed: 1, flops: &flops)
        tape.backward(total)
        for name in ["shared.glimpse.in.weight", "shared.glimpse.out.weight", "shared.image.stem.weight"] {
            let grad = try #require(model.parameter(name)?.tensor.gradient)
            #expect(grad.contains { $0 != 0 }, "\(name) has no gradient")
        }
        var plain = Self.config()
        plain.glimpse = nil
        let without = Fixture.model(plain, seed: 6)
        #expect(without.parameter("shared.glimpse.in.weight") == nil)
        #expect(without.parameters.count + 4 == model.parameters.count)
        for p in without.parameters { #expect(model.parameter(p.name)?.tensor.values == p.tensor.values, "\(p.name) changed") }
    }

    @Test("with a glimpse the orientation head reads it, and the action tokens read the head's estimate")
    func orientationHeadReadsTheGlimpse() throws {
        var config = Self.config()
        config.orientation = true
        let model = Fixture.model(config, seed: 8)
        #expect(model.parameter("shared.orientation.head.weight")?.shape.dims == [2, config.expertWidth])
        var rng = Xoshiro256(seed: 11)
        let batch = PolicyBatch((0..<4).map { _ in
            var s = Fixture.robot(Fixture.armA, &rng)
            s.wristImage = Fixture.image(&rng)
            s.orientation = [0.6, 0.8]
            return s
        })
        let tape = Tape(threads: 1)
        var flops = FlopCount()
        let (total, losses) = try model.lossForward(
            tape, batch, weights: LossWeights(flow: 0, text: 0, tokens: 0, orientation: 1), noiseSeed: 1, flops: &flops)
        #expect(losses.orientationSamples == 4)
        tape.backward(total)
        let grad = try #require(model.parameter("shared.glimpse.in.weight")?.tensor.gradient)
        #expect(grad.contains { $0 != 0 })
        let observation = PolicyObservation(
            image: Fixture.image(&rng), wristImage: Fixture.image(&rng), proprio: [0, 0, 0], instruction: "red", embodiment: "arm_a")
        #expect(try model.orientation(observation)?.count == 2)

        // The action tokens get the head's two numbers, not the window's features: the
        // action loss alone trains the head through `shared.glimpse.condition`.
        #expect(model.parameter("shared.glimpse.condition.weight")?.shape.dims == [config.expertWidth, 2])
        for p in model.parameters { p.tensor.zeroGrad() }
        let actionTape = Tape(threads: 1)
        let (actionTotal, _) = try model.lossForward(actionTape, batch, weights: LossWeights(text: 0, tokens: 0), noiseSeed: 2, flops: &flops)
        actionTape.backward(actionTotal)
        for name in ["shared.glimpse.condition.weight", "shared.orientation.head.weight", "shared.glimpse.in.weight"] {
            let g = try #require(model.parameter(name)?.tensor.gradient)
            #expect(g.contains { $0 != 0 }, "\(name) has no gradient from the action loss")
        }
    }

    @Test("a model with a glimpse saves, loads and acts the same; configs are checked")
    func roundTripAndValidation() throws {
        let config = Self.config(glimpse: 8)
        let model = Fixture.model(config, seed: 7)
        var rng = Xoshiro256(seed: 10)
        let observation = PolicyObservation(
            image: Fixture.image(&rng), wristImage: Fixture.image(&rng), proprio: [0.1, 0.2, 0.3],
            instruction: "pick up the red cube", embodiment: "arm_a")
        let bytes = try PolicyCheckpoint.writer(model: model, step: 0).bytes()
        let loaded = try PolicyCheckpoint.load(bytes: bytes)
        #expect(loaded.model.config == config)
        #expect(try loaded.model.act(observation, seed: 3) == (try model.act(observation, seed: 3)))

        var bad = Self.config(glimpse: 3)
        #expect(throws: PolicyError.invalidConfig("glimpse 3 must be in 4...32 and at most imageSize (or absent)")) { try bad.validate() }
        bad.glimpse = 20
        #expect(throws: PolicyError.invalidConfig("glimpse 20 must be in 4...32 and at most imageSize (or absent)")) { try bad.validate() }
        bad.glimpse = 8
        bad.wristCamera = nil
        #expect(throws: PolicyError.invalidConfig("a glimpse needs pointers and the wrist camera")) { try bad.validate() }
    }
}
