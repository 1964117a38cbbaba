// Grouped bar charts with interval whiskers: one group per category (e.g. condition),
// one bar per series (policy), rates on a 0–100 % axis.

/// One bar: a value with an optional interval, labelled above the whisker.
public struct Bar: Sendable, Equatable {
    /// Index into the chart's legend.
    public var series: Int
    public var value: Double
    /// The interval drawn as a whisker (nil: none).
    public var interval: (lower: Double, upper: Double)?
    /// Short text above the bar, e.g. "80%".
    public var label: String
    /// Full description for the tooltip and screen readers.
    public var detail: String

    /// A bar of `series`.
    public init(series: Int, value: Double, interval: (lower: Double, upper: Double)?, label: String, detail: String) {
        self.series = series
        self.value = value
        self.interval = interval
        self.label = label
        self.detail = detail
    }

    public static func == (a: Bar, b: Bar) -> Bool {
        a.series == b.series && a.value == b.value && a.interval?.lower == b.interval?.lower
            && a.interval?.upper == b.interval?.upper && a.label == b.label && a.detail == b.detail
    }
}

/// A category on the x axis and its bars.
public struct BarGroup: Sendable, Equatable {
    public var label: String
    public var bars: [Bar]
    /// A group.
    public init(label: String, bars: [Bar]) { self.label = label; self.bars = bars }
}

/// A grouped bar chart over a 0…1 value axis labelled in percent.
public struct GroupedBarChart: Sendable {
    public var title: String
    public var yLabel: String
    /// Series names and styles, in bar order within a group.
    public var legend: [(name: String, style: SeriesStyle)]
    public var groups: [BarGroup]
    public var width = 560.0, height = 300.0

    /// A chart of `groups`; `legend[i]` describes bars with `series == i`.
    public init(title: String, yLabel: String, legend: [(name: String, style: SeriesStyle)], groups: [BarGroup]) {
        self.title = title
        self.yLabel = yLabel
        self.legend = legend
        self.groups = groups
    }

    /// The SVG element; `id` must be unique in the page.
    public func svg(id: String) -> String {
        var canvas = SVGCanvas(width: width, height: height, id: id)
        let legendRows = Legend.layout(legend.map(\.name), width: width - 74).rows
        let longest = groups.map(\.label.count).max() ?? 0
        let slot = (width - 74) / Double(max(1, groups.count))
        let tilted = Double(longest) * 6.2 > slot - 6
        let left = 58.0, right = width - 16, top = 16 + Double(legendRows) * 18 + 18
        let bottom = height - (tilted ? 26 + min(90, Double(longest) * 4.6) : 34)
        var y = LinearScale(lower: 0, upper: 1, start: bottom, end: top, nice: false, tickCount: 5)
        y.percent = true
        Axes.draw(on: &canvas, x: nil, y: y, frame: (left, top, right, bottom), xLabel: "", yLabel: yLabel)
        let fills = legend.enumerated().map { i, entry in
            entry.style.hatched ? canvas.hatch("series-\(i)", colour: entry.style.colour, kind: entry.style.index / 2) : entry.style.colour
        }
        let groupWidth = (right - left) / Double(max(1, groups.count))
        for (g, group) in groups.enumerated() {
            let gx = left + Double(g) * groupWidth
            let inner = groupWidth * 0.84, perBar = inner / Double(max(1, legend.count))
            let barWidth = min(56, perBar * 0.86)
            for bar in group.bars where legend.indices.contains(bar.series) {
                let cx = gx + groupWidth * 0.08 + (Double(bar.series) + 0.5) * perBar
                let top = y.position(min(1, max(0, bar.value)))
                let style = legend[bar.series].style
                canvas.rect(cx - barWidth / 2, top, barWidth, bottom - top, fill: fills[bar.series], class: "bar s\(style.index % 7)", title: bar.detail)
                var labelY = top - 5
                if let interval = bar.interval {
                    let lo = y.position(max(0, interval.lower)), hi = y.position(min(1, interval.upper))
                    let cap = min(10, barWidth * 0.4)
                    canvas.line(cx, lo, cx, hi, class: "whisker")
                    canvas.line(cx - cap / 2, lo, cx + cap / 2, lo, class: "whisker")
                    canvas.line(cx - cap / 2, hi, cx + cap / 2, hi, class: "whisker")
                    labelY = min(labelY, hi - 5)
                }
                canvas.text(cx, labelY, bar.label, class: "bar-label", anchor: "middle")
            }
            let lx = gx + groupWidth / 2
            if tilted {
                canvas.text(lx + 4, bottom + 14, group.label, class: "category", anchor: "end", rotate: -35)
            } else {
                canvas.text(lx, bottom + 18, group.label, class: "category", anchor: "middle")
            }
            if g > 0 { canvas.line(gx, bottom, gx, bottom + 6, class: "axis") }
        }
        Legend.draw(on: &canvas, entries: legend.map { ($0.name, $0.style) }, x: left, y: 16, width: right - left, bars: true)
        let description = "\(yLabel) per \(groups.map(\.label).joined(separator: ", ")) for \(legend.map(\.name).joined(separator: " and ")), with 95 % interval whiskers"
        return canvas.render(title: title, description: description)
    }
}
