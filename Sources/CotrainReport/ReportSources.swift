// Building a report from file paths, as `cotrain report` does: each input is read with
// its strict parser, and any problem is a ReportError naming the file.
import CotrainCore

/// The files a report is made from.
public struct ReportSources: Sendable, Equatable {
    public var title = "cotrain report"
    public var generatedAt: String?
    /// `cotrain eval --out` files, one per policy.
    public var evaluations: [String] = []
    /// The results file the others are compared with.
    public var baseline: String?
    /// Training logs as (run name, path).
    public var trainingLogs: [(name: String, path: String)] = []
    /// A `round-journal.jsonl`.
    public var journal: String?
    /// Node id (full hex, or a prefix of its hex or grouped form) → lab name.
    public var labs: [(node: String, lab: String)] = []
    /// Rollout GIFs.
    public var gifs: [String] = []
    public var options = ReportOptions()

    /// No inputs yet.
    public init() {}

    public static func == (a: ReportSources, b: ReportSources) -> Bool {
        a.title == b.title && a.generatedAt == b.generatedAt && a.evaluations == b.evaluations && a.baseline == b.baseline
            && a.trainingLogs.map(\.name) == b.trainingLogs.map(\.name) && a.trainingLogs.map(\.path) == b.trainingLogs.map(\.path)
            && a.journal == b.journal && a.labs.map(\.node) == b.labs.map(\.node) && a.labs.map(\.lab) == b.labs.map(\.lab)
            && a.gifs == b.gifs && a.options == b.options
    }

    /// Reads every input into an ``HTMLReport``.
    public func load() throws(ReportError) -> HTMLReport {
        var evaluations: [EvaluationResults] = []
        for path in self.evaluations { evaluations.append(try EvaluationResults.load(path: path)) }
        let baseline = try self.baseline.map { (path) throws(ReportError) in try EvaluationResults.load(path: path) }
        var training: [TrainingLog] = []
        for log in trainingLogs { training.append(try TrainingLog.load(path: log.path, name: log.name)) }
        var federation: FederationTimeline?
        if let journal {
            var timeline = try FederationTimeline.load(journal: journal)
            for node in timeline.nodes {
                if let match = labs.first(where: { Self.matches(node, $0.node) }) { timeline.labs[node] = match.lab }
            }
            federation = timeline
        }
        var animations: [RolloutAnimation] = []
        for gif in gifs { animations.append(try RolloutAnimation.load(path: gif)) }
        return HTMLReport(title: title, generatedAt: generatedAt, evaluations: evaluations, baseline: baseline, training: training,
                          federation: federation, animations: animations, options: options)
    }

    /// The run name for a training log path: its directory's name for
    /// `…/RUN/training-log.jsonl`, else the file name without `.jsonl`.
    public static func runName(forLog path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        guard let file = parts.last else { return path }
        if file == "training-log.jsonl", parts.count >= 2 { return parts[parts.count - 2] }
        return file.hasSuffix(".jsonl") ? String(file.dropLast(6)) : file
    }

    /// Whether `key` names `nodeHex`: the full hex, a hex prefix of at least 8 digits, or
    /// a prefix of the grouped base32 form (dashes and case ignored).
    static func matches(_ nodeHex: String, _ key: String) -> Bool {
        let k = key.lowercased().filter { $0 != "-" && $0 != " " }
        guard k.count >= 8 else { return false }
        if nodeHex.hasPrefix(k) { return true }
        guard let digest = try? SHA256Digest(hex: nodeHex) else { return false }
        return digest.grouped.lowercased().filter { $0 != "-" }.hasPrefix(k)
    }
}
