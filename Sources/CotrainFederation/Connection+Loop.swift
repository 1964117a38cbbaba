// The connection thread: connect (when dialling), TLS handshake, identity checks, then
// one poll loop that writes queued frames, reads and decodes frames, and feeds every
// event to the state machine, doing exactly what its actions say.
import CotrainCore
import Foundation

extension Connection {
    /// Where the socket comes from.
    enum Origin: Sendable {
        /// Accepted by a listener.
        case accepted(Socket)
        /// Dial `endpoint`; the server must be node `expecting`.
        case dial(SocketEndpoint, expecting: NodeID)
    }

    /// Creates a connection and starts its thread. `ready` is called exactly once, on
    /// that thread: with the connection when both hellos are exchanged, or with the
    /// error that ended it before.
    static func start(
        role: Role, address: String, origin: Origin, context: TLSContext, hello: WireMessage.Hello,
        options: ConnectionOptions, authorizer: any PeerAuthorizing, events: ConnectionEvents,
        registries: [ConnectionRegistry], ready: @escaping @Sendable (Result<Connection, ConnectionError>) -> Void
    ) throws(ConnectionError) -> Connection {
        let connection: Connection
        do {
            connection = try Connection(role: role, address: address, options: options, authorizer: authorizer,
                                        events: events, registries: registries)
        } catch { throw .system(error) }
        for registry in registries { registry.add(connection) }
        let thread = Thread {
            let driver = ConnectionDriver(connection: connection, hello: hello, ready: ready)
            driver.run(origin: origin, context: context)
        }
        thread.name = "cotrain-connection"
        thread.stackSize = 1 << 20
        thread.start()
        return connection
    }

    /// Records the end, fails what is pending, and tells everyone waiting. Connection thread.
    func finish(_ outcome: ConnectionError, wasEstablished: Bool) {
        let (pending, waiters) = shared.withLock { s in
            s.outcome = outcome
            s.isOpen = false
            defer { s.outgoing = []; s.queuedBytes = 0; s.closeWaiters = [] }
            return (s.outgoing, s.closeWaiters)
        }
        for item in pending { item.completion?(outcome) }
        for registry in registries { registry.remove(self) }
        if let logger = options.logger {
            let quiet: Bool = switch outcome { case .disconnected, .closedByPeer: true; default: false }
            logger.log(quiet ? .info : .warning, "connection closed", ["peer": peerLabel, "reason": outcome.description])
        }
        if wasEstablished { events.closed(self, outcome) }
        for waiter in waiters { waiter(outcome) }
    }
}

/// The state of one connection thread: the TLS stream, the state machine, the frame
/// being read and the frame being written. Used by that thread only.
final class ConnectionDriver {
    let connection: Connection
    var machine: ConnectionStateMachine
    private var ready: (@Sendable (Result<Connection, ConnectionError>) -> Void)?
    var stream: TLSStream!
    var reader: FrameReader
    /// The frame being written and how many of its bytes are out.
    var writing: Connection.Outgoing?
    var written = 0
    var writeWantsWrite = false
    var readWantsWrite = false
    /// Encrypted records are waiting for the socket to take them.
    var outputBlocked = false
    var options: ConnectionOptions { connection.options }

    init(connection: Connection, hello: WireMessage.Hello, ready: @escaping @Sendable (Result<Connection, ConnectionError>) -> Void) {
        self.connection = connection
        self.ready = ready
        machine = ConnectionStateMachine(address: connection.address, localHello: hello, timing: connection.options.timing,
                                         now: .now)
        reader = FrameReader(maxLength: connection.options.limits.maxFrameLength)
    }

    func run(origin: Connection.Origin, context: TLSContext) {
        connection.shared.withLock { $0.thread = pthread_self() }
        let outcome: ConnectionError
        do throws(ConnectionError) {
            try open(origin, context)
            outcome = loop()
        } catch {
            outcome = error
        }
        stream = nil  // frees the SSL and closes the socket before anyone hears of the end
        let established = ready == nil
        ready?(.failure(outcome))
        ready = nil
        connection.finish(outcome, wasEstablished: established)
    }

    /// Connects (when dialling), runs the handshake and checks the peer's identity.
    private func open(_ origin: Connection.Origin, _ context: TLSContext) throws(ConnectionError) {
        let socket: Socket
        var expected: NodeID? = nil
        switch origin {
        case .accepted(let accepted): socket = accepted
        case .dial(let endpoint, let id):
            socket = try Socket.connect(to: endpoint, deadline: .now + options.connectTimeout)
            expected = id
        }
        connection.shared.withLock { $0.handshakeSocket = socket }
        defer { connection.shared.withLock { $0.handshakeSocket = nil } }
        if let request = connection.shared.withLock({ $0.closeRequest }) {
            throw .disconnected(peer: connection.address, reason: request.reason)
        }
        do {
            stream = try TLSStream(context: context, socket: socket)
            stream.peerLabel = connection.address
            try stream.handshake(deadline: .now + options.handshakeTimeout, timeout: options.handshakeTimeout)
        } catch {
            socket.linger(until: .now + .milliseconds(500))
            throw .tls(error)
        }
        let certificate: Certificate
        do { certificate = try stream.peerCertificate() } catch {
            stream.sendCloseNotify()
            throw .tls(error)
        }
        if let expected, certificate.nodeID != expected {
            stream.sendCloseNotify()
            throw .unexpectedPeer(address: connection.address, dialled: expected, found: certificate.nodeID)
        }
        connection.shared.withLock {
            $0.peerID = certificate.nodeID
            $0.certificate = certificate
        }
        stream.peerLabel = "node \(certificate.nodeID.short) at \(connection.address)"
    }

    /// Runs until an action closes the connection; returns why.
    private func loop() -> ConnectionError {
        let peer = machine.peer ?? connection.peerID!
        if let end = perform(machine.handshakeCompleted(peer: peer, standing: connection.authorizer.standing(of: peer), now: .now)) {
            return end
        }
        if let end = flush() { return end }  // our hello goes out before anything is read
        while true {
            if let request = connection.shared.withLock({ $0.closeRequest }),
                let end = perform(machine.closeRequested(reason: request.reason, code: request.code)) {
                return end
            }
            let (end, moreToRead) = readAvailable()
            if let end { return end }
            if let end = perform(machine.timerFired(now: .now)) { return end }
            if let end = flush() { return end }  // after reading, so replies go out at once
            var fds = [
                pollfd(fd: stream.socket.fd, events: Int16(POLLIN) | (writeWantsWrite || readWantsWrite || outputBlocked ? Int16(POLLOUT) : 0), revents: 0),
                pollfd(fd: connection.wakeup.readFD, events: Int16(POLLIN), revents: 0),
            ]
            do {
                try Poll.wait(&fds, until: moreToRead ? .now : machine.nextDeadline)
            } catch {
                if let end = perform(machine.streamEnded(.system(error))) { return end }
            }
            if fds[1].revents != 0 { connection.wakeup.drain() }
        }
    }

    /// Does what `action` says; returns the close reason when it ended the connection.
    func perform(_ action: ConnectionStateMachine.Action) -> ConnectionError? {
        switch action {
        case .none:
            return nil
        case .send(let message):
            do {
                let frame = try message.encodedFrame(limits: options.limits)
                connection.shared.withLock {
                    $0.outgoing.append(Connection.Outgoing(frame: frame, completion: nil))
                    $0.queuedBytes += frame.count
                }
            } catch {
                return perform(machine.closeRequested(reason: "internal error: \(error.description)", code: .shuttingDown))
            }
            return nil
        case .established(let hello):
            connection.shared.withLock {
                $0.peerHello = hello
                $0.isOpen = true
            }
            options.logger?.info("peer connected", ["peer": connection.peerLabel, "lab": hello.lab, "round": String(hello.round)])
            ready?(.success(connection))
            ready = nil
            connection.events.established(connection)
            return nil
        case .deliver(let message):
            connection.events.received(connection, message)
            return nil
        case .close(let error, let notify):
            closeGracefully(notify: notify, error: error)
            return error
        }
    }
}
