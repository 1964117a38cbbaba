import CotrainCore
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import Testing

@testable import CotrainData

/// The wrist camera from collection to evaluation: stored per step beside the main
/// image, batched, read by a model with `wrist_camera`, rendered by the simulator when
/// such a checkpoint is evaluated.
@Suite struct WristCameraTests {
    /// A tiny recipe with the wrist camera on (and a stem, so both cameras get keypoints).
    static func wristRecipe(steps: Int = 2) throws -> Recipe {
        try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"wrist","seed":3,"#
            + #""model":{"image_size":16,"patch_size":8,"stem_channels":2,"wrist_camera":true,"width":32,"layers":1,"heads":2,"#
            + #""expert_layers":1,"expert_width":32,"chunk":4,"flow_steps":2,"text_tokens":16},"#
            + #""phases":[{"name":"main","steps":\#(steps),"learning_rate":0.002,"warmup":0,"batch_size":8,"mixture":{"robot":1}}]}"#).utf8))
    }

    @Test("collect --wrist stores a wrist image per step; a store without them is refused for a wrist recipe")
    func storedAndRequired() throws {
        let scratch = Scratch("cotrain-wrist")
        var plan = smallPlan(.ur5e, [.pick], count: 2, seed: 5)
        plan.wristCamera = true
        let store = try collect(plan, into: scratch.file("wrist"))
        let episode = try store.open(store.index.entries[0], verify: true)
        let pixels = testImageSize * testImageSize * 3
        #expect(episode.hasWristImages && episode.wristImages().count == episode.steps * pixels)
        #expect(episode.wristImages() != episode.images())  // a different camera, not a copy
        var step1 = [UInt8](repeating: 0, count: pixels)
        step1.withUnsafeMutableBytes { episode.copyWristImage(step: 1, to: $0.baseAddress!) }
        #expect(step1 == Array(episode.wristImages()[pixels..<(2 * pixels)]))

        try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 5), into: scratch.file("plain"))
        let plain = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("plain")], vlStores: [])
        #expect(plain.available.ownEpisodesWithoutWrist == 2)
        #expect(throws: RecipeError.self) { try Self.wristRecipe().validate(against: plain.available) }
        do {
            try Self.wristRecipe().validate(against: plain.available)
        } catch {
            #expect("\(error)".contains("wrist") && "\(error)".contains("--wrist"))
        }
    }

    @Test("a wrist recipe trains on both cameras, and its checkpoint evaluates on a simulator that renders the wrist view")
    func trainsAndEvaluates() throws {
        let scratch = Scratch("cotrain-wrist-run")
        var plan = smallPlan(.ur5e, [.pick], count: 4, seed: 9)
        plan.wristCamera = true
        try collect(plan, into: scratch.file("episodes"))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        let recipe = try Self.wristRecipe()
        try recipe.validate(against: data.available)

        // Batches carry the wrist image into the policy sample.
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        #expect(adapter.config.cameras == 2 && adapter.config.imageTokens == 2 * (4 + 2))
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: 0)
        let (policyBatch, _) = try adapter.policyBatch(batch)
        #expect(policyBatch.samples.allSatisfy { $0.wristImage?.count == testImageSize * testImageSize * 3 })

        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 2
        let result = try Trainer(recipe: recipe, data: data, options: options).run()
        #expect(result.step == 2)

        // The model reads the wrist image: changing it changes the chunk.
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        #expect(provider.needsWristCamera)
        let sample = policyBatch.samples[0]
        func chunk(_ wrist: [UInt8]?) throws -> [[Float]] {
            try provider.model.act(PolicyObservation(image: sample.image!, wristImage: wrist, proprio: sample.proprio!,
                                                     instruction: "pick up the red cube", embodiment: "ur5e"), seed: 1)
        }
        #expect(try chunk(sample.wristImage) != chunk(sample.wristImage!.map { 255 - $0 }))

        // A robot without a wrist camera is refused; the simulator with one is driven.
        var person = UnattendedOperator()
        var blind = SimRobot(.ur5e)
        #expect(throws: RuntimeError.self) {
            try EvaluationHarness.run(suite: try EvaluationSuite.named("smoke"), robot: &blind, robotName: "sim", provider: provider, operator: &person)
        }
        var robot = SimRobot(.ur5e, config: SimConfig(wristCamera: true))
        let report = try EvaluationHarness.run(
            suite: try EvaluationSuite.named("smoke"), robot: &robot, robotName: "sim", provider: provider, operator: &person)
        #expect(report.episodeCount == 2 && report.stoppedEarly == nil && report.cells[0].episodes.allSatisfy { $0.steps > 0 })
    }
}
