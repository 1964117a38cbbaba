// The statistics file of a store (STORE/stats.json): all groups plus the digest of
// the index they were computed from, so stale statistics are refused, not used.
import CotrainCore
import CotrainSim

/// All normalisation statistics of one episode store.
public struct DataStatistics: Sendable, Equatable {
    /// The format tag of stats.json.
    public static let format = "cotrain.norm-stats.v1"
    /// ``EpisodeIndex/digest`` of the index the statistics were computed from.
    public var indexDigest: String
    /// One group per source × embodiment, sorted by source then embodiment.
    public var groups: [SourceStats]

    /// Statistics from explicit groups.
    public init(indexDigest: String, groups: [SourceStats]) {
        self.indexDigest = indexDigest
        self.groups = groups.sorted { ($0.source, $0.embodiment.rawValue) < ($1.source, $1.embodiment.rawValue) }
    }

    /// The statistics of `source` × `embodiment`; never falls back to another source.
    public func stats(source: String, embodiment: EmbodimentKind) throws(DataError) -> SourceStats {
        guard let group = groups.first(where: { $0.source == source && $0.embodiment == embodiment }) else {
            throw .noStats(source: source, embodiment: embodiment.rawValue)
        }
        return group
    }

    /// Computes the statistics of every source × embodiment in `store` (verifying each file).
    public static func compute(store: EpisodeStore) throws -> DataStatistics {
        var byGroup: [String: [EpisodeEntry]] = [:]
        for entry in store.index.entries { byGroup["\(entry.source)\u{0}\(entry.embodiment.rawValue)", default: []].append(entry) }
        var groups: [SourceStats] = []
        for key in byGroup.keys.sorted() {
            let entries = byGroup[key]!
            let episodes = try entries.map { try store.open($0) }
            groups.append(SourceStats(source: entries[0].source, embodiment: entries[0].embodiment, episodes: episodes))
        }
        return DataStatistics(indexDigest: store.index.digest, groups: groups)
    }

    /// Loads `STORE/stats.json` and checks it matches the store's current index.
    public static func load(store: EpisodeStore) throws -> DataStatistics {
        guard let bytes = try? readFile(store.statsPath, limit: 1 << 28) else {
            throw DataError.statsUnavailable(store: store.root, reason: "stats.json is missing")
        }
        let stats: DataStatistics
        do {
            stats = try DataStatistics(json: try JSONValue.parse(bytes))
        } catch {
            throw DataError.statsUnavailable(store: store.root, reason: "stats.json is invalid (\(error))")
        }
        guard stats.indexDigest == store.index.digest else {
            throw DataError.statsUnavailable(store: store.root, reason: "they were computed for a different index (the store changed since)")
        }
        return stats
    }

    /// Writes the statistics atomically (pretty JSON).
    public func write(to path: String) throws {
        try AtomicFile.write(json.prettyBytes, to: path)
    }

    /// The JSON document.
    public var json: JSONValue {
        .object([
            ("format", .string(Self.format)), ("index_sha256", .string(indexDigest)),
            ("method", .string("exact percentiles, linear interpolation at q·(n−1); proprio normalised = 2·(x − p02)/(p98 − p02) − 1, actions = 2·(x − min)/(max − min) − 1, clipped to ±1.5")),
            ("groups", .array(groups.map { g in
                .object([
                    ("source", .string(g.source)), ("embodiment", .string(g.embodiment.rawValue)),
                    ("episodes", .int(Int64(g.episodes))), ("steps", .int(Int64(g.steps))),
                    ("proprio", g.proprio.json), ("actions", g.actions.json),
                ])
            })),
        ])
    }

    /// Parses the JSON document.
    public init(json: JSONValue) throws(FieldProblem) {
        var f = try JSONFields(json, path: "")
        let format = try f.string("format")
        guard format == Self.format else { throw .invalid(path: "format", reason: "unknown format \"\(format)\"") }
        let digest = try f.string("index_sha256")
        _ = try f.optionalString("method")
        var groups: [SourceStats] = []
        for (i, item) in try f.array("groups").enumerated() {
            var g = try JSONFields(item, path: "groups[\(i)]")
            let kind = try g.string("embodiment")
            guard let embodiment = EmbodimentKind(rawValue: kind) else {
                throw .invalid(path: g.child("embodiment"), reason: "unknown embodiment \"\(kind)\"")
            }
            groups.append(SourceStats(
                source: try g.string("source"), embodiment: embodiment, episodes: try g.int("episodes"), steps: try g.int("steps"),
                proprio: try DimensionStats(json: try g.required("proprio"), path: g.child("proprio")),
                actions: try DimensionStats(json: try g.required("actions"), path: g.child("actions"))))
            try g.finish()
        }
        try f.finish()
        self.init(indexDigest: digest, groups: groups)
    }
}
