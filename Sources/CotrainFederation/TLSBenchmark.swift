// Figures for `cotrain bench federation`: how fast the transport moves chunks over TLS
// on loopback, and how long a full connection set-up takes. Both use the real code
// paths (Listener, Dialer, framing, state machine) with two fresh identities.
import CotrainCore
import Dispatch
import Synchronization

/// Loopback measurements of the TLS transport.
public enum TLSBenchmark {
    /// What one run measured. MB = 10^6 bytes.
    public struct Report: Sendable {
        /// Payload bytes moved per second, in MB/s.
        public var throughputMBps: Double
        /// Payload moved, in MB.
        public var transferredMB: Double
        /// Payload bytes per chunk frame.
        public var chunkBytes: Int
        /// Mean time of a dial: TCP connect, TLS 1.3 handshake with both certificates,
        /// identity checks and the hello exchange, in milliseconds.
        public var handshakeMillis: Double
        /// How many dials the mean is over.
        public var handshakes: Int

        /// The figures as one JSON object (for `--json`).
        public var json: JSONValue {
            .object([("tls_throughput_MBps", .double(throughputMBps)), ("tls_transferred_MB", .double(transferredMB)),
                     ("tls_chunk_bytes", .int(Int64(chunkBytes))), ("tls_handshake_ms", .double(handshakeMillis)),
                     ("tls_handshakes", .int(Int64(handshakes)))])
        }
    }

    /// Measures both figures: `chunks` chunks of `chunkBytes` (default 256 × 1 MiB), and
    /// `handshakes` sequential dials.
    public static func run(chunks: Int = 256, chunkBytes: Int = 1 << 20, handshakes: Int = 50) throws -> Report {
        let (mbps, mb) = try throughput(chunks: chunks, chunkBytes: chunkBytes)
        return Report(throughputMBps: mbps, transferredMB: mb, chunkBytes: chunkBytes,
                      handshakeMillis: try handshakeMillis(count: handshakes), handshakes: handshakes)
    }

    /// Sends `chunks` blob chunks of `chunkBytes` from one connection thread to another
    /// over TLS on 127.0.0.1; returns (MB/s, MB) timed from the first send until the
    /// receiver has decoded the last chunk.
    public static func throughput(chunks: Int = 256, chunkBytes: Int = 1 << 20) throws -> (mbps: Double, megabytes: Double) {
        let pair = try Pair()
        let total = chunks * chunkBytes
        let received = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        let listener = try pair.listen(events: ConnectionEvents(received: { _, message in
            guard case .blobChunk(let chunk) = message else { return }
            let sum = received.withLock { count in
                count += chunk.bytes.count
                return count
            }
            if sum == total { done.signal() }
        }))
        defer { listener.stop() }
        let connection = try pair.dial(listener)
        let hash = try SHA256.hash([UInt8](repeating: 0x5A, count: chunkBytes))
        let payload = [UInt8](repeating: 0x5A, count: chunkBytes)
        let start = ContinuousClock.now
        for index in 0..<chunks {
            try connection.send(.blobChunk(.init(hash: hash, offset: UInt64(index * chunkBytes), bytes: payload)))
        }
        done.wait()
        let seconds = ConnectionStateMachine.seconds(ContinuousClock.now - start)
        connection.close(reason: "benchmark finished")
        _ = connection.waitUntilClosed()
        return (Double(total) / seconds / 1e6, Double(total) / 1e6)
    }

    /// The mean time of `count` sequential dials (connect, handshake, identity checks,
    /// hello exchange), in milliseconds; each connection is closed before the next.
    public static func handshakeMillis(count: Int = 50) throws -> Double {
        let pair = try Pair()
        let listener = try pair.listen(events: ConnectionEvents())
        defer { listener.stop() }
        var total = Duration.zero
        for _ in 0..<max(1, count) {
            let start = ContinuousClock.now
            let connection = try pair.dial(listener)
            total += ContinuousClock.now - start
            connection.close(reason: "benchmark finished")
            _ = connection.waitUntilClosed()
        }
        return ConnectionStateMachine.seconds(total) * 1000 / Double(max(1, count))
    }

    /// Two fresh nodes that approve each other.
    private struct Pair {
        let server: TLSIdentity
        let client: TLSIdentity
        let digest: SHA256Digest

        init() throws {
            func identity(_ lab: String) throws -> TLSIdentity {
                let key = try Ed25519PrivateKey()
                return try TLSIdentity(key: key, certificate: try Certificate.selfSigned(labName: lab, key: key))
            }
            server = try identity("bench-server")
            client = try identity("bench-client")
            digest = try SHA256.hash([UInt8]())
        }

        func hello(_ identity: TLSIdentity) -> WireMessage.Hello {
            WireMessage.Hello(nodeID: identity.nodeID, lab: identity.certificate.commonName ?? "bench", embodiment: "bench",
                              schema: digest, round: 0, base: digest)
        }

        func listen(events: ConnectionEvents) throws -> Listener {
            let hello = hello(server)
            return try Listener(endpoint: SocketEndpoint(host: "127.0.0.1", port: 0), identity: server, authorizer: ApproveAll(),
                                hello: { hello }, events: events)
        }

        func dial(_ listener: Listener) throws -> Connection {
            try Dialer(identity: client, authorizer: ApproveAll())
                .dial(SocketEndpoint(host: "127.0.0.1", port: listener.port), expecting: server.nodeID, hello: hello(client))
        }
    }

    /// Both benchmark nodes approve everyone (they only ever meet each other).
    private struct ApproveAll: PeerAuthorizing {
        func standing(of id: NodeID) -> PeerStanding { .approved }
    }
}
