// The training loop: mixture batches → policy batches → optimiser steps, with the
// recipe's phases and learning-rate schedule, periodic atomic checkpoints and a
// per-step log. Everything a step does depends on (recipe seed, step) and the
// parameters, so a run resumed from a checkpoint equals one that never stopped.
import CotrainCore
import CotrainPolicy
import CotrainRuntime
import CotrainTensor

/// Trains a recipe's policy on loaded data (`cotrain train`).
public final class Trainer {
    /// The recipe, the data, and the sampler and adapter built from them.
    public let recipe: Recipe
    public let data: TrainingData
    public let sampler: MixtureSampler
    public let adapter: PolicyAdapter
    public let options: TrainerOptions
    /// The model being trained and its optimiser state.
    public let policy: PolicyTrainer
    /// The step the run starts (or resumes) at.
    public let startStep: Int
    /// One canonical JSON line per step done (`training-log.jsonl`).
    public private(set) var log: [String]
    /// The moving average of the weights (recipes with `ema_decay`), which checkpoints
    /// store as the policy; `cotrain train` only (federated rounds do not update it).
    let average: WeightAverage?

    /// Prepares a run: validates the recipe against the data, then resumes from
    /// `options.outputDirectory`'s checkpoint (with `options.resume`) or builds a fresh
    /// model (tokenizer from the corpus, or from `options.initialCheckpoint`).
    public init(recipe: Recipe, data: TrainingData, options: TrainerOptions) throws {
        self.recipe = recipe
        self.data = data
        self.options = options
        sampler = try MixtureSampler(recipe: recipe, data: data)
        adapter = try PolicyAdapter(recipe: recipe, data: data)
        let weights = LossWeights(flow: Float(recipe.lossWeights.action), tokens: Float(recipe.lossWeights.discreteAction))
        if let state = try Self.resumeState(recipe: recipe, adapter: adapter, options: options) {
            average = try Self.resumeAverage(recipe: recipe, checkpoint: state.checkpoint, path: options.checkpointPath)
            policy = try PolicyTrainer(
                model: state.checkpoint.model, lossWeights: weights, seed: recipe.seed, threads: options.threads,
                resume: state.checkpoint.optimizer)
            startStep = state.checkpoint.step
            log = state.log
        } else {
            let model = try Self.freshModel(recipe: recipe, data: data, adapter: adapter, initFrom: options.initialCheckpoint)
            average = recipe.emaDecay > 0 ? WeightAverage(model: model, decay: Float(recipe.emaDecay)) : nil
            policy = try PolicyTrainer(model: model, lossWeights: weights, seed: recipe.seed, threads: options.threads)
            startStep = 0
            log = []
        }
    }

    /// The model being trained.
    public var model: PolicyModel { policy.model }

    /// The learning rate of global step `step`: per phase, linear warm-up to the
    /// phase's rate, then cosine decay to a tenth of it at the phase's end.
    public func learningRate(at step: Int) -> Float {
        guard let (index, phaseStep) = recipe.phase(at: step) else { return 0 }
        let phase = recipe.phases[index]
        return CosineSchedule(peak: Float(phase.learningRate), warmupSteps: phase.warmup, totalSteps: phase.steps)
            .learningRate(at: phaseStep)
    }

    /// One optimizer step of global step `step`: draws its batch into `batch`, maps it to
    /// the policy's batch and loss weights, and steps at `learningRate`.
    func step(_ step: Int, batch: inout TrainingBatch, sampler: MixtureSampler, learningRate: Float) throws -> PolicyStepReport {
        sampler.fill(&batch, step: step)
        let (policyBatch, weights) = try adapter.policyBatch(batch)
        policy.lossWeights = weights
        let report: PolicyStepReport
        do { report = try policy.step(policyBatch, learningRate: learningRate) } catch { throw TrainerError.policy("step \(step): \(error.description)") }
        guard report.losses.total.isFinite else {
            throw TrainerError.policy("the loss became \(report.losses.total) at step \(step); lower the phase's learning_rate or raise its warmup")
        }
        return report
    }

    /// Runs from `startStep` to the recipe's end, or until `stop` is requested (then
    /// a checkpoint is written and the result says `interrupted`). `progress` is called
    /// after every step. Afterwards `model` holds what the checkpoint holds: with
    /// `ema_decay`, the averaged weights.
    public func run(stop: StopRequest = StopRequest(), progress: (TrainerStatus) -> Void = { _ in }) throws -> TrainingResult {
        try makeDirectory(options.outputDirectory)
        let total = recipe.totalSteps
        let clock = ProgressMeter(total: total - startStep, unit: "steps")
        let cpuStart = processCPUSeconds()
        var batch = sampler.makeBatch()
        var samples = 0
        var smooth: (total: Float, action: Float, text: Float)?
        var step = startStep
        while step < total {
            if stop.isRequested { break }
            let lr = learningRate(at: step)
            let report = try self.step(step, batch: &batch, sampler: sampler, learningRate: lr)
            average?.update(from: model, updates: step)
            let phase = recipe.phases[batch.phase].name
            log.append(Self.logLine(step: step, phase: phase, report: report))
            samples += batch.count
            step += 1
            let l = report.losses
            smooth = smooth.map { s in
                func ema(_ old: Float, _ new: Float, _ present: Bool) -> Float { present ? 0.9 * old + 0.1 * new : old }
                return (ema(s.total, l.total, true), ema(s.action, l.action, l.actionSamples > 0), ema(s.text, l.text, l.textSamples > 0))
            } ?? (l.total, l.action, l.text)
            let elapsed = clock.elapsed
            let rate = elapsed > 0 ? Double(samples) / elapsed : 0
            let perStep = elapsed / Double(step - startStep)
            progress(TrainerStatus(
                step: step, totalSteps: total, phase: phase, losses: l, learningRate: lr, smoothedTotal: smooth!.total,
                smoothedAction: smooth!.action, smoothedText: smooth!.text, samplesPerSecond: rate,
                etaSeconds: perStep * Double(total - step)))
            if step % options.checkpointInterval == 0, step < total { try save(step: step) }
        }
        try save(step: step)
        // From here on the model is the policy the checkpoint holds.
        average?.swap(with: model)
        let earlier = startStep > 0 ? previousTimes() : (wall: 0, cpu: 0)
        let result = TrainingResult(
            checkpointPath: options.checkpointPath, step: step, totalSteps: total, interrupted: step < total,
            wallSeconds: earlier.wall + clock.elapsed, cpuSeconds: earlier.cpu + processCPUSeconds() - cpuStart,
            sessionSteps: step - startStep,
            first: summary(log.prefix(20)), last: summary(log.suffix(20)), parameters: model.parameterCount)
        try writeSummary(result)
        return result
    }

    /// One step's log line: canonical JSON with the step, phase, learning rate, losses,
    /// gradient norm and how many samples fed each objective.
    static func logLine(step: Int, phase: String, report: PolicyStepReport) -> String {
        let l = report.losses
        return JSONValue.object([
            ("step", .int(Int64(step))), ("phase", .string(phase)), ("lr", .double(Double(report.learningRate))),
            ("loss", .double(Double(l.total))), ("action", .double(Double(l.action))), ("text", .double(Double(l.text))),
            ("tokens", .double(Double(l.tokens))), ("grad_norm", .double(Double(report.gradNorm))),
            ("action_samples", .int(Int64(l.actionSamples))), ("text_samples", .int(Int64(l.textSamples))),
            ("token_samples", .int(Int64(l.tokenSamples))),
        ] + (l.pointingSamples > 0
            ? [("pointing", .double(Double(l.pointing))), ("pointing_samples", .int(Int64(l.pointingSamples)))]
                + (l.pointingMass != 0 ? [("pointing_mass", .double(Double(l.pointingMass)))] : [])
                + (l.pointingAvoidRows > 0 ? [("pointing_avoid", .double(Double(l.pointingAvoid))), ("pointing_avoid_rows", .int(Int64(l.pointingAvoidRows)))] : []) : [])
            + (l.orientationSamples > 0
                ? [("orientation", .double(Double(l.orientation))), ("orientation_samples", .int(Int64(l.orientationSamples)))] : [])
        ).canonicalString
    }

    /// Mean losses over log lines (action and text over the lines that had them).
    func summary<C: Collection>(_ lines: C) -> LossSummary where C.Element == String {
        var total = 0.0, action = 0.0, text = 0.0, actionSteps = 0, textSteps = 0
        for line in lines {
            guard let v = try? JSONValue.parse(line) else { continue }
            total += v["loss"]?.double ?? 0
            if (v["action_samples"]?.int ?? 0) > 0 { action += v["action"]?.double ?? 0; actionSteps += 1 }
            if (v["text_samples"]?.int ?? 0) > 0 { text += v["text"]?.double ?? 0; textSteps += 1 }
        }
        return LossSummary(
            steps: lines.count, total: lines.isEmpty ? 0 : total / Double(lines.count),
            action: actionSteps > 0 ? action / Double(actionSteps) : 0, text: textSteps > 0 ? text / Double(textSteps) : 0)
    }
}
