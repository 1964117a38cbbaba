import Testing

@testable import CotrainSim

/// What demonstrations show besides the straight path: approaches that reach hover
/// height at different points of the planar approach, and recoveries from missed grasps
/// (`ScriptedExpert.record(…, misses:)`).
@Suite struct DemonstrationVarietyTests {
    static let config = SimConfig(renderImages: false)

    /// The planar gap between tool and object when the tool first comes within 1 cm of
    /// the expert's hover height, for a pick episode of `seed`.
    static func gapAtHoverHeight(_ seed: UInt64) -> Float? {
        var env = SimEnvironment(embodiment: .ur5e, config: config)
        var expert = ScriptedExpert(embodiment: .ur5e, seed: seed)
        env.resetState(task: TaskSpec(.pick), seed: seed)
        guard case .pick(let i) = env.task.goal else { return nil }
        while !env.isDone {
            let o = env.world.objects[i], tool = env.tool.translation
            if tool.z < o.position.z + o.height + expert.style.hover + 0.01 { return planarDistance(tool, o.position) }
            _ = env.advance(expert.act(env).action)
        }
        return nil
    }

    @Test("the tool reaches hover height both far from the object and right above it, so height alone does not say when to descend")
    func hoverHeightDoesNotTellAlignment() {
        let gaps = (0..<60 as Range<UInt64>).compactMap(Self.gapAtHoverHeight)
        #expect(gaps.count == 60)
        #expect(gaps.filter { $0 > 0.06 }.count >= 10, "drop-first approaches: \(gaps.filter { $0 > 0.06 }.count)/60")
        #expect(gaps.filter { $0 < 0.025 }.count >= 10, "aligned arrivals: \(gaps.filter { $0 < 0.025 }.count)/60")
    }

    @Test(
        "the fingers hold still, closed, for two steps after they grasp, before the lift (a learner that lifts a step early still lifts a held object)",
        arguments: [EmbodimentKind.ur5e, .panda, .gantry])
    func graspSettlesBeforeTheLift(_ kind: EmbodimentKind) {
        for seed in UInt64(1)...8 {
            var env = SimEnvironment(embodiment: .make(kind), config: Self.config)
            var expert = ScriptedExpert(embodiment: .make(kind), seed: seed)
            env.resetState(task: TaskSpec(.pick), seed: seed)
            var heldAt: Int? = nil
            var tools: [Vec3] = []
            var annotations: [String] = []
            while !env.isDone && tools.count < 200 {
                let (action, words) = expert.act(env)
                tools.append(env.tool.translation); annotations.append(words)
                _ = env.advance(action)
                if heldAt == nil && env.world.held != nil { heldAt = tools.count }
            }
            guard let g = heldAt, g + 3 < tools.count else { Issue.record("\(kind) seed \(seed): no grasp"); continue }
            // Steps g and g+1 act on a held object without moving it; step g+2 lifts.
            for t in g...(g + 1) {
                #expect(length(tools[t + 1] - tools[t]) < 0.002, "\(kind) seed \(seed) step \(t): still after the grasp")
                #expect(annotations[t] == "close the gripper")
            }
            #expect(annotations[g + 2].hasPrefix("lift"), "\(kind) seed \(seed): lifts on the third step after the grasp")
            #expect(tools[min(g + 6, tools.count - 1)].z > tools[g + 2].z + 0.01, "\(kind) seed \(seed): and rises")
        }
    }

    static func episode(_ seed: UInt64, _ family: TaskFamily, misses: Float, on kind: EmbodimentKind = .ur5e)
        -> (Episode, SimEnvironment)
    {
        var env = SimEnvironment(embodiment: .make(kind), config: config)
        let e = ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: seed, perturbation: 0.02, misses: misses)
        return (e, env)
    }

    @Test(
        "with misses 1 every grasping episode first closes beside the object, records an expert that never closes there, and still succeeds",
        arguments: [EmbodimentKind.ur5e, .panda, .gantry])
    func missedGraspsAreRecoveredFrom(_ kind: EmbodimentKind) {
        for seed in UInt64(1)...6 {
            for family in [TaskFamily.pick, .place] {
                let (e, env) = Self.episode(seed, family, misses: 1, on: kind)
                #expect(e.success, "\(kind) \(family) seed \(seed) recovers and succeeds")
                #expect(e == Self.episode(seed, family, misses: 1, on: kind).0, "deterministic")
                let attempts = env.graspAttempts
                guard attempts.count >= 2, let first = attempts.first else {
                    Issue.record("\(kind) \(family) seed \(seed): \(attempts.count) grasp attempts")
                    continue
                }
                #expect(!first.fit.withinPlanar, "the first close is beside the object: \(first.fit.planarOffset) m")
                // The recorded gripper command stays open until the grasp that is aimed right.
                let n = e.actionDimension, retry = attempts[1].step
                for t in 0..<retry { #expect(e.actions[t * n + n - 1] < 0, "step \(t) of \(retry): recorded gripper open") }
                #expect(!e.annotations[..<retry].contains("close the gripper"))
                #expect(e.annotations[retry] == "close the gripper")
            }
        }
    }

    @Test("in a missed-grasp episode, the recorded actions turn the wrist to a cube as the executed arm does")
    func recoveryLabelsTurnTheWrist() throws {
        let frame = try #require(ToolFrame(.make(.ur5e)))
        var checked = 0
        for seed in UInt64(0)..<30 {
            var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
            env.resetState(task: TaskSpec(.pick), seed: seed)
            guard case .pick(let i) = env.task.goal, env.world.objects[i].shape == .cube,
                abs(wrapSymmetric(env.tool.yaw - env.world.objects[i].yaw, period: .pi / 2)) > 0.3
            else { continue }
            let (e, after) = Self.episode(seed, .pick, misses: 1)
            guard after.graspAttempts.count >= 2 else { continue }
            let n = e.actionDimension, retry = after.graspAttempts[1].step
            let turns = (0..<retry).map { t in
                frame.toolAction(armProprio: Array(e.proprio[(t * n)..<((t + 1) * n)]), jointAction: Array(e.actions[(t * n)..<((t + 1) * n)]))[3]
            }
            #expect(turns.contains { abs($0) > 0.1 }, "seed \(seed): the labels before the retry turn the wrist")
            checked += 1
        }
        #expect(checked >= 3)
    }

    @Test("misses 0 records the same episode as before; push episodes have no grasp to miss")
    func missesOffAndPushAreUnchanged() {
        for seed in UInt64(1)...3 {
            var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
            let plain = ScriptedExpert.record(env: &env, task: TaskSpec(.pick), seed: seed, perturbation: 0.02)
            #expect(Self.episode(seed, .pick, misses: 0).0 == plain)
            #expect(Self.episode(seed, .push, misses: 1).0 == Self.episode(seed, .push, misses: 0).0)
        }
    }

    @Test("a fraction of misses picks about that fraction of the episodes")
    func missFractionIsRespected() {
        var missed = 0
        for seed in UInt64(0)..<60 {
            let (_, env) = Self.episode(seed, .pick, misses: 0.3)
            if let first = env.graspAttempts.first, !first.fit.withinPlanar { missed += 1 }
        }
        #expect((8...28).contains(missed), "\(missed)/60 episodes missed first")
    }

    @Test("after-success steps extend an episode with the expert's follow-through: a place shows the gripper opening and rising, not one open command at its very end")
    func afterSuccessRecordsTheFollowThrough() {
        for seed in UInt64(1)...4 {
            for family in [TaskFamily.pick, .place] {
                var env = SimEnvironment(embodiment: .ur5e, config: Self.config)
                let plain = ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: seed, perturbation: 0.02)
                let longer = ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: seed, perturbation: 0.02, afterSuccess: 4)
                #expect(plain.success && longer.success)
                #expect(longer.steps == plain.steps + 4)
                let n = plain.actionDimension
                #expect(Array(longer.actions.prefix(plain.actions.count)) == plain.actions, "the episode up to success is unchanged")
                #expect(Array(longer.annotations.prefix(plain.steps)) == plain.annotations)
                let tail = longer.annotations.suffix(5)
                if family == .place {
                    #expect(plain.annotations.last == "open the gripper")
                    #expect(plain.annotations.filter { $0 == "open the gripper" }.count == 1, "without follow-through a place opens once")
                    #expect(tail.filter { $0 == "open the gripper" }.count == 2 && tail.last == "move the gripper up", "\(tail)")
                    // Every step from the release on commands an open gripper.
                    for t in (longer.steps - 5)..<longer.steps { #expect(longer.actions[t * n + n - 1] <= 0) }
                } else {
                    #expect(tail.allSatisfy { $0.hasPrefix("lift") }, "a pick holds the object up: \(tail)")
                }
            }
        }
    }
}
