// A directory of robot episodes:
//
//   STORE/index.json            the index (atomic, rebuildable from the files)
//   STORE/stats.json            normalisation statistics per source × embodiment
//   STORE/episodes/*.safetensors one file per episode, named by content hash
//   STORE/quarantine/           files that failed verification during a rebuild
import CotrainCore
import CotrainSim
import Foundation

/// A local store of robot (and human-video) episodes; several embodiments may share one.
///
/// Writes go through ``AtomicFile``: an episode file appears complete or not at all,
/// and the index is replaced in one rename. ``add(_:)`` updates the index in memory;
/// ``saveIndex()`` publishes it (a collect saves every few dozen episodes, so a killed
/// run leaves at most that many unindexed files, which ``rebuildIndex(at:)`` recovers).
public struct EpisodeStore: Sendable {
    /// The store's directory.
    public let root: String
    /// The episodes currently listed.
    public private(set) var index: EpisodeIndex

    /// Where the index, the statistics and the episode files live.
    public var indexPath: String { "\(root)/index.json" }
    public var statsPath: String { "\(root)/stats.json" }
    public var episodesDirectory: String { "\(root)/episodes" }

    private init(root: String, index: EpisodeIndex) {
        self.root = root
        self.index = index
    }

    /// Opens the store at `root`, creating an empty one if the directory has none.
    public static func openOrCreate(at root: String) throws -> EpisodeStore {
        if FileManager.default.fileExists(atPath: "\(root)/index.json") { return try open(at: root) }
        if FileManager.default.fileExists(atPath: "\(root)/episodes") {
            throw DataError.badIndex(file: "\(root)/index.json", reason: "it is missing but episodes/ exists")
        }
        try FileManager.default.createDirectory(atPath: "\(root)/episodes", withIntermediateDirectories: true)
        let store = EpisodeStore(root: root, index: EpisodeIndex())
        try store.saveIndex()
        return store
    }

    /// Opens an existing store; throws ``DataError/notAStore(_:)`` when there is none.
    public static func open(at root: String) throws -> EpisodeStore {
        let path = "\(root)/index.json"
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.notAStore(root) }
        let index = try EpisodeIndex(bytes: try readFile(path, limit: 1 << 30), file: path)
        return EpisodeStore(root: root, index: index)
    }

    /// Writes `record` as a new episode file and lists it in the in-memory index.
    /// Adding identical bytes again is a no-op (the name is derived from the hash).
    @discardableResult
    public mutating func add(_ record: EpisodeRecord) throws -> EpisodeEntry {
        guard EpisodeMetadata.isValidSource(record.metadata.source) else {
            throw DataError.invalidArgument("source \"\(record.metadata.source)\" must be 1–64 letters, digits, '-' or '_'")
        }
        let bytes = try record.fileBytes()
        let digest = try SHA256.hash(bytes).hex
        let m = record.metadata
        let name = "\(m.embodiment.rawValue)-\(m.family.rawValue)-\(digest.prefix(16)).safetensors"
        let entry = EpisodeEntry(file: name, sha256: digest, bytes: bytes.count, metadata: m)
        if index.entry(file: name) != entry {
            try AtomicFile.write(bytes, to: path(of: entry))
            index.insert(entry)
        }
        return entry
    }

    /// Publishes the in-memory index (atomic replace).
    public func saveIndex() throws {
        try AtomicFile.write(index.json.prettyBytes, to: indexPath)
    }

    /// The path of an entry's file.
    public func path(of entry: EpisodeEntry) -> String { "\(episodesDirectory)/\(entry.file)" }

    /// Opens an episode. With `verify`, the file's size and SHA-256 are checked against
    /// the index first (a flipped bit or a truncation is reported, never trained on).
    public func open(_ entry: EpisodeEntry, verify: Bool = true) throws -> StoredEpisode {
        let path = path(of: entry)
        if verify { try check(entry) }
        let episode = try StoredEpisode.open(path: path)
        let m = episode.metadata
        guard m.embodiment == entry.embodiment, m.family == entry.family, m.source == entry.source,
            m.steps == entry.steps, m.seed == entry.seed
        else {
            throw DataError.badEpisode(file: path, reason: "its metadata disagrees with the index entry")
        }
        return episode
    }

    /// Checks one entry's file against the index: present, same size, same hash.
    public func check(_ entry: EpisodeEntry) throws {
        let path = path(of: entry)
        var info = stat()
        guard stat(path, &info) == 0 else { throw DataError.episodeMissing(file: path) }
        guard Int(info.st_size) == entry.bytes else {
            throw DataError.episodeSizeMismatch(file: path, expected: entry.bytes, actual: Int(info.st_size))
        }
        let actual = try SHA256.hash(fileAt: path).hex
        guard actual == entry.sha256 else { throw DataError.episodeHashMismatch(file: path, expected: entry.sha256, actual: actual) }
    }

    /// Entries of one embodiment (and source, when given).
    public func entries(embodiment: EmbodimentKind? = nil, source: String? = nil) -> [EpisodeEntry] {
        index.entries.filter { e in
            (embodiment == nil || e.embodiment == embodiment) && (source == nil || e.source == source)
        }
    }
}
