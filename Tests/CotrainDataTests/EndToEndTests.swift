// The whole path at toy size: collect episodes, generate VL samples, train a tiny
// recipe, then evaluate the checkpoint in the simulator through the learned-policy
// provider and probe its VL knowledge. Learning is asserted through the losses (a
// model this small and this briefly trained is not expected to succeed at tasks).
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim

@Suite struct EndToEndTests {
    @Test("collect → train (80 steps) → evaluate on the smoke suite → VL probe")
    func trainAndEvaluate() throws {
        let scratch = Scratch("cotrain-e2e")
        let episodes = scratch.file("episodes"), vl = scratch.file("vl"), out = scratch.file("run")
        try collect(smallPlan(.ur5e, [.pick], count: 8, seed: 11), into: episodes)
        var shards = try VLShardStore.openOrCreate(at: vl)
        var plan = VLGeneratePlan(count: 48, seed: 12)
        (plan.imageSize, plan.probeCount, plan.shardSize) = (testImageSize, 6, 24)
        try VLCorpusGenerator.generate(plan, into: &shards)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [episodes], vlStores: [vl])

        let recipe = try tinyRecipe("[" + trainPhase("main", steps: 80, batch: 16, lr: 0.003, warmup: 5, #"{"robot":0.7,"vl":0.3}"#) + "]")
        var options = TrainerOptions(outputDirectory: out)
        (options.threads, options.checkpointInterval) = (2, 40)
        let result = try Trainer(recipe: recipe, data: data, options: options).run()
        #expect(result.step == 80 && !result.interrupted)
        #expect(result.last.action < 0.8 * result.first.action, "action loss \(result.first.action) → \(result.last.action)")
        #expect(result.last.text < 0.8 * result.first.text, "text loss \(result.first.text) → \(result.last.text)")
        let summary = try JSONValue.parse(try bytes(options.summaryPath))
        #expect(summary["complete"]?.bool == true && summary["recipe_sha256"]?.string == recipe.hash)

        // The simulator renders 64×64; the provider resizes to the model's 16×16.
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        #expect(provider.name == "run" && provider.step == 80 && provider.recipeHash == recipe.hash)
        var robot = SimRobot(.ur5e)
        var person = UnattendedOperator()
        let report = try EvaluationHarness.run(
            suite: try EvaluationSuite.named("smoke"), robot: &robot, robotName: "sim", provider: provider, operator: &person)
        #expect(report.cells.count == 1 && report.episodeCount == 2 && report.stoppedEarly == nil)
        #expect(report.cells[0].episodes.allSatisfy { $0.steps > 0 && $0.scoredBy == .robot && !$0.instruction.isEmpty })
        let file = scratch.file("eval.json")
        try report.write(to: file)
        let parsed = try JSONValue.parse(try bytes(file))
        #expect(parsed["policy"]?.string == "run" && parsed["suite"]?.string == "smoke")

        // A robot the checkpoint was not trained for is refused, not driven.
        var panda = SimRobot(.panda)
        #expect(throws: RuntimeError.self) {
            try EvaluationHarness.run(suite: try EvaluationSuite.named("smoke"), robot: &panda, robotName: "sim", provider: provider, operator: &person)
        }

        let probe = try VLProbe.run(model: provider.model, samples: data.probeSamples)
        #expect(probe.total == data.probeSamples.reduce(0) { $0 + $1.qa.count } && probe.total > 0)
        #expect((0...1).contains(probe.accuracy) && probe.byType.values.reduce(0) { $0 + $1.total } == probe.total)
    }

    @Test("the learned policy returns the first executeSteps actions of a chunk, in the robot's action size")
    func learnedPolicyChunks() throws {
        let recipe = try tinyRecipe("[" + trainPhase("main", steps: 1, batch: 4, #"{"robot":1}"#) + "]")
        let data = SamplerFixture.shared.data
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        let model = try PolicyModel(config: adapter.config, tokenizer: try Tokenizer.build(from: Trainer.corpus(data)), normalization: adapter.normalization)
        let provider = CheckpointPolicyProvider(model: model, name: "tiny")
        var robot = SimRobot(.ur5e)
        let request = EpisodeRequest(task: TaskSpec(.pick), seed: 5, shift: .none, condition: "nominal", prompt: "")
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        let observation = try robot.reset(request)
        let chunk = policy.act(observation)
        #expect(adapter.config.chunkLength == 4 && chunk.count == 2 && chunk.allSatisfy { $0.count == 7 })
        policy.reset()
        #expect(policy.act(observation) == chunk)  // same observation, same call index: same noise

        // With temporal ensembling: one action per call; the first is the chunk's first
        // action (nothing earlier covers it), the second the mean of two plans.
        provider.ensembleDecay = 0
        var ensembled = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        let first = ensembled.act(observation)
        #expect(first == [chunk[0]])
        let second = ensembled.act(observation)
        #expect(second.count == 1 && second[0].count == 7)
        var plans = TemporalEnsemble(decay: 0)
        let input = LearnedPolicy.policyObservation(observation, size: model.config.imageSize)
        _ = plans.next(try model.act(input, seed: 0x5EED_0000, noiseScale: provider.noiseScale))
        #expect(second[0] == plans.next(try model.act(input, seed: 0x5EED_0001, noiseScale: provider.noiseScale)))
        ensembled.reset()
        #expect(ensembled.act(observation) == first)
    }
}
