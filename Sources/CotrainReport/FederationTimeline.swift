// The federation's history as the report shows it: one entry per closed round, read
// from the hash-chained round journal (docs/aggregation.md) or built by the caller.
import CotrainCore

/// One delta that went into a round.
public struct RoundContribution: Sendable, Equatable {
    /// The sender's node id, 64 lower-case hex digits.
    public var nodeID: String
    /// Training samples behind the delta.
    public var sampleCount: Int
    /// Bytes of the signed delta on the wire, when known (the journal does not record it).
    public var bytes: Int?

    /// A contribution.
    public init(nodeID: String, sampleCount: Int, bytes: Int? = nil) {
        self.nodeID = nodeID
        self.sampleCount = sampleCount
        self.bytes = bytes
    }
}

/// One closed round.
public struct FederationRound: Sendable, Equatable {
    public var round: Int
    /// Included deltas, in node-id order.
    public var contributions: [RoundContribution]
    /// The aggregation rule in short form, e.g. "median" or "fedavg, clip 2× median norm".
    public var rule: String
    /// Base and result content hashes, hex.
    public var baseHash: String, resultHash: String

    /// A round.
    public init(round: Int, contributions: [RoundContribution], rule: String, baseHash: String, resultHash: String) {
        self.round = round
        self.contributions = contributions
        self.rule = rule
        self.baseHash = baseHash
        self.resultHash = resultHash
    }

    /// Total wire bytes when every contribution's size is known.
    public var bytes: Int? {
        let sizes = contributions.compactMap(\.bytes)
        return sizes.count == contributions.count && !sizes.isEmpty ? sizes.reduce(0, +) : nil
    }
}

/// The rounds of a federation plus how to name its nodes.
public struct FederationTimeline: Sendable, Equatable {
    public var rounds: [FederationRound]
    /// Node id (hex) → lab name, for nodes the reader knows by name.
    public var labs: [String: String]
    /// Problems found checking the journal's hash chain (empty: the chain verifies).
    public var chainProblems: [String]

    /// A timeline; rounds are kept in the given order.
    public init(rounds: [FederationRound], labs: [String: String] = [:], chainProblems: [String] = []) {
        self.rounds = rounds
        self.labs = labs
        self.chainProblems = chainProblems
    }

    /// Node ids in order of first contribution.
    public var nodes: [String] {
        var seen: [String] = []
        for r in rounds { for c in r.contributions where !seen.contains(c.nodeID) { seen.append(c.nodeID) } }
        return seen
    }

    /// How a node is shown: its lab name and short id, or the short id alone (the first
    /// three groups of the grouped base32 form `cotrain id` prints).
    public func name(of nodeID: String) -> String {
        let short = (try? SHA256Digest(hex: nodeID)).map { NodeID(digest: $0).short } ?? String(nodeID.prefix(12))
        if let lab = labs[nodeID] { return "\(lab) (\(short))" }
        return short
    }

    /// A hash's short form for tables: the first 12 hex digits.
    public static func shortHash(_ hex: String) -> String { String(hex.prefix(12)) }
}
