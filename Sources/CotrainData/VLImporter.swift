// `cotrain data vl-import`: ingest an external WebDataset tar into a shard store.
// The tar is streamed; images are decoded (PPM/PGM only), resized to the model's input
// size, and re-sharded under new keys `SOURCE-000000`, … with the given source and
// licence in the manifest. All or nothing: a bad sample aborts the import and removes
// the shards it had written.
import CotrainCore

/// What to import.
public struct VLImportPlan: Sendable, Equatable {
    /// The tar file to read.
    public var input: String
    /// Source name and licence recorded for every shard.
    public var source: String
    public var licence: String
    /// Square output size and the resize filter (see ``ResizeFilter``).
    public var imageSize = 64
    public var filter = ResizeFilter.box
    /// Samples per output shard.
    public var shardSize = 256
    /// Limit on one tar member (hostile input must not exhaust memory).
    public var maxMemberBytes = 64 << 20

    /// A plan with defaults for the optional fields.
    public init(input: String, source: String, licence: String) {
        self.input = input; self.source = source; self.licence = licence
    }
}

/// Imports external WebDataset tars.
public enum VLImporter {
    /// Imports `plan.input` into `store` and saves the manifest. `progress` gets the
    /// number of samples read. Returns the shards added.
    @discardableResult
    public static func run(_ plan: VLImportPlan, into store: inout VLShardStore, progress: (Int) -> Void = { _ in }) throws -> [ShardEntry] {
        guard EpisodeMetadata.isValidSource(plan.source) else {
            throw DataError.invalidArgument("--source \"\(plan.source)\" must be 1–64 letters, digits, '-' or '_'")
        }
        guard !plan.licence.isEmpty else { throw DataError.invalidArgument("--licence must name the data's licence (e.g. CC-BY-4.0)") }
        guard (8...512).contains(plan.imageSize), (1...100_000).contains(plan.shardSize) else {
            throw DataError.invalidArgument("--image-size must be within 8...512 and --shard-size within 1...100000")
        }
        let fd = try sysCall("open", plan.input) { open(plan.input, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let options = TarReader.Options(maxEntrySize: plan.maxMemberBytes, specialEntries: .reject)
        var reader = WebDatasetReader(tar: TarReader(fileDescriptor: fd, options: options), source: plan.input)
        let before = Set(store.manifest.shards.map(\.sha256))
        let original = store.manifest
        var added: [ShardEntry] = []
        var pending: [VLSample] = []
        var count = 0
        do {
            while let group = try reader.next() {
                var sample = try VLSample(group: group, source: plan.input)
                sample.image = sample.image.resized(width: plan.imageSize, height: plan.imageSize, filter: plan.filter)
                sample.key = "\(plan.source)-\(VLCorpusGenerator.paddedIndex(count))"
                pending.append(sample)
                count += 1
                progress(count)
                if pending.count == plan.shardSize {
                    added.append(try store.addShard(pending, source: plan.source, licence: plan.licence, split: "train"))
                    pending.removeAll(keepingCapacity: true)
                }
            }
            guard count > 0 else { throw DataError.badSample(source: plan.input, key: "-", reason: "the tar holds no samples") }
            if !pending.isEmpty { added.append(try store.addShard(pending, source: plan.source, licence: plan.licence, split: "train")) }
            try store.saveManifest()
        } catch {
            for entry in added where !before.contains(entry.sha256) {
                if let digest = try? SHA256Digest(hex: entry.sha256) { try? store.blobs.remove(digest) }
            }
            store.manifest = original
            throw error
        }
        return added
    }
}
