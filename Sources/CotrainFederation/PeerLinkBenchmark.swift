// The connection-count check of `cotrain bench federation`: one listener holding many
// peer connections at once, each through the full handshake and hello exchange.
import CotrainCore
import Foundation
import Synchronization

/// Loopback check that a node holds many simultaneous peer connections.
public enum PeerLinkBenchmark {
    /// What the check saw.
    public struct Report: Sendable {
        /// Connections asked for.
        public var requested: Int
        /// Connections open at the same time (both ends), after all dials returned.
        public var open: Int
        /// Seconds from the first dial until every dial returned.
        public var seconds: Double
    }

    /// Dials `count` connections to one listener concurrently (one thread per dial, as
    /// peers would be), checks they are all open at once, then closes them.
    public static func concurrentConnections(count: Int = 64) throws -> Report {
        func identity(_ lab: String) throws -> TLSIdentity {
            let key = try Ed25519PrivateKey()
            return try TLSIdentity(key: key, certificate: try Certificate.selfSigned(labName: lab, key: key))
        }
        let server = try identity("bench-node")
        let clients = try (0..<count).map { try identity("bench-peer-\($0)") }
        let digest = try SHA256.hash([UInt8]())
        @Sendable func hello(_ id: TLSIdentity) -> WireMessage.Hello {
            WireMessage.Hello(nodeID: id.nodeID, lab: id.certificate.commonName ?? "bench", embodiment: "bench", schema: digest,
                              round: 0, base: digest)
        }
        let serverHello = hello(server)
        let listener = try Listener(endpoint: SocketEndpoint(host: "127.0.0.1", port: 0), identity: server, authorizer: Everyone(),
                                    maxConnections: max(256, count), hello: { serverHello }, events: ConnectionEvents())
        defer { listener.stop() }
        let dialled = Mutex<[Connection]>([])
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for client in clients {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                guard let dialer = try? Dialer(identity: client, authorizer: Everyone()),
                    let connection = try? dialer.dial(SocketEndpoint(host: "127.0.0.1", port: listener.port), expecting: server.nodeID,
                                                      hello: hello(client))
                else { return }
                dialled.withLock { $0.append(connection) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        let seconds = ConnectionStateMachine.seconds(ContinuousClock.now - start)
        let connections = dialled.withLock { $0 }
        var serverOpen = 0
        for _ in 0..<200 {  // the listener's side opens when the client's hello arrives
            serverOpen = listener.accepted.connections.filter(\.isOpen).count
            if serverOpen >= connections.count { break }
            usleep(10_000)
        }
        let open = min(connections.filter(\.isOpen).count, serverOpen)
        for connection in connections { connection.close(reason: "benchmark finished") }
        for connection in connections { _ = connection.waitUntilClosed() }
        return Report(requested: count, open: open, seconds: seconds)
    }

    /// Every benchmark node approves every other.
    private struct Everyone: PeerAuthorizing {
        func standing(of id: NodeID) -> PeerStanding { .approved }
    }
}
