// A VL shard store: WebDataset tars kept content-addressed in a BlobStore, plus the
// manifest listing them.
//
//   DIR/manifest.json         the manifest (atomic)
//   DIR/blobs/ab/abcd…        shards named by SHA-256 (BlobStore layout)
import CotrainCore
import Foundation

/// Shards and their manifest in one directory.
public struct VLShardStore: Sendable {
    /// The store's directory.
    public let root: String
    /// The content-addressed shards.
    public let blobs: BlobStore
    /// What the store holds.
    public internal(set) var manifest: VLManifest

    /// The manifest's path.
    public var manifestPath: String { "\(root)/manifest.json" }

    private init(root: String, blobs: BlobStore, manifest: VLManifest) {
        self.root = root; self.blobs = blobs; self.manifest = manifest
    }

    /// Opens the store at `root`, creating an empty one when there is no manifest.
    public static func openOrCreate(at root: String) throws -> VLShardStore {
        if FileManager.default.fileExists(atPath: "\(root)/manifest.json") { return try open(at: root) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let store = VLShardStore(root: root, blobs: try BlobStore(root: root), manifest: VLManifest())
        try store.saveManifest()
        return store
    }

    /// Opens an existing store.
    public static func open(at root: String) throws -> VLShardStore {
        let path = "\(root)/manifest.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.badManifest(file: path, reason: "it does not exist; create the store with `cotrain data vl-generate` or `vl-import`")
        }
        let manifest = try VLManifest(bytes: try readFile(path, limit: 1 << 26), file: path)
        return VLShardStore(root: root, blobs: try BlobStore(root: root), manifest: manifest)
    }

    /// Records the concept split of generated data in the manifest.
    public mutating func setConceptSplit(_ split: ConceptSplit) {
        manifest.conceptSplit = split.json
    }

    /// Writes `samples` as one tar shard into the blob store and lists it in the
    /// in-memory manifest (publish with ``saveManifest()``). Same samples ⇒ same bytes ⇒
    /// same hash; adding an identical shard twice lists it once.
    @discardableResult
    public mutating func addShard(_ samples: [VLSample], source: String, licence: String, split: String) throws -> ShardEntry {
        guard ShardEntry.splits.contains(split) else { throw DataError.invalidArgument("shard split must be train or probe, not \(split)") }
        guard !licence.isEmpty else { throw DataError.invalidArgument("--licence must name the data's licence (e.g. CC-BY-4.0)") }
        var keys = Set<String>()
        for sample in samples {
            guard VLSample.isValidKey(sample.key) else { throw DataError.badSample(source: source, key: sample.key, reason: "keys use letters, digits, '-' and '_' only") }
            guard keys.insert(sample.key).inserted else { throw DataError.badSample(source: source, key: sample.key, reason: "key used twice in one shard") }
        }
        let tar = try TarWriter.archive(samples.flatMap(\.tarEntries))
        let digest = try blobs.put(tar)
        let concepts = Set(samples.flatMap(\.concepts))
        let entry = ShardEntry(
            sha256: digest.hex, bytes: tar.count, samples: samples.count, source: source, licence: licence, split: split,
            concepts: Array(concepts))
        if !manifest.shards.contains(where: { $0.sha256 == entry.sha256 }) { manifest.shards.append(entry) }
        return entry
    }

    /// Adds a shard received from elsewhere (e.g. a peer) under its manifest entry, after
    /// checking size, hash, sample count and format; publish with ``saveManifest()``.
    public mutating func adopt(_ entry: ShardEntry, bytes: [UInt8]) throws {
        _ = try entry.decode(bytes)
        let writer = try blobs.makeWriter()
        try writer.append(bytes)
        try writer.commit(expecting: try SHA256Digest(hex: entry.sha256))
        if !manifest.shards.contains(where: { $0.sha256 == entry.sha256 }) { manifest.shards.append(entry) }
    }

    /// Publishes the manifest (pretty JSON, atomic replace).
    public func saveManifest() throws {
        try AtomicFile.write(manifest.json.prettyBytes, to: manifestPath)
    }

    /// The samples of a listed shard, verified: hash (a corrupted blob is quarantined),
    /// size, sample count and every sample's format.
    public func samples(of entry: ShardEntry) throws -> [VLSample] {
        let digest = try SHA256Digest(hex: entry.sha256)
        guard blobs.contains(digest) else { throw DataError.shardMismatch(shard: entry.sha256, reason: "it is not in \(root)/blobs") }
        var info = stat()
        if stat(blobs.path(for: digest), &info) == 0, Int(info.st_size) != entry.bytes {
            throw DataError.shardMismatch(shard: entry.sha256, reason: "it is \(info.st_size) bytes, the manifest says \(entry.bytes)")
        }
        let bytes = try blobs.read(digest, limit: entry.bytes)
        return try entry.decode(bytes)
    }

    /// All samples of one split ("train" or "probe"), verified, in manifest order.
    public func samples(split: String) throws -> [VLSample] {
        try manifest.shards(split: split).flatMap { try samples(of: $0) }
    }

    /// Checks every listed shard; returns one problem per bad shard (empty: all good).
    public func verify() -> [Error] {
        var problems: [Error] = []
        for entry in manifest.shards {
            do { _ = try samples(of: entry) } catch { problems.append(error) }
        }
        return problems
    }
}

extension ShardEntry {
    /// Checks `bytes` (e.g. a shard received from a peer) against this entry — size,
    /// SHA-256, then sample count and format — and returns the samples.
    public func decode(_ bytes: [UInt8]) throws -> [VLSample] {
        guard bytes.count == self.bytes else {
            throw DataError.shardMismatch(shard: sha256, reason: "it is \(bytes.count) bytes, the manifest says \(self.bytes)")
        }
        let actual = try SHA256.hash(bytes).hex
        guard actual == sha256 else { throw DataError.shardMismatch(shard: sha256, reason: "its bytes hash to \(actual)") }
        var reader = WebDatasetReader(tar: TarReader(bytes: bytes), source: "shard \(sha256.prefix(16))")
        var samples: [VLSample] = []
        while let group = try reader.next() { samples.append(try VLSample(group: group, source: reader.source)) }
        guard samples.count == self.samples else {
            throw DataError.shardMismatch(shard: sha256, reason: "it holds \(samples.count) samples, the manifest says \(self.samples)")
        }
        return samples
    }
}
