// Tool-frame recipes (`model.action_frame: "tool"`): arm episodes load as tool motions
// with their own statistics, a model trains on them, its checkpoint remembers the frame,
// and the learned policy hands the robot joint deltas.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim

@Suite struct ToolFrameDataTests {
    func toolRecipe(steps: Int) throws -> Recipe {
        try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"tool","seed":3,"#
            + #""model":{"image_size":16,"patch_size":8,"width":32,"layers":1,"heads":2,"expert_layers":1,"expert_width":32,"#
            + #""chunk":4,"flow_steps":3,"action_bins":8,"text_tokens":16,"action_frame":"tool"},"phases":["#
            + trainPhase("main", steps: steps, batch: 8, lr: 0.003, #"{"robot":1}"#) + "]}").utf8))
    }

    @Test("episodes convert exactly, with statistics of the converted rows")
    func loading() throws {
        let scratch = Scratch("cotrain-toolframe")
        let store = scratch.file("episodes")
        try collect(smallPlan(.ur5e, [.pick], count: 3, seed: 21), into: store)
        let joint = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [])
        let tool = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool)
        let frame = try #require(ToolFrame(.ur5e))
        for converted in tool.pools[.robot]!.episodes {
            #expect(converted.isToolFrame && converted.metadata.actionDimension == 5 && converted.metadata.proprioDimension == 12)
            let original = try #require(joint.pools[.robot]!.episodes.first { $0.metadata.seed == converted.metadata.seed })
            let (p, a) = (original.proprioRows(), original.actionRows())
            let t = converted.steps / 2
            let arm = Array(p[(t * 7)..<(t * 7 + 7)])
            var row = [Float](repeating: 0, count: 5)
            row.withUnsafeMutableBufferPointer { converted.copyActions(step: t, count: 1, to: $0.baseAddress!) }
            #expect(row == frame.toolAction(armProprio: arm, jointAction: Array(a[(t * 7)..<(t * 7 + 7)])))
            #expect(Array(converted.proprioRows()[(t * 12)..<(t * 12 + 12)]) == frame.proprio(arm))
            #expect(converted.inToolFrame() === converted)  // converting twice is a no-op
        }
        let stats = try #require(tool.deploymentStats(for: .ur5e))
        #expect(stats.actions.count == 5 && stats.proprio.count == 12 && stats.steps == joint.deploymentStats(for: .ur5e)!.steps)
        // Joint-frame data under a tool-frame recipe is refused, not silently mixed.
        #expect(throws: TrainerError.self) { try PolicyAdapter(recipe: try toolRecipe(steps: 1), data: joint) }
    }

    @Test("train → checkpoint → the learned policy acts with joint deltas; eval-offline scores tool motions")
    func trainAndAct() throws {
        let scratch = Scratch("cotrain-toolframe-train")
        let store = scratch.file("episodes"), out = scratch.file("run")
        try collect(smallPlan(.ur5e, [.pick], count: 4, seed: 22), into: store)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool)
        var options = TrainerOptions(outputDirectory: out)
        (options.threads, options.checkpointInterval) = (2, 30)
        let result = try Trainer(recipe: try toolRecipe(steps: 30), data: data, options: options).run()
        #expect(result.last.action < result.first.action, "action loss \(result.first.action) → \(result.last.action)")

        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        let spec = try #require(provider.model.config.embodiment("ur5e"))
        #expect(spec.toolFrame == true && spec.actionDimension == 5 && spec.stateDimension == 12)
        var robot = SimRobot(.ur5e)
        let request = EpisodeRequest(task: TaskSpec(.pick), seed: 5, shift: .none, condition: "nominal", prompt: "")
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        let observation = try robot.reset(request)
        let chunk = policy.act(observation)
        #expect(chunk.count == 2 && chunk.allSatisfy { $0.count == 7 && $0.allSatisfy(\.isFinite) })
        let bounds = Embodiment.ur5e.chain.joints.map { $0.maxVelocity * Embodiment.ur5e.controlPeriod }
        #expect(chunk.allSatisfy { zip($0.prefix(6), bounds).allSatisfy { abs($0) <= $1 + 1e-6 } })
        // A robot the checkpoint was not trained for is refused.
        var gantry = SimRobot(.gantry)
        let other = EpisodeContext(capabilities: gantry.capabilities, request: request)
        _ = try gantry.reset(request)
        #expect(throws: RuntimeError.self) { try provider.makePolicy(for: other) }

        let opened = try EpisodeStore.open(at: store)
        let episodes = try opened.index.entries.map { try opened.open($0) }
        let report = try OfflineEvaluation.run(
            model: provider.model, episodes: episodes, embodiment: "ur5e", components: ToolFrame(.ur5e)!.actionComponentNames,
            steps: [0], limit: 2)
        #expect(report.rows.last!.r2.count == 5 && report.rows.last!.count == episodes.prefix(2).reduce(0) { $0 + $1.steps })
    }

    @Test("model.table_points: needs pointers and the tool frame; the config carries the simulator's calibration; a policy trains and acts")
    func tablePoints() throws {
        func recipe(_ model: String, frame: String = #","action_frame":"tool""#) throws -> Recipe {
            try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"table","seed":3,"#
                + #""model":{"image_size":16,"patch_size":8,"stem_channels":2,"wrist_camera":true,"width":32,"layers":1,"heads":2,"#
                + #""expert_layers":1,"expert_width":32,"chunk":4,"flow_steps":2,"text_tokens":16\#(frame),\#(model)},"#
                + #""loss_weights":{"pointing":1},"phases":["# + trainPhase("main", steps: 3, batch: 8, lr: 0.003, #"{"robot":1}"#) + "]}").utf8))
        }
        let reason = #"the pointers' points are lifted to offsets from the tool: set model.pointers and model.action_frame "tool" too"#
        #expect(throws: RecipeError.invalidValue(path: "model.table_points", reason: reason)) { try recipe(#""table_points":true"#) }
        #expect(throws: RecipeError.invalidValue(path: "model.table_points", reason: reason)) {
            try recipe(#""pointers":2,"table_points":true"#, frame: "")
        }
        let with = try recipe(#""pointers":2,"table_points":true"#)
        #expect(with.model.tablePoints && with.json.canonicalString.contains(#""table_points":true"#))
        #expect(!(try recipe(#""pointers":2"#)).json.canonicalString.contains("table_points"))

        let scratch = Scratch("cotrain-table-points")
        let store = scratch.file("episodes")
        var plan = smallPlan(.ur5e, [.place], count: 3, seed: 23)
        plan.wristCamera = true
        try collect(plan, into: store)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [], frame: .tool)
        let config = try PolicyAdapter(recipe: with, data: data).config
        #expect(config.tablePoints == TablePoints.simulator(wristFieldOfView: Camera.defaultWristFieldOfView))
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: with, data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        #expect(provider.model.config.tablePoints == config.tablePoints && provider.model.parameter("shared.pointer.table.weight") != nil)
        var robot = SimRobot(.ur5e, config: SimConfig(wristCamera: true))
        let request = EpisodeRequest(task: TaskSpec(.place), seed: 5, shift: .none, condition: "nominal", prompt: "")
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        let chunk = policy.act(try robot.reset(request))
        #expect(!chunk.isEmpty && chunk.allSatisfy { $0.count == 7 && $0.allSatisfy(\.isFinite) })
    }
}
