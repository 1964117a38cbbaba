import Testing
@testable import CotrainSim

@Suite struct EnvironmentTests {
    @Test(arguments: EmbodimentKind.allCases)
    func sameSeedGivesIdenticalEpisodeBytes(_ kind: EmbodimentKind) {
        let e = Embodiment.make(kind)
        let config = SimConfig(imageWidth: 32, imageHeight: 32, wristCamera: kind == .ur5e)
        let a = ScriptedExpert.record(embodiment: e, task: TaskSpec(.place), seed: 12, shifts: .lighting, config: config)
        let b = ScriptedExpert.record(embodiment: e, task: TaskSpec(.place), seed: 12, shifts: .lighting, config: config)
        let c = ScriptedExpert.record(embodiment: e, task: TaskSpec(.place), seed: 13, shifts: .lighting, config: config)
        #expect(a == b)
        #expect(a.digest == b.digest)
        #expect(a.digest != c.digest)
    }

    @Test func observationMatchesTheEmbodiment() {
        for kind in EmbodimentKind.allCases {
            var env = SimEnvironment(embodiment: .make(kind))
            let obs = env.reset(task: TaskSpec(.push), seed: 1)
            #expect(obs.embodiment == kind)
            #expect(obs.proprio.count == env.embodiment.proprioNames.count)
            #expect(obs.image.count == obs.imageWidth * obs.imageHeight * 3)
            #expect(obs.instruction == env.task.instruction && !obs.instruction.isEmpty)
        }
    }

    @Test func actionsAreClampedAndNonFiniteIgnored() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.pick), seed: 1)
        let q0 = env.q
        _ = env.advance([100, -100, .nan, .infinity, 0, 0, .nan])
        let bound = Float.pi * 0.1
        #expect(abs(env.q[0] - q0[0] - bound) < 1e-5)
        #expect(abs(env.q[1] - q0[1] + bound) < 1e-5)
        #expect(env.q[2] == q0[2] && env.q[3] == q0[3])
    }

    @Test func motionsLeavingTheWorkspaceAreRefused() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        var refusals = 0
        for sign: Float in [-1, 1] {
            env.resetState(task: TaskSpec(.pick), seed: 1)
            // Swinging the shoulder drives the tool into the table one way, off the table the other.
            for _ in 0..<30 {
                let info = env.advance([0, sign * 0.3, 0, 0, 0, 0, -1])
                if info.motionRefused { refusals += 1 }
                #expect(env.world.workspace.contains(tool: env.tool.translation))
            }
        }
        #expect(refusals > 10)
    }

    @Test func milestonesLatchAndTheBudgetEndsEpisodes() {
        var env = SimEnvironment(embodiment: .hand, config: SimConfig(renderImages: false))
        var policy = HoldStillPolicy(actionDimension: 7, chunk: 4)
        let outcome = env.run(&policy, task: TaskSpec(.pick), seed: 2)
        #expect(!outcome.success && outcome.completion == 0 && outcome.steps == TaskFamily.pick.maxSteps)
        // Grasp then let go: the grasp milestone stays reached.
        var expert = ScriptedExpert(embodiment: env.embodiment, seed: 2)
        env.resetState(task: TaskSpec(.place), seed: 2)
        while env.world.held == nil { _ = env.advance(expert.act(env).action) }
        _ = env.advance([0, 0, 0, 0, 0, 0, -1])
        #expect(env.world.held == nil && env.milestones == [true, false])
        #expect(env.world.interpenetratingPairs().isEmpty)
    }

    @Test func benchmarkReportsEveryFigure() {
        let r = SimBenchmark.run(embodiment: .scara, seconds: 0.02, imageWidth: 32, imageHeight: 32)
        #expect(r.simStepsPerSecond > 0 && r.rendersPerSecond > 0)
        #expect(r.expertEpisodesPerSecond > 0 && r.evalEpisodesPerSecond > 0)
        #expect(r.summary.contains("renders/s"))
        #expect((r.toolChunksPerSecond ?? 0) > 0 && r.summary.contains("tool-frame chunks/s"))
        #expect(SimBenchmark.toolChunks(.gantry, 0.01) == nil)
    }
}
