// Grasp attempts: where the gripper was, against the named object, when a close began;
// releases: where the object to move was against its destination when the gripper let go.
import Testing
@testable import CotrainSim

@Suite struct GraspAttemptTests {
    /// The expert closes only once aligned, so its first attempt is within every
    /// tolerance, on every gripper type (parallel, suction, hand); it lets go once,
    /// within the tolerance, low above the bowl (or base), and the object lands; nothing
    /// is carried at the end, and a pick (no destination) records no release.
    @Test(arguments: [EmbodimentKind.ur5e, .scara, .hand, .gantry])
    func expertGraspsAlignedAndReleasesLand(_ kind: EmbodimentKind) throws {
        var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
        let families: [TaskFamily] = [.pick, .place, .stack]
        for seed in 0..<9 as Range<UInt64> {
            let family = families[Int(seed % 3)]
            let r = ScriptedExpert.rollout(env: &env, task: TaskSpec(family), seed: seed)
            #expect(r.success)
            let first = try #require(env.graspAttempts.first, "\(kind) seed \(seed)")
            #expect(first.fit.aligned, "\(kind) seed \(seed): \(first.fit)")
            #expect(first.step > 0)
            #expect(env.carried == nil)
            guard family != .pick else {
                #expect(env.releases.isEmpty, "a pick has no destination")
                continue
            }
            let release = try #require(env.releases.first, "\(kind) seed \(seed)")
            #expect(env.releases.count == 1 && release.landed && release.planarOffset <= release.tolerance, "\(kind) seed \(seed): \(release)")
            #expect(release.height < 0.08 && release.step > first.step)
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

/// Releases: where the object to move was against its destination when the gripper let go.
@Suite struct ReleaseTests {
    /// Lifting the object and opening at once lets go far from the bowl: recorded, not
    /// landed; holding it instead leaves it carried, with its offset from the bowl.
    @Test func lettingGoEarlyMisses() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.place), seed: 2)
        guard case .place(let i, let bowl) = env.task.goal else { Issue.record("not a place"); return }
        var expert = ScriptedExpert(embodiment: env.embodiment, seed: 2)
        var steps = 0
        // The expert grasps and starts lifting; stop it while it holds the object in the air.
        while !(env.world.held == i && env.world.objects[i].position.z > 0.03) && steps < 80 {
            _ = env.advance(expert.act(env).action)
            steps += 1
        }
        let carried = try #require(env.carried)
        let offset = planarDistance(env.world.objects[i].position, env.world.objects[bowl].position)
        #expect(abs(carried.planarOffset - offset) < 1e-5 && !carried.landed && carried.height > 0.03)
        #expect(env.releases.isEmpty)
        var open = [Float](repeating: 0, count: 7)
        open[6] = -1
        _ = env.advance(open)
        let release = try #require(env.releases.first)
        #expect(release.step == steps && !release.landed && release.planarOffset > release.tolerance)
        #expect(release.height > 0.03, "the height before the object fell")
        #expect(env.carried == nil)
        env.resetState(task: TaskSpec(.place), seed: 3)
        #expect(env.releases.isEmpty)
    }
}
