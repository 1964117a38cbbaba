// The study runner: prepare the data, then per training seed pretrain the shared VL
// base (optional) and for every recipe train (resumably), evaluate on the suite and
// probe VL knowledge, and assemble the report. Re-running the same command continues
// an interrupted study: finished training runs are kept, evaluations are recomputed
// (deterministic).
import CotrainCore
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import Foundation

/// What one recipe of a study gave: one run per training seed.
public struct StudyEntry: Sendable {
    /// The recipe as trained (steps scaled; the first run's seed).
    public var recipe: Recipe
    /// The runs, in the order of the study's seeds.
    public var runs: [StudyRun]

    /// Success over every counted episode of every run.
    public var overall: Proportion {
        Proportion(successes: runs.map(\.evaluation.overall.successes).reduce(0, +), trials: runs.map(\.evaluation.overall.trials).reduce(0, +))
    }

    /// The VL probe over every run's answers (each run answers the same questions).
    public var probe: ProbeResult { ProbeResult(pooling: runs.map(\.probe)) }
}

extension ProbeResult {
    /// Several runs' results as one: counts summed, answers concatenated in run order
    /// (so two entries with the same seeds pair answer for answer); the first's examples.
    init(pooling results: [ProbeResult]) {
        self.init(correct: 0, total: 0, byType: [:], examples: results.first?.examples ?? [], outcomes: [])
        for r in results {
            correct += r.correct
            total += r.total
            outcomes += r.outcomes
            for (type, counts) in r.byType {
                byType[type, default: Counts(correct: 0, total: 0)].correct += counts.correct
                byType[type, default: Counts(correct: 0, total: 0)].total += counts.total
            }
        }
    }
}

/// One training run of a study: a recipe trained with one seed, evaluated and probed.
public struct StudyRun: Sendable {
    /// The seed the recipe trained with.
    public var seed: UInt64
    /// Training: steps, time, losses (times cover every session of the run).
    public var training: TrainingResult
    /// The suite's results, and the VL probe score.
    public var evaluation: EvaluationReport
    public var probe: ProbeResult
}

/// Runs studies (`cotrain study`).
public enum Study {
    /// Runs `plan`. `log` gets one line per milestone; `progress` gets the training
    /// status of the run named first; `evaluationProgress` gets each evaluation
    /// episode of the recipe named first. A stop request ends the study with an error
    /// after writing the current run's checkpoint.
    public static func run(
        _ plan: StudyPlan, stop: StopRequest = StopRequest(), log: (String) -> Void = { _ in },
        progress: (String, TrainerStatus) -> Void = { _, _ in },
        evaluationProgress: (@Sendable (String, EvaluationProgress) -> Void)? = nil
    ) throws -> StudyReport {
        try plan.validate()
        try plan.suite.validate()
        let started = ProgressMeter(total: 1, unit: "study")
        let cpuStart = processCPUSeconds()
        let out = plan.outputDirectory
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var stores = (episodes: plan.episodeStores, vl: plan.vlStores)
        if stores.episodes.isEmpty && stores.vl.isEmpty {
            var dataPlan = plan.builtInData
            dataPlan.wristCamera = dataPlan.wristCamera || plan.recipes.contains { $0.model.wristCamera }
            let built = try dataPlan.build(in: "\(out)/data", progress: log)
            stores = ([built.episodes], [built.vl])
        }
        let data = try TrainingData.load(ownEmbodiment: plan.ownEmbodiment, episodeStores: stores.episodes, vlStores: stores.vl)
        // Recipes that act in the tool frame train on a converted view of the same episodes.
        // (one view per motion window the recipes use).
        var toolData: [Int: TrainingData] = [:]
        for recipe in plan.recipes where recipe.model.actionFrame == .tool && toolData[recipe.model.motionWindow] == nil {
            toolData[recipe.model.motionWindow] = data.inToolFrame(motionWindow: recipe.model.motionWindow)
        }
        func dataFor(_ recipe: Recipe) -> TrainingData { recipe.model.actionFrame == .tool ? toolData[recipe.model.motionWindow]! : data }
        log("data: \(data.episodeCount(.robot)) own-robot, \(data.episodeCount(.crossEmbodiment)) cross-embodiment, "
            + "\(data.episodeCount(.humanVideo)) human-video episodes; \(data.vlSamples.count) VL samples, \(data.probeSamples.count) probe samples")

        var entries: [StudyEntry] = []
        var baseProbes: [ProbeResult] = []
        for seed in plan.runSeeds {
            // With explicit seeds every run has its own directory: runs/NAME/seed-S.
            let suffix = seed.map { "/seed-\($0)" } ?? ""
            let label = seed.map { " (seed \($0))" } ?? ""
            var base: String?
            if let recipe = plan.baseRecipe(seed: seed) {
                let result = try train(recipe, data: dataFor(recipe), directory: "\(out)/base\(suffix)", initFrom: nil, plan: plan, stop: stop, progress: progress)
                let model = try CheckpointPolicyProvider(path: result.checkpointPath, name: recipe.name).model
                let probe = try VLProbe.run(model: model, samples: data.probeSamples)
                log("vl-base\(label): \(result.step) steps in \(ProgressMeter.duration(result.wallSeconds)); VL probe \(percent(probe.accuracy))")
                (base, baseProbes) = (result.checkpointPath, baseProbes + [probe])
            }
            for (i, recipe) in plan.trainedRecipes(seed: seed).enumerated() {
                let run = try trainAndEvaluate(
                    recipe, data: dataFor(recipe), probeSamples: data.probeSamples, directory: "\(out)/runs/\(recipe.name)\(suffix)",
                    label: recipe.name + label, initFrom: base, plan: plan, stop: stop, log: log, progress: progress,
                    evaluationProgress: evaluationProgress)
                if i < entries.count { entries[i].runs.append(run) } else { entries.append(StudyEntry(recipe: recipe, runs: [run])) }
            }
        }
        let report = StudyReport(
            suite: plan.suite.name, entries: entries, baseProbe: baseProbes.isEmpty ? nil : ProbeResult(pooling: baseProbes), baseSteps: plan.baseSteps,
            stepScale: plan.stepScale, wallSeconds: started.elapsed, cpuSeconds: processCPUSeconds() - cpuStart)
        try write(report, to: out)
        return report
    }

    /// Trains one recipe with one seed, evaluates it on the suite and probes it.
    static func trainAndEvaluate(
        _ recipe: Recipe, data: TrainingData, probeSamples: [VLSample], directory dir: String, label: String, initFrom base: String?,
        plan: StudyPlan, stop: StopRequest, log: (String) -> Void, progress: (String, TrainerStatus) -> Void,
        evaluationProgress: (@Sendable (String, EvaluationProgress) -> Void)?
    ) throws -> StudyRun {
        let result = try train(recipe, data: data, directory: dir, initFrom: base, plan: plan, stop: stop, progress: progress)
        log("\(label): trained \(result.step) steps in \(ProgressMeter.duration(result.wallSeconds)) "
            + "(CPU \(ProgressMeter.duration(result.cpuSeconds))); evaluating on \(plan.suite.name)")
        let provider = try CheckpointPolicyProvider(path: result.checkpointPath, name: recipe.name)
        var robot = SimRobot(plan.ownEmbodiment, config: provider.simConfig)
        var person = UnattendedOperator()
        let report = try EvaluationHarness.run(
            suite: plan.suite, robot: &robot, robotName: "sim", provider: provider, operator: &person,
            options: EvaluationOptions(episodes: plan.episodes, progress: evaluationCallback(evaluationProgress, recipe.name)), stop: stop)
        if let stopped = report.stoppedEarly { throw TrainerError.stopped("evaluating \(label): \(stopped)") }
        try report.write(to: "\(dir)/eval.json")
        let probe = try VLProbe.run(model: provider.model, samples: probeSamples)
        log("\(label): \(report.episodeCount) episodes, success \(percent(report.overall.rate)); VL probe \(percent(probe.accuracy))")
        return StudyRun(seed: recipe.seed, training: result, evaluation: report, probe: probe)
    }

    /// The harness callback that passes each episode's progress on with the recipe's name.
    static func evaluationCallback(
        _ report: (@Sendable (String, EvaluationProgress) -> Void)?, _ name: String
    ) -> (@Sendable (EvaluationProgress) -> Void)? {
        guard let report else { return nil }
        return { progress in report(name, progress) }
    }

    /// Trains (or resumes, or finds finished) one run of the study.
    static func train(
        _ recipe: Recipe, data: TrainingData, directory: String, initFrom: String?, plan: StudyPlan, stop: StopRequest,
        progress: (String, TrainerStatus) -> Void
    ) throws -> TrainingResult {
        var options = TrainerOptions(outputDirectory: directory)
        options.resume = true
        options.threads = plan.threads
        options.initialCheckpoint = initFrom
        let result = try Trainer(recipe: recipe, data: data, options: options).run(stop: stop) { progress(recipe.name, $0) }
        if result.interrupted { throw TrainerError.stopped("training \(recipe.name) at step \(result.step)") }
        return result
    }

    /// Writes `study.json` and `study.md` into `directory` (atomically).
    static func write(_ report: StudyReport, to directory: String) throws {
        for (name, bytes) in [("study.json", report.json.prettyBytes), ("study.md", Array(report.markdown.utf8))] {
            let path = "\(directory)/\(name)"
            do { try AtomicFile.write(bytes, to: path) } catch { throw TrainerError.output(path: path, reason: "\(error)") }
        }
    }

    /// "85%".
    static func percent(_ x: Double) -> String { ProgressMeter.decimal(x * 100, digits: 0) + "%" }
}

extension EvaluationReport {
    /// Success over every counted episode of every cell.
    public var overall: Proportion {
        Proportion(successes: cells.map(\.success.successes).reduce(0, +), trials: cells.map(\.success.trials).reduce(0, +))
    }
}
