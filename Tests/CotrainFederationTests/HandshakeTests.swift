import COpenSSL
import Foundation
import Testing

@testable import CotrainCore
@testable import CotrainFederation

/// The handshake matrix over real TLS 1.3 on loopback: who may connect, and what each
/// standing may do once connected.
@Suite(.serialized) struct HandshakeTests {
    let a: TLSTestNode
    let b: TLSTestNode

    init() throws {
        a = try TLSTestNode("lab-a")
        b = try TLSTestNode("lab-b")
    }

    static let digest = try! SHA256Digest(bytes: [UInt8](repeating: 9, count: 32))

    @Test func approvedPeersExchangeHelloAndPing() throws {
        a.knows(b, as: .approved)
        b.knows(a, as: .approved)
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let client = TLSInbox()
        let connection = try b.dial(listener, expecting: a.id, client)
        #expect(connection.peerID == a.id)
        #expect(connection.peerHello == a.hello())
        let accepted = try #require(server.established())
        #expect(accepted.peerID == b.id)
        #expect(accepted.peerHello == b.hello())
        #expect(accepted.peerCertificate?.commonName == "lab-b")

        try connection.send(.ping(nonce: 42))
        #expect(client.message() == .pong(nonce: 42))
        let ack = WireMessage.deltaAck(.init(delta: Self.digest, accepted: true))
        try connection.send(ack)
        #expect(server.message() == ack)

        connection.close(reason: "test finished")
        guard case .disconnected? = client.closed() else { Issue.record("client side should end as disconnected"); return }
        guard case .refusedByPeer(_, "shutting-down", "test finished")? = server.closed() else {
            Issue.record("server side should hear why the client closed")
            return
        }
    }

    @Test func unknownNodeMayOnlyJoin() throws {
        let server = TLSInbox { connection, message in
            if case .joinRequest = message {
                try? connection.enqueue(.joinStatus(.init(status: .pending, reason: "waiting for the admin")))
            }
        }
        let listener = try a.listen(server)
        defer { listener.stop() }
        let client = TLSInbox()
        let connection = try b.dial(listener, expecting: a.id, client)
        let request = WireMessage.joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443",
                                                    message: "MoU signed\nsee mail"))
        try connection.send(request)
        #expect(server.message() == request)
        #expect(client.message() == .joinStatus(.init(status: .pending, reason: "waiting for the admin")))

        // This node never sends shard or delta traffic to a node it has not approved …
        let fetch = WireMessage.shardRequest(.init(hash: Self.digest, offset: 0, length: 10))
        #expect(throws: ConnectionError.sendRefused(peer: connection.peerLabel, message: "shardRequest", standing: .unknown)) {
            try connection.send(fetch)
        }
        // … and the server refuses it from a node it does not know.
        b.knows(a, as: .approved)
        try connection.send(fetch)
        guard case .refusedByPeer(_, "not-permitted", _)? = client.closed() else { Issue.record("expected not-permitted"); return }
        guard case .notPermitted(_, "shardRequest", .unknown)? = server.closed() else { Issue.record("server reason"); return }
    }

    @Test func joinDialerSendsTheRequestAndReturnsTheAnswer() throws {
        let server = TLSInbox { connection, message in
            if case .joinRequest = message {
                try? connection.enqueue(.joinStatus(.init(status: .rejected, reason: "no MoU yet")))
            }
        }
        let listener = try a.listen(server)
        defer { listener.stop() }
        let dialer = try TLSJoinDialer(identity: b.identity, authorizer: b.authorizer, options: .test, hello: { [b] in b.hello() })
        let request = OutgoingJoin(
            target: a.id, endpoint: try NodeEndpoint(host: "127.0.0.1", port: listener.port), message: "please",
            lab: "lab-b", embodiment: "ur5e", advertise: try NodeEndpoint(parsing: "lab-b.example.org:7443"),
            requestedBy: "bob", requestedAt: "2026-11-21T10:00:00Z")
        let reply = try dialer.sendJoinRequest(request)
        #expect(reply.status == .rejected(reason: "no MoU yet"))
        #expect(reply.certificate.nodeID == a.id)
        #expect(reply.embodiment == "panda")
        #expect(server.message() == .joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443",
                                                       message: "please")))
    }

    @Test func revokedNodeIsRefused() throws {
        a.knows(b, as: .revoked)
        b.knows(a, as: .approved)
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        #expect {
            try b.dial(listener, expecting: a.id)
        } throws: { error in
            guard case .refusedByPeer(_, "revoked", _) = error as? ConnectionError else { return false }
            return true
        }
        #expect(server.established(timeout: 0.2) == nil)
    }

    @Test func revocationCutsALiveConnectionAtOnce() throws {
        a.knows(b, as: .approved)
        b.knows(a, as: .approved)
        let registry = ConnectionRegistry()
        let listener = try a.listen(TLSInbox(), registry: registry)
        defer { listener.stop() }
        let client = TLSInbox()
        _ = try b.dial(listener, expecting: a.id, client)
        a.knows(b, as: .revoked)
        #expect(registry.disconnect(nodeID: b.id) == 1)
        guard case .refusedByPeer(_, "revoked", _)? = client.closed() else { Issue.record("expected revoked"); return }
    }

    @Test func revocationAppliesToTheNextFrame() throws {
        a.knows(b, as: .approved)
        b.knows(a, as: .approved)
        let listener = try a.listen(TLSInbox())
        defer { listener.stop() }
        let client = TLSInbox()
        let connection = try b.dial(listener, expecting: a.id, client)
        a.knows(b, as: .revoked)  // no disconnect: the next frame is checked anyway
        try? connection.send(.ping(nonce: 1))  // (the server may already have cut us at our hello)
        guard case .refusedByPeer(_, "revoked", _)? = client.closed() else { Issue.record("expected revoked"); return }
        #expect(client.message(timeout: 0.1) == nil)  // no pong
    }

    @Test func dialingAnotherNodeThanExpectedFails() throws {
        let listener = try a.listen(TLSInbox())
        defer { listener.stop() }
        let c = try TLSTestNode("lab-c")
        do {
            _ = try b.dial(listener, expecting: c.id)
            Issue.record("dial should fail")
        } catch {
            #expect(error == .unexpectedPeer(address: "127.0.0.1:\(listener.port)", dialled: c.id, found: a.id))
            #expect(error.description.contains("dialled \(c.id) at 127.0.0.1:\(listener.port) but the server is \(a.id)"))
        }
    }

    @Test func tls12ClientIsRefused() throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        #expect(cotrain_SSL_CTX_set_min_proto_version(context, cotrain_TLS1_2_VERSION()) == 1)
        #expect(cotrain_SSL_CTX_set_max_proto_version(context, cotrain_TLS1_2_VERSION()) == 1)
        #expect(SSL_CTX_use_certificate(context, b.identity.certificate.raw) == 1)
        #expect(SSL_CTX_use_PrivateKey(context, b.identity.key.raw) == 1)
        try expectRefused(TLSContext(taking: context, role: .client), listener, server, reason: "alert protocol version")
    }

    @Test func clientWithoutCertificateIsRefused() throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let context = try #require(SSL_CTX_new(TLS_client_method()))
        #expect(cotrain_SSL_CTX_set_min_proto_version(context, cotrain_TLS1_3_VERSION()) == 1)
        try expectRefused(TLSContext(taking: context, role: .client), listener, server, reason: "alert certificate required")
    }

    @Test func expiredClientCertificateIsRefused() throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let key = try Ed25519PrivateKey()
        let old = try Certificate.selfSigned(labName: "lab-old", key: key, validityDays: 1, now: Date(timeIntervalSinceNow: -3 * 86_400))
        let node = try TLSIdentity(key: key, certificate: old)
        a.authorizer.set(node.nodeID, .approved)
        try expectRefused(TLSContext(identity: node, role: .client), listener, server, reason: "alert certificate expired")
    }

    /// Dials with `context` and expects a TLS failure naming `reason` (the server's
    /// alert), and no connection on the server.
    private func expectRefused(_ context: TLSContext, _ listener: Listener, _ server: TLSInbox, reason: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dialer = Dialer(context: context, authorizer: b.authorizer, options: .test)
        do {
            _ = try dialer.dial(SocketEndpoint(host: "127.0.0.1", port: listener.port), expecting: a.id, hello: b.hello())
            Issue.record("the handshake should fail", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(reason), "\(error)", sourceLocation: sourceLocation)
            guard case .tls = error else {
                Issue.record("expected a TLS error, got \(error)", sourceLocation: sourceLocation)
                return
            }
        }
        #expect(server.established(timeout: 0.2) == nil, sourceLocation: sourceLocation)
    }
}
