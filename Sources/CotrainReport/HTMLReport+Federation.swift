// The federation section: a timeline with rounds across and one lane per node (a dot
// where the node's delta was included, its area proportional to the samples behind it),
// a bar strip of bytes exchanged (or samples) per round, and a table of every round.

extension HTMLReport {
    func federationSection(_ f: FederationTimeline) -> String {
        var html = "<p class=\"lede\">Rounds run left to right; each lane is a node. A dot means the node's delta was aggregated in that round (dot area ∝ its training samples). A missing round number is a round that failed (no quorum) and kept its base.</p>\n"
        if f.chainProblems.isEmpty {
            html += Markup.text("p", [("class", "status ok")], "✓ Journal hash chain checks out: \(f.rounds.count) records, each linked to the one before and each base equal to the previous result.")
        } else {
            html += "<div class=\"status bad\"><b>✗ The journal's hash chain does not verify:</b><ul>"
            html += f.chainProblems.map { Markup.text("li", [], $0) }.joined() + "</ul></div>\n"
        }
        html += "<figure class=\"wide\">" + timelineSVG(f) + "</figure>\n"
        let anyBytes = f.rounds.contains { $0.bytes != nil }
        let rules = Set(f.rounds.map(\.rule))
        let oneRule = rules.count == 1 ? rules.first : nil
        if let oneRule { html += "<p class=\"note\">Aggregation rule in every round: <b>\(Markup.escape(oneRule))</b></p>\n" }
        html += "<table>\n<thead><tr><th class=\"num\">round</th><th>contributors</th><th class=\"num\">deltas</th><th class=\"num\">samples</th>"
        html += (anyBytes ? "<th class=\"num\">bytes</th>" : "") + (oneRule == nil ? "<th>rule</th>" : "") + "<th>result hash</th></tr></thead>\n<tbody>\n"
        for r in f.rounds {
            html += "<tr>" + Markup.text("td", [("class", "num")], "\(r.round)")
            html += Markup.text("td", [], r.contributions.map { f.name(of: $0.nodeID) }.joined(separator: ", "))
            html += Markup.text("td", [("class", "num")], "\(r.contributions.count)")
            html += Markup.text("td", [("class", "num")], "\(r.contributions.map(\.sampleCount).reduce(0, +))")
            if anyBytes { html += Markup.text("td", [("class", "num")], r.bytes.map(NumberText.bytes) ?? "—") }
            if oneRule == nil { html += Markup.text("td", [], r.rule) }
            html += "<td>" + Markup.text("code", [("title", r.resultHash)], FederationTimeline.shortHash(r.resultHash)) + "</td></tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    func timelineSVG(_ f: FederationTimeline) -> String {
        let nodes = f.nodes
        let lane = 30.0, left = 200.0, right = 1100.0 - 20, top = 34.0, strip = 70.0
        let lanesTop = top + strip + 18, bottom = lanesTop + lane * Double(nodes.count)
        var canvas = SVGCanvas(width: 1100, height: bottom + 44, id: "timeline")
        let first = f.rounds.map(\.round).min() ?? 0, last = f.rounds.map(\.round).max() ?? 0
        let column = (right - left) / Double(last - first + 1)
        func x(_ round: Int) -> Double { left + (Double(round - first) + 0.5) * column }
        let useBytes = f.rounds.contains { $0.bytes != nil }
        let amounts = f.rounds.map { useBytes ? Double($0.bytes ?? 0) : Double($0.contributions.map(\.sampleCount).reduce(0, +)) }
        let peak = max(1, amounts.max() ?? 1)
        canvas.text(left - 10, top + strip / 2 + 4, useBytes ? "bytes exchanged" : "samples aggregated", class: "lane-label", anchor: "end")
        canvas.line(left, top + strip, right, top + strip, class: "axis")
        let barWidth = min(36, column * 0.7)
        for (r, amount) in zip(f.rounds, amounts) {
            let h = amount / peak * (strip - 14)
            let label = useBytes ? (r.bytes.map(NumberText.bytes) ?? "—") : "\(Int(amount))"
            canvas.rect(x(r.round) - barWidth / 2, top + strip - h, barWidth, h, class: "strip", title: "round \(r.round): \(label)")
            if column >= 34 { canvas.text(x(r.round), top + strip - h - 3, label, class: "bar-label small", anchor: "middle") }
        }
        let maxSamples = Double(max(1, f.rounds.flatMap { $0.contributions.map(\.sampleCount) }.max() ?? 1))
        for (i, node) in nodes.enumerated() {
            let y = lanesTop + (Double(i) + 0.5) * lane
            if i % 2 == 0 { canvas.rect(left, y - lane / 2, right - left, lane, class: "lane") }
            canvas.text(left - 10, y + 4, Legend.truncated(f.name(of: node), 30), class: "lane-label", anchor: "end")
            for r in f.rounds {
                guard let c = r.contributions.first(where: { $0.nodeID == node }) else { continue }
                let radius = max(3, min(lane * 0.42, column * 0.42) * (Double(c.sampleCount) / maxSamples).squareRoot())
                let bytes = c.bytes.map { ", \(NumberText.bytes($0))" } ?? ""
                canvas.circle(x(r.round), y, r: radius, fill: "#0072B2", class: "dot", title: "round \(r.round): \(f.name(of: node)), \(c.sampleCount) samples\(bytes)")
            }
        }
        let present = Set(f.rounds.map(\.round))
        for round in first...last where last - first < 2000 && !present.contains(round) {
            canvas.text(x(round), top + strip - 6, "no record", class: "bar-label small", anchor: "middle")
            canvas.rect(x(round) - column / 2, lanesTop, column, bottom - lanesTop, class: "gap", title: "round \(round): no journal record (the round failed)")
        }
        let every = max(1, Int((Double(last - first + 1) / 24).rounded(.up)))
        for round in stride(from: first, through: last, by: every) {
            canvas.line(x(round), bottom, x(round), bottom + 4, class: "axis")
            canvas.text(x(round), bottom + 17, "\(round)", class: "tick", anchor: "middle")
        }
        canvas.line(left, bottom, right, bottom, class: "axis")
        canvas.text((left + right) / 2, bottom + 36, "round", class: "axis-title", anchor: "middle")
        return canvas.render(title: "Federation timeline", description: "\(f.rounds.count) rounds from \(first) to \(last); \(nodes.count) nodes contributed")
    }
}
