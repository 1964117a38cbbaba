// Accepting peer connections: one accept thread polls the listening socket; each
// accepted socket gets its own connection thread, which runs the TLS handshake, so a
// slow or hostile client never holds up the others.
import CotrainCore
import Foundation
import Synchronization

/// A TCP listener that turns accepted sockets into authenticated ``Connection``s.
///
/// The server side of the handshake requires a client certificate; the peer's node
/// id is looked up with the authorizer: revoked nodes are refused, unknown and pending
/// ones may only run the join exchange. Call ``stop()`` when done.
public final class Listener: Sendable {
    /// The bound address, e.g. `127.0.0.1:41234` (the real port when asked for port 0).
    public let address: String
    /// The bound port.
    public let port: UInt16
    /// The connections this listener accepted that are still live.
    public let accepted = ConnectionRegistry()
    private let socket: Socket
    private let wakeup: SocketWakeup
    private let stopping = StopFlag()
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    /// Binds `endpoint` and starts accepting.
    ///
    /// - Parameters:
    ///   - identity: this node's key and certificate.
    ///   - authorizer: answers each peer's standing (at the handshake and on every frame).
    ///   - registry: also holds every accepted connection (e.g. the node-wide registry
    ///     the peer registry cuts revoked peers from).
    ///   - maxConnections: more simultaneous connections are closed at once. Default 256.
    ///   - hello: this node's hello, asked for each new connection (rounds move on).
    ///   - events: where each connection reports.
    public init(
        endpoint: SocketEndpoint, identity: TLSIdentity, authorizer: any PeerAuthorizing,
        options: ConnectionOptions = ConnectionOptions(), registry: ConnectionRegistry? = nil, maxConnections: Int = 256,
        hello: @escaping @Sendable () -> WireMessage.Hello, events: ConnectionEvents
    ) throws {
        let context = try TLSContext(identity: identity, role: .server)
        socket = try Socket.listen(on: endpoint)
        address = socket.address
        port = socket.localPort
        wakeup = try SocketWakeup()
        let registries = [accepted] + (registry.map { [$0] } ?? [])
        let thread = Thread { [socket, wakeup, stopping, acceptLoopDone, accepted] in
            Self.acceptLoop(socket: socket, wakeup: wakeup, stopping: stopping) { client in
                guard accepted.count < maxConnections else {
                    options.logger?.warning("connection refused", ["peer": client.address, "reason": ConnectionError.tooManyConnections(
                        address: client.address, limit: maxConnections).description])
                    return
                }
                do throws(ConnectionError) {
                    _ = try Connection.start(role: .listener, address: client.address, origin: .accepted(client), context: context,
                                             hello: hello(), options: options, authorizer: authorizer, events: events,
                                             registries: registries, ready: { _ in })
                } catch {
                    options.logger?.error("cannot start a connection", ["peer": client.address, "reason": error.description])
                }
            }
            acceptLoopDone.signal()
        }
        thread.name = "cotrain-listener"
        thread.start()
        options.logger?.info("listening", ["address": address])
    }

    deinit { stop() }

    /// Stops accepting, closes every connection this listener accepted (telling each
    /// peer the node is shutting down) and returns once they have ended. Idempotent.
    public func stop() {
        guard stopping.set() else { return }
        wakeup.signal()
        acceptLoopDone.wait()
        accepted.closeAll(reason: "the node is shutting down")
    }

    private static func acceptLoop(socket: Socket, wakeup: SocketWakeup, stopping: StopFlag,
                                   handle: (Socket) -> Void) {
        while !stopping.isSet {
            var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeup.readFD, events: Int16(POLLIN), revents: 0)]
            _ = try? Poll.wait(&fds, until: nil)
            if fds[1].revents != 0 { wakeup.drain() }
            while !stopping.isSet {
                do {
                    guard let client = try socket.accept() else { break }
                    handle(client)
                } catch {
                    // Out of descriptors or memory: back off instead of spinning.
                    usleep(100_000)
                    break
                }
            }
        }
    }
}

/// A flag set once, from any thread.
final class StopFlag: Sendable {
    private let flag = Mutex(false)

    /// Whether ``set()`` was called.
    var isSet: Bool { flag.withLock { $0 } }

    /// Sets the flag; true for the call that set it, false if it was already set.
    func set() -> Bool {
        flag.withLock { value in
            defer { value = true }
            return !value
        }
    }
}
