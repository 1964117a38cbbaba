// A minimal SVG writer: shapes and text appended in order, every text and attribute
// escaped, coordinates printed with one decimal so output is byte-for-byte stable.

/// An SVG document under construction.
public struct SVGCanvas: Sendable {
    /// Width and height in user units (the `viewBox`); the SVG scales to its container.
    public let width: Double, height: Double
    /// Prefix for element ids, unique per chart in one HTML page.
    public let id: String
    private var defs: [String] = []
    private var body: [String] = []

    /// An empty canvas.
    public init(width: Double, height: Double, id: String) {
        self.width = width
        self.height = height
        self.id = Markup.identifier(id)
    }

    /// A line segment.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, class cls: String, dash: String = "") {
        var attributes = [("x1", c(x1)), ("y1", c(y1)), ("x2", c(x2)), ("y2", c(y2)), ("class", cls)]
        if !dash.isEmpty { attributes.append(("stroke-dasharray", dash)) }
        body.append("<line\(Markup.attributeList(attributes))/>")
    }

    /// A rectangle; `title` becomes a child `<title>` (a tooltip, read by screen readers).
    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String? = nil, class cls: String = "", title: String? = nil) {
        var attributes = [("x", c(x)), ("y", c(y)), ("width", c(max(0, w))), ("height", c(max(0, h)))]
        if let fill { attributes.append(("fill", fill)) }
        if !cls.isEmpty { attributes.append(("class", cls)) }
        shape("rect", attributes, title)
    }

    /// A circle.
    public mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, class cls: String = "", title: String? = nil) {
        shape("circle", [("cx", c(x)), ("cy", c(y)), ("r", c(r)), ("fill", fill), ("class", cls)], title)
    }

    /// An open polyline through `points`, stroked in `colour` with an optional dash pattern.
    public mutating func polyline(_ points: [(Double, Double)], colour: String, width: Double, dash: String = "", opacity: Double = 1, title: String? = nil) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(c($0.0)),\(c($0.1))" }.joined(separator: " ")
        var attributes = [("points", list), ("fill", "none"), ("stroke", colour), ("stroke-width", c(width)),
                          ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
        if !dash.isEmpty { attributes.append(("stroke-dasharray", dash)) }
        if opacity < 1 { attributes.append(("stroke-opacity", NumberText.fixed(opacity, 2))) }
        shape("polyline", attributes, title)
    }

    /// Text at (x, y); `anchor` is start, middle or end; `rotate` in degrees about (x, y).
    public mutating func text(_ x: Double, _ y: Double, _ text: String, class cls: String = "", anchor: String = "start", rotate: Double = 0) {
        var attributes = [("x", c(x)), ("y", c(y))]
        if anchor != "start" { attributes.append(("text-anchor", anchor)) }
        if !cls.isEmpty { attributes.append(("class", cls)) }
        if rotate != 0 { attributes.append(("transform", "rotate(\(c(rotate)) \(c(x)) \(c(y)))")) }
        body.append(Markup.text("text", attributes, text))
    }

    /// A fill pattern in `<defs>` (hatching for bars, so series differ without colour);
    /// returns the `fill` value that references it.
    public mutating func hatch(_ name: String, colour: String, kind: Int) -> String {
        let pid = "\(id)-\(Markup.identifier(name))"
        let stroke = "stroke=\"\(Markup.escape(colour))\" stroke-width=\"1.6\""
        let marks: String
        switch kind % 3 {
        case 0: marks = "<path d=\"M0 6 L6 0 M-1 1 L1 -1 M5 7 L7 5\" \(stroke)/>"
        case 1: marks = "<circle cx=\"3\" cy=\"3\" r=\"1.3\" fill=\"\(Markup.escape(colour))\"/>"
        default: marks = "<path d=\"M0 3 L6 3\" \(stroke)/>"
        }
        defs.append("<pattern id=\"\(pid)\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>\(marks)</pattern>")
        return "url(#\(pid))"
    }

    /// Raw markup built by the caller from escaped parts.
    mutating func raw(_ markup: String) { body.append(markup) }

    /// The SVG element: `title` and `description` label it for assistive technology.
    public func render(title: String, description: String) -> String {
        let head = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\" class=\"chart\">"
        let labels = "<title id=\"\(id)-t\">\(Markup.escape(title))</title><desc id=\"\(id)-d\">\(Markup.escape(description))</desc>"
        let definitions = defs.isEmpty ? "" : "<defs>\(defs.joined())</defs>"
        return head + labels + definitions + body.joined(separator: "\n") + "</svg>"
    }

    private mutating func shape(_ tag: String, _ attributes: [(String, String)], _ title: String?) {
        if let title {
            body.append("<\(tag)\(Markup.attributeList(attributes))><title>\(Markup.escape(title))</title></\(tag)>")
        } else {
            body.append("<\(tag)\(Markup.attributeList(attributes))/>")
        }
    }

    private func c(_ v: Double) -> String { NumberText.coordinate(v) }
}
