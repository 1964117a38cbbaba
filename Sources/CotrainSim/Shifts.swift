// CotrainSim/Shifts.swift: distribution shifts and the concrete render settings they
// produce for an episode.
import Foundation

/// Perturbations applied at evaluation time to test generalisation. `.none` is the
/// nominal training distribution; presets isolate one kind of shift each.
public struct DistributionShift: Sendable, Codable, Equatable {
    /// Multiplier range for the directional light.
    public var lightIntensity: ClosedRange<Float> = 1...1
    /// Maximum tilt of the light direction away from nominal (radians).
    public var lightDirectionJitter: Float = 0
    /// Ambient light range.
    public var ambient: ClosedRange<Float> = 0.35...0.35
    /// Camera position jitter (m, uniform per axis) and look-at jitter (m).
    public var cameraPositionJitter: Float = 0
    public var cameraTargetJitter: Float = 0
    /// Field-of-view jitter (radians, uniform ±).
    public var fieldOfViewJitter: Float = 0
    /// Per-object albedo perturbation (uniform ± per channel) and table colour jitter.
    public var colourJitter: Float = 0
    public var tableColourJitter: Float = 0
    /// Whether objects get a checker texture.
    public var textured = false
    /// Unnamed clutter objects added on top of the scene's own.
    public var extraDistractors = 0

    public init() {}

    /// The nominal distribution.
    public static let none = DistributionShift()

    /// Dimmer or brighter, tilted light.
    public static let lighting: DistributionShift = {
        var s = DistributionShift()
        s.lightIntensity = 0.45...1.5; s.lightDirectionJitter = 0.6; s.ambient = 0.15...0.55
        return s
    }()

    /// Moved camera and changed intrinsics.
    public static let camera: DistributionShift = {
        var s = DistributionShift()
        s.cameraPositionJitter = 0.06; s.cameraTargetJitter = 0.04; s.fieldOfViewJitter = 0.08
        return s
    }()

    /// Different object tints, table colour and textures.
    public static let appearance: DistributionShift = {
        var s = DistributionShift()
        s.colourJitter = 0.12; s.tableColourJitter = 0.15; s.textured = true
        return s
    }()

    /// Three extra clutter objects in any palette colour.
    public static let distractors: DistributionShift = {
        var s = DistributionShift()
        s.extraDistractors = 3
        return s
    }()

    /// The presets by name, for suites and the CLI.
    public static let presets: [String: DistributionShift] = [
        "none": .none, "lighting": .lighting, "camera": .camera, "appearance": .appearance, "distractors": .distractors,
    ]
}

/// The concrete look of one episode, sampled from a `DistributionShift`.
public struct RenderSettings: Sendable, Equatable {
    /// Third-person camera (pose and intrinsics).
    public var camera: Camera
    /// Unit vector pointing towards the light.
    public var lightDirection: Vec3
    /// Directional and ambient light strength.
    public var lightIntensity: Float
    public var ambient: Float
    /// Table and background albedo.
    public var tableColour: Vec3
    public var backgroundColour: Vec3
    /// Albedo offset per object index (empty: none).
    public var objectTint: [Vec3]
    /// Whether objects get the checker texture.
    public var textured: Bool

    /// Nominal settings for a `width × height` image.
    public static func nominal(width: Int, height: Int) -> RenderSettings {
        RenderSettings(
            camera: .thirdPerson(width: width, height: height), lightDirection: normalized(Vec3(0.4, 0.3, 1)),
            lightIntensity: 0.75, ambient: 0.35, tableColour: Vec3(0.62, 0.5, 0.36),
            backgroundColour: Vec3(0.22, 0.24, 0.28), objectTint: [], textured: false)
    }

    /// Samples settings for an episode with `objectCount` objects.
    static func sample(_ shift: DistributionShift, objectCount: Int, width: Int, height: Int, rng: inout SimRandom) -> RenderSettings {
        var s = RenderSettings.nominal(width: width, height: height)
        func jitter(_ a: Float) -> Vec3 { Vec3(rng.uniform(-a, a), rng.uniform(-a, a), rng.uniform(-a, a)) }
        s.lightIntensity *= rng.uniform(shift.lightIntensity.lowerBound, shift.lightIntensity.upperBound)
        s.ambient = rng.uniform(shift.ambient.lowerBound, shift.ambient.upperBound)
        if shift.lightDirectionJitter > 0 {
            let tilt = Mat3.rotZ(rng.uniform(-.pi, .pi)) * Mat3.rotX(rng.uniform(0, shift.lightDirectionJitter))
            s.lightDirection = normalized(tilt * s.lightDirection)
        }
        s.camera.position += jitter(shift.cameraPositionJitter)
        s.camera.target += jitter(shift.cameraTargetJitter)
        s.camera.fieldOfView += rng.uniform(-shift.fieldOfViewJitter, shift.fieldOfViewJitter)
        s.tableColour += jitter(shift.tableColourJitter)
        if shift.colourJitter > 0 { s.objectTint = (0..<objectCount).map { _ in jitter(shift.colourJitter) } }
        s.textured = shift.textured
        return s
    }
}
