// Everything a training run samples from, loaded once: episodes (mapped, verified)
// grouped into pools by data source, each with its own source's normalisation
// statistics, and the VL corpus (train split; the probe split kept apart).
import CotrainCore
import CotrainSim

/// Episodes of one data source, with prefix sums of their step counts so that a
/// uniform draw over all steps is one binary search.
struct EpisodePool: Sendable {
    var episodes: [StoredEpisode] = []
    var stats: [SourceStats] = []
    /// `ends[i]` = steps of episodes 0...i.
    var ends: [Int] = []

    var totalSteps: Int { ends.last ?? 0 }

    mutating func append(_ episode: StoredEpisode, stats: SourceStats) {
        episodes.append(episode)
        self.stats.append(stats)
        ends.append(totalSteps + episode.steps)
    }

    /// The episode and step of global step index `r` in 0..<totalSteps.
    func locate(_ r: Int) -> (episode: Int, step: Int) {
        var lo = 0, hi = ends.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return (lo, r - (lo == 0 ? 0 : ends[lo - 1]))
    }
}

/// The data of one training run. Immutable after loading; share it between threads.
public final class TrainingData: Sendable {
    /// The node's own embodiment (its episodes form the `robot` source).
    public let ownEmbodiment: EmbodimentKind
    /// VL samples for training, and the held-out probe questions.
    public let vlSamples: [VLSample]
    public let probeSamples: [VLSample]
    let pools: [DataSource: EpisodePool]
    /// Widest proprio and action vectors over all episodes (batch row widths).
    public let maxProprioDimension: Int
    public let maxActionDimension: Int

    /// Assembles data from opened episodes (each with its source's statistics) and VL
    /// samples. Episodes are assigned to `robot`, `cross_embodiment` or `human_video`
    /// by embodiment.
    public init(ownEmbodiment: EmbodimentKind, episodes: [(StoredEpisode, SourceStats)], vlSamples: [VLSample], probeSamples: [VLSample] = []) {
        self.ownEmbodiment = ownEmbodiment
        var pools: [DataSource: EpisodePool] = [:]
        for (episode, stats) in episodes {
            let kind = episode.metadata.embodiment
            let source: DataSource = kind == ownEmbodiment ? .robot : kind == .hand ? .humanVideo : .crossEmbodiment
            pools[source, default: EpisodePool()].append(episode, stats: stats)
        }
        self.pools = pools
        self.vlSamples = vlSamples
        self.probeSamples = probeSamples
        maxProprioDimension = episodes.map { $0.0.metadata.proprioDimension }.max() ?? 1
        maxActionDimension = episodes.map { $0.0.metadata.actionDimension }.max() ?? 1
    }

    /// Loads episode stores (every file verified against its index hash when `verify`)
    /// with their statistics, and the VL stores' shards (always verified); in the tool
    /// frame, converted by ``inToolFrame()``.
    public static func load(
        ownEmbodiment: EmbodimentKind, episodeStores: [String], vlStores: [String], verify: Bool = true,
        frame: ActionFrame = .joint, motionWindow: Int = 0
    ) throws -> TrainingData {
        var episodes: [(StoredEpisode, SourceStats)] = []
        for root in episodeStores {
            let store = try EpisodeStore.open(at: root)
            let stats = try DataStatistics.load(store: store)
            for entry in store.index.entries {
                let group = try stats.stats(source: entry.source, embodiment: entry.embodiment)
                episodes.append((try store.open(entry, verify: verify), group))
            }
        }
        var vl: [VLSample] = [], probe: [VLSample] = []
        for root in vlStores {
            let store = try VLShardStore.open(at: root)
            vl += try store.samples(split: "train")
            probe += try store.samples(split: "probe")
        }
        let data = TrainingData(ownEmbodiment: ownEmbodiment, episodes: episodes, vlSamples: vl, probeSamples: probe)
        return frame == .tool ? data.inToolFrame(motionWindow: motionWindow) : data
    }

    /// This data with every arm's episodes in the tool frame (`StoredEpisode.inToolFrame`:
    /// actions as tool motions, the tool pose appended to proprio, and with a
    /// `motionWindow` the tool's motion over that many steps) and each statistics
    /// group (store × source × embodiment, told apart by its statistics) recomputed from
    /// its converted rows. Episodes keep their order; files are not read or verified again.
    public func inToolFrame(motionWindow: Int = 0) -> TrainingData {
        var episodes: [(StoredEpisode, SourceStats)] = []
        for source in DataSource.allCases { episodes += pools[source].map { Array(zip($0.episodes, $0.stats)) } ?? [] }
        // Episodes of one group share its statistics; convert group by group.
        var groups: [(stats: SourceStats, members: [Int])] = []
        for (i, (episode, stats)) in episodes.enumerated() where ToolFrame(.make(episode.metadata.embodiment)) != nil {
            if let g = groups.firstIndex(where: { $0.stats == stats }) { groups[g].members.append(i) } else { groups.append((stats, [i])) }
        }
        for group in groups {
            let converted = group.members.map { episodes[$0].0.inToolFrame(motionWindow: motionWindow) }
            let stats = SourceStats(source: group.stats.source, embodiment: group.stats.embodiment, episodes: converted)
            for (i, episode) in zip(group.members, converted) { episodes[i] = (episode, stats) }
        }
        return TrainingData(ownEmbodiment: ownEmbodiment, episodes: episodes, vlSamples: vlSamples, probeSamples: probeSamples)
    }

    /// Episode count of one source.
    public func episodeCount(_ source: DataSource) -> Int { pools[source]?.episodes.count ?? 0 }

    /// What is available, for ``Recipe/validate(against:)``.
    public var available: AvailableData {
        var counts: [EmbodimentKind: Int] = [:]
        var sizes = Set<Int>()
        var annotated = false, withoutWrist = 0, withoutPoints = 0, withoutOrientation = 0
        var wristViews = Set<Float>()
        for pool in pools.values {
            for e in pool.episodes {
                if e.metadata.embodiment == ownEmbodiment, !e.hasWristImages { withoutWrist += 1 }
                if e.metadata.embodiment == ownEmbodiment, e.hasWristImages { wristViews.insert(e.metadata.effectiveWristFieldOfView) }
                if e.metadata.embodiment == ownEmbodiment, !e.hasPoints { withoutPoints += 1 }
                if e.metadata.embodiment == ownEmbodiment, !e.hasOrientation { withoutOrientation += 1 }
                counts[e.metadata.embodiment, default: 0] += 1
                sizes.insert(e.metadata.imageWidth == e.metadata.imageHeight ? e.metadata.imageWidth : -1)
                annotated = annotated || e.metadata.annotations.contains { !$0.isEmpty }
            }
        }
        for s in vlSamples + probeSamples { sizes.insert(s.image.width == s.image.height ? s.image.width : -1) }
        var available = AvailableData(ownEmbodiment: ownEmbodiment, episodes: counts, hasAnnotations: annotated, vlSamples: vlSamples.count, imageSizes: sizes)
        available.ownEpisodesWithoutWrist = withoutWrist
        available.ownEpisodesWithoutPoints = withoutPoints
        available.ownEpisodesWithoutOrientation = withoutOrientation
        available.ownWristFieldsOfView = wristViews
        return available
    }

    /// The statistics to denormalise `embodiment`'s actions with at deployment: those of
    /// the source with the most steps of that embodiment (sources are never pooled).
    public func deploymentStats(for embodiment: EmbodimentKind) -> SourceStats? {
        pools.values.flatMap(\.stats).filter { $0.embodiment == embodiment }.max { ($0.steps, $1.source) < ($1.steps, $0.source) }
    }
}
