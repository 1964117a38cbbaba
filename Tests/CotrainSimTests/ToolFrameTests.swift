// Tool-frame actions: an arm's joint deltas as tool motions (exact, by forward
// kinematics) and back (inverse kinematics), as a tool-frame policy is trained and run.
import Foundation
import Testing
@testable import CotrainSim

@Suite struct ToolFrameTests {
    @Test func armsConvertAndToolSpaceEmbodimentsDoNot() throws {
        for kind in [EmbodimentKind.ur5e, .panda, .scara] {
            let frame = try #require(ToolFrame(.make(kind)))
            #expect(frame.actionDimension == 5 && frame.proprioDimension == Embodiment.make(kind).dof + 6)
            #expect(frame.actionComponentNames.count == 5 && frame.proprioComponentNames.count == frame.proprioDimension)
        }
        #expect(ToolFrame(.gantry) == nil && ToolFrame(.hand) == nil)
    }

    /// The appended pose is the forward kinematics of the joints.
    @Test func proprioAppendsTheToolPose() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.pick), seed: 2)
        let p = try #require(ToolFrame(.ur5e)).proprio(env.proprio)
        let t = env.tool.translation
        #expect(Array(p.prefix(7)) == env.proprio)
        #expect(abs(p[7] - t.x) < 1e-5 && abs(p[8] - t.y) < 1e-5 && abs(p[9] - t.z) < 1e-5)
        #expect(abs(atan2f(p[10], p[11]) - env.tool.yaw) < 1e-4)
    }

    /// Replaying an expert episode through the tool frame (each joint action converted
    /// to a tool motion, then back by IK from the arm's actual joints) moves the tool as
    /// the expert did, and still completes the task, on every arm.
    @Test(arguments: [EmbodimentKind.ur5e, .panda, .scara])
    func expertEpisodesSurviveTheRoundTrip(_ kind: EmbodimentKind) throws {
        let frame = try #require(ToolFrame(.make(kind)))
        var successes = 0
        for seed in 0..<6 as Range<UInt64> {
            var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
            var expert = ScriptedExpert(embodiment: env.embodiment, seed: seed)
            env.resetState(task: TaskSpec(seed % 2 == 0 ? .pick : .place), seed: seed)
            var worst: Float = 0
            while !env.isDone {
                let joint = expert.act(env).action
                let tool = frame.toolAction(armProprio: env.proprio, jointAction: joint)
                let back = frame.jointActions(armProprio: env.proprio, chunk: [tool])[0]
                let before = env.tool.translation
                var expected = env
                _ = expected.advance(joint)
                _ = env.advance(back)
                worst = max(worst, length(env.tool.translation - expected.tool.translation))
                #expect(back.count == joint.count && back.last == joint.last)
                #expect(abs(length(env.tool.translation - before) - length(Vec3(tool[0], tool[1], tool[2]))) < 2e-3)
            }
            #expect(worst < 2e-3, "\(kind) seed \(seed): tool off by \(worst) m")
            if env.success { successes += 1 }
        }
        #expect(successes >= 5, "\(kind): \(successes)/6")
    }

    /// A chunk converts step after step from the joints the previous step reaches, and
    /// a motion beyond the per-step bounds is scaled as a whole (same direction).
    @Test func chunksChainAndLargeMotionsScale() throws {
        let frame = try #require(ToolFrame(.ur5e))
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.pick), seed: 4)
        let start = env.tool.translation
        let chunk: [[Float]] = [[0.02, 0, 0, 0, -1], [0.02, 0, 0, 0, -1], [0, 0.02, -0.01, 0, 1]]
        for action in frame.jointActions(armProprio: env.proprio, chunk: chunk) { _ = env.advance(action) }
        let moved = env.tool.translation - start
        #expect(abs(moved.x - 0.04) < 2e-3 && abs(moved.y - 0.02) < 2e-3 && abs(moved.z + 0.01) < 2e-3)
        let far = frame.jointActions(armProprio: env.proprio, chunk: [[0.5, 0, 0, 0, -1]])[0]
        let bounds = Embodiment.ur5e.chain.joints.map { $0.maxVelocity * Embodiment.ur5e.controlPeriod }
        #expect(zip(far.prefix(6), bounds).allSatisfy { abs($0) <= $1 + 1e-6 })
        let before = env.tool.translation
        _ = env.advance(far)
        let step = env.tool.translation - before
        #expect(step.x > 0.02 && abs(step.y) < 0.3 * step.x && abs(step.z) < 0.3 * step.x)
        // Non-finite outputs move nothing.
        let still = frame.jointActions(armProprio: env.proprio, chunk: [[.nan, .infinity, 0, 0, -1]])[0]
        #expect(still.prefix(6).allSatisfy { abs($0) < 1e-4 })
    }
}
