// CotrainSim/Colours.swift: the named colour palette. Names are the words instructions
// use, so a suite can hold a colour out of the robot data by leaving it out of a
// `SceneConfig` while vision-language data still shows it.

/// A named object colour.
public enum SimColour: String, CaseIterable, Sendable, Codable {
    case red, green, blue, yellow, orange, purple, cyan, pink, white, black

    /// Linear RGB albedo in [0, 1].
    public var rgb: Vec3 {
        switch self {
        case .red: Vec3(0.85, 0.10, 0.10)
        case .green: Vec3(0.10, 0.70, 0.15)
        case .blue: Vec3(0.12, 0.25, 0.90)
        case .yellow: Vec3(0.92, 0.85, 0.10)
        case .orange: Vec3(0.95, 0.50, 0.05)
        case .purple: Vec3(0.55, 0.15, 0.75)
        case .cyan: Vec3(0.10, 0.80, 0.85)
        case .pink: Vec3(0.95, 0.50, 0.70)
        case .white: Vec3(0.92, 0.92, 0.92)
        case .black: Vec3(0.08, 0.08, 0.08)
        }
    }

    /// The word used in instructions ("red").
    public var word: String { rawValue }
}
