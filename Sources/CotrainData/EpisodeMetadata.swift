// What an episode file says about itself, beside its tensors: stored as canonical
// JSON under the safetensors metadata key "cotrain.episode" (docs/data.md).
import CotrainCore
import CotrainSim

/// The non-tensor part of a stored episode.
public struct EpisodeMetadata: Sendable, Equatable {
    /// The format tag written into every episode file.
    public static let format = "cotrain.episode.v1"
    /// The safetensors `__metadata__` key holding the JSON.
    public static let metadataKey = "cotrain.episode"

    /// Who acted (`hand` = human video with end-effector pseudo-actions).
    public var embodiment: EmbodimentKind
    /// The task family and the instruction given.
    public var family: TaskFamily
    public var instruction: String
    /// Seed the scene and the expert were drawn from.
    public var seed: UInt64
    /// Number of steps T; image size; proprio and action widths.
    public var steps: Int
    public var imageWidth: Int
    public var imageHeight: Int
    public var proprioDimension: Int
    public var actionDimension: Int
    /// Per-step dense annotations (the expert's sub-step), T entries.
    public var annotations: [String]
    /// Outcome.
    public var success: Bool
    public var milestonesReached: Int
    public var milestoneCount: Int
    /// Where the data came from (e.g. "sim", "lab-arm"); statistics are per source.
    public var source: String
    /// Names of the distribution-shift presets applied (empty: nominal).
    public var shifts: [String]
    /// Colours and shapes the scene could contain (the robot data's concepts).
    public var colours: [String]
    public var shapes: [String]
    /// The wrist camera's vertical field of view in degrees, for episodes with wrist
    /// images (nil: none, or recorded before the field existed, which used 70°).
    public var wristFieldOfView: Float?

    /// The wrist camera the episode's images came from (70° for older recordings).
    public var effectiveWristFieldOfView: Float { wristFieldOfView ?? Camera.defaultWristFieldOfView }

    /// Metadata for a recorded simulator episode.
    public init(episode: Episode, source: String, shifts: [String], scene: SceneConfig) {
        embodiment = episode.embodiment; family = episode.family; instruction = episode.instruction
        seed = episode.seed; steps = episode.steps
        imageWidth = episode.imageWidth; imageHeight = episode.imageHeight
        proprioDimension = episode.proprioDimension; actionDimension = episode.actionDimension
        annotations = episode.annotations; success = episode.success
        milestonesReached = episode.milestonesReached; milestoneCount = episode.milestoneCount
        self.source = source; self.shifts = shifts
        colours = scene.colours.map(\.rawValue); shapes = scene.shapes.map(\.rawValue)
    }

    /// The JSON object stored in the file.
    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)),
            ("embodiment", .string(embodiment.rawValue)), ("family", .string(family.rawValue)),
            ("instruction", .string(instruction)), ("seed", .string(String(seed))),
            ("steps", .int(Int64(steps))), ("image_width", .int(Int64(imageWidth))),
            ("image_height", .int(Int64(imageHeight))), ("proprio_dim", .int(Int64(proprioDimension))),
            ("action_dim", .int(Int64(actionDimension))), ("annotations", .strings(annotations)),
            ("success", .bool(success)), ("milestones_reached", .int(Int64(milestonesReached))),
            ("milestone_count", .int(Int64(milestoneCount))), ("source", .string(source)),
            ("shifts", .strings(shifts)), ("colours", .strings(colours)), ("shapes", .strings(shapes)),
        ] + (wristFieldOfView.map { [("wrist_fov_deg", JSONValue.double(Double($0)))] } ?? []))
    }

    /// Parses and checks the JSON of an episode file.
    public init(json: JSONValue) throws(FieldProblem) {
        var f = try JSONFields(json, path: "")
        let format = try f.string("format")
        guard format == Self.format else { throw .invalid(path: "format", reason: "unknown format \"\(format)\" (expected \(Self.format))") }
        let kind = try f.string("embodiment")
        guard let embodiment = EmbodimentKind(rawValue: kind) else { throw .invalid(path: "embodiment", reason: "unknown embodiment \"\(kind)\"") }
        let familyName = try f.string("family")
        guard let family = TaskFamily(rawValue: familyName) else { throw .invalid(path: "family", reason: "unknown task family \"\(familyName)\"") }
        let seedText = try f.string("seed")
        guard let seed = UInt64(seedText) else { throw .invalid(path: "seed", reason: "not a 64-bit unsigned integer") }
        self.embodiment = embodiment; self.family = family; self.seed = seed
        instruction = try f.string("instruction")
        steps = try f.int("steps"); imageWidth = try f.int("image_width"); imageHeight = try f.int("image_height")
        proprioDimension = try f.int("proprio_dim"); actionDimension = try f.int("action_dim")
        annotations = try f.strings("annotations")
        success = try f.bool("success")
        milestonesReached = try f.int("milestones_reached"); milestoneCount = try f.int("milestone_count")
        source = try f.string("source"); shifts = try f.strings("shifts")
        colours = try f.strings("colours"); shapes = try f.strings("shapes")
        if let fov = try f.optionalDouble("wrist_fov_deg") {
            guard Camera.wristFieldOfViewRange.contains(Float(fov)) else {
                throw .invalid(path: "wrist_fov_deg", reason: "\(fov) is outside \(Camera.wristFieldOfViewRange) degrees")
            }
            wristFieldOfView = Float(fov)
        }
        try f.finish()
        guard steps > 0 else { throw .invalid(path: "steps", reason: "an episode needs at least one step") }
        guard annotations.count == steps else {
            throw .invalid(path: "annotations", reason: "\(annotations.count) annotations for \(steps) steps")
        }
        guard (1...4096).contains(imageWidth), (1...4096).contains(imageHeight) else {
            throw .invalid(path: "image_width", reason: "image size \(imageWidth)×\(imageHeight) is outside 1...4096")
        }
        guard (1...64).contains(proprioDimension), (1...64).contains(actionDimension) else {
            throw .invalid(path: "action_dim", reason: "proprio/action widths must be within 1...64")
        }
        guard Self.isValidSource(source) else {
            throw .invalid(path: "source", reason: "source names use letters, digits, '-' and '_' (1–64 characters)")
        }
    }

    /// Whether `name` can name a data source (it becomes part of file and key names).
    public static func isValidSource(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }
}
