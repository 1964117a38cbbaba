import CotrainPolicy
import Foundation
import Testing
@testable import CotrainSim
@testable import CotrainData

/// Table points (`TablePoints`, recipe `model.table_points`): the simulator's labels,
/// lifted through its calibration, land where the named objects are.
@Suite struct TablePointsTests {
    /// The lifted offsets of the labelled points in `env` (per camera and slot), in metres,
    /// and the true offsets of the named objects from the tool, where a camera sees them.
    static func liftedAndTrue(_ env: SimEnvironment, _ table: TablePoints) -> [(lifted: (Float, Float), truth: (Float, Float), camera: Int)] {
        let labels = env.namedPoints(), slots = SimEnvironment.pointSlots
        let proprio = ToolFrame(.ur5e)!.proprio(env.proprio)
        let points = (0..<(2 * slots)).flatMap { [labels[$0 * 3], labels[$0 * 3 + 1]] }
        var out = [Float](repeating: 0, count: points.count)
        points.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                table.offsets(points: p, pointers: slots, tool: proprio[(proprio.count - EmbodimentSpec.toolPoseWidth)...], into: o)
            }
        }
        let named = env.namedObjects()
        var pairs: [(lifted: (Float, Float), truth: (Float, Float), camera: Int)] = []
        for camera in 0..<2 {
            for slot in 0..<slots where labels[(camera * slots + slot) * 3 + 2] == 1 {
                guard let i = named[slot] else { continue }
                let o = env.world.objects[i].position, k = (camera * slots + slot) * 2
                pairs.append(((out[k] * TablePoints.unit, out[k + 1] * TablePoints.unit), (o.x - env.tool.translation.x, o.y - env.tool.translation.y), camera))
            }
        }
        return pairs
    }

    @Test("labels lifted through the simulator's calibration land within 1 cm of the objects from both cameras (once the tool points down), along expert place episodes")
    func labelsLiftOntoTheObjects() throws {
        let table = TablePoints.simulator(wristFieldOfView: Camera.defaultWristFieldOfView)
        try PolicyConfig.validated(table)
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(wristCamera: true))
        var seen = [0, 0], worst: [Float] = [0, 0], aligned: [Float] = [0, 0]
        for seed in UInt64(0)..<6 {
            _ = env.reset(task: TaskSpec(.place), seed: seed)
            var expert = ScriptedExpert(embodiment: env.embodiment, seed: seed)
            for step in 0..<120 {
                // The objects sit on the table (a held object is off the plane).
                if step % 3 == 0 && env.world.held == nil {
                    for pair in Self.liftedAndTrue(env, table) {
                        seen[pair.camera] += 1
                        let error = hypot(pair.lifted.0 - pair.truth.0, pair.lifted.1 - pair.truth.1)
                        worst[pair.camera] = max(worst[pair.camera], error)
                        if step > 0 { aligned[pair.camera] = max(aligned[pair.camera], error) }
                    }
                }
                if env.step(expert.act(env).action).1.done { break }
            }
        }
        #expect(seen[0] > 50 && seen[1] > 20, "points checked per camera: \(seen)")
        // The wrist camera's rays assume a tool pointing down; the arm's start posture is
        // tilted by up to 0.06 rad, which the first steps of any policy take out.
        #expect(worst[0] < 0.01 && worst[1] < 0.03, "largest error per camera (m): \(worst)")
        #expect(aligned[1] < 0.01, "largest wrist-camera error after the first step (m): \(aligned[1])")
    }

    @Test("the offsets are clamped, and a ray above the horizon reads as far in its direction")
    func farRaysAreClamped() {
        let table = TablePoints.simulator(wristFieldOfView: nil)
        // Tool above the origin; the main camera's top edge looks past the table.
        let tool: [Float] = [0.4, 0, 0.3, 0, 1]
        var out = [Float](repeating: 0, count: 2)
        [Float(0), -1].withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { table.offsets(points: p, pointers: 1, tool: tool[...], into: $0) }
        }
        #expect(out.allSatisfy { abs($0) <= TablePoints.limit / TablePoints.unit })
        #expect(out[0] < 0, "the camera faces the robot from +x: its top edge looks towards −x")
    }

    @Test("a policy config checks its calibration")
    func configValidation() {
        var table = TablePoints.simulator(wristFieldOfView: nil)
        table.main.fieldOfView = 0
        #expect(throws: PolicyError.self) { try PolicyConfig.validated(table) }
        table = TablePoints.simulator(wristFieldOfView: nil)
        table.main.up = [0, 0]
        #expect(throws: PolicyError.self) { try PolicyConfig.validated(table) }
        table = TablePoints.simulator(wristFieldOfView: nil)
        table.main.target = table.main.position
        #expect(throws: PolicyError.self) { try PolicyConfig.validated(table) }
        // A wrist calibration without the wrist camera (and the other way round).
        #expect(throws: PolicyError.self) { try PolicyConfig.validated(.simulator(wristFieldOfView: 70), wrist: false) }
        #expect(throws: PolicyError.self) { try PolicyConfig.validated(.simulator(wristFieldOfView: nil), wrist: true) }
    }
}

extension PolicyConfig {
    /// Validates a small pointer model with `table` points.
    static func validated(_ table: TablePoints, wrist: Bool = true) throws(PolicyError) {
        var c = PolicyConfig(embodiments: [EmbodimentSpec(name: "ur5e", stateDimension: 12, actionDimension: 5, toolFrame: true)])
        (c.stemChannels, c.pointers, c.wristCamera, c.tablePoints) = (8, 2, wrist ? true : nil, table)
        try c.validate()
    }
}
