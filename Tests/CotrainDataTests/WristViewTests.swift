// The wrist camera's field of view as part of the data: recorded per episode, checked
// for one value per training set, kept by the policy, and rendered again by `cotrain
// eval` for that policy.
import CotrainCore
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import Testing

@testable import CotrainData

@Suite struct WristViewTests {
    @Test("a narrower wrist camera shows the object below the fingers larger, and the labels follow it")
    func narrowerIsLarger() {
        func wristSpan(_ fov: Float) -> (span: Float, label: [Float]) {
            var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(imageWidth: 64, imageHeight: 64, wristCamera: true, wristFieldOfView: fov))
            _ = env.reset(task: TaskSpec(.pick), seed: 3)
            let camera = Camera.wrist(tool: env.tool, width: 64, height: 64, fieldOfView: fov)
            // Two points 4 cm apart, 8 cm below the fingertips.
            let below = env.tool.translation + env.tool.rotation.c2 * 0.08
            let a = camera.project(below)!, b = camera.project(below + env.tool.rotation.c1 * 0.04)!
            return (hypot(a.x - b.x, a.y - b.y), env.namedPoints())
        }
        let wide = wristSpan(70), narrow = wristSpan(45)
        let ratio = narrow.span / wide.span
        #expect(abs(ratio - tanf(35 * .pi / 180) / tanf(22.5 * .pi / 180)) < 0.01, "span ratio \(ratio)")
        // Main-camera labels are the same; the wrist camera's move with its view.
        #expect(Array(narrow.label[0..<6]) == Array(wide.label[0..<6]))
        #expect(Array(narrow.label[6...]) != Array(wide.label[6...]))
    }

    @Test("collect --wrist-fov is recorded in every episode, kept by the trained policy, and rendered again for it; mixed views are refused")
    func recordedTrainedAndEvaluated() throws {
        let scratch = Scratch("cotrain-wrist-view")
        var plan = smallPlan(.ur5e, [.pick], count: 2, seed: 4)
        plan.wristCamera = true
        plan.wristFieldOfView = 45
        let store = try collect(plan, into: scratch.file("narrow"))
        let episode = try store.open(store.index.entries[0], verify: true)
        #expect(episode.metadata.wristFieldOfView == 45)
        #expect(try EpisodeMetadata(json: episode.metadata.json) == episode.metadata)

        let recipe = try PointingDataTests.tinyRecipe(model: #""stem_channels":2,"wrist_camera":true"#, weights: #""action":1"#, steps: 2, batch: 4)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("narrow")], vlStores: [])
        #expect(try PolicyAdapter(recipe: recipe, data: data).config.wristFieldOfView == 45)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: scratch.file("run/checkpoint.safetensors"))
        #expect(provider.simConfig.wristCamera && provider.simConfig.wristFieldOfView == 45)

        // The default view stays implicit in the config (older checkpoints read as 70°).
        plan.wristFieldOfView = Camera.defaultWristFieldOfView
        try collect(plan, into: scratch.file("default"))
        let plain = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("default")], vlStores: [])
        #expect(try PolicyAdapter(recipe: recipe, data: plain).config.wristFieldOfView == nil)

        let mixed = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("narrow"), scratch.file("default")], vlStores: [])
        #expect { try recipe.validate(against: mixed.available) } throws: { "\($0)".contains("45°, 70°") }

        plan.wristFieldOfView = 150
        #expect { try plan.validate() } throws: { "\($0)".contains("--wrist-fov") }
        var bad = episode.metadata.json
        bad = .object((bad.object ?? []).map { $0.0 == "wrist_fov_deg" ? ($0.0, .double(500)) : $0 })
        #expect { try EpisodeMetadata(json: bad) } throws: { "\($0)".contains("wrist_fov_deg") }
    }
}
