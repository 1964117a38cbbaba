// A study's results: success per condition (pooled over the suite's tasks and the
// training seeds) with Wilson intervals, differences against the baseline (the first
// recipe) with the runtime's Newcombe intervals and verdicts (paired by training seed,
// task and episode seed), and the VL probe scores. Rendered as JSON (study.json) and Markdown (study.md); the CLI
// prints the same numbers as terminal tables.
import CotrainCore
import CotrainRuntime

/// The results of a study.
public struct StudyReport: Sendable {
    /// The suite every policy ran.
    public var suite: String
    /// One entry per recipe; the first is the baseline.
    public var entries: [StudyEntry]
    /// The shared VL base's probe score over its runs (nil without a base) and its steps.
    public var baseProbe: ProbeResult?
    public var baseSteps: Int
    /// The factor applied to every recipe's steps.
    public var stepScale: Double
    /// The whole study's wall-clock and CPU seconds.
    public var wallSeconds: Double
    public var cpuSeconds: Double

    /// The recipe the others are compared with.
    public var baseline: StudyEntry? { entries.first }

    /// Condition names in suite order ("unseen_task" pools the unseen families).
    public var conditions: [String] {
        var seen: [String] = []
        for cell in entries.first?.runs.first?.evaluation.cells ?? [] where !seen.contains(cell.condition) { seen.append(cell.condition) }
        return seen
    }

    /// The training seeds of the study (the baseline's runs, in order).
    public var seeds: [UInt64] { baseline?.runs.map(\.seed) ?? [] }

    /// The counted episodes of `entry` under `condition` over all its runs, keyed by
    /// "run/task/seed" (the run's index: every recipe trains with the same seeds).
    func outcomes(_ entry: StudyEntry, _ condition: String) -> [(key: String, success: Bool)] {
        entry.runs.enumerated().flatMap { r, run in
            run.evaluation.cells.filter { $0.condition == condition }.flatMap { cell in
                cell.counted.map { ("\(r)/\(cell.task)/\($0.seed)", $0.success) }
            }
        }
    }

    /// Success of `entry` under `condition`, over all the suite's tasks.
    public func success(_ entry: StudyEntry, condition: String) -> Proportion {
        let o = outcomes(entry, condition)
        return Proportion(successes: o.filter(\.success).count, trials: o.count)
    }

    /// `entry` − baseline under `condition`, paired by task and seed.
    public func comparison(_ entry: StudyEntry, condition: String) -> RateComparison? {
        guard let baseline else { return nil }
        let a = outcomes(entry, condition), b = Dictionary(outcomes(baseline, condition).map { ($0.key, $0.success) }, uniquingKeysWith: { x, _ in x })
        let pairs = a.compactMap { o in b[o.key].map { (o.success, $0) } }
        let paired = pairs.count == a.count && pairs.count == b.count
        return RateComparison(a: success(entry, condition: condition), b: success(baseline, condition: condition), pairs: paired ? pairs : nil)
    }

    /// `entry`'s probe − the baseline's (same questions, so paired).
    public func probeComparison(_ entry: StudyEntry) -> RateComparison? {
        guard let baseline else { return nil }
        let a = entry.probe, b = baseline.probe
        let pairs = a.outcomes.count == b.outcomes.count ? Array(zip(a.outcomes, b.outcomes)) : nil
        return RateComparison(
            a: Proportion(successes: a.correct, trials: a.total), b: Proportion(successes: b.correct, trials: b.total), pairs: pairs)
    }

    /// study.json (`cotrain.study.v2`: v1 plus the seeds, and per recipe its `runs`;
    /// the recipe's `overall`, `conditions` and `vl_probe` pool the runs).
    public var json: JSONValue {
        func number(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
        func rate(_ p: Proportion) -> [(String, JSONValue)] {
            [("episodes", .int(Int64(p.trials))), ("successes", .int(Int64(p.successes))), ("success_rate", number(p.rate)),
             ("success_ci95", .array([number(p.lower), number(p.upper)]))]
        }
        func compared(_ c: RateComparison?) -> JSONValue {
            guard let c else { return .null }
            return .object([
                ("difference", number(c.difference)), ("ci95", .array([number(c.lower), number(c.upper)])), ("p_value", number(c.pValue)),
                ("paired_p_value", c.pairedPValue.map(number) ?? .null), ("verdict", .string(c.verdict.rawValue)),
            ])
        }
        func probe(_ p: ProbeResult) -> JSONValue {
            .object([
                ("correct", .int(Int64(p.correct))), ("questions", .int(Int64(p.total))), ("accuracy", number(p.accuracy)),
                ("by_type", .object(p.byType.keys.sorted().map { k in
                    (k, .object([("correct", .int(Int64(p.byType[k]!.correct))), ("questions", .int(Int64(p.byType[k]!.total)))]))
                })),
                ("examples", .array(p.examples.map { .object([("question", .string($0.question)), ("expected", .string($0.expected)), ("answer", .string($0.answer))]) })),
            ])
        }
        func run(_ run: StudyRun, _ recipe: Recipe) -> JSONValue {
            let t = run.training
            var trained = recipe
            trained.seed = run.seed
            return .object([
                ("seed", .int(Int64(bitPattern: run.seed))), ("recipe_sha256", .string(trained.hash)),
                ("training", .object([
                    ("steps", .int(Int64(t.step))), ("wall_seconds", number(t.wallSeconds)), ("cpu_seconds", number(t.cpuSeconds)),
                    ("action_loss_first_last", .array([number(t.first.action), number(t.last.action)])),
                    ("text_loss_first_last", .array([number(t.first.text), number(t.last.text)])),
                    ("checkpoint", .string(t.checkpointPath)),
                ])),
                ("overall", .object(rate(run.evaluation.overall))),
                ("cells", .array(run.evaluation.cells.map { cell in
                    .object([("task", .string(cell.task)), ("condition", .string(cell.condition))] + rate(cell.success)
                        + [("mean_completion", number(cell.meanCompletion))])
                })),
                ("vl_probe", probe(run.probe)),
            ])
        }
        let recipes: [JSONValue] = entries.enumerated().map { i, e in
            .object([
                ("name", .string(e.recipe.name)), ("question", .string(e.recipe.question)),
                ("overall", .object(rate(e.overall))),
                ("conditions", .array(conditions.map { c in
                    .object([("condition", .string(c))] + rate(success(e, condition: c)) + [("vs_baseline", i == 0 ? .null : compared(comparison(e, condition: c)))])
                })),
                ("vl_probe", probe(e.probe)), ("vl_probe_vs_baseline", i == 0 ? .null : compared(probeComparison(e))),
                ("runs", .array(e.runs.map { run($0, e.recipe) })),
            ])
        }
        return .object([
            ("format", .string("cotrain.study.v2")), ("suite", .string(suite)), ("baseline", .string(baseline?.recipe.name ?? "")),
            ("seeds", .array(seeds.map { .int(Int64(bitPattern: $0)) })),
            ("step_scale", number(stepScale)), ("base", baseProbe.map { .object([("steps", .int(Int64(baseSteps))), ("vl_probe", probe($0))]) } ?? .null),
            ("wall_seconds", number(wallSeconds)), ("cpu_seconds", number(cpuSeconds)), ("recipes", .array(recipes)),
        ])
    }
}
