import COpenSSL
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import CotrainCore
@testable import CotrainFederation

// Fixtures for the transport tests (handshake, connection, benchmarks), then the tests
// of the TLS identity and context themselves.

/// A registry stand-in: standings set by the test, unknown by default.
final class TLSTestAuthorizer: PeerAuthorizing {
    private let table = Mutex<[NodeID: PeerStanding]>([:])

    func set(_ id: NodeID, _ standing: PeerStanding) { table.withLock { $0[id] = standing } }

    func standing(of id: NodeID) -> PeerStanding { table.withLock { $0[id] ?? .unknown } }
}

/// A node for tests: a fresh Ed25519 identity and its own authorizer.
struct TLSTestNode: Sendable {
    let lab: String
    let identity: TLSIdentity
    let authorizer = TLSTestAuthorizer()
    var id: NodeID { identity.nodeID }

    init(_ lab: String) throws {
        self.lab = lab
        let key = try Ed25519PrivateKey()
        identity = try TLSIdentity(key: key, certificate: try Certificate.selfSigned(labName: lab, key: key))
    }

    func hello(round: Int = 3) -> WireMessage.Hello {
        let digest = try! SHA256Digest(bytes: [UInt8](repeating: 7, count: 32))
        return WireMessage.Hello(nodeID: id, lab: lab, embodiment: "panda", schema: digest, round: round, base: digest)
    }

    /// Marks `other` with `standing` in this node's registry.
    func knows(_ other: TLSTestNode, as standing: PeerStanding) { authorizer.set(other.id, standing) }

    func listen(_ inbox: TLSInbox, options: ConnectionOptions = .test, registry: ConnectionRegistry? = nil) throws -> Listener {
        try Listener(endpoint: SocketEndpoint(host: "127.0.0.1", port: 0), identity: identity, authorizer: authorizer,
                     options: options, registry: registry, hello: { hello() }, events: inbox.events)
    }

    func dialer(options: ConnectionOptions = .test) throws(TLSError) -> Dialer {
        try Dialer(identity: identity, authorizer: authorizer, options: options)
    }

    func dial(_ listener: Listener, expecting: NodeID, _ inbox: TLSInbox = TLSInbox()) throws(ConnectionError) -> Connection {
        let dialer: Dialer
        do { dialer = try self.dialer() } catch { throw .tls(error) }
        return try dialer.dial(SocketEndpoint(host: "127.0.0.1", port: listener.port), expecting: expecting, hello: hello(),
                               events: inbox.events)
    }
}

extension ConnectionOptions {
    /// Short timeouts so failing tests end quickly.
    static let test = ConnectionOptions(
        timing: .init(helloTimeout: .seconds(5), pingInterval: .seconds(60), pingTimeout: .seconds(5)),
        connectTimeout: .seconds(5), handshakeTimeout: .seconds(5), lingerTimeout: .seconds(1))
}

/// Collects connection events so a test can wait for them.
final class TLSInbox: Sendable {
    enum Event: Sendable {
        case established(Connection)
        case received(Connection, WireMessage)
        case closed(Connection, ConnectionError)
    }

    private let events_ = Mutex<[Event]>([])
    private let arrived = DispatchSemaphore(value: 0)
    /// Runs on the connection thread for each received message (e.g. to reply).
    let onMessage: @Sendable (Connection, WireMessage) -> Void

    init(onMessage: @escaping @Sendable (Connection, WireMessage) -> Void = { _, _ in }) {
        self.onMessage = onMessage
    }

    var events: ConnectionEvents {
        ConnectionEvents(
            established: { self.add(.established($0)) },
            received: { connection, message in
                self.onMessage(connection, message)
                self.add(.received(connection, message))
            },
            closed: { self.add(.closed($0, $1)) })
    }

    private func add(_ event: Event) {
        events_.withLock { $0.append(event) }
        arrived.signal()
    }

    /// Removes and returns the first event `match` accepts, waiting up to `timeout` s.
    func next<T>(timeout: Double = 5, _ match: (Event) -> T?) -> T? {
        let deadline = DispatchTime.now() + timeout
        while true {
            let found: T? = events_.withLock { list in
                for (index, event) in list.enumerated() {
                    if let value = match(event) {
                        list.remove(at: index)
                        return value
                    }
                }
                return nil
            }
            if let found { return found }
            if arrived.wait(timeout: deadline) == .timedOut { return nil }
        }
    }

    func message(timeout: Double = 5) -> WireMessage? {
        next(timeout: timeout) { if case .received(_, let m) = $0 { m } else { nil } }
    }

    func established(timeout: Double = 5) -> Connection? {
        next(timeout: timeout) { if case .established(let c) = $0 { c } else { nil } }
    }

    func closed(timeout: Double = 5) -> ConnectionError? {
        next(timeout: timeout) { if case .closed(_, let e) = $0 { e } else { nil } }
    }
}

@Suite struct TLSTests {
    @Test func identityRefusesACertificateForAnotherKey() throws {
        let key = try Ed25519PrivateKey()
        let other = try Ed25519PrivateKey()
        let certificate = try Certificate.selfSigned(labName: "lab-a", key: other)
        #expect(throws: CryptoError.self) { try TLSIdentity(key: key, certificate: certificate) }
        #expect(try TLSIdentity(key: other, certificate: certificate).nodeID == certificate.nodeID)
    }

    @Test func contextsBuildForBothRoles() throws {
        let node = try TLSTestNode("lab-a")
        for role in [TLSContext.Role.server, .client] {
            let context = try TLSContext(identity: node.identity, role: role)
            // (The protocol versions are tested by handshakes: see HandshakeTests.)
            #expect(SSL_CTX_get_options(context.raw) & cotrain_SSL_OP_NO_TICKET() != 0)
            #expect(SSL_CTX_get_num_tickets(context.raw) == 0)
        }
    }

    @Test func endpointsParseStrictly() throws {
        #expect(try SocketEndpoint(parsing: "lab-b.example.org:7443") == SocketEndpoint(host: "lab-b.example.org", port: 7443))
        #expect(try SocketEndpoint(parsing: "[::1]:0") == SocketEndpoint(host: "::1", port: 0))
        #expect(try SocketEndpoint(parsing: "[::1]:7443").description == "[::1]:7443")
        for bad in ["", "host", "host:", ":7443", "::1:7443", "[::1]7443", "host:65536", "host:-1", "host:+1", "a b:1", "[]:1"] {
            #expect(throws: ConnectionError.self, "\(bad.debugDescription)") { try SocketEndpoint(parsing: bad) }
        }
    }
}
