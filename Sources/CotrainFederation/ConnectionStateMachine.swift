// The protocol logic of one connection as a value: events in, one small Action out.
// No sockets, no clock of its own (time is passed in), so tests drive it directly and
// the I/O loop in Connection+Loop.swift only switches on the actions.
import CotrainCore

/// The per-connection protocol state machine (see docs/protocol.md, "State machine").
///
/// Rules: after the TLS handshake each side sends hello; the peer's first message must
/// be hello, naming the node id of its certificate, within `helloTimeout`; then every
/// message is checked against the peer's standing *at the time it arrives* (unknown and
/// pending peers may only run the join exchange, a revoked peer is cut); a peer silent
/// for `pingInterval` is pinged and closed if still silent `pingTimeout` later.
public struct ConnectionStateMachine: Sendable {
    /// Timeouts; defaults suit WAN links.
    public struct Timing: Sendable, Equatable {
        /// How long the peer has to send hello after the handshake. Default 10 s.
        public var helloTimeout: Duration
        /// Silence after which the peer is pinged. Default 15 s.
        public var pingInterval: Duration
        /// How long a pinged peer has to send anything. Default 15 s.
        public var pingTimeout: Duration

        /// Timing with explicit values.
        public init(helloTimeout: Duration = .seconds(10), pingInterval: Duration = .seconds(15), pingTimeout: Duration = .seconds(15)) {
            self.helloTimeout = helloTimeout
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
        }
    }

    /// What the I/O layer must do next.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Write this message.
        case send(WireMessage)
        /// The peer's hello arrived: the connection is open; tell the application.
        case established(WireMessage.Hello)
        /// Hand this message to the application.
        case deliver(WireMessage)
        /// Close: send `notify` first (if any) as an error frame, then end the
        /// connection and report `error` as the reason.
        case close(ConnectionError, notify: WireMessage.ErrorMessage?)
    }

    /// Where the connection is.
    public enum State: Sendable, Equatable {
        /// TLS handshake not finished.
        case handshaking
        /// Our hello is sent; waiting for the peer's since `since`.
        case awaitingHello(since: ContinuousClock.Instant)
        /// Both hellos exchanged.
        case open(peerHello: WireMessage.Hello)
        /// Closed; every further event is ignored.
        case closed
    }

    /// The address of the peer, for messages.
    public let address: String
    /// Our hello, sent when the handshake completes.
    public let localHello: WireMessage.Hello
    /// The timeouts in force.
    public let timing: Timing
    /// The current state.
    public private(set) var state: State = .handshaking
    /// The peer's node id (from its certificate), once the handshake is done.
    public private(set) var peer: NodeID?
    private var lastReceived: ContinuousClock.Instant
    private var pingSent: ContinuousClock.Instant?
    private var nextNonce: UInt64 = 1

    /// A machine for a connection with `address`, created at `now`.
    public init(address: String, localHello: WireMessage.Hello, timing: Timing = Timing(), now: ContinuousClock.Instant) {
        self.address = address
        self.localHello = localHello
        self.timing = timing
        lastReceived = now
    }

    /// How the peer is named in errors: short node id and address once known.
    public var peerLabel: String { peer.map { "node \($0.short) at \(address)" } ?? address }

    /// When ``timerFired(now:)`` must next be called, or nil if no timer runs.
    public var nextDeadline: ContinuousClock.Instant? {
        switch state {
        case .awaitingHello(let since): return since + timing.helloTimeout
        case .open: return pingSent.map { $0 + timing.pingTimeout } ?? lastReceived + timing.pingInterval
        case .handshaking, .closed: return nil
        }
    }

    /// Whether ``Action/close(_:notify:)`` was returned.
    public var isClosed: Bool { state == .closed }

    /// The TLS handshake finished and the peer's certificate is node `peer` with
    /// `standing`: send hello, or refuse a revoked node.
    public mutating func handshakeCompleted(peer: NodeID, standing: PeerStanding, now: ContinuousClock.Instant) -> Action {
        guard state == .handshaking else { return .none }
        self.peer = peer
        lastReceived = now
        if standing == .revoked { return revokedClose() }
        state = .awaitingHello(since: now)
        return .send(.hello(localHello))
    }

    /// A well-formed message arrived while the peer's standing is `standing` (asked
    /// afresh for every frame, so revocation and approval apply at once).
    public mutating func received(_ message: WireMessage, standing: PeerStanding, now: ContinuousClock.Instant) -> Action {
        switch state {
        case .handshaking:
            return close(.unexpectedMessage(peer: peerLabel, message: "\(message.type)", reason: "before the TLS handshake finished"),
                         .unexpectedMessage, "no message may precede the handshake")
        case .closed:
            return .none
        case .awaitingHello, .open:
            lastReceived = now
            pingSent = nil  // any frame proves the peer is alive
            if case .error(let error) = message {
                state = .closed
                return .close(.refusedByPeer(peer: peerLabel, code: error.code.rawValue, message: error.message), notify: nil)
            }
            if standing == .revoked { return revokedClose() }
            if case .awaitingHello = state { return receivedFirst(message) }
            return receivedWhileOpen(message, standing: standing)
        }
    }

    private mutating func receivedFirst(_ message: WireMessage) -> Action {
        guard case .hello(let hello) = message else {
            return close(.unexpectedMessage(peer: peerLabel, message: "\(message.type)", reason: "before hello"),
                         .unexpectedMessage, "the first message must be hello, got \(message.type)")
        }
        guard hello.nodeID == peer else {
            return close(.helloMismatch(peer: peerLabel, claimed: hello.nodeID.description), .helloMismatch,
                         "hello names node \(hello.nodeID) but your certificate is node \(peer?.description ?? "?")")
        }
        state = .open(peerHello: hello)
        return .established(hello)
    }

    private mutating func receivedWhileOpen(_ message: WireMessage, standing: PeerStanding) -> Action {
        switch message {
        case .hello:
            return close(.unexpectedMessage(peer: peerLabel, message: "hello", reason: "a second time"),
                         .unexpectedMessage, "hello may be sent only once")
        case .ping(let nonce):
            return .send(.pong(nonce: nonce))
        case .pong:
            return .deliver(message)  // for round-trip measurements; liveness is already noted
        default:
            guard message.type.isPermitted(from: standing) else {
                return close(.notPermitted(peer: peerLabel, message: "\(message.type)", standing: standing), .notPermitted,
                             "\(message.type) needs an approved peer; this node has you as \(standing) (send a join request)")
            }
            return .deliver(message)
        }
    }

    /// Bytes arrived that are not a valid frame or message: close, telling the peer why.
    public mutating func receivedInvalid(_ error: WireError) -> Action {
        guard state != .closed else { return .none }
        return close(.protocolViolation(peer: peerLabel, error), error.code, error.description)
    }

    /// The stream ended or failed (peer closed, reset, TLS error): close quietly.
    public mutating func streamEnded(_ error: ConnectionError) -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close(error, notify: nil)
    }

    /// This node closes the connection on purpose (stop, revocation, `disconnect`).
    public mutating func closeRequested(reason: String, code: WireErrorCode = .shuttingDown) -> Action {
        guard state != .closed else { return .none }
        return close(.disconnected(peer: peerLabel, reason: reason), code, reason)
    }

    /// Time passed: close a peer that owes a hello or a sign of life; ping an idle one.
    public mutating func timerFired(now: ContinuousClock.Instant) -> Action {
        guard let deadline = nextDeadline, now >= deadline else { return .none }
        switch state {
        case .awaitingHello:
            return close(.timedOut(peer: peerLabel, waitingFor: "hello", seconds: Self.seconds(timing.helloTimeout)),
                         .timeout, "no hello within \(Self.seconds(timing.helloTimeout)) s")
        case .open where pingSent != nil:
            return close(.timedOut(peer: peerLabel, waitingFor: "answer to a ping", seconds: Self.seconds(timing.pingTimeout)),
                         .timeout, "no answer to a ping within \(Self.seconds(timing.pingTimeout)) s")
        case .open:
            pingSent = now
            defer { nextNonce &+= 1 }
            return .send(.ping(nonce: nextNonce))
        case .handshaking, .closed:
            return .none
        }
    }

    /// Whether this node may send `type` to a peer of `standing` once open: approved
    /// peers get everything; others only the join exchange and connection control
    /// (so deltas and shards never go to an unapproved node); hello is the machine's.
    public static func maySend(_ type: MessageType, to standing: PeerStanding) -> Bool {
        type != .hello && type.isPermitted(from: standing)
    }

    private mutating func revokedClose() -> Action {
        close(.revoked(peer: peerLabel), .revoked, "this node has revoked its approval of node \(peer?.description ?? "?")")
    }

    private mutating func close(_ error: ConnectionError, _ code: WireErrorCode, _ message: String) -> Action {
        state = .closed
        return .close(error, notify: WireMessage.ErrorMessage(code: code, message: Self.wireText(message)))
    }

    /// `text` made fit for an error message: control characters become spaces, and
    /// it is cut to stay within the 1 KiB limit.
    static func wireText(_ text: String) -> String {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        guard clean.utf8.count > WireProtocol.maxTextBytes else { return clean }
        var cut = ""
        for character in clean {
            guard cut.utf8.count + character.utf8.count <= WireProtocol.maxTextBytes - 3 else { break }
            cut.append(character)
        }
        return cut + "..."
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
