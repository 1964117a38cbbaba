// Where a running node keeps its round state on disk, and the order it writes it in,
// so that a kill -9 at any moment leaves a state the node resumes from:
//
//   state/model/base.safetensors   the current round base (shared + embodiment tensors)
//   state/model/next.safetensors   the next base while a round commits
//   state/model/trained.safetensors this round's locally trained checkpoint
//   state/round.json               the current round number
//   state/round-journal.jsonl      the hash-chained journal (RoundJournal)
//   state/replay-guard.json        closed rounds and delta hashes seen this round
//   state/deltas/                  this round's deltas: own (to resend) and received
//
// A round commits as: write next (atomic) → append the journal record (fsync) →
// rename next over base. On start, a `next` whose shared hash is the journal's last
// result finishes the rename; any other `next` is a commit that never happened.
import CotrainCore
import Foundation

/// The daemon's files in a node home's `state/` directory.
struct DaemonStateStore: Sendable {
    let home: NodeHome
    var modelDirectory: String { "\(home.stateDirectory)/model" }
    var basePath: String { "\(modelDirectory)/base.safetensors" }
    var nextPath: String { "\(modelDirectory)/next.safetensors" }
    var trainedPath: String { "\(modelDirectory)/trained.safetensors" }
    var roundPath: String { "\(home.stateDirectory)/round.json" }
    var replayPath: String { "\(home.stateDirectory)/replay-guard.json" }
    var deltasDirectory: String { "\(home.stateDirectory)/deltas" }
    var shardsDirectory: String { "\(home.stateDirectory)/shards" }

    /// The store of `home`; creates its directories and sweeps interrupted writes.
    init(home: NodeHome) throws {
        self.home = home
        for directory in [modelDirectory, deltasDirectory] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", directory, code: errno) }
            AtomicFile.sweepTemporaries(in: directory)
        }
        AtomicFile.sweepTemporaries(in: home.stateDirectory)
    }

    // MARK: model

    /// The current base, after finishing or discarding an interrupted commit.
    /// `journalResult` is the last journal record's result hash (nil: empty journal).
    func loadModel(journalResult: SHA256Digest?) throws -> ParameterSet? {
        let base = exists(basePath) ? try ParameterSet.load(path: basePath) : nil
        if exists(nextPath) {
            let next = try? ParameterSet.load(path: nextPath)
            if let next, let journalResult, next.sharedBaseHash == journalResult, base?.sharedBaseHash != journalResult {
                try sysCall("rename", nextPath) { rename(nextPath, basePath) }
                try AtomicFile.syncDirectory(modelDirectory)
                return next
            }
            unlink(nextPath)
        }
        return base
    }

    /// Writes the first base (no journal record goes with it).
    func saveInitialModel(_ model: ParameterSet) throws {
        try model.save(path: basePath, metadata: ["format": "cotrain-checkpoint/1"])
    }

    /// Commits a new base: `next`, then `journalUpdate` (which must make the record
    /// durable), then the rename that makes it the base.
    func commitModel(_ model: ParameterSet, journalUpdate: () throws -> Void) throws {
        try model.save(path: nextPath, metadata: ["format": "cotrain-checkpoint/1"])
        try journalUpdate()
        try sysCall("rename", nextPath) { rename(nextPath, basePath) }
        try AtomicFile.syncDirectory(modelDirectory)
    }

    /// Keeps the open round's trained checkpoint, so a restart reopens the round
    /// without training again.
    func saveTrained(_ model: ParameterSet, round: Int) throws {
        try model.save(path: trainedPath, metadata: ["format": "cotrain-checkpoint/1", "round": String(round)])
    }

    /// The trained checkpoint of `round`, if one was kept with this schema.
    func loadTrained(round: Int, schema: ParameterSchema) throws -> ParameterSet? {
        guard exists(trainedPath), let file = try? SafetensorsFile.open(path: trainedPath),
            file.metadata["round"] == String(round), let model = try? ParameterSet(safetensors: file), model.schema == schema
        else { return nil }
        return model
    }

    // MARK: round number and replay guard

    /// The stored current round, if any.
    func loadRound() throws -> Int? {
        guard exists(roundPath) else { return nil }
        var object = try ConfigObject.parse(readFile(roundPath, limit: 4096), source: roundPath)
        let round = try object.int("round", in: 0...WireProtocol.maxInteger)
        try object.finish()
        return round
    }

    func saveRound(_ round: Int) throws {
        try AtomicFile.write(JSONValue.object([("round", .int(Int64(round)))]).canonicalBytes, to: roundPath, mode: 0o600)
    }

    func loadReplayGuard() throws -> DeltaReplayGuard {
        guard exists(replayPath) else { return DeltaReplayGuard() }
        let value = try JSONValue.parse(readFile(replayPath, limit: 16 << 20))
        guard let seen = value["seen"]?.array else { throw DaemonError.inconsistentState("\(replayPath) has no 'seen' list") }
        var hashes = Set<SHA256Digest>()
        for item in seen {
            guard let hex = item.string, let digest = try? SHA256Digest(hex: hex) else {
                throw DaemonError.inconsistentState("\(replayPath) holds a malformed hash")
            }
            hashes.insert(digest)
        }
        return DeltaReplayGuard(closedThrough: value["closed_through"]?.int, seen: hashes)
    }

    func saveReplayGuard(_ replay: DeltaReplayGuard) throws {
        let seen = replay.seen.map(\.hex).sorted().map { JSONValue.string($0) }
        let json = JSONValue.object([
            ("closed_through", replay.closedThrough.map { .int(Int64($0)) } ?? .null), ("seen", .array(seen)),
        ])
        try AtomicFile.write(json.canonicalBytes, to: replayPath, mode: 0o600)
    }

    // MARK: deltas of the current round

    /// A stored delta: the node's own (to resend after a restart) or a peer's (verified
    /// again when loaded).
    struct StoredDelta {
        var own: Bool
        var round: Int
        var bytes: [UInt8]
    }

    /// Keeps a delta envelope of `round` durably.
    func saveDelta(_ bytes: [UInt8], round: Int, own: Bool) throws {
        let hash = try SHA256.hash(bytes)
        try AtomicFile.write(bytes, to: "\(deltasDirectory)/\(own ? "own" : "in")-\(round)-\(hash.hex).delta", mode: 0o600)
    }

    /// Every stored delta of round `round` or later.
    func loadDeltas(from round: Int, limit: Int) throws -> [StoredDelta] {
        var result: [StoredDelta] = []
        for name in try directoryEntries(deltasDirectory).sorted() where name.hasSuffix(".delta") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let r = Int(parts[1]), r >= round else { continue }
            guard let bytes = try? readFile("\(deltasDirectory)/\(name)", limit: limit) else { continue }
            result.append(StoredDelta(own: parts[0] == "own", round: r, bytes: bytes))
        }
        return result
    }

    /// Removes stored deltas of rounds before `round`.
    func pruneDeltas(before round: Int) {
        for name in (try? directoryEntries(deltasDirectory)) ?? [] where name.hasSuffix(".delta") {
            let parts = name.split(separator: "-")
            if parts.count == 3, let r = Int(parts[1]), r < round { unlink("\(deltasDirectory)/\(name)") }
        }
    }

    private func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
