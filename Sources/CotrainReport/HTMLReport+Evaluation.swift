// The evaluation sections: headline figures per policy, success-rate bars with 95 %
// whiskers (one chart per task, conditions as groups, policies side by side), a table
// of every cell, and the comparison of each policy with the baseline.

extension HTMLReport {
    /// "Success rates" and, with a baseline, "Comparison".
    func evaluationSections(names: [String], palette: Palette) -> [(id: String, heading: String, html: String)] {
        let all = evaluations + (baseline.map { [$0] } ?? [])
        let series = zip(names, all).map { (name: $0, results: $1, style: palette.existing($0) ?? SeriesStyle(index: 0)) }
        var tasks: [String] = [], conditions: [String] = []
        for r in all { for c in r.cells {
            if !tasks.contains(c.task) { tasks.append(c.task) }
            if !conditions.contains(c.condition) { conditions.append(c.condition) }
        } }

        var html = "<p class=\"lede\">Bars are success rates; whiskers are 95 % Wilson intervals — the range the true rate plausibly lies in given this many episodes. Overlapping whiskers mean the episodes cannot tell the policies apart; see the comparison for the exact test.</p>\n"
        html += "<div class=\"cards\">\n"
        for s in series {
            let o = s.results.overall
            let swatch = "<span class=\"swatch\" style=\"background:\(s.style.colour)\"></span>"
            html += "<div class=\"card\">\(swatch)" + Markup.text("div", [("class", "card-name")], s.name)
            html += Markup.text("div", [("class", "card-figure")], NumberText.percent(o.rate))
            html += Markup.text("div", [("class", "card-detail")], "\(o.successes)/\(o.trials) episodes · 95 % CI \(NumberText.percent(o.lower))–\(NumberText.percent(o.upper))")
            let robot = [s.results.robot, s.results.embodiment].filter { !$0.isEmpty }.joined(separator: ", ")
            html += Markup.text("div", [("class", "card-detail")], "suite \(s.results.suite) · \(robot)")
            if !s.results.complete { html += "<div class=\"card-warning\">⚠ stopped early: incomplete</div>" }
            html += "</div>\n"
        }
        html += "</div>\n<div class=\"grid\">\n"
        let legend = series.map { (name: $0.name, style: $0.style) }
        for (t, task) in tasks.enumerated() {
            let groups = conditions.compactMap { condition -> BarGroup? in
                let bars = series.enumerated().compactMap { i, s -> Bar? in
                    guard let cell = s.results.cell(task: task, condition: condition) else { return nil }
                    let p = cell.success
                    let detail = "\(s.name), \(task) / \(condition): \(p.successes)/\(p.trials) = \(NumberText.percent(p.rate)) (95 % CI \(NumberText.percent(p.lower))–\(NumberText.percent(p.upper))), completion \(NumberText.percent(cell.meanCompletion))"
                    return Bar(series: i, value: p.rate, interval: (p.lower, p.upper), label: NumberText.percent(p.rate), detail: detail)
                }
                return bars.isEmpty ? nil : BarGroup(label: condition, bars: bars)
            }
            let chart = GroupedBarChart(title: "Success rate: \(task)", yLabel: "success rate", legend: legend, groups: groups)
            html += "<figure class=\"panel\">" + Markup.text("figcaption", [], "Task: \(task)") + chart.svg(id: "bars-\(t)") + "</figure>\n"
        }
        html += "</div>\n" + cellTable(series: series.map { ($0.name, $0.results) }, tasks: tasks, conditions: conditions)
        var sections = [(id: "evaluation", heading: "Success rates", html: html)]
        if let baseline, let baseName = names.last {
            var comparison = "<p class=\"lede\">Each row compares one cell: A − B in percentage points with its 95 % Newcombe interval (drawn on a −100…+100 scale). <b>Better</b> means the whole interval is above zero, <b>worse</b> below; <b>no clear difference</b> means these episodes cannot tell — not that the policies are equal. Comparing many cells, expect about one in twenty to cross zero by chance.</p>\n"
            for (i, a) in evaluations.enumerated() {
                comparison += comparisonTable(a: (names[i], a), b: (baseName, baseline), tasks: tasks, conditions: conditions)
            }
            sections.append((id: "comparison", heading: "Comparison", html: comparison))
        }
        return sections
    }

    /// Every cell with each policy's successes, rate, interval and completion.
    func cellTable(series: [(name: String, results: EvaluationResults)], tasks: [String], conditions: [String]) -> String {
        var html = "<details class=\"cells\" open=\"open\"><summary>All cells</summary>\n<table>\n<thead><tr><th>Task</th><th>Condition</th>"
        for s in series { html += Markup.text("th", [("class", "num")], s.name) + "<th class=\"num\">95 % CI</th><th class=\"num\">completion</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for task in tasks { for condition in conditions where series.contains(where: { $0.results.cell(task: task, condition: condition) != nil }) {
            html += "<tr>" + Markup.text("td", [], task) + Markup.text("td", [], condition)
            for s in series {
                if let c = s.results.cell(task: task, condition: condition) {
                    let p = c.success
                    html += Markup.text("td", [("class", "num")], "\(NumberText.percent(p.rate)) (\(p.successes)/\(p.trials))")
                    html += Markup.text("td", [("class", "num muted")], "\(NumberText.percent(p.lower))–\(NumberText.percent(p.upper))")
                    html += Markup.text("td", [("class", "num muted")], NumberText.percent(c.meanCompletion))
                } else {
                    html += "<td class=\"num muted\">—</td><td></td><td></td>"
                }
            }
            html += "</tr>\n"
        } }
        return html + "</tbody>\n</table></details>\n"
    }

    /// A's cells against B's: both rates, the difference with interval glyph, p, verdict.
    func comparisonTable(a: (name: String, results: EvaluationResults), b: (name: String, results: EvaluationResults), tasks: [String], conditions: [String]) -> String {
        var rows: [(String, String, RateDifference)] = []
        for task in tasks { for condition in conditions {
            if let ca = a.results.cell(task: task, condition: condition), let cb = b.results.cell(task: task, condition: condition) {
                rows.append((task, condition, RateDifference(a: ca.success, b: cb.success)))
            }
        } }
        let counts = [ComparisonVerdict.better, .worse, .noClearDifference].map { v in rows.filter { $0.2.verdict == v }.count }
        var html = Markup.text("h3", [], "A = \(a.name) vs B = \(b.name)")
        html += Markup.text("p", [("class", "tally")], "\(counts[0]) better · \(counts[1]) worse · \(counts[2]) no clear difference, of \(rows.count) cells")
        html += "<table class=\"comparison\">\n<thead><tr><th>Task</th><th>Condition</th>"
        html += Markup.text("th", [("class", "num")], "A: \(a.name)") + Markup.text("th", [("class", "num")], "B: \(b.name)")
        html += "<th class=\"num\">A − B</th><th class=\"num\">95 % CI (points)</th><th>interval</th><th class=\"num\">p</th><th>verdict</th></tr></thead>\n<tbody>\n"
        for (task, condition, d) in rows {
            let v = Self.verdictClass(d.verdict)
            html += "<tr class=\"\(v)\">" + Markup.text("td", [], task) + Markup.text("td", [], condition)
            html += Markup.text("td", [("class", "num")], "\(NumberText.percent(d.a.rate)) (\(d.a.successes)/\(d.a.trials))")
            html += Markup.text("td", [("class", "num")], "\(NumberText.percent(d.b.rate)) (\(d.b.successes)/\(d.b.trials))")
            html += Markup.text("td", [("class", "num strong")], NumberText.points(d.difference))
            html += Markup.text("td", [("class", "num")], "\(NumberText.points(d.lower)) to \(NumberText.points(d.upper))")
            html += "<td>\(Self.intervalGlyph(d))</td>" + Markup.text("td", [("class", "num")], d.pValue < 0.001 ? "<0.001" : NumberText.fixed(d.pValue, 3))
            html += "<td>" + Markup.text("span", [("class", "verdict \(v)")], Self.verdictText(d.verdict)) + "</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    static func verdictClass(_ v: ComparisonVerdict) -> String {
        switch v { case .better: "better"; case .worse: "worse"; case .noClearDifference: "unclear" }
    }

    /// The verdict with a symbol, so it reads without colour.
    static func verdictText(_ v: ComparisonVerdict) -> String {
        switch v { case .better: "▲ better"; case .worse: "▼ worse"; case .noClearDifference: "○ no clear difference" }
    }

    /// A small forest-plot glyph: the interval on a −100…+100 point axis with a zero line.
    static func intervalGlyph(_ d: RateDifference) -> String {
        func x(_ v: Double) -> String { NumberText.coordinate(70 + v * 64) }
        let label = "A − B = \(NumberText.points(d.difference)) points, 95 % CI \(NumberText.points(d.lower)) to \(NumberText.points(d.upper))"
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 140 20\" width=\"140\" height=\"20\" role=\"img\" class=\"glyph \(verdictClass(d.verdict))\"><title>\(Markup.escape(label))</title>"
            + "<line x1=\"6\" y1=\"10\" x2=\"134\" y2=\"10\" class=\"glyph-axis\"/><line x1=\"70\" y1=\"3\" x2=\"70\" y2=\"17\" class=\"glyph-zero\"/>"
            + "<line x1=\"\(x(d.lower))\" y1=\"10\" x2=\"\(x(d.upper))\" y2=\"10\" class=\"glyph-ci\"/>"
            + "<circle cx=\"\(x(d.difference))\" cy=\"10\" r=\"3.6\" class=\"glyph-point\"/></svg>"
    }
}
