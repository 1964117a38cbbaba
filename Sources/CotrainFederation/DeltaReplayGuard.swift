// Replay protection: deltas for closed rounds, and deltas already seen, are refused.
import CotrainCore

/// The rounds closed and delta hashes seen on this node. The caller keeps one (and
/// persists it with the journal: ``closedThrough`` is the last journalled round).
public struct DeltaReplayGuard: Sendable, Equatable {
    /// Every round up to and including this one is closed; nil when none is.
    public private(set) var closedThrough: Int?
    /// Hashes of deltas accepted so far (``SignedDelta/deltaHash``).
    public private(set) var seen: Set<SHA256Digest>

    /// A guard that has closed `closedThrough` and seen `seen`.
    public init(closedThrough: Int? = nil, seen: Set<SHA256Digest> = []) {
        self.closedThrough = closedThrough
        self.seen = seen
    }

    /// Throws ``DeltaError/Check/replay`` if `round` is closed or `hash` was seen.
    public func check(round: Int, hash: SHA256Digest, node: NodeID? = nil) throws(DeltaError) {
        if let closedThrough, round <= closedThrough {
            throw DeltaError(.replay, node: node, "round \(round) is already closed (closed through \(closedThrough))")
        }
        if seen.contains(hash) { throw DeltaError(.replay, node: node, "delta \(hash.hex.prefix(16))… was already received") }
    }

    /// Records an accepted delta.
    public mutating func record(_ hash: SHA256Digest) {
        seen.insert(hash)
    }

    /// Marks `round` (and every earlier one) closed.
    public mutating func close(round: Int) {
        closedThrough = max(closedThrough ?? round, round)
    }
}
