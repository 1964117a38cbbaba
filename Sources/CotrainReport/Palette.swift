// Colours and dash patterns for series. The colours are the Okabe–Ito set, which
// people with the common colour-vision deficiencies can tell apart; every series also
// gets its own dash pattern (lines) or fill pattern (bars), so nothing relies on colour.

/// How one series is drawn.
public struct SeriesStyle: Sendable, Equatable {
    /// Index in the palette (also chooses the dash and fill pattern).
    public let index: Int
    /// Stroke and fill colour, `#rrggbb`.
    public var colour: String { Palette.colours[index % Palette.colours.count] }
    /// SVG `stroke-dasharray` ("" is solid).
    public var dash: String { Palette.dashes[index % Palette.dashes.count] }
    /// Whether bars of this series are hatched rather than solid (every second series).
    public var hatched: Bool { index % 2 == 1 }
}

/// Assigns each series name a style, in order of first appearance, so one policy or run
/// has the same colour in every chart of a report.
public struct Palette: Sendable {
    /// Okabe–Ito: blue, vermilion, bluish green, reddish purple, orange, sky blue, grey.
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#555555"]
    static let dashes = ["", "7 4", "2 3", "10 3 2 3", "4 4", "1 3", "12 5"]

    private var names: [String] = []

    /// An empty assignment.
    public init() {}

    /// The style of `name`, assigning the next one on first use.
    public mutating func style(_ name: String) -> SeriesStyle {
        if let i = names.firstIndex(of: name) { return SeriesStyle(index: i) }
        names.append(name)
        return SeriesStyle(index: names.count - 1)
    }

    /// The style of `name` if it has one (no assignment).
    public func existing(_ name: String) -> SeriesStyle? {
        names.firstIndex(of: name).map { SeriesStyle(index: $0) }
    }
}
