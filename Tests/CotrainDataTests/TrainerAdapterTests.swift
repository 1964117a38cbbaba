// The trainer through the real adapter: which objectives each modality feeds (and
// which gradients stay exactly zero), phase switching, the learning-rate schedule,
// normalisation that agrees between training and inference, and a resumed run that
// equals an uninterrupted one bit for bit.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import CotrainTensor

/// A tiny model over the sampler fixture's 16×16 data.
func tinyRecipe(_ phases: String, seed: Int = 7) throws -> Recipe {
    try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"tiny","seed":\#(seed),"#
        + #""model":{"image_size":16,"patch_size":8,"width":32,"layers":1,"heads":2,"expert_layers":1,"expert_width":32,"#
        + #""chunk":4,"flow_steps":3,"action_bins":8,"text_tokens":16},"phases":\#(phases)}"#).utf8))
}

/// A phase with a learning rate and warm-up.
func trainPhase(_ name: String, steps: Int, batch: Int, lr: Double = 0.002, warmup: Int = 0, _ mixture: String, _ modalities: String = "{}") -> String {
    #"{"name":"\#(name)","steps":\#(steps),"learning_rate":\#(lr),"warmup":\#(warmup),"batch_size":\#(batch),"mixture":\#(mixture),"modalities":\#(modalities)}"#
}

@Suite struct TrainerAdapterTests {
    let data = SamplerFixture.shared.data

    /// The adapted batch of `step` and a fresh model for the recipe.
    func adapted(_ recipe: Recipe, step: Int = 0) throws -> (PolicyTrainer, PolicyBatch, LossWeights, PolicyAdapter) {
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: step)
        let (policyBatch, weights) = try adapter.policyBatch(batch)
        let model = try PolicyModel(
            config: adapter.config, tokenizer: try Tokenizer.build(from: Trainer.corpus(data)), normalization: adapter.normalization, seed: 3)
        let trainer = try PolicyTrainer(model: model, lossWeights: weights, seed: 5, threads: 2)
        return (trainer, policyBatch, weights, adapter)
    }

    static func isZero(_ p: Parameter) -> Bool { p.tensor.gradient.allSatisfy { $0 == 0 } }

    @Test("a VL-only batch through the adapter feeds only the text loss: action-side gradients stay exactly zero")
    func visionLanguageBatchLeavesActionsAlone() throws {
        let recipe = try tinyRecipe("[" + trainPhase("vl", steps: 2, batch: 6, #"{"vl":1,"robot":0}"#) + "]")
        let (trainer, batch, weights, _) = try adapted(recipe)
        #expect(batch.samples.allSatisfy { $0.actions == nil && $0.target != nil && $0.embodiment == nil })
        #expect(weights.text == 1)
        let (losses, _) = try trainer.accumulateGradients(batch)
        #expect(losses.text > 0 && losses.action == 0 && losses.actionSamples == 0)
        let actionSide = trainer.model.parameters.filter { $0.name.hasPrefix("shared.expert.") || $0.name.hasPrefix("embodiment.") }
        #expect(actionSide.count > 10)
        for p in actionSide { #expect(Self.isZero(p), "\(p.name) has a gradient") }
        #expect(!Self.isZero(trainer.model.parameter("shared.text.head.weight")!))
    }

    @Test("robot samples feed actions; dense annotations add a text target that the action expert never sees")
    func annotationsAreExtraTargetsOnly() throws {
        let plain = try tinyRecipe("[" + trainPhase("p", steps: 1, batch: 6, #"{"robot":1}"#) + "]")
        let annotated = try tinyRecipe("[" + trainPhase("p", steps: 1, batch: 6, #"{"robot":1}"#, #"{"dense_annotations":true}"#) + "]")
        let (t1, b1, w1, _) = try adapted(plain)
        let (t2, b2, w2, _) = try adapted(annotated)
        #expect(b1.samples.allSatisfy { $0.actions != nil && $0.target == nil })
        #expect(b2.samples.allSatisfy { $0.actions != nil && $0.target != nil && $0.textWeight == 0.5 })
        #expect(w1.text == 0 && w2.text == 0.5)  // the recipe's annotation weight
        let l1 = try t1.evaluate(b1), l2 = try t2.evaluate(b2)
        #expect(l2.text > 0 && l1.text == 0)
        #expect(l1.action == l2.action, "the annotation leaked into the action loss")
        // Chain-of-thought is the one switch where the text conditions the actions.
        let cot = try tinyRecipe("[" + trainPhase("p", steps: 1, batch: 6, #"{"robot":1}"#, #"{"chain_of_thought":true}"#) + "]")
        let (t3, b3, _, a3) = try adapted(cot)
        #expect(a3.config.reasoning)
        #expect(try t3.evaluate(b3).action != l1.action)
    }

    @Test("cross-embodiment samples use their own stems; discrete tokens add the token loss")
    func crossEmbodimentAndTokens() throws {
        let recipe = try tinyRecipe("[" + trainPhase("x", steps: 1, batch: 12, #"{"robot":1,"cross_embodiment":1}"#, #"{"discrete_actions":true}"#) + "]")
        let (trainer, batch, _, adapter) = try adapted(recipe)
        #expect(adapter.config.embodiments.map(\.name) == ["panda", "ur5e"] && adapter.config.discreteBins == 8)
        #expect(Set(batch.samples.compactMap(\.embodiment)) == ["panda", "ur5e"])
        let (losses, _) = try trainer.accumulateGradients(batch)
        #expect(losses.action > 0 && losses.tokens > 0 && losses.text == 0)
        for name in ["panda", "ur5e"] {
            #expect(!Self.isZero(trainer.model.parameter("embodiment.\(name).action_out.weight")!))
        }
    }

    @Test("train-time and inference-time normalisation agree for the deployment source")
    func normalisationAgrees() throws {
        let recipe = try tinyRecipe("[" + trainPhase("p", steps: 1, batch: 4, #"{"robot":1}"#) + "]")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        let stats = try #require(adapter.normalization["ur5e"])
        #expect(data.deploymentStats(for: .ur5e).map(PolicyAdapter.embodimentStats) == stats)
        let episode = data.pools[.robot]!.episodes[1]
        let (p, a) = (episode.metadata.proprioDimension, episode.metadata.actionDimension)
        let rawProprio = episode.proprioRows(), rawActions = episode.actionRows()
        for step in [0, 2, episode.steps - 1] {
            var batch = TrainingBatch(capacity: 1, imageSize: 16, chunk: 4, proprioWidth: data.maxProprioDimension, actionWidth: data.maxActionDimension)
            batch.count = 1
            sampler.writeEpisode(SampleRef(source: .robot, item: 1, step: step, textChoice: 0), row: 0, losses: .action, into: &batch)
            let dataRow = batch.sample(0)  // normalised by the data layer (own source)
            let trainSample = try adapter.sample(batch, row: 0)
            let seen = stats.state.normalize(trainSample.proprio!)  // what the model computes in training
            let deployed = stats.state.normalize(Array(rawProprio[(step * p)..<((step + 1) * p)]))  // ... and at inference
            for j in 0..<p {
                // Float rounding of normalise ∘ denormalise: a few ulps of values up to 1.5.
                #expect(abs(seen[j] - dataRow.proprio[j]) < 5e-5, "proprio \(j) at step \(step): train")
                #expect(abs(deployed[j] - dataRow.proprio[j]) < 5e-5, "proprio \(j) at step \(step): inference")
            }
            let seenAction = stats.action.normalize(trainSample.actions![0])
            let deployedAction = stats.action.normalize(Array(rawActions[(step * a)..<((step + 1) * a)]))
            for j in 0..<a {
                #expect(abs(seenAction[j] - dataRow.actions[j]) < 5e-5 && abs(deployedAction[j] - dataRow.actions[j]) < 5e-5)
            }
            #expect(trainSample.actions!.count == min(4, episode.steps - step))
        }
    }
}
