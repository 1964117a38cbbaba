// `cotrain data vl-generate`: a synthetic VL corpus (train shards plus a held-out
// probe split) rendered from simulator scenes, deterministic in its seed.
import CotrainCore

/// What to generate.
public struct VLGeneratePlan: Sendable, Equatable {
    /// Training samples and the seed everything derives from.
    public var count: Int
    public var seed: UInt64
    /// Samples per shard.
    public var shardSize = 256
    /// Probe samples (held-out questions for measuring VL knowledge retention).
    public var probeCount = 64
    /// Square image size (the policy's input size).
    public var imageSize = 64
    /// The concepts, and which of them robot data shows.
    public var split = ConceptSplit()
    /// Recorded in the manifest for every shard.
    public var source = "cotrain-sim"
    public var licence = "CC0-1.0"

    /// A plan with defaults for the optional fields.
    public init(count: Int, seed: UInt64) {
        self.count = count; self.seed = seed
    }

    /// Checks the plan.
    public func validate() throws(DataError) {
        guard count >= 0, probeCount >= 0 else { throw .invalidArgument("--count and --probe-count must be ≥ 0") }
        guard (1...100_000).contains(shardSize) else { throw .invalidArgument("--shard-size must be within 1...100000") }
        guard (8...512).contains(imageSize) else { throw .invalidArgument("--image-size must be within 8...512") }
        try split.validate()
    }
}

/// Runs a ``VLGeneratePlan`` into a ``VLShardStore``.
public enum VLCorpusGenerator {
    /// Seeds of the probe split come from a separate stream, so probe scenes never
    /// repeat training scenes of the same index.
    static let probeStream: UInt64 = 0x5052_4F42_4500_0000

    /// Generates the corpus, writes its shards, records the concept split and saves
    /// the manifest. `progress` gets the number of samples done (train + probe).
    @discardableResult
    public static func generate(
        _ plan: VLGeneratePlan, into store: inout VLShardStore, progress: (Int) -> Void = { _ in }
    ) throws -> [ShardEntry] {
        try plan.validate()
        var generator = VLSceneGenerator(split: plan.split, imageSize: plan.imageSize)
        var entries: [ShardEntry] = []
        var done = 0
        for (split, total, stream) in [("train", plan.count, UInt64(0)), ("probe", plan.probeCount, probeStream)] {
            var start = 0
            while start < total {
                let end = min(total, start + plan.shardSize)
                var samples: [VLSample] = []
                samples.reserveCapacity(end - start)
                for i in start..<end {
                    samples.append(generator.sample(key: "\(split)-\(paddedIndex(i))", seed: mixSeed(plan.seed ^ stream, UInt64(i))))
                    done += 1
                    progress(done)
                }
                entries.append(try store.addShard(samples, source: plan.source, licence: plan.licence, split: split))
                start = end
            }
        }
        store.setConceptSplit(plan.split)
        try store.saveManifest()
        return entries
    }

    /// Six or more digits, zero-padded ("000042").
    static func paddedIndex(_ i: Int) -> String {
        let digits = String(i)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}
