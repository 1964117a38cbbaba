import CotrainCore
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import Testing

@testable import CotrainData

/// Labelled points from collection to the pointing loss: stored per step, batched for
/// the cameras the recipe reads, checked on write and read.
@Suite struct PointingDataTests {
    static func recipe(pointers: Int = 1, stem: Int = 2, pointing: Double = 1) throws -> Recipe {
        try tinyRecipe(model: #""stem_channels":\#(stem),"pointers":\#(pointers)"#, weights: #""pointing":\#(pointing)"#, steps: 2, batch: 8)
    }

    /// A one-phase robot-only recipe of a tiny model on 16×16 images, with `model` and
    /// `weights` (JSON members) added to its model and loss weights.
    /// `tinyRecipe` with a 2-channel stem and the pointing loss.
    static func stemRecipe(_ model: String, steps: Int) throws -> Recipe {
        try tinyRecipe(model: #""stem_channels":2,\#(model)"#, weights: #""pointing":1"#, steps: steps, batch: 8)
    }

    static func tinyRecipe(model: String, weights: String, steps: Int, batch: Int) throws -> Recipe {
        try Recipe(bytes: Array((#"{"format":"cotrain.recipe.v1","name":"tiny","seed":3,"#
            + #""model":{"image_size":16,"patch_size":8,\#(model),"width":32,"layers":1,"heads":2,"#
            + #""expert_layers":1,"expert_width":32,"chunk":4,"flow_steps":2,"text_tokens":16},"#
            + #""loss_weights":{\#(weights)},"phases":[{"name":"main","steps":\#(steps),"learning_rate":0.002,"warmup":0,"#
            + #""batch_size":\#(batch),"mixture":{"robot":1}}]}"#).utf8))
    }

    @Test("collected episodes store a label row per step; a main-camera recipe gets the main camera's labels; training logs the pointing loss")
    func storedBatchedAndTrained() throws {
        let scratch = Scratch("cotrain-points")
        var plan = smallPlan(.ur5e, [.pick, .push], count: 3, seed: 5)
        plan.wristCamera = true
        let store = try collect(plan, into: scratch.file("episodes"))
        let episode = try store.open(store.index.entries[0], verify: true)
        #expect(episode.hasPoints && episode.pointWidth == 12)
        let rows = episode.pointRows()
        #expect(rows.count == episode.steps * 12)
        var step1 = [Float](repeating: 0, count: 12)
        step1.withUnsafeMutableBufferPointer { episode.copyPoints(step: 1, to: $0.baseAddress!) }
        #expect(step1 == Array(rows[12..<24]))

        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        let recipe = try Self.recipe()
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        #expect(adapter.config.pointers == 1 && adapter.config.cameras == 1)
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: 0)
        let (policyBatch, weights) = try adapter.policyBatch(batch)
        #expect(weights.pointing == 1)
        // Every sample's named object is in view of the main camera at most steps.
        let labelled = policyBatch.samples.filter { $0.points != nil }
        #expect(labelled.count >= policyBatch.count / 2)
        for sample in labelled {
            let p = sample.points!
            #expect(p.count == 6)  // one camera × two slots × (x, y, weight)
            #expect(p[2] == 1 && abs(p[0]) <= 1 && abs(p[1]) <= 1)
            #expect(p[3...5] == [0, 0, 0])  // pick and push name no destination
        }

        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 2
        _ = try Trainer(recipe: recipe, data: data, options: options).run()
        let log = String(decoding: try readFile(options.logPath, limit: 1 << 20), as: UTF8.self)
        #expect(log.contains("\"pointing\":") && log.contains("\"pointing_samples\":"))

        // eval-offline reports where the trained pointer lands.
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        let episodes = data.pools[.robot]!.episodes
        let report = try OfflineEvaluation.run(
            model: provider.model, episodes: episodes, embodiment: "ur5e", components: Embodiment.make(.ur5e).action.names,
            steps: [0], limit: 3)
        let row = try #require(report.pointing.first)
        #expect(report.pointing.count == 1 && row.camera == "main" && row.slot == "object")
        #expect(row.count > 0 && row.firstStep != nil && row.allSteps.isFinite && row.allSteps < 16 * 1.5)
        // Every step again, by sub-step, most frequent first.
        #expect(report.substeps.map(\.count).reduce(0, +) == report.rows.last!.count)
        #expect(report.substeps.map(\.count) == report.substeps.map(\.count).sorted(by: >))
        #expect(report.substeps.contains { $0.label == "move above X" } && report.substeps.allSatisfy { $0.mse.count == 7 })
        // The pointers by sub-step, in the same order, counting the same steps.
        #expect(report.pointingBySubstep.map(\.substep) == report.substeps.map(\.label))
        #expect(report.pointingBySubstep.map(\.steps) == report.substeps.map(\.count))
        #expect(report.pointingBySubstep.allSatisfy { $0.medians.keys.allSatisfy { $0 == "main object" } })
    }

    @Test("a sub-step is the annotation with its object names replaced by X")
    func substepNames() {
        #expect(OfflineEvaluation.substep("move above the red cube") == "move above X")
        #expect(OfflineEvaluation.substep("carry the red cube above the blue bowl") == "carry X above X")
        #expect(OfflineEvaluation.substep("lower the gripper around the pink cylinder") == "lower the gripper around X")
        #expect(OfflineEvaluation.substep("close the gripper") == "close the gripper")
        #expect(OfflineEvaluation.substep("") == "(none)")
    }

    @Test("pointing errors are distances in pixels, per camera and slot, over visible labels only")
    func pointingTally() throws {
        var config = PolicyConfig(embodiments: [EmbodimentSpec(name: "ur5e", stateDimension: 7, actionDimension: 7)])
        (config.imageSize, config.stemChannels, config.pointers, config.wristCamera) = (16, 2, 2, true)
        let model = try PolicyModel(config: config, tokenizer: try Tokenizer.build(from: ["pick"]))
        var tally = PointingTally(model: model)
        // Main camera: object label at (0, 0), pointer at (0.375, 0.5) → 0.625 × 8 px = 5 px.
        // Destination hidden; wrist object exact.
        let points: [Float] = [0.375, 0.5, 0.9, 0.9, 0.1, 0.1, 0, 0]
        let labels: [Float] = [0, 0, 1, 0.5, 0.5, 0, 0.1, 0.1, 1, 0, 0, 0]
        tally.add(points, labels: labels, step: 0, substep: "move above X")
        tally.add(points, labels: labels, step: 1, substep: "move above X")
        // A third step in another sub-step: the main pointer exact, the wrist 3 px off.
        tally.add([0, 0, 0.9, 0.9, 0.475, 0.1, 0, 0], labels: labels, step: 2, substep: "lift X")
        let rows = tally.rows
        #expect(rows.map(\.camera) == ["main", "wrist"] && rows.map(\.slot) == ["object", "object"])
        #expect(abs(rows[0].allSteps - 10.0 / 3) < 1e-5 && rows[0].firstStep.map { abs($0 - 5) < 1e-5 } == true && rows[0].count == 3)
        #expect(abs(rows[1].allSteps - 1) < 1e-5)
        // By sub-step, in the order asked for; sub-steps never seen are left out.
        let bySubstep = tally.substepRows(order: ["lift X", "close the gripper", "move above X"])
        #expect(bySubstep.map(\.substep) == ["lift X", "move above X"] && bySubstep.map(\.steps) == [1, 2])
        #expect(bySubstep[0].medians.keys.sorted() == ["main object", "wrist object"])
        #expect(abs(bySubstep[0].medians["main object"]!) < 1e-6 && abs(bySubstep[0].medians["wrist object"]! - 3) < 1e-5)
        #expect(abs(bySubstep[1].medians["main object"]! - 5) < 1e-5 && bySubstep[1].medians["main destination"] == nil)
    }

    @Test("a record whose points do not match its steps is refused on write; a file with a mis-shaped points tensor is refused on read")
    func shapesChecked() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(imageWidth: 16, imageHeight: 16))
        let episode = ScriptedExpert.record(env: &env, task: TaskSpec(.pick), seed: 2)
        var record = EpisodeRecord(episode: episode, source: "sim", shifts: [], scene: SceneConfig())
        let good = try record.fileBytes()
        #expect(try StoredEpisode(file: try SafetensorsFile(bytes: good), name: "good").hasPoints)
        record.points.removeLast()
        #expect(throws: DataError.self) { try record.fileBytes() }

        // Rewrite the file with a points tensor of the wrong shape.
        let file = try SafetensorsFile(bytes: good)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for t in file.tensors {
            let shape = t.name == "points" ? [t.shape[0], 1, 3, 2] : t.shape
            try writer.add(t.name, dtype: t.dtype, shape: shape, bytes: file.withBytes(of: t) { Array($0) })
        }
        #expect(throws: DataError.self) { try StoredEpisode(file: try SafetensorsFile(bytes: try writer.bytes()), name: "bad") }
    }

    @Test("recipe checks: pointers need a stem and at most 4; the pointing weight must be ≥ 0; recipes without them keep their hash")
    func recipeChecks() throws {
        #expect(throws: RecipeError.invalidValue(path: "model.pointers", reason: "pointers read the stem's channels: set model.stem_channels too")) {
            try Self.recipe(stem: 0)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.pointers", reason: "must be within 0...4 (0: off), got 5")) {
            try Self.recipe(pointers: 5)
        }
        #expect(throws: RecipeError.self) { try Self.recipe(pointing: -1) }
        let with = try Self.recipe()
        #expect(with.json.canonicalString.contains("\"pointers\":1") && with.json.canonicalString.contains("\"pointing\":1"))
        // Episodes without labels and no VL data: nothing for the pointing loss to learn from.
        var unlabelled = AvailableData(ownEmbodiment: .ur5e, episodes: [.ur5e: 5], vlSamples: 0, imageSizes: [16])
        unlabelled.ownEpisodesWithoutPoints = 5
        do {
            try with.validate(against: unlabelled)
            Issue.record("a pointing recipe on unlabelled episodes was accepted")
        } catch {
            #expect("\(error)".contains("pointing labels") && "\(error)".contains("loss_weights.pointing"))
        }
        unlabelled.ownEpisodesWithoutPoints = 4
        try with.validate(against: unlabelled)
        let without = try Self.recipe(pointers: 0, pointing: 0)
        #expect(!without.json.canonicalString.contains("pointer") && !without.json.canonicalString.contains("pointing"))
    }

    @Test("recipe checks: the pointing-mass weight needs pointers and must be ≥ 0; it reaches the loss weights and the training log")
    func pointingMassRecipe() throws {
        func recipe(_ model: String, mass: String) throws -> Recipe {
            try Self.tinyRecipe(model: model, weights: #""pointing":1,"pointing_mass":\#(mass)"#, steps: 2, batch: 8)
        }
        #expect(throws: RecipeError.invalidValue(path: "loss_weights.pointing_mass", reason: "it trains the pointers: set model.pointers too")) {
            try recipe(#""stem_channels":2"#, mass: "1")
        }
        #expect(throws: RecipeError.invalidValue(path: "loss_weights.pointing_mass", reason: "must be finite and ≥ 0, got -1.0")) {
            try recipe(#""stem_channels":2,"pointers":1"#, mass: "-1")
        }
        let with = try recipe(#""stem_channels":2,"pointers":1"#, mass: "0.5")
        #expect(with.lossWeights.pointingMass == 0.5 && with.json.canonicalString.contains("\"pointing_mass\":0.5"))
        #expect(try Recipe(bytes: Array(with.json.canonicalString.utf8)).hash == with.hash)
        #expect(!(try Self.recipe()).json.canonicalString.contains("pointing_mass"))
        // Trained on labelled episodes, the log reports the mass loss: minus a log-probability.
        let scratch = Scratch("cotrain-pointing-mass")
        let store = try collect(smallPlan(.ur5e, [.pick], count: 2, seed: 6), into: scratch.file("episodes"))
        #expect(try store.open(store.index.entries[0], verify: true).hasPoints)
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        #expect(try PolicyAdapter(recipe: with, data: data).policyBatch(Self.batch(with, data)).1.pointingMass == 0.5)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: with, data: data, options: options).run()
        let log = String(decoding: try readFile(options.logPath, limit: 1 << 20), as: UTF8.self)
        let last = try #require(log.split(separator: "\n").last.map { try JSONValue.parse(Array($0.utf8)) })
        let mass = try #require(last["pointing_mass"]?.double)
        #expect(mass > 0 && mass.isFinite)
    }

    @Test("recipe checks: the pointing-avoid weight needs two pointers and not the mass loss; place scenes feed it, the training log reports it")
    func pointingAvoidRecipe() throws {
        func recipe(_ model: String, _ weights: String) throws -> Recipe {
            try Self.tinyRecipe(model: model, weights: #""pointing":1,\#(weights)"#, steps: 3, batch: 8)
        }
        #expect(throws: RecipeError.invalidValue(path: "loss_weights.pointing_avoid", reason: "it keeps the object pointer off its destination: set model.pointers to 2 too")) {
            try recipe(#""stem_channels":2,"pointers":1"#, #""pointing_avoid":1"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "loss_weights.pointing_avoid", reason: "it cannot be combined with pointing_mass (both use the pointer's one target per row); set one of them to 0")) {
            try recipe(#""stem_channels":2,"pointers":2"#, #""pointing_avoid":1,"pointing_mass":1"#)
        }
        let with = try recipe(#""stem_channels":2,"pointers":2"#, #""pointing_avoid":0.5"#)
        #expect(with.lossWeights.pointingAvoid == 0.5 && with.json.canonicalString.contains("\"pointing_avoid\":0.5"))
        #expect(!(try Self.recipe()).json.canonicalString.contains("pointing_avoid"))
        let scratch = Scratch("cotrain-pointing-avoid")
        _ = try collect(smallPlan(.ur5e, [.place], count: 2, seed: 9), into: scratch.file("episodes"))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        #expect(try PolicyAdapter(recipe: with, data: data).policyBatch(Self.batch(with, data)).1.pointingAvoid == 0.5)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: with, data: data, options: options).run()
        let log = String(decoding: try readFile(options.logPath, limit: 1 << 20), as: UTF8.self)
        let last = try #require(log.split(separator: "\n").last.map { try JSONValue.parse(Array($0.utf8)) })
        // Minus the log of a probability ≥ 0; the rows are the object pointer's, where the bowl is apart.
        let avoid = try #require(last["pointing_avoid"]?.double), rows = try #require(last["pointing_avoid_rows"]?.int)
        #expect(avoid >= 0 && avoid.isFinite && rows > 0 && rows <= 8)
        #expect(last["pointing_mass"] == nil)
    }

    @Test("oracle points: the chosen pointers take the simulator's labels where in view; a checkpoint's policy acts on them")
    func oraclePoints() throws {
        // Two cameras × two slots of (x, y, visible); the wrist camera's destination is out of view.
        let labels: [Float] = [0.1, 0.2, 1, 0.3, 0.4, 1, 0.5, 0.6, 1, 0, 0, 0]
        func kept(_ v: [Float]) -> [Float?] { v.map { $0.isNaN ? nil : $0 } }
        #expect(kept(OraclePoints.mainObject.override(labels: labels, pointers: 2)) == [0.1, 0.2, nil, nil, nil, nil, nil, nil])
        #expect(kept(OraclePoints.object.override(labels: labels, pointers: 2)) == [0.1, 0.2, nil, nil, 0.5, 0.6, nil, nil])
        #expect(kept(OraclePoints.all.override(labels: labels, pointers: 2)) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, nil, nil])

        let scratch = Scratch("cotrain-oracle")
        var plan = smallPlan(.ur5e, [.place], count: 2, seed: 10)
        plan.wristCamera = true
        _ = try collect(plan, into: scratch.file("episodes"))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: try Self.stemRecipe(#""pointers":2,"wrist_camera":true"#, steps: 2), data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        provider.oraclePoints = .all
        var robot = SimRobot(.ur5e, config: provider.simConfig)
        let request = EpisodeRequest(task: TaskSpec(.place), seed: 3, shift: .none, condition: "nominal", prompt: "")
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        let observation = try robot.reset(request)
        let truth = try #require(observation.pointLabels)
        _ = policy.act(observation)
        let points = try #require(policy.lastPoints)
        for k in 0..<(points.count / 2) where truth[3 * k + 2] > 0 {
            #expect(points[2 * k] == truth[3 * k] && points[2 * k + 1] == truth[3 * k + 1], "pointer \(k)")
        }
    }

    static func batch(_ recipe: Recipe, _ data: TrainingData) throws -> TrainingBatch {
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: 0)
        return batch
    }

    @Test("recipe checks: a glimpse needs pointers and the wrist camera and fits the image, a surround needs pointers; both reach the policy config and train")
    func glimpseRecipe() throws {
        func recipe(_ model: String) throws -> Recipe { try Self.stemRecipe(model, steps: 3) }
        #expect(throws: RecipeError.invalidValue(path: "model.glimpse", reason: "the glimpse is centred by the object pointer in the wrist image: set model.pointers and model.wrist_camera too")) {
            try recipe(#""pointers":1,"glimpse":8"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.glimpse", reason: "must be 0 (off) or within 4...32, got 2")) {
            try recipe(#""pointers":1,"wrist_camera":true,"glimpse":2"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.glimpse", reason: "20 is larger than image_size 16")) {
            try recipe(#""pointers":1,"wrist_camera":true,"glimpse":20"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.pointer_surround", reason: "the surround is what the pointers weigh: set model.pointers too")) {
            try recipe(#""pointer_surround":2"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.pointer_surround", reason: "must be 0 (off) or within 1...8, got 9")) {
            try recipe(#""pointers":1,"pointer_surround":9"#)
        }
        let with = try recipe(#""pointers":1,"wrist_camera":true,"glimpse":8,"pointer_surround":2"#)
        #expect(with.model.glimpse == 8 && with.json.canonicalString.contains("\"glimpse\":8"))
        #expect(with.model.pointerSurround == 2 && with.json.canonicalString.contains("\"pointer_surround\":2"))
        let plain = try recipe(#""pointers":1,"wrist_camera":true"#).json.canonicalString
        #expect(!plain.contains("glimpse") && !plain.contains("surround"))

        let scratch = Scratch("cotrain-glimpse")
        var plan = smallPlan(.ur5e, [.pick], count: 3, seed: 4)
        plan.wristCamera = true
        _ = try collect(plan, into: scratch.file("episodes"))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        let config = try PolicyAdapter(recipe: with, data: data).config
        #expect(config.glimpse == 8 && config.pointerSurround == 2)
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: with, data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        #expect(provider.model.config.glimpse == 8 && provider.model.parameter("shared.glimpse.in.weight") != nil)
    }

    @Test("recipe checks: the pointer inhibition needs two pointers and a radius in range; it reaches the config and its gate trains")
    func pointerInhibitRecipe() throws {
        func recipe(_ model: String) throws -> Recipe { try Self.stemRecipe(model, steps: 4) }
        #expect(throws: RecipeError.invalidValue(path: "model.pointer_inhibit", reason: "the object pointer avoids the destination pointer: set model.pointers to 2 too")) {
            try recipe(#""pointers":1,"pointer_inhibit":6"#)
        }
        #expect(throws: RecipeError.invalidValue(path: "model.pointer_inhibit", reason: "must be 0 (off) or within 1.0...16.0 pixels, got 20.0")) {
            try recipe(#""pointers":2,"pointer_inhibit":20"#)
        }
        let with = try recipe(#""pointers":2,"wrist_camera":true,"pointer_inhibit":3"#)
        #expect(with.model.pointerInhibit == 3 && with.json.canonicalString.contains("\"pointer_inhibit\":3"))
        #expect(!(try recipe(#""pointers":2"#)).json.canonicalString.contains("inhibit"))

        let scratch = Scratch("cotrain-inhibit")
        var plan = smallPlan(.ur5e, [.place], count: 3, seed: 8)
        plan.wristCamera = true
        _ = try collect(plan, into: scratch.file("episodes"))
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        let config = try PolicyAdapter(recipe: with, data: data).config
        // 3 pixels of a 16-pixel image in the main camera, twice that in the wrist camera.
        #expect(config.pointerInhibit == 3 && config.pointerInhibitRadii == [0.375, 0.75])
        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: with, data: data, options: options).run()
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        let gate = try #require(provider.model.parameter("shared.pointer.inhibit.bias"))
        #expect(provider.model.config.pointerInhibit == 3 && gate.tensor.count == 2)
        #expect(gate.tensor.values != [0, 0], "the pointing loss reaches the gate (its bias starts at 0)")
    }

    @Test("a VL pointing answer \"x C y R\" labels the pointer with the cell's centre; other tasks and bad answers do not")
    func vlPointingLabels() {
        let image = RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 12))
        let sample = VLSample(key: "k", image: image, caption: "a red cube", kind: "scene", qa: [
            QAPair(question: "what colour is the cube?", answer: "red", type: "colour"),
            QAPair(question: "where is the red cube?", answer: "x 5 y 9", type: "point"),
            QAPair(question: "where is the blue cube?", answer: "x 16 y 2", type: "point"),
            QAPair(question: "where is it?", answer: "left", type: "point"),
        ])
        #expect(MixtureSampler.vlPoint(sample, choice: 0) == nil)  // the caption
        #expect(MixtureSampler.vlPoint(sample, choice: 1) == nil)  // a colour question
        let p = MixtureSampler.vlPoint(sample, choice: 2)
        #expect(p.map { abs($0.0 - (5.5 / 8 - 1)) < 1e-6 && abs($0.1 - (9.5 / 8 - 1)) < 1e-6 } == true)
        #expect(MixtureSampler.vlPoint(sample, choice: 3) == nil)  // outside the 16 × 16 grid
        #expect(MixtureSampler.vlPoint(sample, choice: 4) == nil)  // not "x C y R"
        #expect(MixtureSampler.vlPoint(sample, choice: 9) == nil)
    }
}

/// Orientation labels from collection to the orientation loss (`loss_weights.orientation`).
@Suite struct OrientationDataTests {
    static func recipe(wrist: Bool = true, orientation: Double = 1) throws -> Recipe {
        try PointingDataTests.tinyRecipe(
            model: #""stem_channels":2,"wrist_camera":\#(wrist)"#, weights: #""orientation":\#(orientation)"#, steps: 8, batch: 16)
    }

    @Test("collected wrist episodes store a label per step; batches carry cube labels to the samples; training logs the loss; eval-offline scores it")
    func storedBatchedAndTrained() throws {
        let scratch = Scratch("cotrain-orientation")
        var plan = smallPlan(.ur5e, [.pick, .place], count: 6, seed: 5)
        plan.wristCamera = true
        let store = try collect(plan, into: scratch.file("episodes"))
        let episodes = try store.index.entries.map { try store.open($0, verify: true) }
        #expect(episodes.allSatisfy { $0.hasOrientation && $0.orientationRows().count == $0.steps * 3 })
        let labelled = episodes.flatMap { e in stride(from: 2, to: e.steps * 3, by: 3).map { e.orientationRows()[$0] } }.filter { $0 == 1 }
        #expect(!labelled.isEmpty, "some steps see a cube in the wrist camera")

        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [scratch.file("episodes")], vlStores: [])
        let recipe = try Self.recipe()
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        #expect(adapter.config.orientation == true)
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        var seen = 0
        for step in 0..<8 {
            sampler.fill(&batch, step: step)
            let (policyBatch, weights) = try adapter.policyBatch(batch)
            #expect(weights.orientation == 1)
            for s in policyBatch.samples {
                guard let o = s.orientation else { continue }
                seen += 1
                #expect(o.count == 2 && abs(o[0] * o[0] + o[1] * o[1] - 1) < 1e-3)
            }
        }
        #expect(seen > 0)

        var options = TrainerOptions(outputDirectory: scratch.file("run"))
        options.threads = 1
        _ = try Trainer(recipe: recipe, data: data, options: options).run()
        let log = String(decoding: try readFile(options.logPath, limit: 1 << 20), as: UTF8.self)
        #expect(log.contains("\"orientation\":") && log.contains("\"orientation_samples\":"))
        let provider = try CheckpointPolicyProvider(path: options.checkpointPath)
        let report = try OfflineEvaluation.run(
            model: provider.model, episodes: data.pools[.robot]!.episodes, embodiment: "ur5e",
            components: Embodiment.make(.ur5e).action.names, steps: [0], limit: 6)
        let o = try #require(report.orientation)
        #expect(o.count > 0 && o.median >= 0 && o.median <= 45 && (0...1).contains(o.withinTolerance))
    }

    @Test("the error is in degrees of yaw: a quarter of the label's angle, wrapped; steps that must still turn are also scored apart")
    func degrees() throws {
        #expect(abs(OrientationError.degrees([1, 0], [1, 0])) < 1e-9)
        #expect(abs(OrientationError.degrees([-1, 0], [1, 0]) - 45) < 1e-9)
        #expect(abs(OrientationError.degrees([cosf(3), sinf(3)], [cosf(-3), sinf(-3)]) - Double(2 * Float.pi - 6) / 4 * 180 / .pi) < 1e-3)
        // Three aligned steps read right, two turning steps read as aligned: 60 % within
        // over all steps, none where the fingers must still turn.
        let e = try #require(OrientationError([(0.5, 1), (0.7, 2), (1, 0), (30, 30), (40, 40)]))
        #expect(e.count == 5 && e.withinTolerance == 0.6 && e.median == 1)
        #expect(e.misalignedCount == 2 && e.misalignedWithinTolerance == 0 && e.misalignedMedian == 40)
        #expect(OrientationError([(1, 1)])?.misalignedMedian == nil)
    }

    @Test("files: a label count that does not match the steps is refused on write, a mis-shaped tensor on read; older files load without labels")
    func shapesChecked() throws {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(imageWidth: 16, imageHeight: 16, wristCamera: true))
        let episode = ScriptedExpert.record(env: &env, task: TaskSpec(.pick), seed: 2)
        var record = EpisodeRecord(episode: episode, source: "sim", shifts: [], scene: SceneConfig())
        let good = try record.fileBytes()
        #expect(try StoredEpisode(file: try SafetensorsFile(bytes: good), name: "good").hasOrientation)
        func rewritten(_ change: (SafetensorsTensor) -> [Int]?) throws -> [UInt8] {
            let file = try SafetensorsFile(bytes: good)
            var writer = SafetensorsWriter(metadata: file.metadata)
            for t in file.tensors {
                guard let shape = change(t) else { continue }
                try writer.add(t.name, dtype: t.dtype, shape: shape, bytes: file.withBytes(of: t) { Array($0) })
            }
            return try writer.bytes()
        }
        let old = try rewritten { $0.name == "orientation" ? nil : $0.shape }
        #expect(try !StoredEpisode(file: try SafetensorsFile(bytes: old), name: "old").hasOrientation)
        let bad = try rewritten { $0.name == "orientation" ? [3, $0.shape[0]] : $0.shape }
        #expect(throws: DataError.self) { try StoredEpisode(file: try SafetensorsFile(bytes: bad), name: "bad") }
        record.orientation.removeLast()
        #expect(throws: DataError.self) { try record.fileBytes() }
    }

    @Test("recipe checks: the orientation weight needs the wrist camera and labelled episodes, must be ≥ 0; recipes without it keep their hash")
    func recipeChecks() throws {
        #expect(throws: RecipeError.invalidValue(
            path: "loss_weights.orientation", reason: "the orientation is labelled as the wrist camera sees it: set model.wrist_camera too")) {
            try Self.recipe(wrist: false)
        }
        #expect(throws: RecipeError.self) { try Self.recipe(orientation: -1) }
        let with = try Self.recipe()
        #expect(with.json.canonicalString.contains("\"orientation\":1"))
        var unlabelled = AvailableData(ownEmbodiment: .ur5e, episodes: [.ur5e: 5], vlSamples: 0, imageSizes: [16])
        (unlabelled.ownEpisodesWithoutOrientation, unlabelled.ownEpisodesWithoutPoints) = (5, 0)
        do {
            try with.validate(against: unlabelled)
            Issue.record("an orientation recipe on unlabelled episodes was accepted")
        } catch {
            #expect("\(error)".contains("orientation labels") && "\(error)".contains("loss_weights.orientation"))
        }
        unlabelled.ownEpisodesWithoutOrientation = 4
        try with.validate(against: unlabelled)
        #expect(!(try Self.recipe(orientation: 0)).json.canonicalString.contains("orientation"))
    }
}
