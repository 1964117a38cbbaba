// VL shard exchange on a running node: announce the local inventory to ready peers,
// fetch what they have and this node lacks (one shard at a time, in synced windows,
// resuming a partial download after a restart), verify before publishing, keep within
// the disk quota; serve requested ranges within each peer's rate limit.
import CotrainCore
import Foundation

/// Shard exchange bookkeeping of a running node.
struct ShardExchangeState {
    /// Shards stored here, by hash (rescanned every second: `cotrain shards publish`
    /// may add some from another process).
    var local: [SHA256Digest: StoredShard] = [:]
    var scanned: ContinuousClock.Instant?
    var fetch: ShardFetch?
    /// Shards not to fetch again before the instant (corrupted, over quota).
    var refused: [SHA256Digest: ContinuousClock.Instant] = [:]
}

/// The download in progress.
struct ShardFetch {
    var peer: NodeID
    var partial: ShardStore.Partial
    /// Bytes written (the partial's offset is what is synced).
    var written: Int
    var requestedEnd: Int
    var lastActivity: ContinuousClock.Instant
}

extension NodeDaemon {
    func tickShards() {
        let now = ContinuousClock.now
        if shardState.scanned.map({ now - $0 > .seconds(1) }) ?? true {
            shardState.scanned = now
            let current = Dictionary(shards.list(key: identity.key.publicKey).map { ($0.manifest.hash, $0) }, uniquingKeysWith: { a, _ in a })
            if Set(current.keys) != Set(shardState.local.keys) {
                shardState.local = current
                for link in links.values where link.isReady { sendInventory(to: link) }
            }
        }
        if let fetch = shardState.fetch, now - fetch.lastActivity > .seconds(30) {
            log.warning("shard fetch stalled; will resume later", ["peer": fetch.peer.short, "offset": String(fetch.partial.offset)])
            shardState.fetch = nil
        }
        if shardState.fetch == nil { startFetch() }
    }

    func sendInventory(to link: PeerLink) {
        let manifests = shardState.local.values.map(\.manifest).sorted { $0.hash.hex < $1.hash.hex }
        link.send(.shardInventory(Array(manifests.prefix(options.connection.limits.maxInventoryShards))), log: log)
    }

    /// Picks the next shard to fetch: a partial download first, else a shard a ready
    /// peer offers that fits the quota.
    private func startFetch() {
        let now = ContinuousClock.now
        let ready = links.values.filter(\.isReady).sorted { $0.peer < $1.peer }
        let offers = ready.flatMap { link in
            link.inventory.filter { m in
                shardState.local[m.hash] == nil && !shards.contains(m.hash) && (shardState.refused[m.hash].map { now >= $0 } ?? true)
            }.map { (link, $0) }
        }
        guard !offers.isEmpty else { return }
        for partial in shards.partials() {
            let candidates = offers.filter { $0.1 == partial.manifest }
            guard let (link, _) = candidates.first(where: { $0.0.peer == partial.peer }) ?? candidates.first else { continue }
            log.info("resuming shard download", ["shard": String(partial.manifest.hash.hex.prefix(16)), "peer": link.peer.short,
                                                 "offset": String(partial.offset), "size": String(partial.manifest.size)])
            shardState.fetch = ShardFetch(peer: link.peer, partial: partial, written: partial.offset, requestedEnd: partial.offset,
                                          lastActivity: now)
            return requestNextRange(from: link)
        }
        let used = shards.usedBytes()
        for (link, manifest) in offers {
            guard used + Int64(manifest.size) <= options.shardDiskQuota else {
                log.warning("shard not fetched: over the disk quota", ["shard": String(manifest.hash.hex.prefix(16)),
                                                                        "size": String(manifest.size), "quota": String(options.shardDiskQuota)])
                shardState.refused[manifest.hash] = now + .seconds(60)
                continue
            }
            do {
                let partial = try shards.beginPartial(manifest, from: link.peer)
                log.info("fetching shard", ["shard": String(manifest.hash.hex.prefix(16)), "peer": link.peer.short,
                                            "size": String(manifest.size), "source": manifest.source, "licence": manifest.licence])
                shardState.fetch = ShardFetch(peer: link.peer, partial: partial, written: 0, requestedEnd: 0, lastActivity: now)
                return requestNextRange(from: link)
            } catch {
                return log.error("cannot start a shard download", ["reason": "\(error)"])
            }
        }
    }

    private func requestNextRange(from link: PeerLink) {
        guard var fetch = shardState.fetch else { return }
        let size = fetch.partial.manifest.size
        fetch.requestedEnd = min(size, fetch.written + options.shardRequestBytes)
        shardState.fetch = fetch
        let request = WireMessage.ShardRequest(hash: fetch.partial.manifest.hash, offset: fetch.written, length: fetch.requestedEnd - fetch.written)
        if !link.send(.shardRequest(request), log: log) { shardState.fetch = nil }
    }

    func shardChunk(_ chunk: WireMessage.Chunk, on link: PeerLink) {
        guard var fetch = shardState.fetch, fetch.peer == link.peer, chunk.hash == fetch.partial.manifest.hash else { return }
        let hash = chunk.hash
        guard chunk.offset == UInt64(fetch.written), fetch.written + chunk.bytes.count <= fetch.requestedEnd else {
            log.warning("shard chunk out of order; resuming later from the last synced byte", ["peer": link.peer.short])
            shardState.fetch = nil
            return
        }
        do {
            try shards.writePartial(hash, bytes: chunk.bytes, at: fetch.written)
            fetch.written += chunk.bytes.count
            fetch.lastActivity = .now
            guard fetch.written == fetch.requestedEnd else {
                shardState.fetch = fetch
                return
            }
            fetch.partial.offset = fetch.written
            try shards.syncPartial(fetch.partial)
            shardState.fetch = fetch
            guard fetch.written == fetch.partial.manifest.size else { return requestNextRange(from: link) }
            shardState.fetch = nil
            let stored = try shards.completePartial(fetch.partial, key: identity.key)
            shardState.local[hash] = stored
            log.info("shard stored", ["shard": String(hash.hex.prefix(16)), "peer": link.peer.short, "size": String(stored.manifest.size)])
            for other in links.values where other.isReady { sendInventory(to: other) }
        } catch {
            shardState.fetch = nil
            shardState.refused[hash] = .now + .seconds(600)
            log.warning("shard refused", ["shard": String(hash.hex.prefix(16)), "peer": link.peer.short, "reason": "\(error)"])
        }
    }

    /// Serves a range of a stored shard, paced by the peer's rate limit.
    func serveShard(_ request: WireMessage.ShardRequest, on link: PeerLink) {
        guard let stored = shardState.local[request.hash], request.offset + request.length <= stored.manifest.size else {
            return log.info("shard request refused: not stored here or out of range",
                            ["peer": link.peer.short, "shard": String(request.hash.hex.prefix(16))])
        }
        let store = shards, hash = request.hash
        link.cancelBulk(hash)
        link.send(OutgoingObject(head: nil, hash: hash, offset: request.offset, end: request.offset + request.length,
                                 read: { try store.read(hash, offset: $0, count: $1) }, wrap: { .shardChunk($0) }, isBulk: true),
                  queue: queue, options: options, log: log)
    }
}
