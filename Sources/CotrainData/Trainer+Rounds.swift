// Training a recipe a bounded number of steps at a time, as federated rounds do: run
// N steps from wherever the optimizer is, put another model's parameters in place
// between calls, restore an earlier state, and save the state with extra metadata.
// `run()` is untouched; these are the pieces `RoundTraining` builds rounds from.
import CotrainCore
import CotrainPolicy
import CotrainTensor
import Foundation

/// What ``Trainer/train(steps:)`` did.
public struct TrainerSteps: Sendable {
    /// The global step of the first step run, and how many ran.
    public var firstStep: Int
    public var steps: Int
    /// Samples seen (the sum of the steps' batch sizes).
    public var samples: Int
    /// One canonical JSON line per step, as in `training-log.jsonl`.
    public var logLines: [String]
    /// Mean losses over the steps (action and text over the steps that had them).
    public var losses: LossSummary
    /// The learning rates of the first and last step.
    public var firstLearningRate: Float
    public var lastLearningRate: Float
    /// Wall-clock seconds.
    public var seconds: Double
}

extension Trainer {
    /// Optimiser steps the model has taken (restored on resume): the global step the
    /// next ``train(steps:)`` starts at.
    public var stepsDone: Int { policy.step }

    /// The learning rate of global step `step`, also past the recipe's end: there the
    /// last phase goes on at its final (minimum) rate, a tenth of its peak (its peak if
    /// its warm-up fills the phase).
    public func continuingLearningRate(at step: Int) -> Float {
        if step < recipe.totalSteps { return learningRate(at: step) }
        guard let last = recipe.phases.last else { return 0 }
        return CosineSchedule(peak: Float(last.learningRate), warmupSteps: last.warmup, totalSteps: last.steps)
            .learningRate(at: last.steps)
    }

    /// The recipe with its last phase made long enough for `step`: past the recipe's
    /// end, batches come from the last phase's mixture, still seeded by (seed, step)
    /// alone, and every earlier step keeps its batch.
    func extendedSampler(through step: Int) throws -> MixtureSampler {
        guard step >= recipe.totalSteps, let lastIndex = recipe.phases.indices.last else { return sampler }
        var extended = recipe
        extended.phases[lastIndex].steps += step + 1 - recipe.totalSteps
        return try MixtureSampler(recipe: extended, data: data)
    }

    /// Runs `count` optimiser steps from ``stepsDone`` (the recipe's schedule goes on
    /// from there; see ``continuingLearningRate(at:)`` past its end). Writes nothing:
    /// save with ``saveState(to:log:metadata:)``. Same state, data and thread count ⇒
    /// the same bits.
    public func train(steps count: Int) throws -> TrainerSteps {
        precondition(count >= 0, "train(steps:): negative step count")
        let start = stepsDone, clock = ContinuousClock.now
        let sampler = try extendedSampler(through: start + max(count, 1) - 1)
        var batch = sampler.makeBatch()
        var lines: [String] = [], samples = 0, rates: [Float] = []
        for step in start..<(start + count) {
            let lr = continuingLearningRate(at: step)
            let report = try self.step(step, batch: &batch, sampler: sampler, learningRate: lr)
            lines.append(Self.logLine(step: step, phase: sampler.recipe.phases[batch.phase].name, report: report))
            samples += batch.count
            rates.append(lr)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return TrainerSteps(
            firstStep: start, steps: count, samples: samples, logLines: lines, losses: summary(lines),
            firstLearningRate: rates.first ?? 0, lastLearningRate: rates.last ?? 0, seconds: seconds)
    }

    /// Overwrites the named parameters (any subset, e.g. a federated round base). Every
    /// name must be one of the model's, with the same shape; nothing changes on error.
    public func replaceParameters(_ tensors: [NamedTensor]) throws(TrainerError) {
        do { try model.apply(tensors) } catch {
            throw TrainerError.policy("cannot take the given parameters: \(error.description)")
        }
    }

    /// Puts a checkpoint's parameters and optimizer state in place (e.g. the state
    /// before a round, to run that round again). It must be of this model's
    /// configuration and hold optimizer state.
    public func restore(_ checkpoint: LoadedCheckpoint) throws(TrainerError) {
        guard let state = checkpoint.optimizer else {
            throw TrainerError.policy("the checkpoint to restore holds no optimizer state")
        }
        try replaceParameters(checkpoint.model.tensors())
        var moments: [(m: [Float], v: [Float])] = []
        for p in policy.optimizer.parameters {
            guard let pair = state.moments[p.name], pair.m.count == p.tensor.count, pair.v.count == p.tensor.count else {
                throw TrainerError.policy("the checkpoint to restore has no optimizer moments of the right size for \(p.name)")
            }
            moments.append(pair)
        }
        policy.optimizer.restore(stepCount: state.step, moments: moments)
    }

    /// Writes the training log (`log`, atomically) and then the model with optimizer
    /// state at ``stepsDone``, the recipe hash and `metadata` added to the checkpoint's
    /// (atomically) — a checkpoint `cotrain train --resume` and `cotrain eval` read.
    public func saveState(to path: String, log: (path: String, lines: [String])? = nil, metadata: [String: String] = [:]) throws {
        if let log {
            let text = log.lines.map { $0 + "\n" }.joined()
            do { try AtomicFile.write(Array(text.utf8), to: log.path) } catch { throw TrainerError.output(path: log.path, reason: "\(error)") }
        }
        do {
            var writer = try PolicyCheckpoint.writer(model: model, optimizer: policy.optimizer, step: stepsDone, recipeHash: recipe.hash)
            for (key, value) in metadata where writer.metadata[key] == nil { writer.metadata[key] = value }
            try writer.write(toFile: path)
        } catch { throw TrainerError.output(path: path, reason: "\(error)") }
    }
}
