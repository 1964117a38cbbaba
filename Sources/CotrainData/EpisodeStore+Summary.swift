// What a store holds, per source × embodiment × task family: the table behind
// `cotrain data info`.
import CotrainSim

/// Counts for one source × embodiment × task family.
public struct StoreSummaryRow: Sendable, Equatable {
    /// The group.
    public var source: String
    public var embodiment: EmbodimentKind
    public var family: TaskFamily
    /// Episodes, total steps, successful episodes and bytes on disk.
    public var episodes: Int
    public var steps: Int
    public var successes: Int
    public var bytes: Int

    /// Successful episodes ÷ episodes.
    public var successRate: Double { episodes == 0 ? 0 : Double(successes) / Double(episodes) }
}

extension EpisodeStore {
    /// One row per source × embodiment × family present, sorted by those names.
    public func summary() -> [StoreSummaryRow] {
        var rows: [String: StoreSummaryRow] = [:]
        for e in index.entries {
            let key = "\(e.source)\u{0}\(e.embodiment.rawValue)\u{0}\(e.family.rawValue)"
            var row = rows[key] ?? StoreSummaryRow(
                source: e.source, embodiment: e.embodiment, family: e.family, episodes: 0, steps: 0, successes: 0, bytes: 0)
            row.episodes += 1
            row.steps += e.steps
            row.successes += e.success ? 1 : 0
            row.bytes += e.bytes
            rows[key] = row
        }
        return rows.keys.sorted().map { rows[$0]! }
    }
}
