// Rounds on a running node: start one when enough peers are ready, train off the
// queue, send this node's deltas, take in peers' deltas chunk by chunk, and close at
// completion or the deadline.
import CotrainCore
import Foundation

extension NodeDaemon {
    /// Starts the current round if the node is idle, enough peers are ready, no peer
    /// is known to be ahead, and the last round (if any) is not done.
    func maybeStartRound() {
        guard !stopping, case .idle = driver.phase else { return }
        if let last = options.lastRound, driver.round > last { return finishRounds() }
        if let retry = trainingRetry, ContinuousClock.now < retry { return }
        guard links.values.filter(\.isReady).count >= options.minPeers else { return }
        guard !isBehind else { return evaluateClaims() }  // catch up (or skip failed rounds) first
        let (base, round, baseHash) = (driver.model, driver.round, driver.baseHash)
        let federated = config.embodiments.filter { e in registry.peers.contains { $0.embodiment == e } }
        let trainer = self.trainer, codec = options.codec, key = identity.key
        driver.beginTraining()
        log.info("round started", ["round": String(round), "base": String(baseHash.hex.prefix(16)),
                                   "peers": String(links.values.filter(\.isReady).count)])
        trainerQueue.async { [weak self] in
            let result = Result {
                try RoundDriver.train(base: base, round: round, baseHash: baseHash, trainer: trainer, codec: codec,
                                      federated: federated, key: key)
            }
            guard let self else { return }
            queue.async { self.trained(result, round: round, baseHash: baseHash) }
        }
    }

    private func trained(_ result: Result<(trained: ParameterSet, own: [OwnDelta]), any Error>, round: Int, baseHash: SHA256Digest) {
        guard !stopping, case .training = driver.phase, driver.round == round, driver.baseHash == baseHash else {
            log.debug("training result discarded: the round moved on", ["round": String(round)])
            return
        }
        switch result {
        case let .success((trained, own)):
            trainingRetry = nil
            reopen(own: own, trained: trained)
        case let .failure(error):
            driver.abandonTraining()
            trainingRetry = .now + .seconds(10)
            log.error("local training failed; retrying in 10 s", ["round": String(round), "reason": "\(error)"])
        }
    }

    /// Opens the current round with this node's deltas and sends them.
    func reopen(own: [OwnDelta], trained: ParameterSet) {
        let deadline = Date() + ConnectionStateMachine.seconds(options.deadline)
        do {
            let participants = Set(registry.peers.map(\.nodeID))
            let outcomes = try driver.open(own: own, trained: trained, participants: participants, deadline: deadline, now: Date())
            ownAcked = []
            ownSent = [:]
            let size = own.reduce(0) { $0 + $1.bytes.count }
            log.info("delta ready", ["round": String(driver.round), "bytes": String(size), "codec": options.codec.description,
                                     "participants": String(participants.count + 1)])
            for (delta, outcome) in outcomes { report(outcome, for: delta, link: links[delta.sender]) }
        } catch {
            log.error("cannot open the round", ["round": String(driver.round), "reason": "\(error)"])
            driver.abandonTraining()
            trainingRetry = .now + .seconds(10)
            return
        }
        for link in links.values where link.isReady { sendOwnDeltas(to: link) }
        checkClose()
    }

    /// Sends this node's deltas of the open round to `link` (the embodiment ones only
    /// to a peer of that embodiment).
    func sendOwnDeltas(to link: PeerLink) {
        guard case .open = driver.phase, link.isReady else { return }
        let embodiment = registry.peer(link.peer)?.embodiment
        for delta in driver.own where delta.embodiment == nil || delta.embodiment == embodiment {
            let bytes = delta.bytes
            guard let hash = try? SHA256.hash(bytes) else { continue }
            let header = delta.signed.header
            let offer = WireMessage.DeltaOffer(round: header.round, base: header.baseHash, delta: hash, size: bytes.count,
                                               signature: delta.signed.signature,
                                               metadata: delta.embodiment.map { ["embodiment": $0] } ?? [:])
            link.send(OutgoingObject(head: .deltaOffer(offer), hash: hash, offset: 0, end: bytes.count,
                                     read: { Array(bytes[$0..<($0 + $1)]) }, wrap: { .deltaChunk($0) }, isBulk: false),
                      queue: queue, options: options, log: log)
        }
        ownSent[link.peer] = .now
    }

    func deltaOffer(_ offer: WireMessage.DeltaOffer, on link: PeerLink) {
        noteClaim(link.peer, round: offer.round, base: offer.base)
        if offer.round == driver.round, !ownAcked.contains(link.peer), let sent = ownSent[link.peer], ContinuousClock.now - sent > .seconds(2) {
            sendOwnDeltas(to: link)  // the peer reached our round without our delta: send it again
        }
        func refuse(_ why: String) {
            log.info("delta offer refused: \(why)", ["peer": link.peer.short, "round": String(offer.round)])
            link.send(.deltaAck(.init(delta: offer.delta, accepted: false, reason: why)), log: log)
        }
        if offer.round < driver.round {
            let why = driver.replay.closedThrough.map { offer.round <= $0 } == true
                ? "round \(offer.round) is closed (replayed or late delta)" : "round \(offer.round) is over here (round \(driver.round))"
            log.info("late delta dropped: \(why)", ["peer": link.peer.short, "round": String(offer.round)])
            link.send(.deltaAck(.init(delta: offer.delta, accepted: false, reason: why)), log: log)
            return
        }
        // No delta of this model can be larger than its float32 values plus headers.
        let cap = min(options.maxDeltaBytes, 4 * driver.model.elementCount + (1 << 20))
        guard offer.size <= cap else { return refuse("\(offer.size) bytes is over the \(cap)-byte limit for this model") }
        guard link.incoming[offer.delta] == nil else { return }
        guard link.incoming.count < 8 else { return refuse("too many deltas in flight from this peer") }
        link.incoming[offer.delta] = (offer, ChunkAssembly(hash: offer.delta, size: offer.size))
    }

    func deltaChunk(_ chunk: WireMessage.Chunk, on link: PeerLink) {
        guard var entry = link.incoming[chunk.hash] else { return }  // refused or unknown: ignored
        do {
            try entry.assembly.add(offset: chunk.offset, chunk.bytes)
        } catch {
            link.incoming[chunk.hash] = nil
            log.warning("delta transfer refused", ["peer": link.peer.short, "reason": error.description])
            link.send(.deltaAck(.init(delta: chunk.hash, accepted: false, reason: error.description)), log: log)
            return
        }
        guard entry.assembly.isComplete else {
            link.incoming[chunk.hash] = entry
            return
        }
        link.incoming[chunk.hash] = nil
        let offer = entry.offer
        let signed: SignedDelta
        do {
            let bytes = try entry.assembly.verified()
            signed = try SignedDelta(serialized: bytes, maxPayloadBytes: options.maxDeltaBytes)
            guard signed.signature == offer.signature, signed.header.round == offer.round, signed.header.baseHash == offer.base else {
                throw AssemblyError("the delta does not match its offer (round, base or signature)")
            }
            let delta = PendingDelta(sender: link.peer, signed: signed, bytes: bytes)
            report(driver.receive(delta, now: Date()), for: delta, link: link)
        } catch {
            log.warning("delta rejected", ["peer": link.peer.short, "round": String(offer.round), "reason": "\(error)"])
            link.send(.deltaAck(.init(delta: offer.delta, accepted: false, reason: "\(error)")), log: log)
        }
        checkClose()
    }

    /// Logs what happened to a delta and tells its sender.
    func report(_ outcome: DeltaOutcome, for delta: PendingDelta, link: PeerLink?) {
        let hash = (try? SHA256.hash(delta.bytes)) ?? delta.signed.deltaHash
        let fields: KeyValuePairs<String, String> = ["peer": delta.sender.short, "round": String(delta.signed.header.round),
                                                     "embodiment": delta.signed.header.embodiment ?? "-"]
        var reply: (Bool, String)?
        switch outcome {
        case .accepted:
            log.info("delta accepted", fields)
            reply = (true, "")
        case .duplicate:
            reply = (true, "already received")
        case let .deferred(why):
            log.info("delta kept for later: \(why)", fields)
            if delta.signed.header.round == driver.round { evaluateClaims() }
        case let .late(why):
            log.info("late delta dropped: \(why)", fields)
            reply = (false, why)
        case let .rejected(error):
            log.warning("delta rejected: \(error.description)", fields)
            reply = (false, error.description)
        }
        if let (accepted, reason) = reply, let link, link.connection.isOpen {
            link.send(.deltaAck(.init(delta: hash, accepted: accepted, reason: String(reason.prefix(1000)))), log: log)
        }
    }

    func deltaAck(_ ack: WireMessage.DeltaAck, on link: PeerLink) {
        let ours = driver.own.contains { (try? SHA256.hash($0.bytes)) == ack.delta }
        guard ours else { return }
        if ack.accepted {
            ownAcked.insert(link.peer)
        } else {
            log.info("peer refused our delta", ["peer": link.peer.short, "reason": ack.reason])
        }
    }

    /// Closes the open round when it is complete or past its deadline.
    func checkClose() {
        do {
            guard let outcome = try driver.closeIfDue(now: Date()) else { return }
            switch outcome {
            case let .committed(record, included):
                log.info("round closed", ["round": String(record.round), "deltas": String(included),
                                          "result": String(record.resultHash.hex.prefix(16)), "record": String(record.recordHash.hex.prefix(16))])
            case let .failed(have, needed):
                log.warning("round failed: no quorum at the deadline; the base stays",
                            ["round": String(driver.round - 1), "deltas": String(have), "needed": String(needed)])
            }
            updateHello()
            evaluateClaims()
            maybeStartRound()
        } catch {
            log.error("cannot close the round; stopping rounds", ["round": String(driver.round), "reason": "\(error)"])
            driver.abandonTraining()
            trainingRetry = .now + .seconds(3600)
        }
    }

    /// Forgets transfers with a peer that disconnected or was removed.
    func peerGone(_ id: NodeID) {
        if catchup?.peer == id { catchup = nil }
        if shardState.fetch?.peer == id { shardState.fetch = nil }
        peerHeads[id] = nil
    }
}
