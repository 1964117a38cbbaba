// The episode index: one entry per episode file with its hash, size and the fields
// the sampler and `data info` need, so neither opens every file. Written atomically,
// always rebuildable from the files themselves.
import CotrainCore
import CotrainSim

/// One episode file as the index lists it.
public struct EpisodeEntry: Sendable, Equatable {
    /// File name inside `episodes/` (no directories).
    public var file: String
    /// SHA-256 of the whole file, lowercase hex, and its size in bytes.
    public var sha256: String
    public var bytes: Int
    /// Copied from the file's metadata.
    public var embodiment: EmbodimentKind
    public var family: TaskFamily
    public var source: String
    public var steps: Int
    public var success: Bool
    public var seed: UInt64

    /// An entry for a file with the given metadata, hash and size.
    public init(file: String, sha256: String, bytes: Int, metadata: EpisodeMetadata) {
        self.file = file; self.sha256 = sha256; self.bytes = bytes
        embodiment = metadata.embodiment; family = metadata.family; source = metadata.source
        steps = metadata.steps; success = metadata.success; seed = metadata.seed
    }

    var json: JSONValue {
        .object([
            ("file", .string(file)), ("sha256", .string(sha256)), ("bytes", .int(Int64(bytes))),
            ("embodiment", .string(embodiment.rawValue)), ("family", .string(family.rawValue)),
            ("source", .string(source)), ("steps", .int(Int64(steps))), ("success", .bool(success)),
            ("seed", .string(String(seed))),
        ])
    }

    init(json: JSONValue, path: String) throws(FieldProblem) {
        var f = try JSONFields(json, path: path)
        file = try f.string("file"); sha256 = try f.string("sha256"); bytes = try f.int("bytes")
        let kind = try f.string("embodiment"), familyName = try f.string("family"), seedText = try f.string("seed")
        guard let e = EmbodimentKind(rawValue: kind) else { throw .invalid(path: f.child("embodiment"), reason: "unknown embodiment \"\(kind)\"") }
        guard let t = TaskFamily(rawValue: familyName) else { throw .invalid(path: f.child("family"), reason: "unknown task family \"\(familyName)\"") }
        guard let s = UInt64(seedText) else { throw .invalid(path: f.child("seed"), reason: "not a 64-bit unsigned integer") }
        embodiment = e; family = t; seed = s
        source = try f.string("source"); steps = try f.int("steps"); success = try f.bool("success")
        try f.finish()
        guard EpisodeIndex.isPlainFileName(file) else { throw .invalid(path: f.child("file"), reason: "\"\(file)\" is not a plain file name") }
        guard (try? SHA256Digest(hex: sha256))?.hex == sha256 else {
            throw .invalid(path: f.child("sha256"), reason: "not 64 lowercase hex digits")
        }
    }
}

/// The list of episodes in a store, sorted by file name.
public struct EpisodeIndex: Sendable, Equatable {
    /// The format tag of index.json.
    public static let format = "cotrain.episode-index.v1"
    /// Entries sorted by `file`.
    public private(set) var entries: [EpisodeEntry]

    /// An index of `entries` (sorted; a repeated file keeps its last entry).
    public init(entries: [EpisodeEntry] = []) {
        var byFile: [String: EpisodeEntry] = [:]
        for entry in entries { byFile[entry.file] = entry }
        self.entries = byFile.values.sorted { $0.file.utf8.lexicographicallyPrecedes($1.file.utf8) }
    }

    /// Adds or replaces the entry for `entry.file` (binary search: collecting N episodes
    /// costs O(N log N) comparisons).
    public mutating func insert(_ entry: EpisodeEntry) {
        let i = position(of: entry.file)
        if i < entries.count && entries[i].file == entry.file { entries[i] = entry } else { entries.insert(entry, at: i) }
    }

    /// The entry for `file`, if listed.
    public func entry(file: String) -> EpisodeEntry? {
        let i = position(of: file)
        return i < entries.count && entries[i].file == file ? entries[i] : nil
    }

    /// The first index whose file is not before `file`.
    private func position(of file: String) -> Int {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].file.utf8.lexicographicallyPrecedes(file.utf8) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The JSON document (pretty-printed on disk, canonical for the digest).
    public var json: JSONValue {
        .object([("format", .string(Self.format)), ("episodes", .array(entries.map(\.json)))])
    }

    /// SHA-256 of the canonical JSON: statistics record it to detect a changed store.
    public var digest: String { (try? SHA256.hash(json.canonicalBytes).hex) ?? "" }

    /// Parses index.json.
    public init(bytes: [UInt8], file: String) throws(DataError) {
        do {
            var f = try JSONFields(try JSONValue.parse(bytes), path: "")
            let format = try f.string("format")
            guard format == Self.format else { throw FieldProblem.invalid(path: "format", reason: "unknown format \"\(format)\"") }
            var list: [EpisodeEntry] = []
            for (i, item) in try f.array("episodes").enumerated() {
                list.append(try EpisodeEntry(json: item, path: "episodes[\(i)]"))
            }
            try f.finish()
            guard Set(list.map(\.file)).count == list.count else {
                throw FieldProblem.invalid(path: "episodes", reason: "a file is listed twice")
            }
            self.init(entries: list)
        } catch let error as FieldProblem {
            throw .badIndex(file: file, reason: error.description)
        } catch {
            throw .badIndex(file: file, reason: "\(error)")
        }
    }

    /// Whether `name` is a single path component that is safe to join to a directory.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.utf8.contains(0)
            && !name.hasPrefix(".")
    }
}
