// Round-by-round training for a federation (what `cotrain serve --trainer recipe`
// runs): the starting tensors every lab shares, a round that returns exactly the
// base's tensors, bit-identical results in fresh work directories, the optimizer and
// schedule continuing across rounds and restarts, a repeated round giving the same
// bits, the schedule past the recipe's end, and the export for evaluation.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainTensor

@Suite struct RoundTrainingTests {
    let data = SamplerFixture.shared.data

    /// The federation's common initial checkpoint: one VL step of the tiny model.
    static let initial: (scratch: Scratch, path: String) = {
        let scratch = Scratch("cotrain-round-init")
        let recipe = try! tinyRecipe("[" + trainPhase("vl", steps: 1, batch: 4, #"{"vl":1}"#) + "]", seed: 11)
        var options = TrainerOptions(outputDirectory: scratch.path)
        options.threads = 2
        _ = try! Trainer(recipe: recipe, data: SamplerFixture.shared.data, options: options).run()
        return (scratch, options.checkpointPath)
    }()

    /// A lab's recipe: 4 steps of robot, cross-embodiment (panda) and VL data, sharing
    /// the own robot's tensors too unless `sharing` says otherwise.
    func labRecipe(seed: Int = 7, steps: Int = 4, modalities: String = "{}", sharing: SharingScope = .sharedAndEmbodiment) throws -> Recipe {
        var recipe = try tinyRecipe("[" + trainPhase("main", steps: steps, batch: 4, lr: 0.003, warmup: 1,
                                                     #"{"robot":2,"cross_embodiment":1,"vl":1}"#, modalities) + "]", seed: seed)
        recipe.sharing = sharing
        return recipe
    }

    func session(_ directory: String, recipe: Recipe? = nil, stepsPerRound: Int = 3) throws -> RoundTraining {
        var options = RoundTrainingOptions(workDirectory: directory, initialCheckpoint: Self.initial.path)
        options.stepsPerRound = stepsPerRound
        options.threads = 2
        return try RoundTraining(recipe: recipe ?? labRecipe(), data: data, options: options)
    }

    /// Every value of `tensors`, as bit patterns.
    func bits(_ tensors: [NamedTensor]) -> [UInt32] { tensors.flatMap { $0.values.map(\.bitPattern) } }

    /// `tensors` with every value moved by `by` (a stand-in for an aggregated base).
    func shifted(_ tensors: [NamedTensor], by: Float) -> [NamedTensor] {
        tensors.map { NamedTensor(name: $0.name, shape: $0.shape, values: $0.values.map { $0 + by }) }
    }

    @Test("the starting tensors are the init file's shared.* and the own robot's, alike in every lab")
    func initialTensors() throws {
        let scratch = Scratch("cotrain-round-initial")
        let a = try session(scratch.file("a")), b = try session(scratch.file("b"), recipe: labRecipe(seed: 99))
        let tensors = try a.initialTensors(embodiment: "ur5e")
        #expect(tensors.allSatisfy { $0.name.hasPrefix("shared.") || $0.name.hasPrefix("embodiment.ur5e.") })
        #expect(tensors.contains { $0.name.hasPrefix("embodiment.ur5e.") })
        #expect(a.trainer.model.config.embodiments.map(\.name) == ["panda", "ur5e"], "panda is in the model (cross-embodiment)…")
        #expect(!tensors.contains { $0.name.hasPrefix("embodiment.panda.") }, "…but stays local")
        #expect(Set(tensors.map(\.name)) == Set(a.trainer.model.parameters.map(\.name).filter { !$0.hasPrefix("embodiment.panda.") }))
        let initial = try PolicyCheckpoint.load(path: Self.initial.path).model
        #expect(tensors.filter { $0.name.hasPrefix("shared.") } == initial.sharedTensors())
        // Another lab, another recipe seed: the same start. The init model has a ur5e
        // (its own robot), so ur5e labs also start from its ur5e tensors.
        #expect(try b.initialTensors(embodiment: "ur5e") == tensors)
        #expect(tensors.filter { $0.name.hasPrefix("embodiment.") } == initial.tensors(prefix: "embodiment.ur5e."))
        #expect(throws: RoundTrainingError.unknownEmbodiment("scara", known: ["panda", "ur5e"])) { try a.initialTensors(embodiment: "scara") }

        // A panda lab: the init file has no panda, so its panda tensors start from its recipe's seed.
        let fixture = SamplerFixture.shared.scratch
        let pandaData = try TrainingData.load(ownEmbodiment: .panda, episodeStores: [fixture.file("episodes")], vlStores: [fixture.file("vl")])
        func panda(_ name: String, seed: Int) throws -> [NamedTensor] {
            var options = RoundTrainingOptions(workDirectory: scratch.file(name), initialCheckpoint: Self.initial.path)
            options.threads = 2
            return try RoundTraining(recipe: labRecipe(seed: seed), data: pandaData, options: options).initialTensors(embodiment: "panda")
        }
        let p7 = try panda("p7", seed: 7), p99 = try panda("p99", seed: 99)
        #expect(p7.filter { $0.name.hasPrefix("shared.") } == initial.sharedTensors())
        #expect(p99.filter { $0.name.hasPrefix("shared.") } == initial.sharedTensors())
        #expect(p7.filter { $0.name.hasPrefix("embodiment.panda.") } != p99.filter { $0.name.hasPrefix("embodiment.panda.") })
        #expect(!p7.contains { $0.name.hasPrefix("embodiment.ur5e.") })
    }

    @Test("with sharing \"shared\" the own robot's tensors are not federated: trained locally, kept in the work checkpoint")
    func sharedOnly() throws {
        let scratch = Scratch("cotrain-round-shared-only")
        let a = try session(scratch.path, recipe: labRecipe(sharing: .shared))
        let base = try a.initialTensors(embodiment: "ur5e")
        #expect(!base.isEmpty && base.allSatisfy { $0.name.hasPrefix("shared.") })
        let before = try #require(a.trainer.model.parameter("embodiment.ur5e.action_out.weight")).tensor.values
        let result = try a.train(base: base, round: 1)
        #expect(result.tensors.map(\.name) == base.map(\.name))
        let saved = try PolicyCheckpoint.load(path: scratch.file("checkpoint.safetensors")).model
        #expect(saved.parameter("embodiment.ur5e.action_out.weight")?.tensor.values != before, "trained locally")
    }

    @Test("a round returns the base's tensors trained, the same bits in two fresh work directories")
    func roundIsDeterministic() throws {
        let scratch = Scratch("cotrain-round-determinism")
        let a = try session(scratch.file("a")), b = try session(scratch.file("b"))
        let base = try a.initialTensors(embodiment: "ur5e")
        let ra = try a.train(base: base, round: 1), rb = try b.train(base: base, round: 1)
        #expect(ra.tensors.map(\.name) == base.map(\.name) && ra.tensors.map(\.shape) == base.map(\.shape))
        #expect(bits(ra.tensors) != bits(base), "training moved the parameters")
        #expect(bits(ra.tensors) == bits(rb.tensors))
        #expect(ra.samples == 12 && ra.steps.firstStep == 0 && ra.steps.steps == 3 && !ra.repeated)
        #expect(try bytes(scratch.file("a/checkpoint.safetensors")) == bytes(scratch.file("b/checkpoint.safetensors")))
        // The work checkpoint is a full `cotrain train` checkpoint: optimizer state, round, log.
        let saved = try PolicyCheckpoint.load(path: scratch.file("a/checkpoint.safetensors"))
        #expect(saved.step == 3 && saved.optimizer?.step == 3 && saved.metadata["round"] == "1")
        #expect(saved.model.config.embodiments.map(\.name) == ["panda", "ur5e"])
        let log = String(decoding: try bytes(scratch.file("a/training-log.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 3)
    }

    @Test("the optimizer and schedule go on across rounds and restarts; a repeated round gives the same bits")
    func optimizerContinues() throws {
        let scratch = Scratch("cotrain-round-continue")
        let a = try session(scratch.file("a"))
        let base1 = try a.initialTensors(embodiment: "ur5e")
        let r1 = try a.train(base: base1, round: 1)
        let base2 = shifted(r1.tensors, by: 0.001)
        let r2 = try a.train(base: base2, round: 2)
        #expect(r2.steps.firstStep == 3 && a.trainer.stepsDone == 6)
        #expect(r2.steps.firstLearningRate == a.trainer.continuingLearningRate(at: 3))

        // A node restarted between the rounds resumes the work checkpoint and agrees.
        let b = try session(scratch.file("b"))
        _ = try b.train(base: base1, round: 1)
        let restarted = try session(scratch.file("b"))
        #expect(restarted.lastRound == 1 && restarted.trainer.stepsDone == 3)
        let rb2 = try restarted.train(base: base2, round: 2)
        #expect(bits(rb2.tensors) == bits(r2.tensors))

        // Without the history (a fresh optimizer at step 0) the round ends elsewhere.
        let fresh = try session(scratch.file("fresh"))
        #expect(bits(try fresh.train(base: base2, round: 2).tensors) != bits(r2.tensors))

        // Round 2 again (a retry, or a restart before the daemon kept its delta): from
        // the state before round 2, so the same bits; then round 3 goes on from there.
        let again = try a.train(base: base2, round: 2)
        #expect(again.repeated && again.steps.firstStep == 3 && bits(again.tensors) == bits(r2.tensors))
        let again2 = try session(scratch.file("a")).train(base: base2, round: 2)
        #expect(again2.repeated && bits(again2.tensors) == bits(r2.tensors))
        let log = String(decoding: try bytes(scratch.file("a/training-log.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 6, "the repeated round's steps replace, not add to, the log")
        #expect(try PolicyCheckpoint.load(path: scratch.file("a/checkpoint.safetensors")).optimizer?.step == 6)
    }

    @Test("past the recipe's end the last phase goes on at its minimum learning rate")
    func pastTheEnd() throws {
        let scratch = Scratch("cotrain-round-end")
        let a = try session(scratch.path, recipe: labRecipe(steps: 4))
        let base = try a.initialTensors(embodiment: "ur5e")
        _ = try a.train(base: base, round: 1)
        let r2 = try a.train(base: base, round: 2)
        let r3 = try a.train(base: base, round: 3)
        #expect(r2.steps.firstStep == 3 && r3.steps.firstStep == 6 && a.trainer.stepsDone == 9)
        let floor = Float(0.003) * 0.1
        #expect(abs(a.trainer.continuingLearningRate(at: 4) - floor) < 1e-9 && a.trainer.continuingLearningRate(at: 1000) == a.trainer.continuingLearningRate(at: 4))
        #expect(r2.steps.firstLearningRate > floor && abs(r2.steps.lastLearningRate - floor) < 1e-9)
        #expect(abs(r3.steps.firstLearningRate - floor) < 1e-9 && abs(r3.steps.lastLearningRate - floor) < 1e-9)
        #expect(r3.samples == 12 && r3.tensors.allSatisfy { $0.values.allSatisfy(\.isFinite) })
        // The steps before the recipe's end drew the batches a plain run draws.
        let log = String(decoding: try bytes(scratch.file("training-log.jsonl")), as: UTF8.self).split(separator: "\n")
        #expect(log.count == 9 && log.allSatisfy { $0.contains(#""phase":"main""#) })
    }

    @Test("a base that does not fit the model, a missing work checkpoint or an init without a shared tensor are refused")
    func refusals() throws {
        let scratch = Scratch("cotrain-round-refusals")
        let a = try session(scratch.file("a"))
        var base = try a.initialTensors(embodiment: "ur5e")
        base[0].shape = [base[0].values.count, 1]
        #expect { try a.train(base: base, round: 1) } throws: { error in
            guard case RoundTrainingError.baseMismatch = error else { return false }
            return "\(error)".contains(base[0].name)
        }
        let unknown = [NamedTensor(name: "shared.nothing", shape: [1], values: [0])]
        #expect { try a.train(base: unknown, round: 1) } throws: { "\($0)".contains("shared.nothing") }
        #expect(throws: RoundTrainingError.noWorkCheckpoint(scratch.file("none"))) {
            try RoundTraining.export(base: [], workDirectory: scratch.file("none"), to: scratch.file("x.safetensors"))
        }
        // Discrete action tokens add shared tensors the initial checkpoint lacks.
        #expect {
            try session(scratch.file("b"), recipe: labRecipe(modalities: #"{"discrete_actions":true}"#))
        } throws: { error in
            guard case RoundTrainingError.initMissesShared(_, let tensor) = error else { return false }
            return tensor.hasPrefix("shared.discrete.")
        }
    }

    @Test("export puts the round base into the work checkpoint: a policy checkpoint for evaluation")
    func export() throws {
        let scratch = Scratch("cotrain-round-export")
        let a = try session(scratch.path)
        let trained = try a.train(base: try a.initialTensors(embodiment: "ur5e"), round: 1).tensors
        let aggregated = shifted(trained, by: 0.01)
        let out = scratch.file("round.safetensors")
        let step = try RoundTraining.export(base: aggregated, workDirectory: scratch.path, to: out, metadata: ["federation_round": "1"])
        #expect(step == 3)
        let loaded = try PolicyCheckpoint.load(path: out)
        #expect(loaded.optimizer == nil && loaded.metadata["federation_round"] == "1" && loaded.recipeHash == a.recipe.hash)
        #expect(loaded.model.config == a.trainer.model.config && loaded.model.tokenizer == a.trainer.model.tokenizer)
        let byName = Dictionary(uniqueKeysWithValues: loaded.model.tensors().map { ($0.name, $0) })
        #expect(aggregated.allSatisfy { byName[$0.name] == $0 })
        #expect(byName["embodiment.panda.action_out.weight"]?.values == a.trainer.model.parameter("embodiment.panda.action_out.weight")?.tensor.values)
        _ = try CheckpointPolicyProvider(path: out)
    }
}
