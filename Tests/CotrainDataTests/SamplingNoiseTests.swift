// The recipe's `model.sampling_noise`: how a trained policy samples its chunks by
// default (`cotrain eval --noise` overrides), carried in the checkpoint's config.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime

@Suite struct SamplingNoiseTests {
    @Test("model.sampling_noise: written only when not 1, within 0...2, carried by the checkpoint into the policy provider")
    func recipeToProvider() throws {
        var recipe = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        let plain = recipe
        #expect(plain.json["model"]?["sampling_noise"] == nil)
        recipe.model.samplingNoise = 0
        try recipe.validate()
        #expect(recipe.json["model"]?["sampling_noise"]?.double == 0 && recipe.hash != plain.hash)
        #expect(try Recipe(bytes: recipe.json.prettyBytes) == recipe)
        for bad in [-0.5, 2.5, Double.infinity] {
            var r = plain
            r.model.samplingNoise = bad
            #expect { try r.validate() } throws: { "\($0)".contains("model.sampling_noise") }
        }
        let scratch = Scratch("cotrain-sampling-noise")
        var options = TrainerOptions(outputDirectory: scratch.file("zero"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: SamplerFixture.shared.data, options: options).run()
        let zero = try CheckpointPolicyProvider(path: scratch.file("zero/checkpoint.safetensors"))
        #expect(zero.model.config.samplingNoise == 0 && zero.noiseScale == 0)
        options.outputDirectory = scratch.file("plain")
        _ = try Trainer(recipe: plain, data: SamplerFixture.shared.data, options: options).run()
        let one = try CheckpointPolicyProvider(path: scratch.file("plain/checkpoint.safetensors"))
        #expect(one.model.config.samplingNoise == nil && one.noiseScale == 1)
        #expect(one.model.config.ensembleDecay == nil && one.ensembleDecay == nil)
    }

    @Test("model.temporal_ensemble: written only when set, within 0...10, carried by the checkpoint into the provider and its policies")
    func temporalEnsembleRecipeToProvider() throws {
        var recipe = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        let plain = recipe
        #expect(plain.json["model"]?["temporal_ensemble"] == nil)
        recipe.model.temporalEnsemble = 0.5
        try recipe.validate()
        #expect(recipe.json["model"]?["temporal_ensemble"]?.double == 0.5 && recipe.hash != plain.hash)
        #expect(try Recipe(bytes: recipe.json.prettyBytes) == recipe)
        for bad in [-0.1, 10.5, Double.nan] {
            var r = plain
            r.model.temporalEnsemble = bad
            #expect { try r.validate() } throws: { "\($0)".contains("model.temporal_ensemble") }
        }
        let scratch = Scratch("cotrain-temporal-ensemble")
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: SamplerFixture.shared.data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: scratch.file("run/checkpoint.safetensors"))
        #expect(provider.model.config.ensembleDecay == 0.5 && provider.ensembleDecay == 0.5)
    }

    @Test("model.action_power: written only when not 1, within 0.2...1; the adapter hands the model raw actions either way, and the model's action statistics compand them")
    func actionPower() throws {
        var recipe = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 8, #"{"robot":1}"#) + "]")
        let plain = recipe
        #expect(plain.json["model"]?["action_power"] == nil)
        recipe.model.actionPower = 0.5
        try recipe.validate()
        #expect(recipe.json["model"]?["action_power"]?.double == 0.5 && recipe.hash != plain.hash)
        #expect(try Recipe(bytes: recipe.json.prettyBytes) == recipe)
        for bad in [0.1, 1.5, Double.nan] {
            var r = plain
            r.model.actionPower = bad
            #expect { try r.validate() } throws: { "\($0)".contains("model.action_power") }
        }
        let data = SamplerFixture.shared.data
        func rawActions(_ r: Recipe) throws -> ([[[Float]]], PolicyAdapter) {
            let sampler = try MixtureSampler(recipe: r, data: data)
            let adapter = try PolicyAdapter(recipe: r, data: data)
            var batch = sampler.makeBatch()
            sampler.fill(&batch, step: 0)
            return (try adapter.policyBatch(batch).0.samples.compactMap(\.actions), adapter)
        }
        let (linear, linearAdapter) = try rawActions(plain), (companded, adapter) = try rawActions(recipe)
        #expect(!linear.isEmpty && linear == companded, "the same raw actions reach the model")
        let kind = data.ownEmbodiment.rawValue
        #expect(linearAdapter.normalization[kind]?.action.power == nil && adapter.normalization[kind]?.action.power == 0.5)
        #expect(adapter.normalization[kind]?.action.linear == linearAdapter.normalization[kind]?.action)
        let scratch = Scratch("cotrain-action-power")
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: scratch.file("run/checkpoint.safetensors"))
        #expect(provider.model.normalization[kind]?.action.power == 0.5)
    }
}
