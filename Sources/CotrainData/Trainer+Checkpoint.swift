// Starting, saving and resuming a run: a fresh model (tokenizer from the corpus,
// deployment normalisation, optionally a pretrained base), atomic checkpoints with
// optimizer state, and the log kept consistent with the checkpoint it goes with.
import CotrainCore
import CotrainPolicy
import Foundation

extension Trainer {
    /// A resumed run's checkpoint and the log lines of the steps it holds.
    struct ResumeState {
        let checkpoint: LoadedCheckpoint
        let log: [String]
    }

    /// The checkpoint to resume from, nil for a fresh start; throws if the directory
    /// holds a run and `resume` is off, or the run is of another recipe or data.
    static func resumeState(recipe: Recipe, adapter: PolicyAdapter, options: TrainerOptions) throws -> ResumeState? {
        let path = options.checkpointPath
        guard access(path, F_OK) == 0 else { return nil }
        guard options.resume else { throw TrainerError.checkpointExists(options.outputDirectory) }
        let loaded: LoadedCheckpoint
        do { loaded = try PolicyCheckpoint.load(path: path, expecting: adapter.config) } catch {
            throw TrainerError.badCheckpoint(path: path, reason: error.description)
        }
        guard loaded.recipeHash == recipe.hash else {
            throw TrainerError.recipeChanged(checkpoint: path, expected: recipe.hash, found: loaded.recipeHash ?? "none")
        }
        guard loaded.optimizer != nil, loaded.optimizer?.step == loaded.step else {
            throw TrainerError.badCheckpoint(path: path, reason: "it holds no optimizer state for step \(loaded.step), so it cannot be resumed exactly")
        }
        guard loaded.model.normalization == adapter.normalization.merging(unitStats(adapter.config), uniquingKeysWith: { a, _ in a }) else {
            throw TrainerError.badCheckpoint(path: path, reason: "the data's normalisation statistics changed since the run started (episodes added or removed)")
        }
        var lines: [String] = []
        if access(options.logPath, F_OK) == 0 {
            let text = String(decoding: try readFile(options.logPath, limit: 1 << 30), as: UTF8.self)
            for line in text.split(separator: "\n") where !line.isEmpty {
                guard let step = (try? JSONValue.parse(String(line)))?["step"]?.int else {
                    throw TrainerError.badLog(path: options.logPath, reason: "has an unreadable line")
                }
                if step < loaded.step { lines.append(String(line)) }  // later lines: past the checkpoint
            }
        }
        guard lines.count == loaded.step else {
            throw TrainerError.badLog(path: options.logPath, reason: "holds \(lines.count) steps before the checkpoint's step \(loaded.step)")
        }
        return ResumeState(checkpoint: loaded, log: lines)
    }

    /// The weight average of a resumed run with `ema_decay`: the checkpoint's model
    /// holds the average, and its live training weights go back into the model.
    static func resumeAverage(recipe: Recipe, checkpoint: LoadedCheckpoint, path: String) throws -> WeightAverage? {
        guard recipe.emaDecay > 0 else { return nil }
        guard let stored = checkpoint.optimizer?.average else {
            throw TrainerError.badCheckpoint(path: path, reason: "the recipe averages weights (ema_decay) but the checkpoint holds no live weights to continue from")
        }
        let model = checkpoint.model
        let average = WeightAverage(values: model.parameters.map(\.tensor.values), decay: Float(recipe.emaDecay))
        for p in model.parameters {
            guard let live = stored.live[p.name], live.count == p.tensor.count else {
                throw TrainerError.badCheckpoint(path: path, reason: "its live weights lack \(p.name)")
            }
            p.tensor.copy(from: live)
        }
        return average
    }

    /// Unit statistics for embodiments the adapter has no data for (as the model fills in).
    static func unitStats(_ config: PolicyConfig) -> [String: EmbodimentStats] {
        var out: [String: EmbodimentStats] = [:]
        for e in config.embodiments {
            out[e.name] = EmbodimentStats(state: .unit(dimension: e.stateDimension), action: .unit(dimension: e.actionDimension))
        }
        return out
    }

    /// A new model: the tokenizer built from the data's text (or the base checkpoint's),
    /// initialised from the recipe seed; with a base, its shared parameters (and those of
    /// any embodiment it shares) are copied in.
    static func freshModel(recipe: Recipe, data: TrainingData, adapter: PolicyAdapter, initFrom: String?) throws -> PolicyModel {
        guard let initFrom else {
            let tokenizer = try Tokenizer.build(from: corpus(data))
            let model = try PolicyModel(config: adapter.config, tokenizer: tokenizer, normalization: adapter.normalization, seed: recipe.seed)
            try initialiseVision(model, images: sampleImages(recipe: recipe, data: data))
            return model
        }
        let base: LoadedCheckpoint
        do { base = try PolicyCheckpoint.load(path: initFrom) } catch {
            throw TrainerError.badCheckpoint(path: initFrom, reason: error.description)
        }
        let model = try PolicyModel(config: adapter.config, tokenizer: base.model.tokenizer, normalization: adapter.normalization, seed: recipe.seed)
        // Every tensor both models have is copied (shared trunk and heads, and the
        // embodiments they share); a shape that differs means other model sizes.
        let names = Set(model.parameters.map(\.name))
        let copied = base.model.tensors().filter { names.contains($0.name) }
        guard copied.contains(where: { $0.name.hasPrefix("shared.trunk.") }) else {
            throw TrainerError.incompatibleInit(path: initFrom, reason: "it shares no trunk parameter with this recipe's model")
        }
        do { try model.apply(copied) } catch { throw TrainerError.incompatibleInit(path: initFrom, reason: error.description) }
        return model
    }

    /// Every text the policy may read or write: instructions and annotations of all
    /// episodes, and the VL samples' captions, questions, answers and referring
    /// expressions (with the prompts the sampler wraps them in). Probe samples are left
    /// out. The same data gives the same tokenizer, whatever the recipe.
    static func corpus(_ data: TrainingData) -> [String] {
        var texts: [String] = []
        for source in DataSource.allCases {
            for e in data.pools[source]?.episodes ?? [] {
                texts.append(e.metadata.instruction)
                texts += e.metadata.annotations
            }
        }
        for s in data.vlSamples {
            for choice in 0..<MixtureSampler.textChoices(s) {
                let (prompt, target) = MixtureSampler.vlText(s, choice: choice)
                texts += [prompt, target]
            }
        }
        return texts
    }

    /// Writes the log (atomically) and then the checkpoint with optimizer state; a crash
    /// between the two leaves a log ahead of the checkpoint, which resume trims.
    func save(step: Int) throws {
        let text = log.map { $0 + "\n" }.joined()
        do {
            try AtomicFile.write(Array(text.utf8), to: options.logPath)
        } catch { throw TrainerError.output(path: options.logPath, reason: "\(error)") }
        // With an average, the checkpoint's model is the average and the live weights
        // ride with the optimizer state; the swap is undone before training goes on.
        average?.swap(with: model)
        defer { average?.swap(with: model) }
        do {
            try PolicyCheckpoint.save(
                model, optimizer: policy.optimizer, step: step, recipeHash: recipe.hash,
                average: average.map { ($0.decay, $0.values) }, to: options.checkpointPath)
        } catch { throw TrainerError.output(path: options.checkpointPath, reason: "\(error)") }
    }

    /// `run.json`: the recipe, the data used, timing and losses (pretty JSON, atomic).
    func writeSummary(_ r: TrainingResult) throws {
        func losses(_ s: LossSummary) -> JSONValue {
            .object([("steps", .int(Int64(s.steps))), ("total", .double(s.total)), ("action", .double(s.action)), ("text", .double(s.text))])
        }
        let counts = DataSource.allCases.filter { $0 != .vl }.map { ($0.rawValue + "_episodes", JSONValue.int(Int64(data.episodeCount($0)))) }
        let json = JSONValue.object([
            ("format", .string("cotrain.training-run.v1")), ("recipe", .string(recipe.name)), ("recipe_sha256", .string(recipe.hash)),
            ("step", .int(Int64(r.step))), ("total_steps", .int(Int64(r.totalSteps))), ("complete", .bool(!r.interrupted)),
            ("session_steps", .int(Int64(r.sessionSteps))), ("wall_seconds", .double(r.wallSeconds)),
            ("cpu_seconds", .double(r.cpuSeconds)), ("threads", .int(Int64(options.threads))),
            ("parameters", .int(Int64(r.parameters))), ("embodiments", .array(model.config.embodiments.map { .string($0.name) })),
            ("data", .object(counts + [("vl_samples", .int(Int64(data.vlSamples.count)))])),
            ("losses", .object([("first", losses(r.first)), ("last", losses(r.last))])),
        ])
        do { try AtomicFile.write(json.prettyBytes, to: options.summaryPath) } catch {
            throw TrainerError.output(path: options.summaryPath, reason: "\(error)")
        }
    }

    /// Wall and CPU seconds of the run's earlier sessions, from its `run.json` (0 when absent).
    func previousTimes() -> (wall: Double, cpu: Double) {
        guard let bytes = try? readFile(options.summaryPath, limit: 1 << 20), let json = try? JSONValue.parse(bytes) else { return (0, 0) }
        return (json["wall_seconds"]?.double ?? 0, json["cpu_seconds"]?.double ?? 0)
    }

    /// Creates `path` (and parents) if needed.
    func makeDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TrainerError.output(path: path, reason: "\(error.localizedDescription)")
        }
    }
}
