import CotrainTensor
import Foundation
import Testing
@testable import CotrainPolicy

/// Table points in the model: the pointers' points, lifted through the calibration,
/// condition the action tokens of tool-frame robots.
@Suite struct TablePointModelTests {
    /// A tool-frame arm: two joints, the gripper, then the five-value tool pose.
    static let toolArm = EmbodimentSpec(name: "arm_t", stateDimension: 8, actionDimension: 2, toolFrame: true)
    /// A camera in front of the table looking down at it, and a wrist camera above the tool.
    static let table = TablePoints(
        main: CameraCalibration(position: [0.86, 0, 0.68], target: [0.44, 0, 0], up: [0, 0, 1], fieldOfView: 50),
        wrist: CameraCalibration(position: [0.13, 0, 0.1], target: [0, 0, -0.02], up: [1, 0, 0], fieldOfView: 70), planeHeight: 0.02)

    static func config(table: TablePoints? = table) -> PolicyConfig {
        var c = Fixture.config(width: 32, stem: 4)
        c.embodiments = [Fixture.armA, toolArm]
        (c.wristCamera, c.pointers, c.tablePoints) = (true, 2, table)
        return c
    }

    static func sample(_ spec: EmbodimentSpec, _ rng: inout Xoshiro256) -> PolicySample {
        var s = PolicySample(
            image: Fixture.image(&rng), embodiment: spec.name,
            proprio: spec.toolFrame == true ? [0.1, -0.2, 0.5, 0.4, 0.1, 0.2, 0.6, 0.8] : [0.1, 0.2, 0.3],
            actions: (0..<4).map { _ in (0..<spec.actionDimension).map { _ in rng.uniform(-0.5, 0.5) } }, prompt: "pick up the red cube")
        s.wristImage = Fixture.image(&rng)
        return s
    }

    static func model(_ config: PolicyConfig, seed: UInt64) -> PolicyModel {
        try! PolicyModel(config: config, tokenizer: Fixture.tokenizer, seed: seed)
    }

    @Test("the centre of the main image lifts onto the camera's look-at point; the wrist camera turns with the tool's yaw")
    func geometry() {
        func lift(_ points: [Float], tool: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: points.count)
            points.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { Self.table.offsets(points: p, pointers: 1, tool: tool[...], into: $0) }
            }
            return out.map { $0 * TablePoints.unit }
        }
        // Main camera, image centre: the ray hits z = 0.02 just short of (0.44, 0, 0).
        let centre = lift([0, 0, 0, 0], tool: [0.3, 0.1, 0.3, 0, 1])
        let along = 0.02 / 0.68 * (0.86 - 0.44)  // the look-at line at height 0.02
        #expect(abs(centre[0] - (0.44 + Float(along) - 0.3)) < 1e-4 && abs(centre[1] + 0.1) < 1e-4)
        // Wrist camera: the same point seen with the tool turned a quarter turn lands
        // a quarter turn round the tool.
        let ahead = Array(lift([0, 0, 0.3, -0.2], tool: [0.4, 0, 0.3, 0, 1])[2...])
        let turned = Array(lift([0, 0, 0.3, -0.2], tool: [0.4, 0, 0.3, 1, 0])[2...])
        #expect(abs(turned[0] + ahead[1]) < 1e-5 && abs(turned[1] - ahead[0]) < 1e-5)
        // The image's top edge meets the table about a metre from the camera: clamped.
        let far = lift([0, -1, 0, 0], tool: [0.4, 0, 0.3, 0, 1])
        #expect(far[0] == -TablePoints.limit && far[1] == 0)
    }

    @Test("offsets are given for tool-frame robots only; the action loss trains their weights; models without draw the same weights")
    func offsetsAndGradients() throws {
        let config = Self.config()
        let model = Self.model(config, seed: 4)
        #expect(model.parameter("shared.pointer.table.weight")?.shape.dims == [config.expertWidth, config.pointerOutputs])
        var rng = Xoshiro256(seed: 5)
        let batch = PolicyBatch([Self.sample(Self.toolArm, &rng), Self.sample(Fixture.armA, &rng)])
        let tape = Tape(threads: 1)
        var flops = FlopCount()
        let (total, _) = try model.lossForward(tape, batch, weights: LossWeights(text: 0, tokens: 0), noiseSeed: 1, flops: &flops)
        tape.backward(total)
        let grad = try #require(model.parameter("shared.pointer.table.weight")?.tensor.gradient)
        #expect(grad.contains { $0 != 0 })

        // The offsets themselves: the tool-frame sample's are set, the other's zero.
        let points = Tensor(shape: Shape(2, 1, config.pointerOutputs), values: [Float](repeating: 0.1, count: 2 * config.pointerOutputs))
        let items = batch.samples.map { PrefixItem(image: $0.image, embodiment: $0.embodiment, proprio: $0.proprio, text: TextLayout(prompt: [], target: nil, length: config.textTokens)) }
        let offsets = model.tablePointOffsets(Tape(threads: 1), points, items).values
        let width = config.tablePointOutputs
        #expect(offsets[0..<width].contains { $0 != 0 })
        #expect(offsets[width...].allSatisfy { $0 == 0 })

        let without = Self.model(Self.config(table: nil), seed: 4)
        #expect(without.parameters.count + 2 == model.parameters.count)
        for p in without.parameters { #expect(model.parameter(p.name)?.tensor.values == p.tensor.values, "\(p.name) changed") }
    }

    @Test("a model with table points saves, loads and acts the same; its config is checked")
    func roundTripAndValidation() throws {
        let model = Self.model(Self.config(), seed: 7)
        var rng = Xoshiro256(seed: 10)
        let s = Self.sample(Self.toolArm, &rng)
        let observation = PolicyObservation(
            image: s.image!, wristImage: s.wristImage, proprio: s.proprio!, instruction: "pick up the red cube", embodiment: "arm_t")
        let loaded = try PolicyCheckpoint.load(bytes: try PolicyCheckpoint.writer(model: model, step: 0).bytes())
        #expect(loaded.model.config == Self.config())
        #expect(try loaded.model.act(observation, seed: 3) == (try model.act(observation, seed: 3)))
        // The points move the actions: the same observation without table points acts otherwise.
        #expect(try Self.model(Self.config(table: nil), seed: 7).act(observation, seed: 3) != (try model.act(observation, seed: 3)))

        var bad = Self.config()
        bad.pointers = nil
        bad.tablePoints = Self.table
        #expect(throws: PolicyError.invalidConfig("tablePoints need pointers")) { try bad.validate() }
        bad = Self.config()
        bad.embodiments = [EmbodimentSpec(name: "arm_t", stateDimension: 4, actionDimension: 2, toolFrame: true)]
        #expect(throws: PolicyError.self) { try bad.validate() }
        bad = Self.config()
        bad.tablePoints?.planeHeight = .nan
        #expect(throws: PolicyError.invalidConfig("tablePoints.planeHeight must be within ±1 m, got nan")) { try bad.validate() }
    }
}
