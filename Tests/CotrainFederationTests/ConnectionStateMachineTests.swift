import Testing

@testable import CotrainCore
@testable import CotrainFederation

/// The protocol state machine driven directly: no sockets, an injected clock.
@Suite struct ConnectionStateMachineTests {
    let t0 = ContinuousClock.now
    let local: TLSTestNode
    let peer: TLSTestNode

    init() throws {
        local = try TLSTestNode("lab-a")
        peer = try TLSTestNode("lab-b")
    }

    func machine(_ timing: ConnectionStateMachine.Timing = .init()) -> ConnectionStateMachine {
        ConnectionStateMachine(address: "10.0.0.2:7443", localHello: local.hello(), timing: timing, now: t0)
    }

    /// A machine past both hellos with a peer of `standing`.
    func open(_ standing: PeerStanding = .approved, _ timing: ConnectionStateMachine.Timing = .init()) -> ConnectionStateMachine {
        var m = machine(timing)
        _ = m.handshakeCompleted(peer: peer.id, standing: standing, now: t0)
        _ = m.received(.hello(peer.hello()), standing: standing, now: t0)
        return m
    }

    func code(_ action: ConnectionStateMachine.Action) -> WireErrorCode? {
        if case .close(_, let notify) = action { return notify?.code }
        return nil
    }

    @Test func helloExchangeOpensTheConnection() {
        var m = machine()
        #expect(m.handshakeCompleted(peer: peer.id, standing: .approved, now: t0) == .send(.hello(local.hello())))
        #expect(m.received(.hello(peer.hello()), standing: .approved, now: t0) == .established(peer.hello()))
        #expect(m.state == .open(peerHello: peer.hello()))
        #expect(m.peerLabel == "node \(peer.id.short) at 10.0.0.2:7443")
    }

    @Test func firstMessageMustBeHelloFromTheCertificatesNode() {
        var m = machine()
        _ = m.handshakeCompleted(peer: peer.id, standing: .approved, now: t0)
        #expect(code(m.received(.ping(nonce: 1), standing: .approved, now: t0)) == .unexpectedMessage)
        #expect(m.isClosed)
        #expect(m.received(.hello(peer.hello()), standing: .approved, now: t0) == .none)  // closed stays closed

        var forged = machine()
        _ = forged.handshakeCompleted(peer: peer.id, standing: .approved, now: t0)
        #expect(code(forged.received(.hello(local.hello()), standing: .approved, now: t0)) == .helloMismatch)
    }

    @Test func secondHelloIsRefused() {
        var m = open()
        #expect(code(m.received(.hello(peer.hello()), standing: .approved, now: t0)) == .unexpectedMessage)
    }

    @Test func revokedPeerIsRefusedAtHandshakeAndCutLater() {
        var m = machine()
        let action = m.handshakeCompleted(peer: peer.id, standing: .revoked, now: t0)
        guard case .close(.revoked, let notify?) = action else { Issue.record("expected a revoked close"); return }
        #expect(notify.code == .revoked)

        var live = open()
        #expect(code(live.received(.ping(nonce: 1), standing: .revoked, now: t0)) == .revoked)
    }

    @Test(arguments: [PeerStanding.unknown, .pending])
    func unapprovedPeerMayOnlyJoin(standing: PeerStanding) {
        let join = WireMessage.joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "b.example.org:7443", message: ""))
        var m = open(standing)
        #expect(m.received(join, standing: standing, now: t0) == .deliver(join))
        #expect(m.received(.ping(nonce: 7), standing: standing, now: t0) == .send(.pong(nonce: 7)))
        let offer = WireMessage.catchupRequest(fromRound: 1)
        let action = m.received(offer, standing: standing, now: t0)
        guard case .close(.notPermitted(_, "catchupRequest", standing), let notify?) = action else {
            Issue.record("expected not-permitted, got \(action)")
            return
        }
        #expect(notify.code == .notPermitted)
    }

    @Test func approvedPeerMaySendEverything() {
        var m = open()
        for message in WireFixtures.all where message.type != .hello && message.type != .error && message.type != .ping {
            #expect(m.received(message, standing: .approved, now: t0) == .deliver(message))
        }
    }

    @Test func peerErrorClosesQuietly() {
        var m = open()
        let action = m.received(.error(.init(code: .shuttingDown, message: "bye")), standing: .approved, now: t0)
        #expect(action == .close(.refusedByPeer(peer: m.peerLabel, code: "shutting-down", message: "bye"), notify: nil))
    }

    @Test func invalidBytesCloseWithTheWireErrorCode() {
        var m = open()
        let action = m.receivedInvalid(.unsupportedVersion(peer: 2, local: 1))
        #expect(action == .close(.protocolViolation(peer: m.peerLabel, .unsupportedVersion(peer: 2, local: 1)),
                                 notify: .init(code: .protocolVersion, message: "protocol version 2 not supported (this node speaks 1)")))
    }

    @Test func helloTimeout() {
        var m = machine(.init(helloTimeout: .seconds(10)))
        _ = m.handshakeCompleted(peer: peer.id, standing: .approved, now: t0)
        #expect(m.nextDeadline == t0 + .seconds(10))
        #expect(m.timerFired(now: t0 + .seconds(9)) == .none)
        #expect(code(m.timerFired(now: t0 + .seconds(10))) == .timeout)
    }

    @Test func idlePeerIsPingedThenClosed() {
        var m = open(.approved, .init(pingInterval: .seconds(15), pingTimeout: .seconds(5)))
        #expect(m.timerFired(now: t0 + .seconds(14)) == .none)
        #expect(m.timerFired(now: t0 + .seconds(15)) == .send(.ping(nonce: 1)))
        #expect(m.nextDeadline == t0 + .seconds(20))
        // Any frame counts as an answer; the next ping comes after another idle interval.
        #expect(m.received(.pong(nonce: 1), standing: .approved, now: t0 + .seconds(16)) == .deliver(.pong(nonce: 1)))
        #expect(m.nextDeadline == t0 + .seconds(31))
        #expect(m.timerFired(now: t0 + .seconds(31)) == .send(.ping(nonce: 2)))
        let action = m.timerFired(now: t0 + .seconds(36))
        guard case .close(.timedOut(_, "answer to a ping", 5), let notify?) = action else { Issue.record("\(action)"); return }
        #expect(notify.code == .timeout)
        #expect(m.nextDeadline == nil)
    }

    @Test func localCloseTellsThePeer() {
        var m = open()
        let action = m.closeRequested(reason: "approval revoked\nby alice", code: .revoked)
        #expect(action == .close(.disconnected(peer: m.peerLabel, reason: "approval revoked\nby alice"),
                                 notify: .init(code: .revoked, message: "approval revoked by alice")))
        #expect(m.closeRequested(reason: "again") == .none)
    }

    @Test func longReasonsAreCutToTheWireLimit() {
        let text = ConnectionStateMachine.wireText(String(repeating: "é", count: 2000))
        #expect(text.utf8.count <= WireProtocol.maxTextBytes)
        #expect(text.hasSuffix("..."))
    }

    @Test func onlyApprovedPeersReceiveDataMessages() {
        for type in MessageType.allCases {
            #expect(ConnectionStateMachine.maySend(type, to: .approved) == (type != .hello))
            #expect(!ConnectionStateMachine.maySend(type, to: .revoked))
            let control: Set<MessageType> = [.joinRequest, .joinStatus, .ping, .pong, .error]
            #expect(ConnectionStateMachine.maySend(type, to: .unknown) == control.contains(type))
            #expect(ConnectionStateMachine.maySend(type, to: .pending) == control.contains(type))
        }
    }
}
