// Grasp attempts: where the gripper was, against the named object, when a close began.
import Testing
@testable import CotrainSim

@Suite struct GraspAttemptTests {
    /// The expert closes only once aligned, so its first attempt is within every
    /// tolerance, on every gripper type (parallel, suction, hand).
    @Test(arguments: [EmbodimentKind.ur5e, .scara, .hand])
    func expertAttemptsAreAligned(_ kind: EmbodimentKind) throws {
        var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
        for seed in 0..<8 as Range<UInt64> {
            let r = ScriptedExpert.rollout(env: &env, task: TaskSpec(seed % 2 == 0 ? .pick : .place), seed: seed)
            #expect(r.success)
            let first = try #require(env.graspAttempts.first, "\(kind) seed \(seed)")
            #expect(first.fit.aligned, "\(kind) seed \(seed): \(first.fit)")
            #expect(first.step > 0)
        }
    }

    /// Closing at the start pose is an attempt far from the object, and it is judged
    /// against that object: the offset is the tool's planar distance to it.
    @Test func closingAtTheStartIsFarOff() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.pick), seed: 3)
        guard case .pick(let i) = env.task.goal else { Issue.record("not a pick"); return }
        let expected = planarDistance(env.tool.translation, env.world.objects[i].position)
        var close = [Float](repeating: 0, count: 7)
        close[6] = 1
        _ = env.advance(close)
        _ = env.advance(close)  // still closing: the same attempt
        let attempt = try #require(env.graspAttempts.first)
        #expect(env.graspAttempts.count == 1 && attempt.step == 0)
        #expect(abs(attempt.fit.planarOffset - expected) < 1e-5)
        #expect(!attempt.fit.withinPlanar && !attempt.fit.withinHeight && !attempt.fit.aligned)
        #expect(attempt.fit.heightError > 0.1)
        // Opening and closing again is a second attempt; a new episode starts with none.
        close[6] = -1
        _ = env.advance(close)
        close[6] = 1
        _ = env.advance(close)
        #expect(env.graspAttempts.map(\.step) == [0, 3])
        env.resetState(task: TaskSpec(.pick), seed: 4)
        #expect(env.graspAttempts.isEmpty)
    }

    /// A closed gripper that pushes is not grasping.
    @Test func pushingIsNoAttempt() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        _ = ScriptedExpert.rollout(env: &env, task: TaskSpec(.push), seed: 1)
        #expect(env.graspAttempts.isEmpty)
    }

    /// The yaw tolerance applies to cubes under a parallel gripper only.
    @Test func yawMattersForCubesOnly() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        var sawCube = false, sawRound = false
        for seed in 0..<30 as Range<UInt64> {
            env.resetState(task: TaskSpec(.pick), seed: seed)
            guard case .pick(let i) = env.task.goal else { continue }
            let fit = env.graspFit(i)
            if env.world.objects[i].graspSymmetry > 0 { sawCube = true; #expect(fit.yawError != nil) } else { sawRound = true; #expect(fit.yawError == nil) }
        }
        #expect(sawCube && sawRound)
    }
}
