// The tool's motion in the state (recipe `model.tool_motion`): episodes convert with
// the motion over the last half chunk, the recipe and the model's config say so, and a
// learned policy gives the model the motion since its previous chunk — refusing to run
// when it would not execute exactly that many actions.
import Foundation
import Testing
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim

@Suite struct ToolMotionTests {
    func recipe(_ extra: String, frame: String = #","action_frame":"tool""#, steps: Int = 20) throws -> Recipe {
        try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"motion","seed":3,"#
            + #""model":{"image_size":16,"patch_size":8,"width":32,"layers":1,"heads":2,"expert_layers":1,"expert_width":32,"#
            + #""chunk":4,"flow_steps":3,"text_tokens":16\#(frame)\#(extra)},"phases":["#
            + trainPhase("main", steps: steps, batch: 8, lr: 0.003, #"{"robot":1}"#) + "]}").utf8))
    }

    @Test("ToolFrame: the motion sits between the arm's values and the pose; none without an earlier state")
    func frame() throws {
        let plain = try #require(ToolFrame(.ur5e)), moving = try #require(ToolFrame(.ur5e, motionWindow: 3))
        #expect(moving.proprioDimension == plain.proprioDimension + 3 && moving.proprioComponentNames.count == moving.proprioDimension)
        #expect(moving.proprioComponentNames.suffix(8).prefix(3) == ["tool.motion.dx", "tool.motion.dy", "tool.motion.dz"])
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.pick), seed: 4)
        let before = env.proprio
        for _ in 0..<3 { _ = env.advance([0.05, -0.04, 0.03, 0, 0, 0, -1]) }
        let after = env.proprio
        let row = moving.proprio(after, earlier: before)
        let expected = plain.toolPosition(after) - plain.toolPosition(before)
        let distance = (expected * expected).sum().squareRoot()
        #expect(distance > 0.01, "the arm moved \(distance) m")
        #expect(Array(row[7..<10]) == [expected.x, expected.y, expected.z])
        // The rest is the plain tool frame's row: the pose stays last, for table points.
        #expect(Array(row[..<7]) + Array(row[10...]) == plain.proprio(after))
        #expect(Array(moving.proprio(after)[7..<10]) == [0, 0, 0])
    }

    @Test("episodes convert with the motion over the window, from step 0 at the start")
    func conversion() throws {
        let scratch = Scratch("cotrain-tool-motion")
        let store = scratch.file("episodes")
        try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 24), into: store)
        let plain = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool)
        let moving = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool, motionWindow: 2)
        for (a, b) in zip(plain.pools[.robot]!.episodes, moving.pools[.robot]!.episodes) {
            #expect(b.metadata.proprioDimension == 15 && a.metadata.proprioDimension == 12 && a.actionRows() == b.actionRows())
            let (pa, pb) = (a.proprioRows(), b.proprioRows())
            func position(_ t: Int) -> SIMD3<Float> { SIMD3(pa[t * 12 + 7], pa[t * 12 + 8], pa[t * 12 + 9]) }
            for t in [0, 1, 2, a.steps - 1] {
                let motion = position(t) - position(max(0, t - 2))
                let row = Array(pb[(t * 15)..<((t + 1) * 15)])
                #expect(zip(row[7..<10], [motion.x, motion.y, motion.z]).allSatisfy { abs($0 - $1) < 1e-5 }, "step \(t)")
                #expect(Array(row[..<7]) + Array(row[10...]) == Array(pa[(t * 12)..<((t + 1) * 12)]))
            }
            #expect(pb[7..<10].allSatisfy { $0 == 0 })
        }
        #expect(moving.deploymentStats(for: .ur5e)?.proprio.count == 15)
    }

    @Test("model.tool_motion: needs the tool frame, is written only when on, and spans the half chunk")
    func recipeField() throws {
        #expect(throws: RecipeError.invalidValue(path: "model.tool_motion", reason: #"the motion is the tool's, in the tool frame: set model.action_frame "tool" too"#)) {
            try recipe(#","tool_motion":true"#, frame: "")
        }
        let on = try recipe(#","tool_motion":true"#), off = try recipe("")
        #expect(on.model.toolMotion && on.model.motionWindow == 2 && off.model.motionWindow == 0)
        #expect(on.json.canonicalString.contains(#""tool_motion":true"#) && !off.json.canonicalString.contains("tool_motion"))
        #expect(try recipe(#","tool_motion":false"#).hash == off.hash)
        #expect(throws: (any Error).self) { try recipe(#","tool_motion":2"#) }

        var config = PolicyConfig(embodiments: [EmbodimentSpec(name: "ur5e", stateDimension: 15, actionDimension: 5, toolFrame: true)])
        (config.chunkLength, config.executeSteps, config.motionWindow) = (4, 2, 2)
        try config.validate()
        config.motionWindow = 5
        #expect(throws: PolicyError.invalidConfig("motionWindow must be within 1…chunkLength (4), got 5")) { try config.validate() }
        config = PolicyConfig(embodiments: [EmbodimentSpec(name: "ur5e", stateDimension: 7, actionDimension: 7)])
        (config.chunkLength, config.executeSteps, config.motionWindow) = (4, 2, 2)
        #expect(throws: PolicyError.invalidConfig("motionWindow needs an embodiment that acts in the tool frame")) { try config.validate() }
    }

    @Test("train → checkpoint → the policy reads the tool's motion since its previous chunk; other execution is refused")
    func trainAndAct() throws {
        let scratch = Scratch("cotrain-tool-motion-train")
        let store = scratch.file("episodes")
        try collect(smallPlan(.ur5e, [.pick], count: 3, seed: 25), into: store)
        let recipe = try recipe(#","tool_motion":true"#)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool, motionWindow: 2)
        // Data converted without the motion do not fit the recipe.
        let plain = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool)
        #expect(throws: TrainerError.self) { try PolicyAdapter(recipe: recipe, data: plain) }
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: data, options: options).run()

        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        #expect(provider.model.config.motionWindow == 2 && provider.model.config.embodiment("ur5e")?.stateDimension == 15)
        var robot = SimRobot(.ur5e)
        let request = EpisodeRequest(task: TaskSpec(.pick), seed: 6, shift: .none, condition: "nominal", prompt: "")
        let context = EpisodeContext(capabilities: robot.capabilities, request: request)
        var policy = try provider.makePolicy(for: context)
        let first = try robot.reset(request)
        #expect(Array(policy.modelInput(first).proprio[7..<10]) == [0, 0, 0])
        let chunk = policy.act(first)
        #expect(chunk.count == 2)
        var now = first
        for action in chunk { now = try robot.act(action).observation }
        let frame = try #require(ToolFrame(.ur5e))
        let moved = frame.toolPosition(now.proprio) - frame.toolPosition(first.proprio)
        #expect(Array(policy.modelInput(now).proprio[7..<10]) == [moved.x, moved.y, moved.z])
        policy.reset()
        #expect(Array(policy.modelInput(now).proprio[7..<10]) == [0, 0, 0])

        // Executing other than the window's actions per chunk would feed it another motion.
        for change in [{ (p: CheckpointPolicyProvider) in p.executeSteps = 1 }, { $0.ensembleDecay = 0.5 }] {
            let other = try CheckpointPolicyProvider(path: options.checkpointPath)
            change(other)
            #expect(throws: RuntimeError.self) { try other.makePolicy(for: context) }
        }
        // Offline evaluation converts the episodes as the model read them in training.
        let opened = try EpisodeStore.open(at: store)
        let report = try OfflineEvaluation.run(
            model: provider.model, episodes: [try opened.open(opened.index.entries[0])], embodiment: "ur5e",
            components: frame.actionComponentNames, steps: [0], limit: 1)
        #expect(report.rows.last!.r2.count == 5)
    }
}
