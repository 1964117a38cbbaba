// The training section: one chart per objective with every run overlaid (raw values
// faint, a moving average on top), phase starts marked, and a start→end summary table.

extension HTMLReport {
    func trainingSection(palette: Palette) -> String {
        var objectives: [String] = []
        for log in training { for o in log.objectives where !objectives.contains(o) { objectives.append(o) } }
        var html = "<p class=\"lede\">Loss per objective against optimiser step, one line per run. Faint lines are the logged values; solid lines their moving average. Dashed verticals mark where a recipe phase starts.</p>\n<div class=\"grid\">\n"
        for (k, objective) in objectives.enumerated() {
            var series: [LineSeries] = []
            var markers: [ChartMarker] = []
            var values: [Double] = []
            for log in training {
                let style = palette.existing(log.name) ?? SeriesStyle(index: 0)
                let points = log.points.compactMap { p in p.losses[objective].map { ChartPoint(x: Double(p.step), y: $0) } }
                guard !points.isEmpty else { continue }
                values += points.map(\.y)
                if options.smoothAbove > 0 && points.count > options.smoothAbove {
                    series.append(LineSeries(name: log.name, points: Self.thinned(points, to: 1500), style: style, faint: true))
                    series.append(LineSeries(name: log.name, points: Self.thinned(Self.movingAverage(points), to: 1500), style: style))
                } else {
                    series.append(LineSeries(name: log.name, points: points, style: style))
                }
                for start in log.phaseStarts where !markers.contains(where: { $0.x == Double(start.step) && $0.label == start.phase }) {
                    markers.append(ChartMarker(x: Double(start.step), label: start.phase))
                }
            }
            let missing = training.map(\.name).filter { name in !series.contains { $0.name == name } }
            let logY = useLogAxis(values)
            let chart = LineChart(title: "\(objective) loss", xLabel: "step", yLabel: "\(objective) loss\(logY ? " (log)" : "")", series: series, markers: markers, logY: logY)
            html += "<figure class=\"panel\">" + Markup.text("figcaption", [], "Objective: \(objective)") + chart.svg(id: "loss-\(k)")
                + (missing.isEmpty ? "" : Markup.text("p", [("class", "note")], "Not trained on \(objective): \(missing.joined(separator: ", "))")) + "</figure>\n"
        }
        html += "</div>\n" + trainingTable(objectives: objectives)
        return html
    }

    /// Whether a loss chart over `values` uses a log axis.
    func useLogAxis(_ values: [Double]) -> Bool {
        switch options.lossAxis {
        case .linear: return false
        case .log: return values.contains { $0 > 0 }
        case .automatic:
            guard let lo = values.min(), let hi = values.max(), lo > 0 else { return false }
            return hi / lo >= 30
        }
    }

    /// Per run: last step, phases, and each objective's mean over the first and last tenth.
    func trainingTable(objectives: [String]) -> String {
        var html = "<table>\n<thead><tr><th>Run</th><th class=\"num\">steps</th><th>phases</th>"
        for o in objectives { html += Markup.text("th", [("class", "num")], "\(o): start → end") }
        html += "</tr></thead>\n<tbody>\n"
        for log in training {
            html += "<tr>" + Markup.text("td", [], log.name) + Markup.text("td", [("class", "num")], log.points.last.map { "\($0.step)" } ?? "—")
            html += Markup.text("td", [], log.phaseStarts.map(\.phase).joined(separator: " → "))
            for o in objectives {
                let values = log.points.compactMap { $0.losses[o] }
                guard !values.isEmpty else { html += "<td class=\"num muted\">—</td>"; continue }
                let tenth = max(1, values.count / 10)
                let start = values.prefix(tenth).reduce(0, +) / Double(tenth), end = values.suffix(tenth).reduce(0, +) / Double(tenth)
                html += Markup.text("td", [("class", "num")], "\(NumberText.loss(start)) → \(NumberText.loss(end))")
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Centred moving average over a window of about 1/40 of the points (odd, 3…101).
    static func movingAverage(_ points: [ChartPoint]) -> [ChartPoint] {
        let half = min(50, max(1, points.count / 80))
        var prefix = [0.0]
        for p in points { prefix.append(prefix.last! + p.y) }
        return points.indices.map { i in
            let lo = max(0, i - half), hi = min(points.count - 1, i + half)
            return ChartPoint(x: points[i].x, y: (prefix[hi + 1] - prefix[lo]) / Double(hi - lo + 1))
        }
    }

    /// At most `limit` points: bucket means of x and y, keeping the first and last points.
    static func thinned(_ points: [ChartPoint], to limit: Int) -> [ChartPoint] {
        guard points.count > limit, limit >= 3 else { return points }
        let buckets = limit - 2, inner = Array(points.dropFirst().dropLast())
        var out = [points[0]]
        for b in 0..<buckets {
            let lo = b * inner.count / buckets, hi = (b + 1) * inner.count / buckets
            guard hi > lo else { continue }
            let slice = inner[lo..<hi]
            out.append(ChartPoint(x: slice.map(\.x).reduce(0, +) / Double(slice.count), y: slice.map(\.y).reduce(0, +) / Double(slice.count)))
        }
        return out + [points[points.count - 1]]
    }
}
