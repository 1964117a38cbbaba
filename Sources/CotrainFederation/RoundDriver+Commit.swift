// Producing this node's deltas, closing a round (aggregate → new base → journal), and
// adopting rounds from a peer's journal. Each ends with the new state on disk.
import CotrainCore
import Foundation

extension RoundDriver {
    /// What closing did.
    enum CloseOutcome {
        /// Aggregated and committed: the record now ends the journal.
        case committed(RoundRecord, included: Int)
        /// The deadline passed without a quorum: the round failed, the base stays.
        case failed(have: Int, needed: Int)
    }

    /// Trains and encodes this node's deltas for `round` from `base`: the `shared.*`
    /// delta, and one `embodiment.<e>.*` delta per embodiment in `federated` (those
    /// an approved peer shares). Pure: runs on the trainer's thread.
    static func train(
        base: ParameterSet, round: Int, baseHash: SHA256Digest, trainer: any LocalTrainer, codec: DeltaCodec,
        federated: [String], key: Ed25519PrivateKey
    ) throws -> (trained: ParameterSet, own: [OwnDelta]) {
        let (trained, samples) = try trainer.checkedTrain(base: base, round: round)
        let encoder = DeltaEncoder(codec: codec)
        var own: [OwnDelta] = []
        for embodiment in federated.map(Optional.some) + [nil] {  // shared last: it completes the peer's round
            let prefix = embodiment.map(ParameterScope.embodimentPrefix) ?? ParameterScope.sharedPrefix
            let delta = try trained.filtered(prefixes: [prefix]).subtracting(base.filtered(prefixes: [prefix]))
            let signed = try encoder.encode(delta: delta, round: round, baseHash: baseHash, embodiment: embodiment,
                                            sampleCount: samples, key: key)
            own.append(OwnDelta(embodiment: embodiment, signed: signed, bytes: signed.serialized()))
        }
        return (trained, own)
    }

    /// Closes the open round if every participant reported or the deadline passed.
    /// Returns nil while it stays open.
    func closeIfDue(now: Date) throws -> CloseOutcome? {
        guard case var .open(state) = phase else { return nil }
        let action = state.deadlineReached(now: now)
        phase = .open(state)
        switch action {
        case .waiting, .alreadyClosed:
            return nil
        case let .insufficientQuorum(have, needed):
            try advance(to: round + 1, closing: round)
            return .failed(have: have, needed: needed)
        case let .aggregate(inputs):
            let record = try commit(inputs)
            return .committed(record, included: inputs.count)
        }
    }

    /// Aggregates `inputs` (sorted by node id), applies the result to the base, writes
    /// the new base and the journal record, and moves to the next round.
    private func commit(_ inputs: [AggregationInput]) throws -> RoundRecord {
        let aggregator = Aggregator(rule: rule, threads: 2)
        let result = try aggregator.aggregate(inputs)
        let shared = try aggregator.apply(result, to: model.filtered(prefixes: [ParameterScope.sharedPrefix]))
        var next = try model.replacing(with: shared)
        let included = Set(inputs.map(\.node))
        for embodiment in embodiments {
            let prefix = ParameterScope.embodimentPrefix(embodiment)
            let deltas = (embodimentDeltas[embodiment] ?? [:]).filter { included.contains($0.key) }.values
            if deltas.count > 1 || (deltas.count == 1 && own.contains { $0.embodiment == embodiment }) {
                let group = try aggregator.aggregate(deltas.map(AggregationInput.init))
                next = try next.replacing(with: try aggregator.apply(group, to: model.filtered(prefixes: [prefix])))
            } else if let trained {
                next = try next.replacing(with: trained.filtered(prefixes: [prefix]))  // federated with nobody: stays local
            }
        }
        let record = journal.record(round: round, baseHash: baseHash, result: result, rule: rule, resultHash: shared.contentHash)
        var journal = self.journal
        try store.commitModel(next) { try journal.append(record) }
        install(model: next, journal: journal)
        try advance(to: round + 1, closing: round)
        return record
    }

    /// Adopts a peer's records (a plan from ``CatchupPlan/plan(local:remote:)``) with
    /// the checkpoint of the last one: its `shared.*` tensors replace this node's, its
    /// content hash must be the last record's result. Abandons the current round.
    func adopt(_ plan: CatchupPlan, checkpoint: ParameterSet) throws {
        guard let last = plan.adopted.last else { return }
        guard checkpoint.schema == sharedSchema else {
            throw DaemonError.badModel("the peer's checkpoint has other tensors or shapes than this node's shared.* tensors")
        }
        guard checkpoint.contentHash == last.resultHash else {
            throw JournalError.notAnExtension("the checkpoint's hash is not the result of round \(last.round)")
        }
        let next = try model.replacing(with: checkpoint)
        var journal = self.journal
        try store.commitModel(next) { try journal.apply(plan) }
        install(model: next, journal: journal)
        try advance(to: last.round + 1, closing: last.round)
    }

    /// Moves to a later round without a record (rounds a peer failed for lack of a
    /// quorum, with this node's base). Only while idle.
    func skip(to next: Int) throws {
        guard case .idle = phase, next > round else { return }
        try advance(to: next, closing: next - 1)
    }

    /// Starts training the current round.
    func beginTraining() { phase = .training }

    /// Training failed or became stale: back to waiting.
    func abandonTraining() {
        if case .training = phase { phase = .idle }
    }
}
