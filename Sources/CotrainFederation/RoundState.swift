// One round as a value-type state machine: collects verified deltas from the expected
// participants, and closes when all arrived or at the deadline (with a quorum). Pure
// logic: the caller passes the time; tests drive it with no clock and no sockets.
import CotrainCore
import Foundation

/// How many deltas a round needs to close at its deadline.
public enum Quorum: Hashable, Sendable {
    /// At least this many deltas.
    case count(Int)
    /// At least ceil(fraction × expected participants) deltas (and at least 1).
    case fraction(Double)

    /// The deltas needed out of `expected` participants.
    public func needed(of expected: Int) -> Int {
        switch self {
        case let .count(k): return max(1, k)
        case let .fraction(f): return max(1, Int((f * Double(expected)).rounded(.up)))
        }
    }
}

/// The state of one federation round.
public struct RoundState: Sendable {
    /// What ``receive(_:now:)`` did with a delta.
    public enum ReceiveAction: Sendable, Equatable {
        /// Stored for aggregation.
        case accepted
        /// The same delta (same hash) from the same node again; nothing changed.
        case duplicate
        /// Arrived after the deadline or the close, or is for an earlier round: ignored.
        case lateDropped
        /// Refused; only this delta is affected.
        case rejected(DeltaError)
    }

    /// What closing did.
    public enum CloseAction: Sendable {
        /// Neither complete nor past the deadline.
        case waiting
        /// Closed: aggregate these inputs (sorted by node id).
        case aggregate([AggregationInput])
        /// Past the deadline without a quorum: the round fails, the base stays.
        case insufficientQuorum(have: Int, needed: Int)
        /// Already closed or failed earlier.
        case alreadyClosed
    }

    /// Where the round is.
    public enum Phase: Sendable, Equatable {
        /// Taking deltas.
        case open
        /// Closed with a quorum; its inputs were handed out for aggregation.
        case closed
        /// Closed at the deadline without a quorum.
        case failed
    }

    /// What deltas must match (round, base hash, schemas).
    public let expectation: DeltaExpectation
    /// The participants whose delta completes the round (approved peers and this node).
    public let participants: Set<NodeID>
    /// When the round closes at the latest.
    public let deadline: Date
    /// What closing at the deadline needs.
    public let quorum: Quorum
    /// Deltas accepted so far, by sender.
    public private(set) var received: [NodeID: VerifiedDelta] = [:]
    /// Open, closed (aggregated) or failed (no quorum).
    public private(set) var phase: Phase = .open

    /// A new open round.
    public init(expectation: DeltaExpectation, participants: Set<NodeID>, deadline: Date, quorum: Quorum) {
        self.expectation = expectation
        self.participants = participants
        self.deadline = deadline
        self.quorum = quorum
    }

    /// The round number.
    public var round: Int { expectation.round }
    /// The base hash.
    public var baseHash: SHA256Digest { expectation.baseHash }
    /// Every participant's delta has arrived.
    public var isComplete: Bool { participants.allSatisfy { received[$0] != nil } }

    /// Verifies `delta` with `verifier` (`keys` gives approved peers' public keys) and
    /// takes it in. Checks for lateness and duplicates come first, so a late or repeated
    /// delta costs no decompression.
    public mutating func receive(
        _ delta: SignedDelta, now: Date, verifier: DeltaVerifier, keys: (NodeID) -> Ed25519PublicKey?
    ) -> ReceiveAction {
        if let early = triage(delta.header, hash: delta.deltaHash, now: now) { return early }
        do {
            return receive(try verifier.verify(delta, expecting: expectation, keys: keys), now: now)
        } catch {
            return .rejected(error)
        }
    }

    /// Takes in a delta that already passed ``DeltaVerifier`` for this round's expectation.
    public mutating func receive(_ delta: VerifiedDelta, now: Date) -> ReceiveAction {
        if let early = triage(delta.header, hash: delta.deltaHash, now: now) { return early }
        guard delta.header.baseHash == baseHash else {
            return .rejected(DeltaError(.baseHash, node: delta.header.node, "delta is not for this round's base"))
        }
        received[delta.header.node] = delta
        return .accepted
    }

    private func triage(_ header: DeltaHeader, hash: SHA256Digest, now: Date) -> ReceiveAction? {
        let node = header.node
        if phase != .open || now >= deadline || header.round < round { return .lateDropped }
        if header.round > round {
            return .rejected(DeltaError(.round, node: node, "delta is for round \(header.round), current round is \(round)"))
        }
        guard participants.contains(node) else {
            return .rejected(DeltaError(.sender, node: node, "node is not a participant of round \(round)"))
        }
        if let existing = received[node] {
            if existing.deltaHash == hash { return .duplicate }
            return .rejected(DeltaError(.replay, node: node, "node already sent a different delta for round \(round)"))
        }
        return nil
    }

    /// Closes the round if every participant reported; otherwise ``CloseAction/waiting``.
    public mutating func closeIfComplete() -> CloseAction {
        guard phase == .open else { return .alreadyClosed }
        return isComplete ? close() : .waiting
    }

    /// At or after the deadline: closes with the deltas held if they reach the quorum,
    /// else fails the round. Before the deadline, same as ``closeIfComplete()``.
    public mutating func deadlineReached(now: Date) -> CloseAction {
        guard phase == .open else { return .alreadyClosed }
        if isComplete { return close() }
        guard now >= deadline else { return .waiting }
        let needed = quorum.needed(of: participants.count)
        guard received.count >= needed else {
            phase = .failed
            return .insufficientQuorum(have: received.count, needed: needed)
        }
        return close()
    }

    private mutating func close() -> CloseAction {
        phase = .closed
        return .aggregate(received.values.map(AggregationInput.init).sorted { $0.node < $1.node })
    }
}
