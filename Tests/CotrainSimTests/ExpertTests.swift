import Testing
@testable import CotrainSim

@Suite struct ExpertTests {
    /// Every embodiment × task: ≥ 95 % success over 40 nominal seeds, inside the budget.
    @Test(arguments: EmbodimentKind.allCases)
    func expertsSucceedOnNominalEpisodes(_ kind: EmbodimentKind) {
        var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
        for family in TaskFamily.allCases {
            var successes = 0
            for seed in 0..<40 as Range<UInt64> {
                let r = ScriptedExpert.rollout(env: &env, task: TaskSpec(family), seed: seed)
                if r.success { successes += 1; #expect(r.completion == 1) }
                #expect(env.world.interpenetratingPairs().isEmpty)
            }
            #expect(successes >= 38, "\(kind) \(family): \(successes)/40")
        }
    }

    @Test func expertsHandleShiftsAndHeldOutConcepts() {
        let scene = SceneConfig(colours: [.pink, .cyan, .white], shapes: [.cube, .cylinder], distractors: 2...3)
        for kind in EmbodimentKind.allCases {
            var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
            var successes = 0
            for seed in 0..<24 as Range<UInt64> {
                let family = TaskFamily.allCases[Int(seed) % TaskFamily.allCases.count]
                if ScriptedExpert.rollout(env: &env, task: TaskSpec(family, scene: scene), seed: seed, shifts: .distractors).success {
                    successes += 1
                }
            }
            #expect(successes >= 22, "\(kind): \(successes)/24")
        }
    }

    @Test func episodesAreShortAndAnnotated() {
        let e = ScriptedExpert.record(embodiment: .panda, task: TaskSpec(.pick), seed: 7)
        #expect(e.success && e.steps <= 30)
        #expect(e.images.count == e.steps * 64 * 64 * 3)
        #expect(e.actions.count == e.steps * 8 && e.proprio.count == e.steps * 8)
        #expect(e.annotations.count == e.steps)
        #expect(e.annotations.first == "move above the \(nameOfTarget(e))")
        #expect(e.annotations.contains("close the gripper"))
        #expect(e.annotations.contains { $0.hasPrefix("lift the") })
        let suction = ScriptedExpert.record(embodiment: .scara, task: TaskSpec(.place), seed: 7, config: SimConfig(renderImages: false))
        #expect(suction.annotations.contains("turn on the suction") && suction.annotations.contains("turn off the suction"))
        #expect(suction.images.isEmpty)
    }

    func nameOfTarget(_ e: Episode) -> String {
        var env = SimEnvironment(embodiment: .make(e.embodiment), config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(e.family), seed: e.seed)
        guard case .pick(let i) = env.task.goal else { return "" }
        return env.world.objects[i].name
    }
}
