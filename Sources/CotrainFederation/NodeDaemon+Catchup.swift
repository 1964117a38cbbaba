// Catching up: a node that learns (from a hello or a delta offer) that a peer is in a
// later round, or in the same round on another base, asks that peer for its journal
// from its own last record on. The peer answers with the records and its current
// `shared.*` checkpoint; the node adopts them only if the chain verifies, extends or
// out-forks its own journal (CatchupPlan), and the checkpoint hashes to the last
// record's result.
import CotrainCore
import Foundation

/// A catch-up this node asked a peer for.
struct CatchupTransfer {
    let peer: NodeID
    /// When the request went out or the last chunk came in.
    var activity: ContinuousClock.Instant
    var plan: CatchupPlan?
    var assembly: ChunkAssembly?
}

extension NodeDaemon {
    /// Records the latest round and base a peer reported (it may go back: a peer that
    /// adopted a fork's winner restarts a round).
    func noteClaim(_ peer: NodeID, round: Int, base: SHA256Digest) {
        claims[peer] = (round, base)
    }

    /// Whether a ready peer's latest claim says this node is behind.
    var isBehind: Bool {
        claims.contains { links[$0.key]?.isReady == true && $0.value.round > driver.round }
    }

    /// Acts on peers' claims: skips rounds a peer failed with our base, or asks a peer
    /// that is ahead of us (or on another base in our round) for its journal. A claim
    /// that a catch-up settled is not asked about again; a failed ask is retried after
    /// a few seconds.
    func evaluateClaims() {
        guard !stopping, catchup == nil else { return }
        let idle: Bool
        if case .idle = driver.phase { idle = true } else { idle = false }
        let now = ContinuousClock.now
        for (peer, claim) in claims.sorted(by: { $0.value.round > $1.value.round }) {
            guard let link = links[peer], link.isReady else { continue }
            let mine = driver.round
            if claim.round > mine && claim.base == driver.baseHash {
                guard idle else { continue }
                do {
                    try driver.skip(to: claim.round)
                    log.info("skipping rounds the peers failed", ["peer": peer.short, "round": String(claim.round)])
                    updateHello()
                } catch {
                    log.error("cannot skip rounds", ["reason": "\(error)"])
                }
                continue
            }
            let behind = claim.round > mine + 1 || (claim.round > mine && idle)
            let forked = claim.round == mine && claim.base != driver.baseHash
            guard behind || forked else { continue }
            if let settled = catchupSettled[peer], settled.round == claim.round, settled.base == claim.base { continue }
            if let asked = catchupAsked[peer], now - asked < .seconds(5) { continue }
            catchupAsked[peer] = now
            log.info(behind ? "peer is ahead: catching up" : "peer is on another base in this round: comparing journals",
                     ["peer": peer.short, "peer_round": String(claim.round), "round": String(mine)])
            return requestCatchup(from: link)
        }
    }

    /// The catch-up with `peer` ended without adopting anything: don't ask about the
    /// same claim again.
    func settleCatchup(_ peer: NodeID) {
        catchup = nil
        if let claim = claims[peer] { catchupSettled[peer] = claim }
    }

    /// Asks `link`'s peer for its records from this node's last record on.
    func requestCatchup(from link: PeerLink) {
        guard catchup == nil, link.isReady else { return }
        let from = driver.journal.records.last?.round ?? 0
        if link.send(.catchupRequest(fromRound: from), log: log) {
            catchup = CatchupTransfer(peer: link.peer, activity: .now)
        }
    }

    /// After the last round: compare journals with each ready peer (every 2 s at most,
    /// least recently asked first) while their heads differ, or while the peer may
    /// still close a round we lack (its claim is ahead of our last record, for two
    /// deadlines after we finished). So a node that closed a last round with fewer
    /// deltas, or failed it, adopts the winning record. Peers that keep running rounds
    /// settle this through their deltas instead.
    func finishRounds() {
        guard catchup == nil else { return }
        let now = ContinuousClock.now
        let finished = roundsFinishedAt ?? now
        roundsFinishedAt = finished
        let head = driver.journal.headHash, lastRecord = driver.journal.records.last?.round ?? 0
        let grace = finished + options.deadline * 2 + .seconds(5)
        let due = links.values.filter { link in
            guard link.isReady else { return false }
            let differs = peerHeads[link.peer] != head
            let mayAdvance = (claims[link.peer]?.round ?? 0) > lastRecord && now < grace
            return (differs || mayAdvance) && (finalAsked[link.peer].map { now - $0 >= .seconds(2) } ?? true)
        }
        guard let link = due.min(by: { (finalAsked[$0.peer] ?? finished - .seconds(3600)) < (finalAsked[$1.peer] ?? finished - .seconds(3600)) })
        else { return }
        finalAsked[link.peer] = now
        log.debug("final journal comparison", ["peer": link.peer.short])
        requestCatchup(from: link)
    }

    /// Abandons a catch-up that took too long.
    func checkCatchup() {
        guard let transfer = catchup, ContinuousClock.now - transfer.activity > options.catchupTimeout else { return }
        log.warning("catch-up timed out", ["peer": transfer.peer.short])
        catchup = nil
    }

    /// Answers a peer's catch-up request with our records from `from` on (or our last
    /// record when there is nothing newer) and our current `shared.*` checkpoint.
    func serveCatchup(from: Int, on link: PeerLink) {
        let records = driver.journal.records
        var selected = records.filter { $0.round >= from }
        if selected.isEmpty, let last = records.last { selected = [last] }  // the response always ends with our head
        let checkpoint = driver.model.filtered(prefixes: [ParameterScope.sharedPrefix])
        let bytes: [UInt8], hash: SHA256Digest
        do {
            bytes = try checkpoint.safetensorsWriter(metadata: ["format": "cotrain-checkpoint/1", "round": String(driver.round)]).bytes()
            hash = try SHA256.hash(bytes)
        } catch {
            return log.error("cannot serialise the checkpoint", ["reason": "\(error)"])
        }
        selected = Array(selected.suffix(options.connection.limits.maxCatchupRecords))
        var response = WireMessage.CatchupResponse(records: selected.map(\.line), checkpoint: hash, checkpointSize: bytes.count)
        while (try? WireMessage.catchupResponse(response).encodedFrame(limits: options.connection.limits)) == nil, selected.count > 1 {
            selected = Array(selected.suffix(selected.count / 2))  // keep the newest that fit in a frame
            response.records = selected.map(\.line)
        }
        log.info("serving catch-up", ["peer": link.peer.short, "records": String(selected.count), "bytes": String(bytes.count)])
        link.send(OutgoingObject(head: .catchupResponse(response), hash: hash, offset: 0, end: bytes.count,
                                 read: { Array(bytes[$0..<($0 + $1)]) }, wrap: { .blobChunk($0) }, isBulk: false),
                  queue: queue, options: options, log: log)
    }

    func catchupResponse(_ response: WireMessage.CatchupResponse, on link: PeerLink) {
        guard var transfer = catchup, transfer.peer == link.peer, transfer.plan == nil else { return }
        do {
            var records: [RoundRecord] = []
            for (index, line) in response.records.enumerated() { records.append(try RoundRecord(line: line, number: index + 1)) }
            peerHeads[link.peer] = records.last?.recordHash ?? RoundRecord.genesis
            let plan = try CatchupPlan.plan(local: driver.journal.records, remote: records)
            switch plan {
            case .upToDate:
                settleCatchup(link.peer)
                return log.debug("catch-up: the peer has nothing new", ["peer": link.peer.short])
            case let .keepLocal(round):
                settleCatchup(link.peer)
                return log.info("journals forked; this node's record wins the fork rule", ["peer": link.peer.short, "round": String(round)])
            case .extend, .replace:
                break
            }
            guard response.checkpointSize <= options.maxCheckpointBytes else {
                throw DaemonError.badModel("the checkpoint of \(response.checkpointSize) bytes is over the \(options.maxCheckpointBytes)-byte limit")
            }
            transfer.plan = plan
            transfer.assembly = ChunkAssembly(hash: response.checkpoint, size: response.checkpointSize)
            catchup = transfer
        } catch {
            catchup = nil
            log.warning("catch-up refused", ["peer": link.peer.short, "reason": "\(error)"])
        }
    }

    func blobChunk(_ chunk: WireMessage.Chunk, on link: PeerLink) {
        guard let transfer = catchup, transfer.peer == link.peer, var assembly = transfer.assembly, let plan = transfer.plan,
            assembly.hash == chunk.hash
        else { return }
        do {
            try assembly.add(offset: chunk.offset, chunk.bytes)
            guard assembly.isComplete else {
                catchup?.assembly = assembly
                catchup?.activity = .now
                return
            }
            catchup = nil
            let checkpoint = try ParameterSet(safetensors: SafetensorsFile(bytes: assembly.verified()))
            try driver.adopt(plan, checkpoint: checkpoint)
            log.info("caught up", ["peer": link.peer.short, "rounds": String(plan.adopted.count), "round": String(driver.round),
                                   "base": String(driver.baseHash.hex.prefix(16))])
            updateHello()
            evaluateClaims()
            maybeStartRound()
        } catch {
            catchup = nil
            log.warning("catch-up refused", ["peer": link.peer.short, "reason": "\(error)"])
        }
    }
}
