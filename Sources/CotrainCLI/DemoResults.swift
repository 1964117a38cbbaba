// The demo's figures, read from the evaluation JSON the labs' `cotrain eval` runs wrote:
// per cell (task × condition) and per condition (pooled over the lab's tasks), the
// local-only and federated success with 95 % Wilson intervals, and their difference
// with its 95 % Newcombe interval and verdict (the statistics of docs/evaluation.md).
import CotrainCore
import CotrainRuntime

/// One lab's two policies compared on one group of episodes (a cell, or a condition
/// over all its tasks). Episodes are paired by (task, seed).
struct DemoComparison {
    /// The cell's task, or the condition's tasks.
    let tasks: [String]
    let condition: String
    let local: Proportion
    let federated: Proportion
    /// federated − local-only.
    let comparison: RateComparison

    var json: JSONValue {
        func rate(_ p: Proportion) -> JSONValue {
            .object([("successes", .int(Int64(p.successes))), ("episodes", .int(Int64(p.trials))), ("rate", number(p.rate)),
                     ("ci95", .array([number(p.lower), number(p.upper)]))])
        }
        let c = comparison
        return .object([
            ("condition", .string(condition)), ("tasks", .array(tasks.map { .string($0) })),
            ("local_only", rate(local)), ("federated", rate(federated)),
            ("difference", number(c.difference)), ("difference_ci95", .array([number(c.lower), number(c.upper)])),
            ("p_value", number(c.pValue)), ("paired_p_value", c.pairedPValue.map(number) ?? .null),
            ("verdict", .string(c.verdict.rawValue)),
        ])
    }

    private func number(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
}

/// A lab's evaluation: what `cotrain eval --json` printed (results and baseline).
struct DemoEvaluation {
    /// Per cell, in the suite's order.
    let cells: [DemoComparison]
    /// Per condition (nominal, shifts, …, unseen_task), tasks pooled.
    let conditions: [DemoComparison]
    /// Episodes per cell and whether both runs completed.
    let episodesPerCell: Int
    let complete: Bool

    /// Reads the `{"results": …, "baseline": …}` object of `cotrain eval --baseline … --json`.
    init(comparisonFile path: String) throws {
        let document = try JSONValue.parse(try readFile(path, limit: 256 << 20))
        guard let results = document["results"], let baseline = document["baseline"] else {
            throw DemoFailure(message: "\(path) holds no results and baseline (expected `cotrain eval --baseline … --json` output)")
        }
        typealias Outcomes = [String: (task: String, condition: String, seeds: [UInt64: Bool])]
        func outcomes(_ report: JSONValue, _ what: String) throws -> (Outcomes, [String]) {
            var cells: Outcomes = [:], order: [String] = []
            for cell in report["cells"]?.array ?? [] {
                guard let task = cell["task"]?.string, let condition = cell["condition"]?.string else {
                    throw DemoFailure(message: "\(path): a \(what) cell lacks its task or condition")
                }
                var seeds: [UInt64: Bool] = [:]
                for episode in cell["results"]?.array ?? [] where episode["scored_by"]?.string != "skipped" {
                    guard let seed = episode["seed"]?.int64, let success = episode["success"]?.bool else {
                        throw DemoFailure(message: "\(path): a \(what) episode of \(task)/\(condition) lacks its seed or success")
                    }
                    seeds[UInt64(seed)] = success
                }
                let key = "\(task)/\(condition)"
                cells[key] = (task, condition, seeds)
                order.append(key)
            }
            return (cells, order)
        }
        let (federated, order) = try outcomes(results, "results")
        let (local, _) = try outcomes(baseline, "baseline")

        func compare(_ keys: [String], condition: String) -> DemoComparison {
            var tasks: [String] = [], pairs: [(Bool, Bool)] = []
            var a = (0, 0), b = (0, 0)
            var paired = true
            for key in keys {
                guard let f = federated[key] else { continue }
                if !tasks.contains(f.task) { tasks.append(f.task) }
                a.0 += f.seeds.values.filter { $0 }.count; a.1 += f.seeds.count
                let l = local[key]?.seeds ?? [:]
                b.0 += l.values.filter { $0 }.count; b.1 += l.count
                if Set(l.keys) != Set(f.seeds.keys) { paired = false }
                for seed in f.seeds.keys.sorted() { if let other = l[seed] { pairs.append((f.seeds[seed]!, other)) } }
            }
            let pa = Proportion(successes: a.0, trials: a.1), pb = Proportion(successes: b.0, trials: b.1)
            return DemoComparison(tasks: tasks, condition: condition, local: pb, federated: pa,
                                  comparison: RateComparison(a: pa, b: pb, pairs: paired ? pairs : nil))
        }
        cells = order.map { key in compare([key], condition: federated[key]!.condition) }
        var conditionOrder: [String] = []
        for key in order where !conditionOrder.contains(federated[key]!.condition) { conditionOrder.append(federated[key]!.condition) }
        conditions = conditionOrder.map { condition in compare(order.filter { federated[$0]!.condition == condition }, condition: condition) }
        episodesPerCell = cells.map(\.federated.trials).max() ?? 0
        complete = results["complete"]?.bool == true && baseline["complete"]?.bool == true
    }

    /// The per-condition table printed at the end of the demo.
    var table: String {
        var table = TextTable("condition", "tasks", "local-only", "95% CI", "federated", "95% CI", "difference", "95% CI", "verdict",
                              rightAligned: [2, 3, 4, 5, 6, 7])
        for c in conditions {
            let r = c.comparison
            table.add(DemoPlan.describe(condition: c.condition), c.tasks.joined(separator: ","),
                      "\(EvalOutput.percent(c.local.rate)) (\(c.local.successes)/\(c.local.trials))", Self.interval(c.local),
                      "\(EvalOutput.percent(c.federated.rate)) (\(c.federated.successes)/\(c.federated.trials))", Self.interval(c.federated),
                      EvalOutput.points(r.difference), "\(EvalOutput.points(r.lower)) to \(EvalOutput.points(r.upper))",
                      Self.verdict(r.verdict))
        }
        return table.rendered
    }

    static func interval(_ p: Proportion) -> String { "\(format(p.lower * 100, 0))–\(format(p.upper * 100, 0))%" }

    static func verdict(_ v: Verdict) -> String {
        switch v {
        case .better: return "▲ better"
        case .worse: return "▼ worse"
        case .noClearDifference: return "○ no clear difference"
        }
    }
}
