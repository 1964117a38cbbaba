// The built-in data of a study: own-robot demonstrations of the seen tasks, another
// robot's demonstrations (cross-embodiment), human-hand videos, and a VL corpus with
// a probe split. The concept split is the default one: robot scenes show red, green,
// blue and yellow only; orange, purple, cyan, pink, white and black appear only in
// VL data (and in the evaluation's held-out-colour condition). Deterministic in the
// seed, built once per study directory and reused.
import CotrainCore
import CotrainSim
import Foundation

/// What built-in data a study generates.
public struct StudyDataPlan: Sendable, Equatable {
    /// The node's robot, its episode count and the (seen) task families.
    public var ownEmbodiment = EmbodimentKind.ur5e
    public var robotEpisodes = 400
    public var tasks: [TaskFamily] = [.pick, .place]
    /// Cross-embodiment episodes (same tasks, another robot).
    public var crossEmbodiment = EmbodimentKind.panda
    public var crossEmbodimentEpisodes = 200
    /// Human-video (`hand`) episodes of the same tasks.
    public var humanVideoEpisodes = 100
    /// VL training samples and held-out probe samples.
    public var vlSamples = 4000
    public var probeSamples = 64
    /// Seed of everything above, and the image size (the models' input size).
    public var seed: UInt64 = 1
    public var imageSize = 64
    /// Also record the wrist camera (set when a recipe of the study reads it).
    public var wristCamera = false

    /// The defaults above.
    public init() {}

    /// The plan as JSON (recorded beside the data, so a changed plan is noticed).
    public var json: JSONValue {
        .object([
            ("own_embodiment", .string(ownEmbodiment.rawValue)), ("robot_episodes", .int(Int64(robotEpisodes))),
            ("tasks", .array(tasks.map { .string($0.rawValue) })),
            ("cross_embodiment", .string(crossEmbodiment.rawValue)), ("cross_embodiment_episodes", .int(Int64(crossEmbodimentEpisodes))),
            ("human_video_episodes", .int(Int64(humanVideoEpisodes))), ("vl_samples", .int(Int64(vlSamples))),
            ("probe_samples", .int(Int64(probeSamples))), ("seed", .string(String(seed))), ("image_size", .int(Int64(imageSize))),
        ] + (wristCamera ? [("wrist_camera", .bool(true))] : []))
    }

    /// Builds the data under `directory` (`episodes/`, `vl/`, `data.json`) unless it is
    /// already there from the same plan; returns the episode and VL store paths.
    /// `progress` gets one line per finished part.
    public func build(in directory: String, progress: (String) -> Void = { _ in }) throws -> (episodes: String, vl: String) {
        let episodes = "\(directory)/episodes", vl = "\(directory)/vl", marker = "\(directory)/data.json"
        if let existing = try? readFile(marker, limit: 1 << 20) {
            guard (try? JSONValue.parse(existing)) == json else {
                throw DataError.invalidArgument("\(directory) holds study data built with other settings; delete it or choose another --out")
            }
            return (episodes, vl)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for path in [episodes, vl] where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)  // a build that was interrupted
        }
        var store = try EpisodeStore.openOrCreate(at: episodes)
        let parts: [(EmbodimentKind, Int, UInt64)] = [
            (ownEmbodiment, robotEpisodes, seed), (crossEmbodiment, crossEmbodimentEpisodes, seed &+ 1),
            (.hand, humanVideoEpisodes, seed &+ 2),
        ]
        for (kind, count, partSeed) in parts where count > 0 {
            var plan = CollectPlan(embodiment: kind, tasks: tasks, count: count, seed: partSeed)
            plan.imageSize = imageSize
            plan.wristCamera = wristCamera
            try EpisodeCollector.collect(plan, into: &store)
            progress("collected \(count) \(kind.rawValue) episodes (\(tasks.map(\.rawValue).joined(separator: ", ")))")
        }
        var shards = try VLShardStore.openOrCreate(at: vl)
        var plan = VLGeneratePlan(count: vlSamples, seed: seed &+ 3)
        (plan.probeCount, plan.imageSize) = (probeSamples, imageSize)
        try VLCorpusGenerator.generate(plan, into: &shards)
        progress("generated \(vlSamples) VL samples and \(probeSamples) probe samples")
        try AtomicFile.write(json.prettyBytes, to: marker)
        return (episodes, vl)
    }
}
