// Integrity of an episode store: every indexed file present, of the right size and
// hash, and parseable; every file indexed. The index can always be rebuilt from the
// files, which are self-describing.
import CotrainCore
import Foundation

/// The outcome of ``EpisodeStore/verify()``.
public struct StoreVerification: Sendable {
    /// Episodes whose file checked out.
    public var good: Int
    /// One problem per bad or unindexed file, in file-name order.
    public var problems: [DataError]
    /// True when there is nothing to fix.
    public var isClean: Bool { problems.isEmpty }
}

extension EpisodeStore {
    /// Checks every indexed file (size, SHA-256, episode format, agreement with the
    /// index) and reports files in `episodes/` the index does not list.
    public func verify() -> StoreVerification {
        var result = StoreVerification(good: 0, problems: [])
        for entry in index.entries {
            do {
                _ = try open(entry, verify: true)
                result.good += 1
            } catch let error as DataError {
                result.problems.append(error)
            } catch {
                result.problems.append(.badEpisode(file: path(of: entry), reason: "\(error)"))
            }
        }
        let listed = Set(index.entries.map(\.file))
        for name in (try? episodeFileNames()) ?? [] where !listed.contains(name) {
            result.problems.append(.episodeNotIndexed(file: "\(episodesDirectory)/\(name)"))
        }
        return result
    }

    /// Names of the `.safetensors` files in `episodes/`, sorted.
    func episodeFileNames() throws -> [String] {
        try directoryEntries(episodesDirectory).filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted()
    }

    /// Rebuilds `index.json` from the episode files. Files that cannot be read as
    /// episodes are moved to `quarantine/` and returned, so the store is consistent
    /// afterwards. Statistics are left alone (they record which index they match).
    public static func rebuildIndex(at root: String) throws -> (store: EpisodeStore, quarantined: [DataError]) {
        let episodes = "\(root)/episodes"
        guard FileManager.default.fileExists(atPath: episodes) else { throw DataError.notAStore(root) }
        var entries: [EpisodeEntry] = []
        var quarantined: [DataError] = []
        let names = try directoryEntries(episodes).filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }.sorted()
        for name in names {
            let path = "\(episodes)/\(name)"
            do {
                let episode = try StoredEpisode.open(path: path)
                var info = stat()
                try sysCall("stat", path) { stat(path, &info) }
                let digest = try SHA256.hash(fileAt: path).hex
                entries.append(EpisodeEntry(file: name, sha256: digest, bytes: Int(info.st_size), metadata: episode.metadata))
            } catch {
                try FileManager.default.createDirectory(atPath: "\(root)/quarantine", withIntermediateDirectories: true)
                try sysCall("rename", path) { rename(path, "\(root)/quarantine/\(name)") }
                quarantined.append(error as? DataError ?? .badEpisode(file: path, reason: "\(error)"))
            }
        }
        let index = EpisodeIndex(entries: entries)
        try AtomicFile.write(index.json.prettyBytes, to: "\(root)/index.json")
        return (try EpisodeStore.open(at: root), quarantined)
    }
}
