// Reading a node's round state from its files, without the lock: what `cotrain round
// status` shows, whether or not the node runs (every file is replaced atomically).
import CotrainCore

/// A node's rounds as its files show them.
public struct RoundStatus: Sendable {
    /// The current round (the next to close).
    public let round: Int
    /// The current base's hash (content hash of its `shared.*` tensors), if a model exists.
    public let baseHash: SHA256Digest?
    /// The round journal, oldest first (its chain verified).
    public let records: [RoundRecord]

    /// Reads the status of `home`.
    public static func read(home: NodeHome) throws -> RoundStatus {
        try home.validate()
        let journal = try RoundJournal.open(directory: home.stateDirectory)
        let store = DaemonStateStore(unchecked: home)
        let base = access(store.basePath, F_OK) == 0 ? try ParameterSet.load(path: store.basePath).sharedBaseHash : nil
        let round = max(try store.loadRound() ?? 1, (journal.records.last?.round ?? 0) + 1)
        return RoundStatus(round: round, baseHash: base, records: journal.records)
    }

    /// The status as JSON: round, base_hash, records, head (last record hash), and
    /// per record its round, record hash, result hash and delta count.
    public var json: JSONValue {
        .object([
            ("round", .int(Int64(round))), ("base_hash", baseHash.map { .string($0.hex) } ?? .null),
            ("records", .int(Int64(records.count))), ("head", .string((records.last?.recordHash ?? RoundRecord.genesis).hex)),
            ("journal", .array(records.map { record in
                .object([("round", .int(Int64(record.round))), ("record_hash", .string(record.recordHash.hex)),
                         ("result_hash", .string(record.resultHash.hex)), ("deltas", .int(Int64(record.entries.count)))])
            })),
        ])
    }
}

extension DaemonStateStore {
    /// The store's paths without creating or sweeping anything (for readers).
    init(unchecked home: NodeHome) {
        self.home = home
    }
}
