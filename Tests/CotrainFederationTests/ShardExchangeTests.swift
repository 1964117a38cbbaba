import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

/// VL shard exchange between running nodes: fetched in synced ranges, resumed after a
/// restart, verified before it is published, within the disk quota.
@Suite(.serialized) struct ShardExchangeTests {
    /// Publishes `bytes` on `node` as `cotrain shards publish` does (from outside the daemon).
    func publish(_ bytes: [UInt8], on node: DaemonNode, source: String = "test scenes") throws -> StoredShard {
        let store = try ShardStore(root: "\(node.home.stateDirectory)/shards")
        return try store.publish(bytes, samples: 3, source: source, licence: "CC-BY-4.0", key: try node.home.loadIdentity().key,
                                 quota: 1 << 30)
    }

    func store(_ node: DaemonNode) throws -> ShardStore { try ShardStore(root: "\(node.home.stateDirectory)/shards") }

    @Test func anInterruptedDownloadResumesFromItsSyncedOffsetAfterARestart() throws {
        let cluster = DaemonCluster()
        let a = try cluster.add("a", embodiment: "ur5e"), b = try cluster.add("b", embodiment: "panda")
        let bytes = try SecureRandom.bytes(count: 2_000_000)
        let shard = try publish(bytes, on: a)
        try a.start { $0.lastRound = 0; $0.shardBytesPerSecond = 400_000 }
        let slowFetch: (inout DaemonOptions) -> Void = { $0.lastRound = 0; $0.shardRequestBytes = 128 << 10 }
        try b.start(slowFetch)
        try cluster.link(b, to: a)
        try cluster.waitUntil("b has synced part of the shard") { (try store(b).partial(shard.manifest.hash)?.offset ?? 0) >= 256 << 10 }
        b.stop()
        let partial = try #require(try store(b).partial(shard.manifest.hash))
        #expect(partial.offset > 0 && partial.offset < bytes.count && partial.peer == a.id)
        #expect(!(try store(b).contains(shard.manifest.hash)))

        try b.start(slowFetch)
        try cluster.waitUntil("b holds the whole shard") { try store(b).contains(shard.manifest.hash) }
        #expect(try store(b).read(shard.manifest.hash, offset: 0, count: bytes.count) == bytes)
        let listed = try #require(try store(b).list(key: try b.home.loadIdentity().key.publicKey).first)
        #expect(listed.manifest == shard.manifest && listed.origin == a.id)
        #expect(try b.logged { entry in
            entry["message"]?.string == "resuming shard download" && (Int(entry["fields"]?["offset"]?.string ?? "") ?? 0) > 0
        })
        #expect(try store(b).partials().isEmpty)
    }

    @Test func aCorruptedShardIsRefusedAndTheQuotaIsKept() throws {
        let cluster = DaemonCluster()
        let a = try cluster.add("a", embodiment: "ur5e"), b = try cluster.add("b", embodiment: "panda", quota: 150_000)
        let corrupted = try publish(try SecureRandom.bytes(count: 100_000), on: a, source: "flipped on disk")
        let large = try publish(try SecureRandom.bytes(count: 200_000), on: a, source: "too large for b")
        let path = try store(a).blobs.path(for: corrupted.manifest.hash)
        var onDisk = try readFile(path, limit: 1 << 20)
        onDisk[500] ^= 0x40  // a's disk (or a's operator) now serves other bytes under the same hash
        try AtomicFile.write(onDisk, to: path)
        try a.start { $0.lastRound = 0 }
        try b.start { $0.lastRound = 0 }
        try cluster.link(b, to: a)
        try cluster.waitUntil("b refused both") {
            try b.logged { $0["message"]?.string == "shard refused" && ($0["fields"]?["reason"]?.string ?? "").contains("refused: its bytes hash to") }
                && b.logged { $0["message"]?.string == "shard not fetched: over the disk quota" }
        }
        let fetched = try store(b)
        #expect(!fetched.contains(corrupted.manifest.hash) && !fetched.contains(large.manifest.hash))
        #expect(fetched.partials().isEmpty && fetched.usedBytes() == 0)
    }
}
