// A recipe trained round by round for a federation: the node's daemon hands over each
// round's base (the federated tensors), this puts them into the full local model,
// trains a fixed number of steps continuing the recipe's schedule and optimizer, and
// hands back the trained values of the same tensors. Everything the next round (or a
// restarted node) needs lives in one work directory, as a `cotrain train` run:
//
//   DIR/checkpoint.safetensors   the model after the last round trained: every tensor
//                                (also those never federated, e.g. other robots' stems),
//                                tokenizer, normalisation, optimizer state; metadata
//                                `round` = that round
//   DIR/previous.safetensors     the same before that round, to run it again bit for bit
//   DIR/training-log.jsonl       one line per step, as `cotrain train` writes it
//
// The policy names its tensors `shared.*` (federated with every lab) and
// `embodiment.<robot>.*` (per robot); nothing else exists, so no tensor needs another
// rule. The daemon's model is the `shared.*` tensors, plus the own robot's when the
// recipe's `sharing` is `shared+embodiment` (the daemon federates those with peers of
// the same robot). Everything else — the own robot's tensors under `shared`, other
// robots' stems and heads from cross-embodiment data — is trained locally only.
import CotrainCore
import CotrainPolicy
import CotrainTensor
import Foundation

/// How rounds are trained.
public struct RoundTrainingOptions: Sendable {
    /// The work directory (created if needed).
    public var workDirectory: String
    /// The federation's common starting checkpoint: its tokenizer and every `shared.*`
    /// tensor start the model; the own robot's stem and heads start from the recipe's
    /// seed. Every lab uses the same file, so every lab starts from the same base.
    public var initialCheckpoint: String
    /// Optimiser steps per round.
    public var stepsPerRound = 50
    /// Compute threads (the result is bit-identical for the same count).
    public var threads = Compute.availableCores

    /// Options with defaults for the steps and threads.
    public init(workDirectory: String, initialCheckpoint: String) {
        self.workDirectory = workDirectory
        self.initialCheckpoint = initialCheckpoint
    }

    /// `DIR/checkpoint.safetensors`.
    public var checkpointPath: String { Self.checkpointPath(workDirectory) }
    /// `DIR/previous.safetensors`.
    public var previousPath: String { "\(workDirectory)/previous.safetensors" }
    /// `DIR/training-log.jsonl`.
    public var logPath: String { "\(workDirectory)/training-log.jsonl" }

    /// The work checkpoint of work directory `directory`.
    public static func checkpointPath(_ directory: String) -> String { "\(directory)/checkpoint.safetensors" }
}

/// What one round of local training did.
public struct RoundTrainingResult: Sendable {
    /// The base's tensors (same names and shapes, in the base's order) after training.
    public var tensors: [NamedTensor]
    /// Samples behind them (the FedAvg weight): the steps' batch sizes summed.
    public var samples: Int
    /// The steps run (global step numbers, losses, learning rates, seconds).
    public var steps: TrainerSteps
    /// True when this round had been trained before (a retry or a restart before the
    /// daemon stored its delta) and was run again from the state before it.
    public var repeated: Bool
}

/// Why round training cannot go on: one line each, naming what to do.
public enum RoundTrainingError: CotrainError, Equatable {
    /// The work directory holds no checkpoint (nothing was trained yet).
    case noWorkCheckpoint(String)
    /// The round base does not fit the local model.
    case baseMismatch(String)
    /// The initial checkpoint lacks a shared tensor of the recipe's model.
    case initMissesShared(path: String, tensor: String)
    /// The node's robot is not one of the model's.
    case unknownEmbodiment(String, known: [String])
    /// The work directory holds a run of another recipe.
    case otherRecipe(String)

    public var description: String {
        switch self {
        case let .noWorkCheckpoint(directory):
            return "no trainer work checkpoint in \(directory) (checkpoint.safetensors); run the node with `cotrain serve --trainer recipe` until it has trained a round"
        case let .baseMismatch(reason):
            return "the round base does not fit the local model: \(reason); the base must be this node's (its robot's tensors), and every lab must train a recipe with the same model settings from the same --init checkpoint"
        case let .initMissesShared(path, tensor):
            return "\(path) has no \(tensor), which the recipe's model shares; make the --init checkpoint with a recipe of the same model settings (with discrete_actions on in some phase if this recipe has it)"
        case let .unknownEmbodiment(name, known):
            return "the recipe's model has no \(name) embodiment (it has \(known.joined(separator: ", "))); train the node's own robot"
        case let .otherRecipe(directory):
            return "\(directory) holds local training of another recipe; use the recipe it was started with, or move the directory away to start afresh from the round base (its optimizer state and unshared tensors are then lost)"
        }
    }
}

/// Trains a recipe round by round in a work directory (see the file comment).
///
/// Not thread-safe: call it from one thread at a time (the node's trainer thread).
public final class RoundTraining {
    /// The recipe and the options.
    public let recipe: Recipe
    public let options: RoundTrainingOptions
    /// The trainer holding the model and optimizer.
    public let trainer: Trainer
    /// The round the work checkpoint's state follows (nil before the first).
    public private(set) var lastRound: Int?
    /// The initial checkpoint's `shared.*` tensors (what every lab starts from).
    let initialShared: [NamedTensor]

    /// Opens the work directory: resumes from its checkpoint (which must be of this
    /// recipe and data), or starts the model from the initial checkpoint.
    public init(recipe: Recipe, data: TrainingData, options: RoundTrainingOptions) throws {
        self.recipe = recipe
        self.options = options
        var settings = TrainerOptions(outputDirectory: options.workDirectory)
        settings.resume = true
        settings.threads = options.threads
        settings.initialCheckpoint = options.initialCheckpoint
        do { trainer = try Trainer(recipe: recipe, data: data, options: settings) } catch TrainerError.recipeChanged {
            throw RoundTrainingError.otherRecipe(options.workDirectory)
        }
        try trainer.makeDirectory(options.workDirectory)
        let initial: LoadedCheckpoint
        do { initial = try PolicyCheckpoint.load(path: options.initialCheckpoint) } catch {
            throw TrainerError.badCheckpoint(path: options.initialCheckpoint, reason: error.description)
        }
        let shared = Dictionary(uniqueKeysWithValues: initial.model.sharedTensors().map { ($0.name, $0) })
        var initialShared: [NamedTensor] = []
        for p in trainer.model.sharedParameters {
            guard let t = shared[p.name], t.shape == p.shape.dims else {
                throw RoundTrainingError.initMissesShared(path: options.initialCheckpoint, tensor: p.name)
            }
            initialShared.append(t)
        }
        self.initialShared = initialShared
        if access(options.checkpointPath, F_OK) == 0 {
            let file = try SafetensorsFile.open(path: options.checkpointPath)
            lastRound = file.metadata["round"].flatMap { Int($0) }
        }
    }

    /// The tensors a federation starts from: the initial checkpoint's `shared.*` and,
    /// when the recipe shares `shared+embodiment`, the model's `embodiment.<embodiment>.*`
    /// (the initial checkpoint's when it has that robot, else fresh from the recipe's
    /// seed; as trained so far when the work directory holds a run). With sharing
    /// `shared` the robot's tensors stay in the work checkpoint, trained locally only.
    public func initialTensors(embodiment: String) throws -> [NamedTensor] {
        guard trainer.model.config.embodiment(embodiment) != nil else {
            throw RoundTrainingError.unknownEmbodiment(embodiment, known: trainer.model.config.embodiments.map(\.name))
        }
        guard recipe.sharing == .sharedAndEmbodiment else { return initialShared }
        return initialShared + trainer.model.tensors(prefix: "embodiment.\(embodiment).")
    }

    /// Trains round `round` from `base` (tensors of the model, typically `shared.*`
    /// and the own robot's): puts them in place, runs ``RoundTrainingOptions/stepsPerRound``
    /// steps from the step reached so far, saves the work directory and returns the
    /// trained values of the base's tensors. A round trained before (the last one) is
    /// run again from the state before it, so the same base, round and data give the
    /// same bits.
    public func train(base: [NamedTensor], round: Int) throws -> RoundTrainingResult {
        let repeated = lastRound == round && access(options.previousPath, F_OK) == 0
        if repeated {
            let previous: LoadedCheckpoint
            do { previous = try PolicyCheckpoint.load(path: options.previousPath, expecting: trainer.model.config) } catch {
                throw TrainerError.badCheckpoint(path: options.previousPath, reason: error.description)
            }
            try trainer.restore(previous)
        } else {
            try keepPrevious()
        }
        let steps: TrainerSteps
        do {
            do { try trainer.model.apply(base) } catch { throw RoundTrainingError.baseMismatch(error.description) }
            steps = try trainer.train(steps: options.stepsPerRound)
            let log = try readLog(before: steps.firstStep) + steps.logLines
            try trainer.saveState(to: options.checkpointPath, log: (options.logPath, log), metadata: ["round": String(round)])
        } catch {
            // Back to the state before the round, so a retry starts where this attempt did.
            if let previous = try? PolicyCheckpoint.load(path: options.previousPath, expecting: trainer.model.config) {
                try? trainer.restore(previous)
            }
            throw error
        }
        lastRound = round
        let values = Dictionary(uniqueKeysWithValues: trainer.model.parameters.map { ($0.name, $0) })
        let tensors = base.map { t in NamedTensor(name: t.name, shape: t.shape, values: values[t.name]!.tensor.values) }
        return RoundTrainingResult(tensors: tensors, samples: steps.samples, steps: steps, repeated: repeated)
    }

    /// Makes `previous.safetensors` the state before the round about to be trained:
    /// a hard link to the current checkpoint (which is replaced, never rewritten in
    /// place), or the fresh model written out before the first round.
    func keepPrevious() throws {
        let temporary = options.previousPath + ".tmp-link"
        unlink(temporary)
        if access(options.checkpointPath, F_OK) == 0 {
            if link(options.checkpointPath, temporary) != 0 {
                // No hard links here (some file systems): copy instead.
                try AtomicFile.write(try readFile(options.checkpointPath, limit: 1 << 40), to: temporary)
            }
            guard rename(temporary, options.previousPath) == 0 else { throw SystemError("rename", options.previousPath, code: errno) }
            try AtomicFile.syncDirectory(options.workDirectory)
        } else {
            try trainer.saveState(to: options.previousPath)
        }
    }

    /// The log lines of the steps before `step` (later ones belong to a state that
    /// was replaced).
    func readLog(before step: Int) throws -> [String] {
        guard access(options.logPath, F_OK) == 0 else { return [] }
        let text = String(decoding: try readFile(options.logPath, limit: 1 << 30), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            guard let s = (try? JSONValue.parse(String(line)))?["step"]?.int, s < step else { return nil }
            return String(line)
        }
    }

    /// Writes a policy checkpoint for evaluation: the work checkpoint of `workDirectory`
    /// with `base`'s tensors put in place (e.g. the node's latest round base), without
    /// optimizer state; config, tokenizer and normalisation are kept, and `metadata`
    /// is added. Returns the checkpoint's training step.
    @discardableResult
    public static func export(
        base: [NamedTensor], workDirectory: String, to path: String, metadata: [String: String] = [:]
    ) throws -> Int {
        let source = RoundTrainingOptions.checkpointPath(workDirectory)
        guard access(source, F_OK) == 0 else { throw RoundTrainingError.noWorkCheckpoint(workDirectory) }
        let loaded: LoadedCheckpoint
        do { loaded = try PolicyCheckpoint.load(path: source) } catch {
            throw TrainerError.badCheckpoint(path: source, reason: error.description)
        }
        do { try loaded.model.apply(base) } catch { throw RoundTrainingError.baseMismatch(error.description) }
        do {
            var writer = try PolicyCheckpoint.writer(model: loaded.model, step: loaded.step, recipeHash: loaded.recipeHash)
            for (key, value) in metadata where writer.metadata[key] == nil { writer.metadata[key] = value }
            try writer.write(toFile: path)
        } catch { throw TrainerError.output(path: path, reason: "\(error)") }
        return loaded.step
    }
}
