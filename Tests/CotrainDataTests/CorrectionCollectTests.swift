// `cotrain data collect --corrections`: a trained checkpoint drives, the expert labels.
import Foundation
import Testing
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim

@Suite struct CorrectionCollectTests {
    @Test("a checkpoint drives correction episodes into a store: deterministic, expert-labelled, checked")
    func collectCorrections() throws {
        let scratch = Scratch("cotrain-corrections")
        let demos = scratch.file("demos")
        try collect(smallPlan(.ur5e, [.pick], count: 3, seed: 25), into: demos)
        let recipe = try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"drift","seed":3,"#
            + #""model":{"image_size":16,"patch_size":8,"width":32,"layers":1,"heads":2,"expert_layers":1,"expert_width":32,"#
            + #""chunk":4,"flow_steps":3,"text_tokens":16,"action_frame":"tool"},"phases":["#
            + trainPhase("main", steps: 10, batch: 8, lr: 0.003, #"{"robot":1}"#) + "]}").utf8))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [demos], vlStores: [], frame: .tool)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: data, options: options).run()

        var plan = smallPlan(.ur5e, [.pick, .place], count: 2, seed: 40)
        plan.corrections = CollectPlan.Corrections(checkpoint: options.checkpointPath, expertShare: 0.25)
        let a = try collect(plan, into: scratch.file("a")), b = try collect(plan, into: scratch.file("b"))
        #expect(a.index.entries.count == 2)
        #expect(a.index.entries == b.index.entries)  // content-addressed: same bytes
        // A barely trained policy wanders: the recorded actions are the expert's, not what
        // the arm did.
        let episode = try a.open(a.index.entries[0])
        let n = episode.metadata.actionDimension, actions = episode.actionRows(), proprio = episode.proprioRows()
        var differs = 0
        for t in 0..<(episode.steps - 1) {
            for k in 0..<(n - 1) where abs(actions[t * n + k] - (proprio[(t + 1) * n + k] - proprio[t * n + k])) > 1e-3 {
                differs += 1
            }
        }
        #expect(differs > 0)

        // Checked before any episode is recorded.
        var bad = plan
        bad.corrections?.expertShare = 1.5
        #expect { try bad.validate() } throws: { "\($0)".contains("--expert-share") }
        bad = plan
        bad.perturbation = 0.02
        #expect { try bad.validate() } throws: { "\($0)".contains("--corrections") }
        bad = plan
        bad.corrections?.checkpoint = scratch.file("missing.safetensors")
        #expect { try collect(bad, into: scratch.file("c")) } throws: { "\($0)".contains("missing.safetensors") }
        bad = plan
        bad.embodiment = .panda
        #expect { try collect(bad, into: scratch.file("d")) } throws: { "\($0)".contains("not trained for panda") }
    }
}
