// Settings shared by dialled and accepted connections, and the callbacks through which
// a connection reports to the application.
import CotrainCore

/// Limits and timeouts for peer connections.
public struct ConnectionOptions: Sendable {
    /// What is accepted from peers (frame size, chunk size, counts).
    public var limits: WireLimits
    /// Hello, ping and ping-answer timeouts.
    public var timing: ConnectionStateMachine.Timing
    /// How long a dial waits for TCP to connect. Default 10 s.
    public var connectTimeout: Duration
    /// How long the TLS handshake may take. Default 10 s.
    public var handshakeTimeout: Duration
    /// How long closing may take to deliver the error frame and let the peer read it.
    /// Default 2 s.
    public var lingerTimeout: Duration
    /// Most bytes queued for sending on one connection. Default 16 MiB.
    public var maxQueuedBytes: Int
    /// Where connection events (refusals, protocol violations, closes) are logged.
    public var logger: Logger?

    /// Options with explicit values.
    public init(limits: WireLimits = .default, timing: ConnectionStateMachine.Timing = .init(),
                connectTimeout: Duration = .seconds(10), handshakeTimeout: Duration = .seconds(10),
                lingerTimeout: Duration = .seconds(2), maxQueuedBytes: Int = 16 << 20, logger: Logger? = nil) {
        self.limits = limits
        self.timing = timing
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.lingerTimeout = lingerTimeout
        self.maxQueuedBytes = maxQueuedBytes
        self.logger = logger
    }
}

/// How a connection reports to the application. Every callback runs on the
/// connection's own thread: keep it short, and reply with ``Connection/enqueue(_:completion:)``
/// (never block waiting on the same connection).
public struct ConnectionEvents: Sendable {
    /// Both hellos are exchanged; the connection can carry messages.
    public var established: @Sendable (Connection) -> Void
    /// A message passed every check (decoding, state, the peer's current standing).
    public var received: @Sendable (Connection, WireMessage) -> Void
    /// The connection ended after being established; the error says why.
    public var closed: @Sendable (Connection, ConnectionError) -> Void

    /// Callbacks; each defaults to doing nothing.
    public init(established: @escaping @Sendable (Connection) -> Void = { _ in },
                received: @escaping @Sendable (Connection, WireMessage) -> Void = { _, _ in },
                closed: @escaping @Sendable (Connection, ConnectionError) -> Void = { _, _ in }) {
        self.established = established
        self.received = received
        self.closed = closed
    }
}
