// The transport side of `cotrain peers join`: dial the target by endpoint and node id,
// send the join request, wait for its join status. Implements the registry's
// JoinDialer protocol (PeerJoinDialer.swift).
import CotrainCore
import Dispatch
import Synchronization

/// Sends join requests over TLS: the ``JoinDialer`` the peer registry uses.
public struct TLSJoinDialer: JoinDialer {
    private let dialer: Dialer
    private let hello: @Sendable () -> WireMessage.Hello
    private let replyTimeout: Duration

    /// A join dialer presenting `identity`. `hello` gives this node's current hello;
    /// the target has `replyTimeout` to answer the request.
    public init(identity: TLSIdentity, authorizer: any PeerAuthorizing, options: ConnectionOptions = ConnectionOptions(),
                replyTimeout: Duration = .seconds(30), hello: @escaping @Sendable () -> WireMessage.Hello) throws(TLSError) {
        dialer = try Dialer(identity: identity, authorizer: authorizer, options: options)
        self.hello = hello
        self.replyTimeout = replyTimeout
    }

    /// Dials `request.endpoint` expecting node `request.target`, sends the request and
    /// returns the target's answer. Blocks the calling thread (the CLI's).
    ///
    /// - Throws: ``ConnectionError`` (unreachable, wrong node id, refused — e.g. code
    ///   `revoked` —, no answer within the reply timeout).
    public func sendJoinRequest(_ request: OutgoingJoin) throws -> JoinReply {
        let answer = OnceResult<Result<WireMessage.JoinStatus, ConnectionError>>()
        let events = ConnectionEvents(
            received: { _, message in
                if case .joinStatus(let status) = message { answer.finish(.success(status)) }
            },
            closed: { _, error in answer.finish(.failure(error)) })
        let connection = try dialer.dial(SocketEndpoint(request.endpoint), expecting: request.target, hello: hello(), events: events)
        defer { connection.close(reason: "join request answered") }
        try connection.send(.joinRequest(.init(lab: request.lab, embodiment: request.embodiment,
                                               endpoint: request.advertise.description, message: request.message)))
        guard let result = answer.wait(timeout: replyTimeout) else {
            throw ConnectionError.timedOut(peer: connection.peerLabel, waitingFor: "join status",
                                           seconds: ConnectionStateMachine.seconds(replyTimeout))
        }
        let status = try result.get()
        guard let certificate = connection.peerCertificate, let peerHello = connection.peerHello else {
            throw ConnectionError.notOpen(peer: connection.peerLabel)
        }
        let decision: JoinStatus = switch status.status {
        case .pending: .pending
        case .approved: .approved
        case .rejected: .rejected(reason: status.reason)
        }
        return JoinReply(status: decision, certificate: certificate, embodiment: peerHello.embodiment)
    }
}

/// A value delivered at most once from another thread, with a bounded wait.
final class OnceResult<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    /// Stores `result` unless one is stored already.
    func finish(_ result: Value) {
        let first = value.withLock { stored in
            guard stored == nil else { return false }
            stored = result
            return true
        }
        if first { ready.signal() }
    }

    /// The value, or nil if none arrived within `timeout`.
    func wait(timeout: Duration) -> Value? {
        let nanoseconds = Int(ConnectionStateMachine.seconds(timeout) * 1e9)
        guard ready.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success else { return nil }
        return value.withLock { $0 }
    }
}
