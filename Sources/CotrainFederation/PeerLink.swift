// The daemon's view of one approved peer's live connection: whether the peer has
// confirmed it approves this node (so delta and shard traffic may start), the objects
// being sent to it in chunks, and the objects arriving from it.
import CotrainCore
import Dispatch
import Foundation

/// An object sent as chunks: a delta, a catch-up checkpoint or a shard range.
struct OutgoingObject {
    /// Sent just before the first chunk (an offer or a response), if any.
    var head: WireMessage?
    /// The object's hash (carried by each chunk).
    var hash: SHA256Digest
    /// First byte to send and the end of the range.
    var offset: Int
    var end: Int
    /// Reads `count` bytes at an offset.
    var read: (Int, Int) throws -> [UInt8]
    /// Wraps a chunk in its message type.
    var wrap: (WireMessage.Chunk) -> WireMessage
    /// Counts against the peer's shard rate limit.
    var isBulk: Bool
}

/// One approved peer's connection, used only on the daemon's queue.
final class PeerLink: @unchecked Sendable {
    let peer: NodeID
    let connection: Connection
    let hello: WireMessage.Hello
    /// The peer told us (joinStatus approved) that it approves this node.
    var peerApproves = false
    /// Deltas arriving: offer and bytes so far, by delta hash.
    var incoming: [SHA256Digest: (offer: WireMessage.DeltaOffer, assembly: ChunkAssembly)] = [:]
    /// The peer's latest shard inventory.
    var inventory: [WireMessage.ShardManifest] = []
    private var priority: [OutgoingObject] = []
    private var bulk: [OutgoingObject] = []
    private var inFlight = 0
    /// Shard bytes this peer may be sent now (token bucket).
    private var tokens: Double = 0
    private var refilled = ContinuousClock.now

    init(peer: NodeID, connection: Connection, hello: WireMessage.Hello) {
        self.peer = peer
        self.connection = connection
        self.hello = hello
    }

    /// Both sides approve each other: deltas, shards and catch-up may flow.
    var isReady: Bool { peerApproves && connection.isOpen }

    /// Queues a small message; false if the connection refused it.
    @discardableResult
    func send(_ message: WireMessage, log: Logger) -> Bool {
        do {
            try connection.enqueue(message)
            return true
        } catch {
            log.warning("cannot send to peer", ["peer": peer.short, "message": "\(message.type)", "reason": error.description])
            return false
        }
    }

    /// Queues an object for chunked sending (deltas and checkpoints before shards).
    func send(_ object: OutgoingObject, queue: DispatchQueue, options: DaemonOptions, log: Logger) {
        if object.isBulk { bulk.append(object) } else { priority.append(object) }
        pump(queue: queue, options: options, log: log)
    }

    /// Drops queued shard ranges of `hash` (e.g. the peer asked again from elsewhere).
    func cancelBulk(_ hash: SHA256Digest) {
        bulk.removeAll { $0.hash == hash }
    }

    /// Sends chunks while less than a window is queued on the connection; shards only
    /// as the rate limit allows. Called again as chunks are written and on every tick.
    func pump(queue: DispatchQueue, options: DaemonOptions, log: Logger) {
        let now = ContinuousClock.now
        let rate = Double(options.shardBytesPerSecond)
        tokens = min(rate, tokens + rate * ConnectionStateMachine.seconds(now - refilled))
        refilled = now
        let window = 4 << 20, chunkBytes = options.connection.limits.maxChunkBytes
        while inFlight < window {
            let useBulk: Bool
            if !priority.isEmpty { useBulk = false } else if !bulk.isEmpty && tokens > 0 { useBulk = true } else { return }
            var object = useBulk ? bulk[0] : priority[0]
            if let head = object.head {
                guard send(head, log: log) else { return abandon() }
                object.head = nil
            }
            let count = min(chunkBytes, object.end - object.offset)
            do {
                let bytes = try object.read(object.offset, count)
                let sent = count
                try connection.enqueue(object.wrap(.init(hash: object.hash, offset: UInt64(object.offset), bytes: bytes))) { [self] _ in
                    queue.async { [self] in
                        inFlight -= sent
                        pump(queue: queue, options: options, log: log)
                    }
                }
            } catch {
                log.warning("cannot send to peer", ["peer": peer.short, "reason": "\(error)"])
                return abandon()
            }
            inFlight += count
            if useBulk { tokens -= Double(count) }
            object.offset += count
            let done = object.offset >= object.end
            if useBulk {
                if done { bulk.removeFirst() } else { bulk[0] = object }
            } else {
                if done { priority.removeFirst() } else { priority[0] = object }
            }
        }
    }

    /// The connection failed: nothing more can be sent on it.
    private func abandon() {
        priority = []
        bulk = []
    }
}
