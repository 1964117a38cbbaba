// The rounds of one node: the current base, round number, journal and replay guard
// (all persisted), the round being trained or collected, and deltas waiting for it.
// Used only on the daemon's queue; the network side lives in NodeDaemon.
import CotrainCore
import Foundation

/// A delta that arrived before it could be judged (its round is not open yet, or its
/// base differs and a catch-up may change ours).
struct PendingDelta {
    var sender: NodeID
    var signed: SignedDelta
    var bytes: [UInt8]
}

/// One of this node's deltas for the current round.
struct OwnDelta {
    /// Embodiment whose tensors it carries; nil for the `shared.*` delta.
    var embodiment: String?
    var signed: SignedDelta
    var bytes: [UInt8]
}

/// What happened to a received delta.
enum DeltaOutcome: Equatable {
    case accepted
    case duplicate
    /// Kept until its round opens (or a catch-up settles the base).
    case deferred(String)
    /// For a closed or earlier round: dropped.
    case late(String)
    /// Refused; only this delta is affected.
    case rejected(DeltaError)
}

/// The round machinery of a node (daemon queue only).
final class RoundDriver: @unchecked Sendable {
    enum Phase {
        /// Waiting to start the current round (peers, catch-up, or the last round done).
        case idle
        /// The trainer runs for the current round.
        case training
        /// Collecting deltas until complete or the deadline.
        case open(RoundState)
    }

    let store: DaemonStateStore
    let nodeID: NodeID
    let key: Ed25519PrivateKey
    let embodiments: [String]
    let rule: AggregationRule
    let quorum: Quorum
    let verifier: DeltaVerifier
    /// Public keys of this node and its approved peers.
    let keys: @Sendable (NodeID) -> Ed25519PublicKey?
    /// An approved peer's embodiment.
    let peerEmbodiment: @Sendable (NodeID) -> String?

    private(set) var journal: RoundJournal
    private(set) var model: ParameterSet
    private(set) var baseHash: SHA256Digest
    private(set) var round: Int
    private(set) var replay: DeltaReplayGuard
    var phase: Phase = .idle
    private(set) var own: [OwnDelta] = []
    /// The trained checkpoint of the open round (for embodiments federated with nobody).
    private(set) var trained: ParameterSet?
    private(set) var embodimentDeltas: [String: [NodeID: VerifiedDelta]] = [:]
    private(set) var pending: [PendingDelta] = []
    let sharedSchema: ParameterSchema

    init(store: DaemonStateStore, nodeID: NodeID, key: Ed25519PrivateKey, embodiments: [String], options: DaemonOptions,
         initialModel: ParameterSet?, keys: @escaping @Sendable (NodeID) -> Ed25519PublicKey?,
         peerEmbodiment: @escaping @Sendable (NodeID) -> String?) throws {
        self.store = store
        self.nodeID = nodeID
        self.key = key
        self.embodiments = embodiments
        rule = options.rule
        quorum = options.quorum
        verifier = DeltaVerifier(limits: options.deltaLimits)
        self.keys = keys
        self.peerEmbodiment = peerEmbodiment
        journal = try RoundJournal.open(directory: store.home.stateDirectory)
        let last = journal.records.last
        if let loaded = try store.loadModel(journalResult: last?.resultHash) {
            if last == nil, let initialModel,
                loaded.schema != initialModel.schema || loaded.sharedBaseHash != initialModel.sharedBaseHash {
                // No round has committed: the starting model this start was given (e.g.
                // a recipe trainer's --init after a first start with the stand-in trainer)
                // replaces the one an earlier start stored. Nothing learned is lost.
                try store.saveInitialModel(initialModel)
                model = initialModel
            } else {
                model = loaded
            }
        } else if let initialModel, last == nil {
            try store.saveInitialModel(initialModel)
            model = initialModel
        } else {
            throw DaemonError.noModel(path: store.basePath)
        }
        sharedSchema = model.filtered(prefixes: [ParameterScope.sharedPrefix]).schema
        guard sharedSchema.elementCount > 0 else { throw DaemonError.badModel("\(store.basePath) has no shared.* tensors") }
        baseHash = model.sharedBaseHash
        if let last, baseHash != last.resultHash {
            throw DaemonError.inconsistentState("the base's shared hash \(baseHash.hex.prefix(16))… is not the journal's last result \(last.resultHash.hex.prefix(16))…")
        }
        round = max(try store.loadRound() ?? 1, (last?.round ?? 0) + 1)
        replay = try store.loadReplayGuard()
        if let last, (replay.closedThrough ?? -1) < last.round { replay = DeltaReplayGuard(closedThrough: last.round) }
    }

    /// Deltas kept from before a restart: the node's own for the current round (sent
    /// again instead of retraining) and peers' (verified again when the round opens).
    func restore(limit: Int) throws -> (own: [OwnDelta], trained: ParameterSet?) {
        var restored: [OwnDelta] = []
        for stored in try store.loadDeltas(from: round, limit: limit) {
            guard let signed = try? SignedDelta(serialized: stored.bytes, maxPayloadBytes: limit) else { continue }
            if stored.own {
                if signed.header.round == round, signed.header.baseHash == baseHash {
                    restored.append(OwnDelta(embodiment: signed.header.embodiment, signed: signed, bytes: stored.bytes))
                }
            } else {
                defer_(PendingDelta(sender: signed.header.node, signed: signed, bytes: stored.bytes))
            }
        }
        let trained = try store.loadTrained(round: round, schema: model.schema)
        return (restored.contains { $0.embodiment == nil } && trained != nil ? restored : [], trained)
    }

    /// What a `shared.*` delta (nil) or an `embodiment.<e>.*` delta must match now.
    func expectation(embodiment: String?) -> DeltaExpectation {
        guard let embodiment else { return DeltaExpectation(round: round, baseHash: baseHash, sharedSchema: sharedSchema) }
        let prefix = ParameterScope.embodimentPrefix(embodiment)
        return DeltaExpectation(round: round, baseHash: baseHash, sharedSchema: try! ParameterSchema([]),
                                embodimentSchemas: [embodiment: model.schema.filtered { $0.hasPrefix(prefix) }])
    }

    /// Opens the current round with this node's deltas (already encoded) and the
    /// checkpoint they came from; returns what happened to deltas that were waiting.
    func open(own deltas: [OwnDelta], trained: ParameterSet, participants: Set<NodeID>, deadline: Date,
              now: Date) throws -> [(PendingDelta, DeltaOutcome)] {
        let expectation = self.expectation(embodiment: nil)
        var state = RoundState(expectation: expectation, participants: participants.union([nodeID]), deadline: deadline, quorum: quorum)
        try store.saveTrained(trained, round: round)
        embodimentDeltas = [:]
        for delta in deltas {
            try store.saveDelta(delta.bytes, round: round, own: true)
            let verified = try verifier.verify(delta.signed, expecting: self.expectation(embodiment: delta.embodiment), keys: keys)
            if let e = delta.embodiment {
                embodimentDeltas[e, default: [:]][nodeID] = verified
            } else {
                _ = state.receive(verified, now: now)
            }
            replay.record(delta.signed.deltaHash)
        }
        own = deltas
        self.trained = trained
        phase = .open(state)
        try store.saveReplayGuard(replay)
        let waiting = pending
        pending = []
        return waiting.map { ($0, receive($0, now: now)) }
    }

    /// Judges a received delta (see ``DeltaOutcome``); accepted ones are stored durably.
    func receive(_ delta: PendingDelta, now: Date) -> DeltaOutcome {
        let header = delta.signed.header, hash = delta.signed.deltaHash
        guard header.node == delta.sender else {
            return .rejected(DeltaError(.sender, node: header.node, "relayed by \(delta.sender.short); deltas come from their authors"))
        }
        if let closed = replay.closedThrough, header.round <= closed {
            return .late("round \(header.round) is closed (replayed or late delta)")
        }
        if header.round < round { return .late("round \(header.round) is over; this node is in round \(round)") }
        if header.round > round + 1 {
            return .rejected(DeltaError(.round, node: header.node, "delta is for round \(header.round), this node is in round \(round)"))
        }
        guard header.round == round, case .open(var state) = phase else { return defer_(delta, "round \(header.round) is not open here yet") }
        if let e = header.embodiment {
            guard embodiments.contains(e), peerEmbodiment(delta.sender) == e else {
                return .rejected(DeltaError(.schema, node: header.node, "embodiment \(e) is not federated between these nodes"))
            }
            if embodimentDeltas[e]?[delta.sender]?.deltaHash == hash { return .duplicate }
        } else if state.received[delta.sender]?.deltaHash == hash {
            return .duplicate
        }
        if header.baseHash != baseHash { return defer_(delta, "its base differs from this node's; a catch-up will settle which is right") }
        if now >= state.deadline { return .late("round \(round) passed its deadline") }
        let verified: VerifiedDelta
        do {
            verified = try verifier.verify(delta.signed, expecting: expectation(embodiment: header.embodiment), keys: keys, replay: replay)
        } catch {
            return .rejected(error)
        }
        if let e = header.embodiment {
            embodimentDeltas[e, default: [:]][delta.sender] = verified
        } else {
            switch state.receive(verified, now: now) {
            case .accepted: break
            case .duplicate: return .duplicate
            case .lateDropped: return .late("round \(round) is closed")
            case let .rejected(error): return .rejected(error)
            }
            phase = .open(state)
        }
        replay.record(hash)
        try? store.saveDelta(delta.bytes, round: round, own: false)
        try? store.saveReplayGuard(replay)
        return .accepted
    }

    @discardableResult
    private func defer_(_ delta: PendingDelta, _ why: String = "") -> DeltaOutcome {
        pending.removeAll { $0.signed.deltaHash == delta.signed.deltaHash }
        if pending.filter({ $0.sender == delta.sender }).count >= 4, let oldest = pending.firstIndex(where: { $0.sender == delta.sender }) {
            pending.remove(at: oldest)
        }
        pending.append(delta)
        return .deferred(why)
    }

    /// Removes a revoked peer from the open round, with any delta it sent.
    func removeParticipant(_ id: NodeID, now: Date) {
        pending.removeAll { $0.sender == id }
        for e in embodimentDeltas.keys { embodimentDeltas[e]?[id] = nil }
        guard case let .open(state) = phase, state.participants.contains(id) else { return }
        var next = RoundState(expectation: state.expectation, participants: state.participants.subtracting([id]),
                              deadline: state.deadline, quorum: state.quorum)
        for (node, delta) in state.received where node != id { _ = next.receive(delta, now: now) }
        phase = .open(next)
    }

    /// Round numbers and bases as persisted after a change of round.
    func advance(to next: Int, closing closed: Int?) throws {
        round = next
        if let closed { replay = DeltaReplayGuard(closedThrough: max(replay.closedThrough ?? closed, closed)) }
        phase = .idle
        own = []
        trained = nil
        embodimentDeltas = [:]
        pending.removeAll { $0.signed.header.round < next }
        try store.saveRound(next)
        try store.saveReplayGuard(replay)
        store.pruneDeltas(before: next)
    }

    /// Installs a new base and journal (after a round or a catch-up).
    func install(model: ParameterSet, journal: RoundJournal) {
        self.model = model
        self.journal = journal
        baseHash = model.sharedBaseHash
    }
}
