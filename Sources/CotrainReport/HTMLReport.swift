// The report: inputs in memory, rendered to one self-contained XHTML-compatible HTML
// file (inline CSS and SVG, GIFs as data URIs, no scripts, no external URLs). The same
// inputs always give the same bytes; nothing time-dependent is added unless passed in.
import CotrainCore

/// Rendering choices.
public struct ReportOptions: Sendable, Equatable {
    /// The y axis of training-loss charts.
    public enum LossAxis: String, Sendable, Equatable {
        /// Log when all losses are positive and span at least a factor of 30.
        case automatic
        case linear
        case log
    }

    public var lossAxis: LossAxis
    /// Curves with more points than this get a moving average drawn over the faint raw
    /// line (0: never smooth).
    public var smoothAbove: Int

    /// Options; defaults suit a report with a few runs of a few thousand steps.
    public init(lossAxis: LossAxis = .automatic, smoothAbove: Int = 60) {
        self.lossAxis = lossAxis
        self.smoothAbove = smoothAbove
    }
}

/// A co-training report: evaluation results, comparisons, training curves, the
/// federation timeline and rollout animations, as one HTML page.
///
/// Every section is optional; the page shows the ones with inputs. With a `baseline`,
/// each of `evaluations` is compared with it cell by cell (A = evaluation, B = baseline).
public struct HTMLReport: Sendable {
    public var title: String
    /// Shown under the title as given (e.g. a date); nil keeps the output free of
    /// anything that changes between runs.
    public var generatedAt: String?
    /// Policies evaluated (each is one colour throughout the page).
    public var evaluations: [EvaluationResults]
    /// The policy the others are compared with.
    public var baseline: EvaluationResults?
    public var training: [TrainingLog]
    public var federation: FederationTimeline?
    public var animations: [RolloutAnimation]
    public var options: ReportOptions

    /// A report from in-memory values.
    public init(
        title: String = "cotrain report", generatedAt: String? = nil, evaluations: [EvaluationResults] = [],
        baseline: EvaluationResults? = nil, training: [TrainingLog] = [], federation: FederationTimeline? = nil,
        animations: [RolloutAnimation] = [], options: ReportOptions = ReportOptions()
    ) {
        self.title = title
        self.generatedAt = generatedAt
        self.evaluations = evaluations
        self.baseline = baseline
        self.training = training
        self.federation = federation
        self.animations = animations
        self.options = options
    }

    /// The whole page.
    public func render() -> String {
        var palette = Palette()
        let policies = policyNames
        for name in policies { _ = palette.style(name) }
        for log in training { _ = palette.style(log.name) }
        var sections: [(id: String, heading: String, html: String)] = []
        if !evaluations.isEmpty || baseline != nil { sections += evaluationSections(names: policies, palette: palette) }
        if !training.isEmpty { sections.append(("training", "Training", trainingSection(palette: palette))) }
        if let federation, !federation.rounds.isEmpty { sections.append(("federation", "Federation", federationSection(federation))) }
        if !animations.isEmpty { sections.append(("rollouts", "Rollouts", rolloutSection())) }

        var page = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        page += Markup.text("title", [], title) + "\n<style>\n\(ReportStyle.css)</style>\n</head>\n<body>\n"
        page += "<header class=\"top\">\n" + Markup.text("h1", [], title) + "\n"
        page += Markup.text("p", [("class", "meta")], ([summaryText] + (generatedAt.map { [$0] } ?? [])).joined(separator: " · ")) + "\n"
        if sections.count > 1 {
            page += "<nav>" + sections.map { "<a href=\"#\($0.id)\">\(Markup.escape($0.heading))</a>" }.joined(separator: " ") + "</nav>\n"
        }
        page += "</header>\n<main>\n"
        if sections.isEmpty { page += "<p class=\"empty\">No inputs: pass evaluation results, training logs, a round journal or GIFs.</p>\n" }
        for s in sections {
            page += "<section id=\"\(s.id)\">\n" + Markup.text("h2", [], s.heading) + "\n" + s.html + "</section>\n"
        }
        page += "</main>\n<footer>Made by <code>cotrain report</code>. Self-contained: no scripts, no network.</footer>\n</body>\n</html>\n"
        return page
    }

    /// Renders and writes the page atomically (temp file, fsync, rename).
    public func write(to path: String) throws(ReportError) {
        do { try AtomicFile.write(Array(render().utf8), to: path) } catch { throw .output(path: path, reason: "\(error)") }
    }

    /// Display names of evaluations then baseline; repeated policy names get the suite
    /// (or a number) appended so every series has its own legend entry and colour.
    var policyNames: [String] {
        var names: [String] = []
        for r in evaluations + (baseline.map { [$0] } ?? []) {
            var name = r.policy
            if names.contains(name) { name = "\(r.policy) (\(r.suite))" }
            var k = 2
            while names.contains(name) { name = "\(r.policy) (\(k))"; k += 1 }
            names.append(name)
        }
        return names
    }

    /// One line saying what the report covers, e.g. "2 policies on 3 tasks × 3 conditions · 2 training runs".
    public var summaryText: String {
        var parts: [String] = []
        let all = evaluations + (baseline.map { [$0] } ?? [])
        if !all.isEmpty {
            let tasks = Set(all.flatMap { $0.cells.map(\.task) }).count, conditions = Set(all.flatMap { $0.cells.map(\.condition) }).count
            parts.append("\(all.count) \(all.count == 1 ? "policy" : "policies") on \(tasks) \(tasks == 1 ? "task" : "tasks") × \(conditions) \(conditions == 1 ? "condition" : "conditions")")
        }
        if !training.isEmpty { parts.append("\(training.count) training \(training.count == 1 ? "run" : "runs")") }
        if let f = federation, !f.rounds.isEmpty { parts.append("\(f.rounds.count) federation \(f.rounds.count == 1 ? "round" : "rounds")") }
        if !animations.isEmpty { parts.append("\(animations.count) \(animations.count == 1 ? "rollout" : "rollouts")") }
        return parts.isEmpty ? "empty report" : parts.joined(separator: " · ")
    }

    /// The rollout GIFs in a grid of captioned figures.
    func rolloutSection() -> String {
        var html = "<p class=\"lede\">Recorded episodes, looping. Each caption names the policy, task, condition and seed.</p>\n<div class=\"rollouts\">\n"
        for a in animations {
            let img = "<img src=\"\(a.dataURI)\" width=\"\(a.width)\" height=\"\(a.height)\" alt=\"\(Markup.escape("Rollout: " + a.caption))\"/>"
            html += "<figure class=\"rollout\">\(img)" + Markup.text("figcaption", [], a.caption) + "</figure>\n"
        }
        return html + "</div>\n"
    }
}
