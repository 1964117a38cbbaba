// Checkpoints: one safetensors file with every parameter (float32, names as in the
// model), optional AdamW moments, and metadata that makes the file self-contained.
import CotrainCore
import CotrainTensor

/// A checkpoint read back: the model and what was saved beside it.
public struct LoadedCheckpoint {
    /// The model with the stored parameters, tokenizer and normalisation.
    public let model: PolicyModel
    /// The training step recorded at save time.
    public let step: Int
    /// The recipe hash recorded at save time, if any.
    public let recipeHash: String?
    /// AdamW state, if the checkpoint holds it (pass to `PolicyTrainer(resume:)`).
    public let optimizer: OptimizerState?
    /// The verified SHA-256 of the shared parameters.
    public let sharedSHA256: String
    /// All metadata entries.
    public let metadata: [String: String]
}

/// Writes and reads policy checkpoints (layout in docs/model.md).
///
/// Metadata keys: `format` (`cotrain.policy.v1`), `config`, `tokenizer`,
/// `normalization` (canonical JSON), `step`, `shared_sha256`, optional `recipe_hash`,
/// and `optimizer_step` when the AdamW moments are stored as
/// `optimizer.exp_avg.<name>` / `optimizer.exp_avg_sq.<name>`. A run with weight
/// averaging stores the averaged weights as the model's and, beside the moments, the
/// weights training continues from as `optimizer.live.<name>`, with `ema_decay`.
public enum PolicyCheckpoint {
    /// The `format` metadata value.
    public static let format = "cotrain.policy.v1"

    /// The tensor name of a parameter's first (`exp_avg`) or second (`exp_avg_sq`) moment.
    public static func momentName(_ parameter: String, first: Bool) -> String {
        "optimizer.\(first ? "exp_avg" : "exp_avg_sq").\(parameter)"
    }

    /// The tensor name of a parameter's live (not averaged) training weights.
    public static func liveName(_ parameter: String) -> String { "optimizer.live.\(parameter)" }

    /// A writer holding the checkpoint (for `write(toFile:)` or `bytes()`). With
    /// `average`, `model` holds the averaged weights and `average.live` (in parameter
    /// order) the weights training continues from; they are written with the optimizer.
    public static func writer(
        model: PolicyModel, optimizer: AdamW? = nil, step: Int, recipeHash: String? = nil,
        average: (decay: Float, live: [[Float]])? = nil
    ) throws -> SafetensorsWriter {
        var normalization: [(String, JSONValue)] = []
        for (name, stats) in model.normalization { normalization.append((name, stats.json)) }
        var metadata: [String: String] = [
            "format": format,
            "config": try JSONValue(encoding: model.config).canonicalString,
            "tokenizer": model.tokenizer.json.canonicalString,
            "normalization": JSONValue.object(normalization).canonicalString,
            "step": String(step),
            "shared_sha256": try model.sharedSHA256(),
        ]
        if let recipeHash { metadata["recipe_hash"] = recipeHash }
        var writer = SafetensorsWriter(metadata: metadata)
        for p in model.parameters { try writer.add(p.name, shape: p.shape.dims, values: p.tensor.values) }
        if let optimizer {
            writer.metadata["optimizer_step"] = String(optimizer.stepCount)
            for (i, p) in optimizer.parameters.enumerated() {
                let (m, v) = optimizer.moments(of: i)
                try writer.add(momentName(p.name, first: true), shape: p.shape.dims, values: m)
                try writer.add(momentName(p.name, first: false), shape: p.shape.dims, values: v)
            }
            if let average {
                writer.metadata["ema_decay"] = String(average.decay)
                for (p, live) in zip(model.parameters, average.live) { try writer.add(liveName(p.name), shape: p.shape.dims, values: live) }
            }
        }
        return writer
    }

    /// Writes a checkpoint to `path` atomically.
    public static func save(
        _ model: PolicyModel, optimizer: AdamW? = nil, step: Int, recipeHash: String? = nil,
        average: (decay: Float, live: [[Float]])? = nil, to path: String
    ) throws {
        try writer(model: model, optimizer: optimizer, step: step, recipeHash: recipeHash, average: average).write(toFile: path)
    }

    /// Loads the checkpoint at `path`; with `expecting`, its config must equal that one.
    public static func load(path: String, expecting: PolicyConfig? = nil) throws(CheckpointError) -> LoadedCheckpoint {
        let file: SafetensorsFile
        do { file = try SafetensorsFile.open(path: path) } catch { throw .file(error) }
        return try load(file, expecting: expecting)
    }

    /// Loads a checkpoint held in memory.
    public static func load(bytes: [UInt8], expecting: PolicyConfig? = nil) throws(CheckpointError) -> LoadedCheckpoint {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(bytes: bytes) } catch { throw .file(error) }
        return try load(file, expecting: expecting)
    }

    /// Validates metadata, names, dtypes and shapes, then builds the model.
    static func load(_ file: SafetensorsFile, expecting: PolicyConfig?) throws(CheckpointError) -> LoadedCheckpoint {
        let meta = file.metadata
        guard meta["format"] == format else {
            throw .invalidMetadata(key: "format", reason: "is \(meta["format"].map { "\"\($0)\"" } ?? "absent"), expected \"\(format)\"")
        }
        let configJSON = try json(meta, "config")
        let config: PolicyConfig
        do { config = try configJSON.decode(as: PolicyConfig.self) } catch {
            throw .invalidMetadata(key: "config", reason: "not a policy config (\(error))")
        }
        if let expecting { try compare(expected: expecting, found: configJSON) }
        let model: PolicyModel
        do {
            let tokenizer = try Tokenizer(json: try json(meta, "tokenizer"))
            var stats: [String: EmbodimentStats] = [:]
            for (name, value) in try json(meta, "normalization").object ?? [] { stats[name] = try EmbodimentStats(json: value) }
            model = try PolicyModel(config: config, tokenizer: tokenizer, normalization: stats)
        } catch let error as PolicyError {
            throw .invalidMetadata(key: "config", reason: error.description)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw .invalidMetadata(key: "config", reason: "\(error)")
        }
        guard let step = meta["step"].flatMap({ Int($0) }), step >= 0 else {
            throw .invalidMetadata(key: "step", reason: "is not a non-negative integer")
        }
        let optimizerStep = meta["optimizer_step"].flatMap { Int($0) }
        var averageDecay: Float?
        if let text = meta["ema_decay"] {
            guard optimizerStep != nil, let d = Float(text), d > 0, d < 1 else {
                throw .invalidMetadata(key: "ema_decay", reason: "must be a number in (0, 1) and come with optimizer_step")
            }
            averageDecay = d
        }
        var expected = Set(model.parameters.map(\.name))
        if optimizerStep != nil {
            for p in model.parameters {
                expected.insert(momentName(p.name, first: true))
                expected.insert(momentName(p.name, first: false))
                if averageDecay != nil { expected.insert(liveName(p.name)) }
            }
        }
        if let extra = file.tensors.first(where: { !expected.contains($0.name) }) { throw .unexpectedTensor(extra.name) }
        for p in model.parameters { p.tensor.copy(from: try floats(file, p.name, shape: p.shape.dims)) }
        var optimizer: OptimizerState?
        if let optimizerStep {
            var moments: [String: (m: [Float], v: [Float])] = [:]
            for p in model.parameters {
                moments[p.name] = (try floats(file, momentName(p.name, first: true), shape: p.shape.dims),
                                   try floats(file, momentName(p.name, first: false), shape: p.shape.dims))
            }
            optimizer = OptimizerState(step: optimizerStep, moments: moments)
            if let averageDecay {
                var live: [String: [Float]] = [:]
                for p in model.parameters { live[p.name] = try floats(file, liveName(p.name), shape: p.shape.dims) }
                optimizer?.average = (averageDecay, live)
            }
        }
        let recorded = meta["shared_sha256"] ?? ""
        let actual: String
        do { actual = try model.sharedSHA256() } catch { throw .invalidMetadata(key: "shared_sha256", reason: "\(error)") }
        guard recorded == actual else { throw .sharedHashMismatch(expected: recorded, found: actual) }
        return LoadedCheckpoint(
            model: model, step: step, recipeHash: meta["recipe_hash"], optimizer: optimizer,
            sharedSHA256: actual, metadata: meta)
    }

    /// The values of a float32 tensor of the given shape.
    private static func floats(_ file: SafetensorsFile, _ name: String, shape: [Int]) throws(CheckpointError) -> [Float] {
        guard let entry = file.header.tensor(named: name) else { throw .missingTensor(name) }
        guard entry.dtype == .f32 else { throw .dtypeMismatch(tensor: name, found: entry.dtype.rawValue) }
        guard entry.shape == shape else { throw .shapeMismatch(tensor: name, expected: shape, found: entry.shape) }
        do { return try file.values(name, as: Float.self) } catch { throw .file(error) }
    }

    /// A metadata entry parsed as JSON.
    private static func json(_ meta: [String: String], _ key: String) throws(CheckpointError) -> JSONValue {
        guard let text = meta[key] else { throw .invalidMetadata(key: key, reason: "is absent") }
        do { return try JSONValue.parse(text) } catch { throw .invalidMetadata(key: key, reason: "\(error)") }
    }

    /// Throws naming the first config field (in key order) that differs.
    private static func compare(expected: PolicyConfig, found: JSONValue) throws(CheckpointError) {
        let want: JSONValue
        do { want = try JSONValue(encoding: expected) } catch { throw .invalidMetadata(key: "config", reason: "\(error)") }
        let keys = Set((want.object ?? []).map(\.0)).union((found.object ?? []).map(\.0)).sorted()
        for key in keys where want[key] != found[key] {
            throw .configMismatch(field: key, expected: want[key]?.canonicalString ?? "absent",
                                  found: found[key]?.canonicalString ?? "absent")
        }
    }
}
