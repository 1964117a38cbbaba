// On-policy corrections (DAgger): a driver acts, the expert labels every state it
// reaches, and re-synchronises its sub-step with what the driver did.
import Testing

@testable import CotrainSim

@Suite struct CorrectionTests {
    static let config = SimConfig(renderImages: false)

    @Test("with the expert's share at 1 a correction episode is the expert's own demonstration")
    func expertShareOneIsADemonstration() {
        for (family, seed) in [(TaskFamily.pick, UInt64(3)), (.place, 4), (.place, 9)] {
            var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
            let demo = ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: seed)
            var driver = HoldStillPolicy(actionDimension: 7, chunk: 4)
            let corrected = ScriptedExpert.recordCorrections(env: &env, task: TaskSpec(family), seed: seed, driver: &driver, expertShare: 1)
            #expect(corrected == demo, "\(family) seed \(seed)")
        }
    }

    @Test("a driver that holds still: the arm stays put, every step records the expert's way out")
    func holdStillDriver() {
        var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
        var driver = HoldStillPolicy(actionDimension: 7, chunk: 4)
        let e = ScriptedExpert.recordCorrections(env: &env, task: TaskSpec(.place), seed: 5, driver: &driver, expertShare: 0)
        #expect(!e.success && e.steps == TaskFamily.place.maxSteps)
        let n = e.proprioDimension
        for t in 1..<e.steps { #expect(Array(e.proprio[t * n..<(t * n + 6)]) == Array(e.proprio[0..<6])) }
        // The expert keeps asking to move toward the cube (the state never changes; its
        // style hesitates now and then, at most 4 % of free-space steps).
        let moving = (0..<e.steps).filter { t in (0..<6).contains { abs(e.actions[t * e.actionDimension + $0]) > 1e-4 } }
        #expect(moving.count >= e.steps * 9 / 10)
        #expect(e.annotations.allSatisfy { $0.hasPrefix("move above") })
        var again = HoldStillPolicy(actionDimension: 7, chunk: 4)
        #expect(ScriptedExpert.recordCorrections(env: &env, task: TaskSpec(.place), seed: 5, driver: &again, expertShare: 0) == e)
    }

    @Test("half the chunks the expert's: a still driver's episode still progresses; the envelope can stop it")
    func mixedTurns() {
        var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
        var driver = HoldStillPolicy(actionDimension: 7, chunk: 2)
        let e = ScriptedExpert.recordCorrections(env: &env, task: TaskSpec(.pick), seed: 2, driver: &driver, expertShare: 0.5)
        // The expert's turns reach the cube and grasp it (the still driver's open gripper
        // then lets it go again).
        #expect(e.milestonesReached >= 1, "milestones \(e.milestonesReached)")
        var demoEnv = SimEnvironment(embodiment: .ur5e, config: Self.config)
        #expect(e.steps > ScriptedExpert.record(env: &demoEnv, task: TaskSpec(.pick), seed: 2).steps)
        var calls = 0
        let stopped = ScriptedExpert.recordCorrections(env: &env, task: TaskSpec(.pick), seed: 2, driver: &driver, expertShare: 0.5) { a, _ in
            calls += 1
            return calls > 5 ? nil : a
        }
        #expect(stopped.steps == 5 && !stopped.success)
    }

    /// Drives `env` with `driver` (another expert) until `until` holds; false if it never does.
    func drive(_ env: inout SimEnvironment, _ driver: inout ScriptedExpert, until: (SimEnvironment, ScriptedExpert) -> Bool) -> Bool {
        while !env.isDone {
            if until(env, driver) { return true }
            _ = env.advance(driver.act(env).action)
        }
        return false
    }

    @Test("over the object, below the hover point, the labelling expert descends rather than going back up")
    func resyncDescends() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
        env.resetState(task: TaskSpec(.pick), seed: 7)
        guard case .pick(let cube) = env.task.goal else { Issue.record("not a pick task"); return }
        var labeller = ScriptedExpert(embodiment: env.embodiment, seed: 7)
        _ = labeller.act(env)
        var driver = ScriptedExpert(embodiment: env.embodiment, seed: 70)
        // Halfway down the driver's descent: the labeller, which never saw its hover point,
        // still approaches until it re-synchronises.
        #expect(drive(&env, &driver) { e, d in
            let o = e.world.objects[cube]
            return d.phase == .descend && e.tool.translation.z < o.top + 0.02
                && planarDistance(o.position + labeller.style.graspOffset, e.tool.translation) < 0.01
        })
        #expect(labeller.phase == .approach)
        labeller.resync(env)
        #expect(labeller.phase == .descend)
        #expect(labeller.act(env).annotation.hasPrefix("lower the gripper"))
    }

    @Test("the labelling expert follows a driver's grasp, carry and wrong grasp")
    func resync() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
        env.resetState(task: TaskSpec(.place), seed: 12)
        guard case .place(let cube, let bowl) = env.task.goal else { Issue.record("not a place task"); return }
        var labeller = ScriptedExpert(embodiment: env.embodiment, seed: 12)
        #expect(labeller.act(env).annotation.hasPrefix("move above"))
        var driver = ScriptedExpert(embodiment: env.embodiment, seed: 99)
        // The driver grasps: the labeller, still approaching, settles and lifts.
        #expect(drive(&env, &driver) { e, _ in e.world.held == cube })
        labeller.resync(env)
        #expect(labeller.phase == .close)
        #expect(labeller.act(env).annotation == "close the gripper")
        // The driver carries the cube low over the bowl: the labeller lowers it from there.
        #expect(drive(&env, &driver) { e, d in
            let aim = e.world.objects[bowl].position - (e.world.objects[cube].position - e.tool.translation)
            return planarDistance(aim, e.tool.translation) < ScriptedExpert.correctionLowerRadius && d.phase == .lower
        })
        labeller.phase = .lift
        labeller.resync(env)
        #expect(labeller.phase == .lower)
        #expect(labeller.act(env).annotation.hasPrefix("lower the"))
        // Holding the bowl instead: let go and start over.
        var grasped = env
        grasped.world.held = bowl
        labeller.resync(grasped)
        #expect(labeller.phase == .reopen)
    }
}
