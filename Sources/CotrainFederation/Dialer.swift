// Dialling a peer by endpoint and pinned node id. The connect, handshake and hello
// exchange run on the new connection's own thread; the caller waits on a semaphore
// (synchronous API) or a continuation (async API).
import CotrainCore

/// Opens authenticated connections to peers.
///
/// Each dial names the node id the caller expects (from the peer record, or given out
/// of band when joining); a server with any other certificate is refused with
/// ``ConnectionError/unexpectedPeer(address:dialled:found:)``. The server's standing in
/// this node's registry then applies as on the listener side.
public final class Dialer: Sendable {
    private let context: TLSContext
    private let authorizer: any PeerAuthorizing
    private let options: ConnectionOptions
    private let registry: ConnectionRegistry?

    /// A dialer presenting `identity`; connections also join `registry` when given.
    public init(identity: TLSIdentity, authorizer: any PeerAuthorizing, options: ConnectionOptions = ConnectionOptions(),
                registry: ConnectionRegistry? = nil) throws(TLSError) {
        context = try TLSContext(identity: identity, role: .client)
        self.authorizer = authorizer
        self.options = options
        self.registry = registry
    }

    /// Wraps a prepared context (tests use deliberately misconfigured clients).
    init(context: TLSContext, authorizer: any PeerAuthorizing, options: ConnectionOptions) {
        self.context = context
        self.authorizer = authorizer
        self.options = options
        registry = nil
    }

    /// Connects to `endpoint`, checks the server is node `expected`, exchanges hellos,
    /// and returns the open connection. Blocks the calling thread (up to the connect,
    /// handshake and hello timeouts): not for Swift concurrency — use the async overload.
    public func dial(_ endpoint: SocketEndpoint, expecting expected: NodeID, hello: WireMessage.Hello,
                     events: ConnectionEvents = ConnectionEvents()) throws(ConnectionError) -> Connection {
        let result = BlockingResult<Result<Connection, ConnectionError>>()
        try start(endpoint, expected, hello, events) { result.finish($0) }
        return try result.wait().get()
    }

    /// Connects to `endpoint`, checks the server is node `expected`, exchanges hellos,
    /// and returns the open connection. Suspends without blocking a thread.
    public func dial(_ endpoint: SocketEndpoint, expecting expected: NodeID, hello: WireMessage.Hello,
                     events: ConnectionEvents = ConnectionEvents()) async throws(ConnectionError) -> Connection {
        let result: Result<Connection, ConnectionError> = await withCheckedContinuation { continuation in
            do throws(ConnectionError) {
                try start(endpoint, expected, hello, events) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    private func start(_ endpoint: SocketEndpoint, _ expected: NodeID, _ hello: WireMessage.Hello, _ events: ConnectionEvents,
                       ready: @escaping @Sendable (Result<Connection, ConnectionError>) -> Void) throws(ConnectionError) {
        _ = try Connection.start(role: .dialler, address: endpoint.description, origin: .dial(endpoint, expecting: expected),
                                 context: context, hello: hello, options: options, authorizer: authorizer, events: events,
                                 registries: registry.map { [$0] } ?? [], ready: ready)
    }
}
