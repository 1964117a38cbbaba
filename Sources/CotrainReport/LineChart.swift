// Line charts: several series over a shared x axis, linear or log y, a legend, and
// labelled vertical markers (training phase boundaries).

/// A point of a line series.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double, y: Double
    /// A point at (x, y).
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// One line of a chart.
public struct LineSeries: Sendable {
    /// Legend text.
    public var name: String
    /// Points in increasing x.
    public var points: [ChartPoint]
    /// Colour and dash.
    public var style: SeriesStyle
    /// Drawn thin and faint, without a legend entry (e.g. raw values under a smoothed line).
    public var faint: Bool

    /// A series; `faint` ones are background detail.
    public init(name: String, points: [ChartPoint], style: SeriesStyle, faint: Bool = false) {
        self.name = name
        self.points = points
        self.style = style
        self.faint = faint
    }
}

/// A vertical line at `x` with a short label at the top (e.g. where a phase starts).
public struct ChartMarker: Sendable, Equatable {
    public var x: Double
    public var label: String
    /// A marker at `x`.
    public init(x: Double, label: String) { self.x = x; self.label = label }
}

/// A line chart rendered as SVG.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    public var markers: [ChartMarker] = []
    /// A base-10 log y axis (non-positive values are left out).
    public var logY = false
    public var width = 560.0, height = 300.0

    /// A chart of `series`.
    public init(title: String, xLabel: String, yLabel: String, series: [LineSeries], markers: [ChartMarker] = [], logY: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.markers = markers
        self.logY = logY
    }

    /// The SVG element; `id` must be unique in the page.
    public func svg(id: String) -> String {
        var canvas = SVGCanvas(width: width, height: height, id: id)
        let visible = series.filter { !$0.faint }
        let legendRows = Legend.layout(visible.map(\.name), width: width - 74).rows
        let left = 58.0, right = width - 16, top = 16 + Double(legendRows) * 18 + 22, bottom = height - 42
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        let xs = points.map(\.x), ys = points.map(\.y)
        let x = LinearScale(lower: xs.min() ?? 0, upper: xs.max() ?? 1, start: left, end: right, nice: false, tickCount: 6)
        let y: any Scale = logY
            ? LogScale(lower: ys.min() ?? 1, upper: ys.max() ?? 10, start: bottom, end: top)
            : LinearScale(lower: min(0, ys.min() ?? 0), upper: ys.max() ?? 1, start: bottom, end: top, tickCount: 5)
        Axes.draw(on: &canvas, x: x, y: y, frame: (left, top, right, bottom), xLabel: xLabel, yLabel: yLabel)
        for (i, marker) in markers.enumerated() where marker.x >= x.domain.lower && marker.x <= x.domain.upper {
            let px = x.position(marker.x)
            canvas.line(px, top - 14, px, bottom, class: "marker", dash: "3 3")
            let crowded = i > 0 && abs(px - x.position(markers[i - 1].x)) < 70
            canvas.text(px + 3, top - 5 - (crowded && i % 2 == 1 ? 10 : 0), marker.label, class: "marker-label")
        }
        for s in series {
            let drawn = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
            let title = s.faint ? nil : "\(s.name): \(drawn.count) points"
            canvas.polyline(drawn.map { (x.position($0.x), y.position($0.y)) }, colour: s.style.colour,
                            width: s.faint ? 1 : 2.2, dash: s.faint ? "" : s.style.dash, opacity: s.faint ? 0.22 : 1, title: title)
        }
        Legend.draw(on: &canvas, entries: visible.map { ($0.name, $0.style) }, x: left, y: 16, width: right - left, bars: false)
        let summary = visible.map(\.name).joined(separator: ", ")
        return canvas.render(title: title, description: "\(yLabel) against \(xLabel)\(logY ? " (log scale)" : ""): \(summary)")
    }
}

/// Axis drawing shared by the charts.
enum Axes {
    /// Grid lines, tick labels and axis titles for the plot frame (left, top, right, bottom).
    static func draw(on canvas: inout SVGCanvas, x: (any Scale)?, y: any Scale, frame: (Double, Double, Double, Double), xLabel: String, yLabel: String) {
        let (left, top, right, bottom) = frame
        for tick in y.ticks {
            let py = y.position(tick)
            canvas.line(left, py, right, py, class: "gridline")
            canvas.text(left - 6, py + 4, y.label(tick), class: "tick", anchor: "end")
        }
        if let x {
            for tick in x.ticks {
                let px = x.position(tick)
                canvas.line(px, bottom, px, bottom + 4, class: "axis")
                canvas.text(px, bottom + 17, x.label(tick), class: "tick", anchor: "middle")
            }
            canvas.text((left + right) / 2, bottom + 34, xLabel, class: "axis-title", anchor: "middle")
        }
        canvas.line(left, bottom, right, bottom, class: "axis")
        canvas.line(left, top, left, bottom, class: "axis")
        canvas.text(14, (top + bottom) / 2, yLabel, class: "axis-title", anchor: "middle", rotate: -90)
    }
}

/// Legends: a swatch (line sample or filled box) and the name, flowing left to right
/// and wrapping to a new row when the next entry would not fit.
enum Legend {
    /// Approximate advance of one character of 12 px legend text.
    static let characterWidth = 6.8

    /// Each entry's x offset and row, and the number of rows.
    static func layout(_ names: [String], width: Double) -> (positions: [(x: Double, row: Int)], rows: Int) {
        var positions: [(Double, Int)] = [], x = 0.0, row = 0
        for name in names {
            let w = 40 + Double(truncated(name, 60).count) * characterWidth
            if x > 0, x + w > width { x = 0; row += 1 }
            positions.append((x, row))
            x += w + 14
        }
        return (positions, names.isEmpty ? 0 : row + 1)
    }

    static func draw(on canvas: inout SVGCanvas, entries: [(String, SeriesStyle)], x: Double, y: Double, width: Double, bars: Bool) {
        let placed = layout(entries.map(\.0), width: width).positions
        for (i, (name, style)) in entries.enumerated() {
            let ex = x + placed[i].x, ey = y + Double(placed[i].row) * 18
            if bars {
                let fill = style.hatched ? canvas.hatch("legend-\(i)", colour: style.colour, kind: style.index / 2) : style.colour
                canvas.raw("<rect x=\"\(NumberText.coordinate(ex))\" y=\"\(NumberText.coordinate(ey - 9))\" width=\"14\" height=\"11\" fill=\"\(fill)\" stroke=\"\(style.colour)\" stroke-width=\"1.2\"/>")
            } else {
                canvas.polyline([(ex, ey - 4), (ex + 26, ey - 4)], colour: style.colour, width: 2.6, dash: style.dash)
            }
            canvas.text(ex + (bars ? 20 : 32), ey, truncated(name, 60), class: "legend")
        }
    }

    /// `text` shortened to `limit` characters with an ellipsis.
    static func truncated(_ text: String, _ limit: Int) -> String {
        text.count <= max(4, limit) ? text : String(text.prefix(max(4, limit) - 1)) + "…"
    }
}
