// The live connections of a node, so a revocation can cut every connection of a peer
// at once and a stop can close them all.
import CotrainCore
import Synchronization

/// The set of live connections (dialled and accepted) that registered with it.
///
/// Connections add themselves when they start and remove themselves when they end.
/// The peer registry calls ``disconnect(nodeID:reason:)`` when an admin revokes a peer;
/// the transport also re-checks standing on every frame, so this only makes the cut
/// immediate instead of at the peer's next frame.
public final class ConnectionRegistry: Sendable {
    private let live = Mutex<[ObjectIdentifier: Connection]>([:])

    /// An empty registry.
    public init() {}

    /// How many connections are live (including ones still handshaking).
    public var count: Int { live.withLock { $0.count } }

    /// The live connections, in no particular order.
    public var connections: [Connection] { live.withLock { Array($0.values) } }

    /// The live connections whose peer proved to be node `id`.
    public func connections(to id: NodeID) -> [Connection] {
        connections.filter { $0.peerID == id }
    }

    /// Closes every connection to node `id` at once, telling the peer `reason` with
    /// code `revoked`; returns how many were closed. Returns without waiting.
    @discardableResult
    public func disconnect(nodeID id: NodeID, reason: String = "approval revoked") -> Int {
        let targets = connections(to: id)
        for connection in targets { connection.close(reason: reason, code: .revoked) }
        return targets.count
    }

    /// Closes every live connection with `reason`; if `wait`, returns once all ended.
    public func closeAll(reason: String, wait: Bool = true) {
        let all = connections
        for connection in all { connection.close(reason: reason) }
        if wait { for connection in all { _ = connection.waitUntilClosed() } }
    }

    func add(_ connection: Connection) {
        live.withLock { $0[ObjectIdentifier(connection)] = connection }
    }

    func remove(_ connection: Connection) {
        live.withLock { $0[ObjectIdentifier(connection)] = nil }
    }
}
