// study.md: the report as a lab engineer reads it — success per condition, the
// differences against the baseline with their verdicts, VL knowledge, training cost,
// and one sentence per recipe and condition for its study question.
import CotrainCore
import CotrainRuntime

extension StudyReport {
    /// "85% (71–93)": a rate and its 95 % interval.
    public static func rate(_ p: Proportion) -> String { "\(pct(p.rate)) (\(pct(p.lower, unit: ""))–\(pct(p.upper, unit: "")))" }

    /// "+5 (−8 to +18)": a difference in percentage points and its 95 % interval.
    public static func points(_ c: RateComparison) -> String {
        "\(pts(c.difference)) (\(pts(c.lower)) to \(pts(c.upper)))"
    }

    /// "85%".
    public static func pct(_ x: Double, unit: String = "%") -> String {
        ProgressMeter.decimal(x * 100, digits: 0) + unit
    }

    /// "+5", "0", "−8".
    public static func pts(_ x: Double) -> String {
        let text = ProgressMeter.decimal(x * 100, digits: 0)
        return x * 100 >= 0.5 ? "+" + text : String(text.map { $0 == "-" ? "−" : $0 })
    }

    /// The Markdown summary.
    public var markdown: String {
        guard let baseline else { return "# Study\n\nNo recipe was run.\n" }
        let names = entries.map(\.recipe.name), others = entries.dropFirst()
        var md = "# Study on `\(suite)`: \(names.joined(separator: ", "))\n\n"
        md += "Every recipe was trained on the same data"
        md += stepScale == 1 ? "" : " (steps × \(ProgressMeter.decimal(stepScale, digits: 2)))"
        md += baseProbe == nil ? ", from scratch," : ", starting from the same vision-language-pretrained base (\(baseSteps) steps),"
        md += " and evaluated on the same episodes (same seeds). Success is over all tasks of a condition, with 95 % Wilson"
        md += " intervals."
        if seeds.count > 1 {
            md += " Every recipe trained once per seed (\(seeds.map(String.init).joined(separator: ", "))) and a condition's success pools"
            md += " the episodes of all its policies; the intervals count episodes, not training runs, so read them beside the"
            md += " per-seed table below: a difference that is not there for most seeds is not a difference between recipes."
        }
        md += " Differences are against the baseline **\(baseline.recipe.name)**, in percentage points with 95 % Newcombe"
        md += " intervals: *better* or *worse* when the whole interval is on one side of zero, otherwise *no clear difference*"
        md += " — these episodes cannot tell the two apart, which is not the same as equal.\n\n"

        md += "## Success per condition\n\n| condition | n | " + names.joined(separator: " | ") + " |\n"
        md += "|---|---:|" + String(repeating: "---:|", count: names.count) + "\n"
        for c in conditions {
            md += "| \(c) | \(success(baseline, condition: c).trials) | "
            md += entries.map { Self.rate(success($0, condition: c)) }.joined(separator: " | ") + " |\n"
        }
        md += "| **all** | \(baseline.overall.trials) | " + entries.map { Self.rate($0.overall) }.joined(separator: " | ") + " |\n\n"
        if seeds.count > 1 {
            md += "## Per training seed\n\nSuccess over all conditions, then the VL probe, of each seed's policy.\n\n"
            md += "| seed | n | " + names.joined(separator: " | ") + " |\n"
            md += "|---:|---:|" + String(repeating: "---:|", count: names.count) + "\n"
            for (r, seed) in seeds.enumerated() {
                md += "| \(seed) | \(baseline.runs[r].evaluation.overall.trials) | "
                md += entries.map { e in
                    r < e.runs.count ? "\(Self.rate(e.runs[r].evaluation.overall)); probe \(Self.pct(e.runs[r].probe.accuracy))" : "—"
                }.joined(separator: " | ") + " |\n"
            }
            md += "\n"
        }

        if !others.isEmpty {
            md += "## Differences against \(baseline.recipe.name)\n\n| condition | " + others.map(\.recipe.name).joined(separator: " | ") + " |\n"
            md += "|---|" + String(repeating: "---|", count: others.count) + "\n"
            for c in conditions {
                md += "| \(c) | " + others.map { e in
                    comparison(e, condition: c).map { "\(Self.points($0)), \($0.verdict.rawValue)" } ?? "—"
                }.joined(separator: " | ") + " |\n"
            }
            md += "\n"
        }

        let questions = baseline.probe.total
        md += "## Vision-language knowledge\n\nThe probe asks \(questions) held-out questions (never trained on) with greedy"
        md += " decoding and counts exact answers after normalisation.\n\n| policy | accuracy | vs \(baseline.recipe.name) |\n|---|---:|---|\n"
        if let baseProbe { md += "| vl-base (the starting point) | \(Self.pct(baseProbe.accuracy)) (\(baseProbe.correct)/\(baseProbe.total)) | |\n" }
        for (i, e) in entries.enumerated() {
            let vs = i == 0 ? "" : probeComparison(e).map { "\(Self.points($0)), \($0.verdict.rawValue)" } ?? ""
            md += "| \(e.recipe.name) | \(Self.pct(e.probe.accuracy)) (\(e.probe.correct)/\(e.probe.total)) | \(vs) |\n"
        }

        md += "\n## Training\n\n| recipe | seed | steps | wall | CPU | action loss (first → last 20 steps) | text loss |\n|---|---:|---:|---:|---:|---|---|\n"
        for e in entries {
            for run in e.runs {
                let t = run.training
                func loss(_ a: Double, _ b: Double) -> String {
                    a == 0 && b == 0 ? "—" : "\(ProgressMeter.decimal(a, digits: 3)) → \(ProgressMeter.decimal(b, digits: 3))"
                }
                md += "| \(e.recipe.name) | \(run.seed) | \(t.step) | \(ProgressMeter.duration(t.wallSeconds)) | \(ProgressMeter.duration(t.cpuSeconds)) | "
                md += "\(loss(t.first.action, t.last.action)) | \(loss(t.first.text, t.last.text)) |\n"
            }
        }
        md += "\nThe whole study took \(ProgressMeter.duration(wallSeconds)) (CPU \(ProgressMeter.duration(cpuSeconds))).\n"

        if !others.isEmpty {
            md += "\n## The questions\n\n"
            for e in others {
                md += "**\(e.recipe.name)**" + (e.recipe.question.isEmpty ? "" : " — \(e.recipe.question)") + "\n\n"
                for c in conditions {
                    if let cmp = comparison(e, condition: c) { md += "- \(c): " + cmp.sentence(e.recipe.name, baseline.recipe.name) + "\n" }
                }
                if let cmp = probeComparison(e) { md += "- VL probe: " + cmp.sentence(e.recipe.name, baseline.recipe.name) + "\n" }
                md += "\n"
            }
        }
        return md
    }
}
