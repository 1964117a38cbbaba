// One authenticated peer connection. Its I/O runs on a dedicated thread (see
// Connection+Loop.swift), never on Swift's cooperative pool; this file is the API the
// rest of the node uses from any thread, synchronous or async.
import CotrainCore
import Dispatch
import Synchronization

/// A mutually authenticated TLS 1.3 connection to a peer node, speaking the wire
/// protocol.
///
/// Made by ``Dialer`` or accepted by ``Listener``. Messages arrive through
/// ``ConnectionEvents``; send with ``send(_:)-(WireMessage)`` (blocks until written),
/// `await send(_:)` or ``enqueue(_:completion:)``. Only messages the peer's current
/// standing allows can be sent: deltas and shards never go to a peer that is not approved.
public final class Connection: Sendable {
    /// Which side opened the connection.
    public enum Role: Sendable { case dialler, listener }

    /// Which side this node is.
    public let role: Role
    /// The peer's address (`host:port`, numeric once connected).
    public let address: String
    let options: ConnectionOptions
    let authorizer: any PeerAuthorizing
    let events: ConnectionEvents
    let registries: [ConnectionRegistry]
    let wakeup: SocketWakeup
    let shared: Mutex<Shared>

    /// State shared between the connection thread and callers.
    struct Shared {
        var peerID: NodeID?
        var certificate: Certificate?
        var peerHello: WireMessage.Hello?
        var isOpen = false
        var closeRequest: (reason: String, code: WireErrorCode)?
        var outcome: ConnectionError?
        var outgoing: [Outgoing] = []
        var queuedBytes = 0
        var thread: pthread_t?
        /// The socket while connecting and handshaking, so `close` can abort them.
        var handshakeSocket: Socket?
        var closeWaiters: [@Sendable (ConnectionError) -> Void] = []
    }

    /// A frame waiting to be written, and who to tell when it is (or cannot be).
    struct Outgoing {
        var frame: EncodedFrame
        var completion: (@Sendable (ConnectionError?) -> Void)?
    }

    init(role: Role, address: String, options: ConnectionOptions, authorizer: any PeerAuthorizing,
         events: ConnectionEvents, registries: [ConnectionRegistry]) throws(SystemError) {
        self.role = role
        self.address = address
        self.options = options
        self.authorizer = authorizer
        self.events = events
        self.registries = registries
        wakeup = try SocketWakeup()
        shared = Mutex(Shared())
    }

    /// The peer's node id, once the TLS handshake proved it.
    public var peerID: NodeID? { shared.withLock { $0.peerID } }
    /// The peer's certificate (e.g. for a join request: the admin reviews it).
    public var peerCertificate: Certificate? { shared.withLock { $0.certificate } }
    /// The peer's hello, once received.
    public var peerHello: WireMessage.Hello? { shared.withLock { $0.peerHello } }
    /// Whether messages can be sent now.
    public var isOpen: Bool { shared.withLock { $0.isOpen } }
    /// Why the connection ended, once it has.
    public var closeReason: ConnectionError? { shared.withLock { $0.outcome } }

    /// The peer as named in messages: short node id and address once known.
    public var peerLabel: String { peerID.map { "node \($0.short) at \(address)" } ?? address }

    /// Queues `message` without waiting; `completion` runs (on the connection thread)
    /// once it is written, or with the error that prevented it.
    ///
    /// Throws at once if the connection is not open, the message breaks the limits,
    /// the peer's standing does not allow it, or the send queue is full.
    public func enqueue(_ message: WireMessage, completion: (@Sendable (ConnectionError?) -> Void)? = nil) throws(ConnectionError) {
        let frame: EncodedFrame
        do { frame = try message.encodedFrame(limits: options.limits) } catch { throw .invalidOutgoing(peer: peerLabel, error) }
        guard let peer = peerID else { throw .notOpen(peer: peerLabel) }
        let standing = authorizer.standing(of: peer)  // asked outside our lock: the registry may call back into us
        guard ConnectionStateMachine.maySend(message.type, to: standing) else {
            throw .sendRefused(peer: peerLabel, message: "\(message.type)", standing: standing)
        }
        let limit = options.maxQueuedBytes
        let label = peerLabel  // read before taking the lock: peerLabel takes it too
        try shared.withLock { (s) throws(ConnectionError) in
            guard s.isOpen, s.closeRequest == nil else { throw .notOpen(peer: label) }
            guard s.queuedBytes == 0 || s.queuedBytes + frame.count <= limit else { throw .sendQueueFull(peer: label, limit: limit) }
            s.outgoing.append(Outgoing(frame: frame, completion: completion))
            s.queuedBytes += frame.count
        }
        wakeup.signal()
    }

    /// Sends `message` and returns once it is written to the socket. Blocks the calling
    /// thread: call it from your own threads, not from Swift concurrency (use the
    /// async overload there). From a ``ConnectionEvents`` callback it only queues.
    public func send(_ message: WireMessage) throws(ConnectionError) {
        if isConnectionThread {
            try enqueue(message)
            return
        }
        let result = BlockingResult<ConnectionError?>()
        try enqueue(message) { result.finish($0) }
        if let error = result.wait() { throw error }
    }

    /// Sends `message`; resumes once it is written to the socket. Never blocks a
    /// cooperative thread: the connection thread resumes the continuation.
    public func send(_ message: WireMessage) async throws(ConnectionError) {
        let outcome: ConnectionError? = await withCheckedContinuation { continuation in
            do throws(ConnectionError) {
                try enqueue(message) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(returning: error)
            }
        }
        if let outcome { throw outcome }
    }

    /// Closes the connection: pending sends are dropped, the peer gets an error frame
    /// with `code` and `reason`. Returns at once; the close happens on the connection
    /// thread. Safe from any thread, any number of times.
    public func close(reason: String, code: WireErrorCode = .shuttingDown) {
        let handshaking = shared.withLock { s in
            if s.closeRequest == nil { s.closeRequest = (reason, code) }
            return s.handshakeSocket
        }
        handshaking?.shutdown()
        wakeup.signal()
    }

    /// Blocks until the connection has ended and returns why. Not from Swift concurrency.
    public func waitUntilClosed() -> ConnectionError {
        let result = BlockingResult<ConnectionError>()
        onClose { result.finish($0) }
        return result.wait()
    }

    /// Waits until the connection has ended and returns why.
    public func closed() async -> ConnectionError {
        await withCheckedContinuation { continuation in onClose { continuation.resume(returning: $0) } }
    }

    /// Runs `body` with the close reason once the connection has ended (at once if it has).
    func onClose(_ body: @escaping @Sendable (ConnectionError) -> Void) {
        let ended: ConnectionError? = shared.withLock { s in
            if let outcome = s.outcome { return outcome }
            s.closeWaiters.append(body)
            return nil
        }
        if let ended { body(ended) }
    }

    /// Whether the caller runs on this connection's I/O thread.
    var isConnectionThread: Bool {
        guard let thread = shared.withLock({ $0.thread }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }
}

/// A value another thread delivers once, and a blocking wait for it (for the
/// synchronous API; async callers use continuations instead).
final class BlockingResult<Value: Sendable>: Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private let value = Mutex<Value?>(nil)

    /// Stores `value` and wakes the waiter. Call once.
    func finish(_ result: Value) {
        value.withLock { $0 = result }
        ready.signal()
    }

    /// Blocks until ``finish(_:)`` was called; returns its value.
    func wait() -> Value {
        ready.wait()
        return value.withLock { $0! }
    }
}
