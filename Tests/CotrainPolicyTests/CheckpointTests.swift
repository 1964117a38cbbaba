import CotrainCore
import CotrainTensor
import Foundation
import Testing
@testable import CotrainPolicy

@Suite struct CheckpointTests {
    /// Runs `body` with a path in a fresh temporary directory, removed afterwards.
    static func withTemporaryPath(_ name: String, _ body: (String) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cotrain-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir.appendingPathComponent(name).path)
    }

    static func batches() -> [PolicyBatch] { (0..<4).map { Fixture.mixedBatch(seed: 100 + UInt64($0)) } }

    static func trainer(_ model: PolicyModel, threads: Int = 2, resume: OptimizerState? = nil) throws -> PolicyTrainer {
        try PolicyTrainer(model: model, lossWeights: LossWeights(tokens: 0.5), seed: 42, threads: threads, resume: resume)
    }

    @Test("save → load is bit-exact (parameters, moments, tokenizer, stats, metadata) and deterministic")
    func roundTrip() throws {
        let model = Fixture.model(Fixture.config(bins: 4))
        let trainer = try Self.trainer(model)
        for batch in Self.batches().prefix(2) { _ = try trainer.step(batch, learningRate: 1e-3) }
        try Self.withTemporaryPath("a.safetensors") { path in
            try PolicyCheckpoint.save(model, optimizer: trainer.optimizer, step: 2, recipeHash: "abc123", to: path)
            let loaded = try PolicyCheckpoint.load(path: path, expecting: model.config)
            #expect(loaded.model.parameters.map(\.name) == model.parameters.map(\.name))
            #expect(loaded.model.parameters.map(\.tensor.values) == model.parameters.map(\.tensor.values))
            #expect(loaded.model.tokenizer == model.tokenizer && loaded.model.normalization == model.normalization)
            #expect(loaded.model.config == model.config && loaded.step == 2 && loaded.recipeHash == "abc123")
            #expect(loaded.sharedSHA256 == (try model.sharedSHA256()))
            let state = try #require(loaded.optimizer)
            #expect(state.step == 2)
            for (i, p) in model.parameters.enumerated() {
                #expect(state.moments[p.name]!.m == trainer.optimizer.moments(of: i).m)
                #expect(state.moments[p.name]!.v == trainer.optimizer.moments(of: i).v)
            }
            let bytes = try PolicyCheckpoint.writer(model: model, optimizer: trainer.optimizer, step: 2, recipeHash: "abc123").bytes()
            #expect(bytes == Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        let light = try PolicyCheckpoint.load(bytes: try PolicyCheckpoint.writer(model: model, step: 2).bytes())
        #expect(light.optimizer == nil && light.recipeHash == nil)
    }

    @Test("a model with a convolutional stem saves and loads bit-exactly and acts the same")
    func stemRoundTrip() throws {
        let model = Fixture.model(Fixture.config(stem: 4))
        #expect(model.config.imageTokens == model.config.patchTokens + 4)  // one keypoint token per channel
        #expect(model.parameter("shared.image.stem.weight")?.shape.dims == [4, 27])
        #expect(model.parameter("shared.image.keypoints.weight")?.shape.dims == [4 * 16, 8])
        #expect(model.parameter("shared.image.positions")?.shape.dims == [8, 16])
        #expect(model.parameter("shared.image.keypoint_state.weight")?.shape.dims == [16, 8])  // keypoints into the state token
        let trainer = try Self.trainer(model)
        for batch in Self.batches().prefix(2) { _ = try trainer.step(batch, learningRate: 1e-3) }
        var rng = Xoshiro256(seed: 11)
        let observation = PolicyObservation(image: Fixture.image(&rng), proprio: [0.1, 0.2, 0.3], instruction: "pick up the cube", embodiment: "arm_a")
        try Self.withTemporaryPath("stem.safetensors") { path in
            try PolicyCheckpoint.save(model, step: 2, to: path)
            let loaded = try PolicyCheckpoint.load(path: path, expecting: model.config)
            #expect(loaded.model.parameters.map(\.tensor.values) == model.parameters.map(\.tensor.values))
            #expect(try loaded.model.act(observation, seed: 3) == (try model.act(observation, seed: 3)))
        }
    }

    @Test("resuming from a checkpoint with optimizer state continues bit-identically")
    func resume() throws {
        let batches = Self.batches()
        let straight = Fixture.model()
        let a = try Self.trainer(straight)
        for batch in batches { _ = try a.step(batch, learningRate: 2e-3) }

        let first = Fixture.model()
        let b = try Self.trainer(first)
        for batch in batches.prefix(2) { _ = try b.step(batch, learningRate: 2e-3) }
        try Self.withTemporaryPath("resume.safetensors") { path in
            try PolicyCheckpoint.save(first, optimizer: b.optimizer, step: b.step, to: path)
            let loaded = try PolicyCheckpoint.load(path: path)
            let c = try Self.trainer(loaded.model, resume: loaded.optimizer)
            #expect(c.step == 2)
            for batch in batches.suffix(2) { _ = try c.step(batch, learningRate: 2e-3) }
            #expect(loaded.model.parameters.map(\.tensor.values) == straight.parameters.map(\.tensor.values))
        }
    }

    @Test("same seed and data ⇒ bit-identical parameters, for 1 and 2 threads")
    func deterministic() throws {
        func run(threads: Int) throws -> [[Float]] {
            let model = Fixture.model(Fixture.config(bins: 4))
            let trainer = try Self.trainer(model, threads: threads)
            for batch in Self.batches().prefix(3) { _ = try trainer.step(batch, learningRate: 2e-3) }
            return model.parameters.map(\.tensor.values)
        }
        let a = try run(threads: 2)
        #expect(try run(threads: 2) == a)
        #expect(try run(threads: 1) == a)
    }

    /// The checkpoint of a fresh model rewritten with `edit` applied to its tensors.
    static func tampered(_ edit: (inout [(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8])]) -> Void) throws -> [UInt8] {
        let model = Fixture.model()
        let file = try SafetensorsFile(bytes: try PolicyCheckpoint.writer(model: model, step: 0).bytes())
        var tensors = file.tensors.map { t in (name: t.name, dtype: t.dtype, shape: t.shape, bytes: file.withBytes(of: t) { Array($0) }) }
        edit(&tensors)
        var writer = SafetensorsWriter(metadata: file.metadata)
        for t in tensors { try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: t.bytes) }
        return try writer.bytes()
    }

    @Test("an averaged checkpoint keeps the live weights beside the moments; a bad ema_decay or a missing live tensor is refused")
    func averagedCheckpoint() throws {
        let model = Fixture.model()
        let trainer = try PolicyTrainer(model: model, threads: 1)
        let live = model.parameters.map { $0.tensor.values.map { $0 + 1 } }
        let bytes = try PolicyCheckpoint.writer(model: model, optimizer: trainer.optimizer, step: 0, average: (0.99, live)).bytes()
        let loaded = try PolicyCheckpoint.load(bytes: bytes)
        let stored = try #require(loaded.optimizer?.average)
        #expect(stored.decay == 0.99)
        for (p, l) in zip(model.parameters, live) { #expect(stored.live[p.name] == l) }
        for (p, q) in zip(model.parameters, loaded.model.parameters) { #expect(p.tensor.values == q.tensor.values, "the model holds the average") }

        let file = try SafetensorsFile(bytes: bytes)
        func rewritten(metadata: [String: String], dropping drop: String? = nil) throws -> [UInt8] {
            var writer = SafetensorsWriter(metadata: metadata)
            for t in file.tensors where t.name != drop { try writer.add(t.name, dtype: t.dtype, shape: t.shape, bytes: file.withBytes(of: t) { Array($0) }) }
            return try writer.bytes()
        }
        var badDecay = file.metadata
        badDecay["ema_decay"] = "1.5"
        #expect { try PolicyCheckpoint.load(bytes: try rewritten(metadata: badDecay)) } throws: { error in
            if case CheckpointError.invalidMetadata(key: "ema_decay", _) = error { return true }
            return false
        }
        let name = PolicyCheckpoint.liveName(model.parameters[0].name)
        #expect(throws: CheckpointError.missingTensor(name)) { try PolicyCheckpoint.load(bytes: try rewritten(metadata: file.metadata, dropping: name)) }
        var noDecay = file.metadata
        noDecay["ema_decay"] = nil
        #expect { try PolicyCheckpoint.load(bytes: try rewritten(metadata: noDecay)) } throws: { error in
            if case CheckpointError.unexpectedTensor(let t) = error { return t.hasPrefix("optimizer.live.") }
            return false
        }
    }

    @Test("wrong shape, wrong dtype, missing or extra tensors are rejected naming the tensor")
    func badTensors() throws {
        let name = "shared.trunk.0.attn.qkv.weight"
        let wrongShape = try Self.tampered { ts in
            let i = ts.firstIndex { $0.name == name }!
            ts[i].shape = [ts[i].shape[1], ts[i].shape[0]]
        }
        #expect(throws: CheckpointError.shapeMismatch(tensor: name, expected: [48, 16], found: [16, 48])) {
            try PolicyCheckpoint.load(bytes: wrongShape)
        }
        let wrongDType = try Self.tampered { ts in
            let i = ts.firstIndex { $0.name == name }!
            ts[i] = (name, .i32, ts[i].shape, ts[i].bytes)
        }
        #expect(throws: CheckpointError.dtypeMismatch(tensor: name, found: "I32")) { try PolicyCheckpoint.load(bytes: wrongDType) }
        let missing = try Self.tampered { ts in ts.removeAll { $0.name == "embodiment.arm_b.action_out.bias" } }
        #expect(throws: CheckpointError.missingTensor("embodiment.arm_b.action_out.bias")) { try PolicyCheckpoint.load(bytes: missing) }
        let extra = try Self.tampered { ts in ts.append(("shared.mystery", .f32, [1], [0, 0, 0, 0])) }
        #expect(throws: CheckpointError.unexpectedTensor("shared.mystery")) { try PolicyCheckpoint.load(bytes: extra) }
        let flipped = try Self.tampered { ts in
            let i = ts.firstIndex { $0.name == name }!
            ts[i].bytes[0] ^= 1
        }
        #expect(throws: CheckpointError.self) { try PolicyCheckpoint.load(bytes: flipped) }
        #expect(throws: CheckpointError.self) { try PolicyCheckpoint.load(bytes: Array(wrongShape.prefix(100))) }
    }

    @Test("a checkpoint of another configuration is rejected naming the field")
    func wrongConfig() throws {
        let bytes = try PolicyCheckpoint.writer(model: Fixture.model(), step: 0).bytes()
        var other = Fixture.config()
        other.layers = 2
        #expect(throws: CheckpointError.configMismatch(field: "layers", expected: "2", found: "1")) {
            try PolicyCheckpoint.load(bytes: bytes, expecting: other)
        }
        let error = #expect(throws: CheckpointError.self) { try PolicyCheckpoint.load(bytes: bytes, expecting: other) }
        #expect(error?.description.contains("\"layers\"") == true)
    }

    @Test("deployment settings out of range are refused when a model is built (a checkpoint's config included), naming the field")
    func deploymentSettingsAreValidated() throws {
        for (noise, decay, field) in [(Float(3), Float?.none, "samplingNoise"), (nil, 11, "ensembleDecay"), (nil, -1, "ensembleDecay"), (.nan, nil, "samplingNoise")] {
            var config = Fixture.config()
            (config.samplingNoise, config.ensembleDecay) = (noise, decay)
            #expect { try config.validate() } throws: { "\($0)".contains(field) }
            #expect(throws: PolicyError.self) { try PolicyModel(config: config, tokenizer: Fixture.tokenizer) }
        }
        var fine = Fixture.config()
        (fine.samplingNoise, fine.ensembleDecay) = (0, 0.5)
        try fine.validate()
    }

    @Test("Python's safetensors reads the file and recomputes the documented shared hash")
    func python() throws {
        guard let python = ExternalTool.find("python3"),
              ExternalTool.output(python, ["-c", "import safetensors.numpy"]) != nil else { return }  // not installed
        let model = Fixture.model()
        try Self.withTemporaryPath("py.safetensors") { path in
            try PolicyCheckpoint.save(model, step: 3, to: path)
            let output = try #require(ExternalTool.output(python, ["-c", Self.hashScript, path]))
            #expect(output.split(separator: " ").map(String.init) == [try model.sharedSHA256(), "16", "3\n"])
        }
    }

    /// Loads a checkpoint with Python's safetensors and hashes the shared tensors as
    /// docs/model.md specifies; prints the hash, the config's width and the step.
    static let hashScript = """
        import hashlib, json, struct, sys
        from safetensors.numpy import load_file
        from safetensors import safe_open
        t = load_file(sys.argv[1])
        with safe_open(sys.argv[1], "np") as f:
            meta = f.metadata()
        h = hashlib.sha256()
        for name in sorted((n for n in t if n.startswith("shared.")), key=lambda s: s.encode()):
            a = t[name]
            h.update(name.encode() + b"\\0")
            h.update(struct.pack("<Q", a.ndim) + b"".join(struct.pack("<Q", d) for d in a.shape))
            h.update(a.astype("<f4").tobytes())
        print(h.hexdigest(), json.loads(meta["config"])["width"], meta["step"])
        """

    @Test("shared parameters: extract, apply, hash")
    func shared() throws {
        let model = Fixture.model(), other = Fixture.model(seed: 99)
        let shared = model.sharedTensors()
        #expect(!shared.isEmpty && shared.allSatisfy { $0.name.hasPrefix("shared.") })
        #expect(shared.count + model.tensors(prefix: "embodiment.").count == model.parameters.count)
        #expect(try other.sharedSHA256() != model.sharedSHA256())
        let embodimentBefore = other.tensors(prefix: "embodiment.")
        try other.apply(shared)
        #expect(try other.sharedSHA256() == model.sharedSHA256())
        #expect(other.tensors(prefix: "embodiment.") == embodimentBefore)
        var bad = shared[0]
        bad.shape = [bad.values.count]
        #expect(throws: CheckpointError.self) { try other.apply([bad]) }
        #expect(throws: CheckpointError.unexpectedTensor("shared.nope")) {
            try other.apply([NamedTensor(name: "shared.nope", shape: [1], values: [0])])
        }
        #expect(model.sharedTensorsByName()["shared.text.head.weight"]?.shape == [Fixture.tokenizer.count, 16])
    }
}
