// The recipe's deployment settings (`model.sampling_noise`, `model.temporal_ensemble`)
// and the action normalisation's companding (`model.action_power`): how a trained
// policy acts by default, carried in the checkpoint.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime

@Suite struct SamplingNoiseTests {
    /// A model setting end to end: absent from the canonical recipe by default, written
    /// when set (the hash changes), round-trips, each bad value refused naming the key;
    /// returns the provider of a checkpoint trained with it.
    func checkSetting(
        _ key: String, set: (inout ModelConfig) -> Void, bad: [(inout ModelConfig) -> Void], expected: Double, scratch name: String
    ) throws -> CheckpointPolicyProvider {
        var recipe = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        let plain = recipe
        #expect(plain.json["model"]?[key] == nil)
        set(&recipe.model)
        try recipe.validate()
        #expect(recipe.json["model"]?[key]?.double == expected && recipe.hash != plain.hash)
        #expect(try Recipe(bytes: recipe.json.prettyBytes) == recipe)
        for change in bad {
            var r = plain
            change(&r.model)
            #expect { try r.validate() } throws: { "\($0)".contains("model.\(key)") }
        }
        let scratch = Scratch(name)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: SamplerFixture.shared.data, options: options).run()
        return try CheckpointPolicyProvider(path: scratch.file("run/checkpoint.safetensors"))
    }

    @Test("model.sampling_noise: written only when not 1, within 0...2, carried by the checkpoint into the policy provider; without it, noise 1 and no ensemble")
    func recipeToProvider() throws {
        let zero = try checkSetting(
            "sampling_noise", set: { $0.samplingNoise = 0 }, bad: [-0.5, 2.5, .infinity].map { v in { $0.samplingNoise = v } },
            expected: 0, scratch: "cotrain-sampling-noise")
        #expect(zero.model.config.samplingNoise == 0 && zero.noiseScale == 0)
        let scratch = Scratch("cotrain-sampling-noise-plain")
        var options = TrainerOptions(outputDirectory: scratch.file("plain"))
        options.threads = 1
        let plain = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 4, #"{"robot":1}"#) + "]")
        _ = try Trainer(recipe: plain, data: SamplerFixture.shared.data, options: options).run()
        let one = try CheckpointPolicyProvider(path: scratch.file("plain/checkpoint.safetensors"))
        #expect(one.model.config.samplingNoise == nil && one.noiseScale == 1)
        #expect(one.model.config.ensembleDecay == nil && one.ensembleDecay == nil)
    }

    @Test("model.temporal_ensemble: written only when set, within 0...10, carried by the checkpoint into the provider and its policies")
    func temporalEnsembleRecipeToProvider() throws {
        let provider = try checkSetting(
            "temporal_ensemble", set: { $0.temporalEnsemble = 0.5 }, bad: [-0.1, 10.5, .nan].map { v in { $0.temporalEnsemble = v } },
            expected: 0.5, scratch: "cotrain-temporal-ensemble")
        #expect(provider.model.config.ensembleDecay == 0.5 && provider.ensembleDecay == 0.5)
    }

    @Test("model.action_power: written only when not 1, within 0.2...1; the adapter hands the model raw actions either way, and the model's action statistics compand them")
    func actionPower() throws {
        let provider = try checkSetting(
            "action_power", set: { $0.actionPower = 0.5 }, bad: [0.1, 1.5, .nan].map { v in { $0.actionPower = v } },
            expected: 0.5, scratch: "cotrain-action-power")
        let kind = SamplerFixture.shared.data.ownEmbodiment.rawValue
        #expect(provider.model.normalization[kind]?.action.power == 0.5)
        let plain = try tinyRecipe("[" + trainPhase("a", steps: 2, batch: 8, #"{"robot":1}"#) + "]")
        var recipe = plain
        recipe.model.actionPower = 0.5
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
        #expect(linearAdapter.normalization[kind]?.action.power == nil && adapter.normalization[kind]?.action.power == 0.5)
        #expect(adapter.normalization[kind]?.action.linear == linearAdapter.normalization[kind]?.action)
    }
}
