// Evaluation results as the report reads them from `cotrain eval --out FILE`
// (format `cotrain.evaluation.v1`, see docs/evaluation.md).

/// One task × condition cell of an evaluation.
public struct EvaluationCell: Sendable, Equatable {
    public var task: String
    public var condition: String
    /// Successes over counted (not skipped) episodes, with the Wilson interval.
    public var success: SuccessRate
    /// Mean fraction of the task's milestones reached, 0…1.
    public var meanCompletion: Double

    /// A cell.
    public init(task: String, condition: String, successes: Int, episodes: Int, meanCompletion: Double) {
        self.task = task
        self.condition = condition
        self.success = SuccessRate(successes: successes, trials: episodes)
        self.meanCompletion = meanCompletion
    }
}

/// One policy's evaluation on one suite.
public struct EvaluationResults: Sendable, Equatable {
    /// The policy's name as shown in the report (legend, table headers).
    public var policy: String
    public var suite: String
    /// "sim" or "bridge HOST:PORT".
    public var robot: String
    public var embodiment: String
    public var cells: [EvaluationCell]
    /// False when the run stopped early (the report says so).
    public var complete: Bool

    /// Results from their parts.
    public init(policy: String, suite: String, robot: String = "sim", embodiment: String = "", cells: [EvaluationCell], complete: Bool = true) {
        self.policy = policy
        self.suite = suite
        self.robot = robot
        self.embodiment = embodiment
        self.cells = cells
        self.complete = complete
    }

    /// The cell for `task` and `condition`, if evaluated.
    public func cell(task: String, condition: String) -> EvaluationCell? {
        cells.first { $0.task == task && $0.condition == condition }
    }

    /// Successes and episodes summed over all cells.
    public var overall: SuccessRate {
        SuccessRate(successes: cells.map(\.success.successes).reduce(0, +), trials: cells.map(\.success.trials).reduce(0, +))
    }
}

extension EvaluationResults {
    /// The largest results file read (64 MiB).
    public static let maxFileBytes = 64 << 20

    /// Reads a results file written by `cotrain eval --out`. The fields the report uses
    /// are checked (types, ranges, successes ≤ episodes); other fields are ignored so
    /// files from newer versions still render.
    public static func load(path: String) throws(ReportError) -> EvaluationResults {
        try parse(readInput(path, limit: maxFileBytes), file: path)
    }

    /// Parses results JSON; `file` names the source in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(ReportError) -> EvaluationResults {
        let r = FieldReader(file: file)
        let root = try r.parse(bytes)
        guard try r.string(root, "format") == "cotrain.evaluation.v1" else {
            throw r.fail("format", "is not \"cotrain.evaluation.v1\" (is this a `cotrain eval --out` file?)")
        }
        var cells: [EvaluationCell] = []
        for (i, item) in try r.array(root, "cells").enumerated() {
            let path = "cells[\(i)]"
            let episodes = try r.int(item, "episodes", at: path)
            let successes = try r.int(item, "successes", at: path)
            guard successes <= episodes else { throw r.fail("\(path).successes", "is \(successes), more than the \(episodes) episodes") }
            let completion = try r.number(item, "mean_completion", at: path)
            guard (0...1).contains(completion) else { throw r.fail("\(path).mean_completion", "is \(completion), not in 0…1") }
            let cell = EvaluationCell(task: try r.string(item, "task", at: path), condition: try r.string(item, "condition", at: path),
                                      successes: successes, episodes: episodes, meanCompletion: completion)
            guard !cells.contains(where: { $0.task == cell.task && $0.condition == cell.condition }) else {
                throw r.fail(path, "repeats the cell \(cell.task)/\(cell.condition)")
            }
            cells.append(cell)
        }
        return EvaluationResults(
            policy: try r.string(root, "policy"), suite: try r.string(root, "suite"), robot: try r.string(root, "robot"),
            embodiment: try r.string(root, "embodiment"), cells: cells, complete: try r.bool(root, "complete"))
    }
}
