// A training run's loss curve as the report reads it: a list of points, each a step
// with the losses of the objectives trained at that step.
import CotrainCore

/// One logged step: its number, phase, and loss per objective.
public struct TrainingPoint: Sendable, Equatable {
    public var step: Int
    /// The recipe phase the step belongs to ("" if the log does not say).
    public var phase: String
    /// Loss per objective, e.g. ["total": 2.1, "action": 0.8, "text": 3.0]. An objective
    /// absent here was not trained at this step (no samples fed it).
    public var losses: [String: Double]

    /// A point.
    public init(step: Int, phase: String = "", losses: [String: Double]) {
        self.step = step
        self.phase = phase
        self.losses = losses
    }
}

/// One run's training log.
public struct TrainingLog: Sendable, Equatable {
    /// The run's name in legends (e.g. the run directory).
    public var name: String
    /// Points in increasing step order.
    public var points: [TrainingPoint]

    /// A log; points are sorted by step, and for a repeated step (a run resumed from an
    /// earlier checkpoint) the later point wins.
    public init(name: String, points: [TrainingPoint]) {
        self.name = name
        var byStep: [Int: TrainingPoint] = [:]
        for p in points { byStep[p.step] = p }
        self.points = byStep.keys.sorted().map { byStep[$0]! }
    }

    /// Objectives present in the log: `total` first, then `action`, `text`, `tokens`,
    /// then any others alphabetically.
    public var objectives: [String] {
        let names = Set(points.flatMap(\.losses.keys))
        let known = Self.knownOrder.filter(names.contains)
        return known + names.subtracting(known).sorted()
    }

    /// The first step of each phase, in order (a phase that recurs starts again).
    public var phaseStarts: [(step: Int, phase: String)] {
        var out: [(Int, String)] = []
        for p in points where !p.phase.isEmpty && out.last?.1 != p.phase { out.append((p.step, p.phase)) }
        return out
    }

    static let knownOrder = ["total", "action", "text", "tokens"]
}

extension TrainingLog {
    /// The largest log read (512 MiB).
    public static let maxFileBytes = 512 << 20

    /// Reads a `training-log.jsonl` (see ``parse(_:name:file:)``).
    public static func load(path: String, name: String) throws(ReportError) -> TrainingLog {
        try parse(readInput(path, limit: maxFileBytes), name: name, file: path)
    }

    /// Parses JSON lines, one object per step:
    ///
    /// - `step` (integer ≥ 0) is required; `phase` (string) is optional;
    /// - `loss` is the total loss (shown as objective `total`); `lr`, `grad_norm`,
    ///   sample counts and rates (`*_samples`, `samples*`), times (`*_s`, `*_seconds`)
    ///   and `*_steps` are metadata (numbers, not curves);
    /// - every other member is an objective's loss: a number, or null (a non-finite loss,
    ///   left out). An objective whose `<objective>_samples` count is 0 (for `tokens`,
    ///   `token_samples`) was not trained at that step and is left out.
    ///
    /// A last line without its newline is ignored (the trainer may be writing it).
    public static func parse(_ bytes: [UInt8], name: String, file: String) throws(ReportError) -> TrainingLog {
        var points: [TrainingPoint] = []
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where index < lines.count - 1 && !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
            var r = FieldReader(file: file)
            r.line = index + 1
            let value = try r.parse(Array(line))
            points.append(try point(value, r))
        }
        return TrainingLog(name: name, points: points)
    }

    static let metadata: Set = ["step", "phase", "lr", "grad_norm"]

    /// Whether a member is metadata rather than a loss: the names above, sample counts
    /// (`*_samples`), throughput (`samples*`), times (`*_s`, `*_seconds`) and step counts.
    static func isMetadata(_ key: String) -> Bool {
        metadata.contains(key) || key.hasSuffix("_samples") || key.hasPrefix("samples") || key.hasSuffix("_s")
            || key.hasSuffix("_seconds") || key.hasSuffix("_steps")
    }

    static func point(_ value: JSONValue, _ r: FieldReader) throws(ReportError) -> TrainingPoint {
        guard let members = value.object else { throw r.fail("(line)", "is not a JSON object") }
        let step = try r.int(value, "step")
        var phase = ""
        if value["phase"] != nil { phase = try r.string(value, "phase") }
        var counts: [String: Int] = [:]
        for (key, _) in members where key.hasSuffix("_samples") { counts[key] = try r.int(value, key) }
        var losses: [String: Double] = [:]
        for (key, member) in members where !isMetadata(key) {
            if member.isNull { continue }
            let loss = try r.number(value, key)
            let objective = key == "loss" ? "total" : key
            let countKey = key == "tokens" ? "token_samples" : "\(key)_samples"
            if counts[countKey] == 0 { continue }
            losses[objective] = loss
        }
        for (key, member) in members where key != "phase" && isMetadata(key) && !member.isNull { _ = try r.number(value, key) }
        return TrainingPoint(step: step, phase: phase, losses: losses)
    }
}
