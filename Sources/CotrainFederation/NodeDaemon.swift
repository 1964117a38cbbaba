// `cotrain serve`: one running node. It holds the peer registry, the admin socket, the
// TLS listener and the connections it dials, and drives rounds, catch-ups and shard
// transfers. All of its state lives on one serial dispatch queue: connection threads
// hand their events over with `queue.async`, training runs on a trainer queue, and
// nothing blocks Swift's cooperative pool.
import CotrainCore
import Dispatch
import Foundation
import Synchronization

/// A running cotrain node (see docs/operations.md, "Running the node").
///
/// Create it while holding the home's ``NodeLock``, call ``start()``, and ``stop()``
/// before releasing the lock. Thread-safe API; the daemon's own state is confined to
/// its queue (hence `@unchecked Sendable`: every mutable property below is touched only
/// on `queue`, except `hello`, which has its own lock).
public final class NodeDaemon: @unchecked Sendable {
    /// The node home.
    public let home: NodeHome
    /// The effective config (file < environment < flags).
    public let config: NodeConfig
    /// Round, transfer and timer settings.
    public let options: DaemonOptions
    /// This node's id.
    public let nodeID: NodeID
    /// The peer registry (approvals, revocations).
    public let registry: PeerRegistry
    let identity: TLSIdentity
    let log: Logger
    let queue = DispatchQueue(label: "cotrain-daemon")
    let trainerQueue = DispatchQueue(label: "cotrain-trainer")
    let connections = ConnectionRegistry()
    let store: DaemonStateStore
    let shards: ShardStore
    let trainer: any LocalTrainer
    let driver: RoundDriver
    let hello: HelloState
    private let stopped = DispatchSemaphore(value: 0)
    private let stopOnce = StopFlag()

    // Queue-confined state.
    var listener: Listener?
    var control: ControlServer?
    var dialer: Dialer!
    var timer: DispatchSourceTimer?
    var stopping = false
    var links: [NodeID: PeerLink] = [:]
    var dials: [NodeID: DialState] = [:]
    var approved: Set<NodeID> = []
    /// The latest round and base each peer reported (hello, delta offers).
    var claims: [NodeID: (round: Int, base: SHA256Digest)] = [:]
    var catchup: CatchupTransfer?
    var catchupAsked: [NodeID: ContinuousClock.Instant] = [:]
    var catchupSettled: [NodeID: (round: Int, base: SHA256Digest)] = [:]
    /// Each peer's journal head, as its last catch-up response showed it.
    var peerHeads: [NodeID: SHA256Digest] = [:]
    var finalAsked: [NodeID: ContinuousClock.Instant] = [:]
    var roundsFinishedAt: ContinuousClock.Instant?
    var ownAcked: Set<NodeID> = []
    var ownSent: [NodeID: ContinuousClock.Instant] = [:]
    var trainingRetry: ContinuousClock.Instant?
    var shardState = ShardExchangeState()

    /// Loads the node's identity, registry, model, journal and shard store.
    ///
    /// - Parameters:
    ///   - lock: proof that the caller holds the home's lock (keep it until ``stop()``).
    ///   - trainer: trains each round locally.
    ///   - initialModel: the federation's starting checkpoint, used when the home has
    ///     no model yet (every node of a federation must start from the same `shared.*`).
    ///   - log: where human and JSON log lines go.
    public init(home: NodeHome, lock: borrowing NodeLock, config: NodeConfig, options: DaemonOptions,
                trainer: any LocalTrainer, initialModel: ParameterSet?, log: Logger) throws {
        self.home = home
        self.config = config
        self.options = options
        self.trainer = trainer
        self.log = log
        let (key, certificate) = try home.loadIdentity()
        identity = try TLSIdentity(key: key, certificate: certificate)
        nodeID = certificate.nodeID
        registry = try PeerRegistry(home: home, lock: lock, limits: config.limits)
        store = try DaemonStateStore(home: home)
        shards = try ShardStore(root: store.shardsDirectory, sweep: true)
        let registry = self.registry, me = nodeID, myKey = key.publicKey
        driver = try RoundDriver(
            store: store, nodeID: nodeID, key: key, embodiments: config.embodiments, options: options, initialModel: initialModel,
            keys: { id in id == me ? myKey : try? registry.peer(id)?.certificate.publicKey() },
            peerEmbodiment: { registry.peer($0)?.embodiment })
        hello = HelloState(WireMessage.Hello(nodeID: nodeID, lab: config.lab, embodiment: config.embodiments[0],
                                        schema: driver.sharedSchema.hash, round: driver.round, base: driver.baseHash))
    }

    /// Binds the listener and the admin socket and starts the timers. Returns at once.
    public func start() throws {
        var connectionOptions = options.connection
        connectionOptions.logger = log.component("transport")
        let events = connectionEvents
        let helloState = hello
        dialer = try Dialer(identity: identity, authorizer: registry, options: connectionOptions, registry: connections)
        let listener = try Listener(
            endpoint: SocketEndpoint(config.listen), identity: identity, authorizer: registry, options: connectionOptions,
            registry: connections, hello: { helloState.current }, events: events)
        let joinDialer = try TLSJoinDialer(identity: identity, authorizer: registry, options: connectionOptions,
                                           replyTimeout: .seconds(10), hello: { helloState.current })
        let handler = ControlHandler(registry: registry, config: config, nodeID: nodeID, dialer: joinDialer)
        let control = try ControlServer(home: home, handler: handler, log: log.component("control"))
        let connections = self.connections
        registry.onRevoke { [weak self] id in
            connections.disconnect(nodeID: id)
            guard let self else { return }
            queue.async { self.revoked(id) }
        }
        control.start()
        let restored = try queue.sync { try driver.restore(limit: options.maxDeltaBytes) }
        queue.sync {
            self.listener = listener
            self.control = control
            approved = Set(registry.peers.map(\.nodeID))
            if !restored.own.isEmpty, let trained = restored.trained { reopen(own: restored.own, trained: trained) }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            let interval = Int(ConnectionStateMachine.seconds(options.tick) * 1000)
            timer.schedule(deadline: .now(), repeating: .milliseconds(max(1, interval)))
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
        let (round, base) = queue.sync { (driver.round, driver.baseHash) }
        log.info("node started", ["id": nodeID.short, "lab": config.lab, "listen": listener.address, "round": String(round),
                                  "base": String(base.hex.prefix(16)), "peers": String(registry.peers.count)])
    }

    /// The port the listener is bound to (useful with port 0).
    public var listenPort: UInt16? { queue.sync { listener?.port } }

    /// Stops cleanly: no new rounds or connections, the admin socket removed, every
    /// connection closed (peers are told the node is shutting down). Everything the
    /// node learned is already on disk. Idempotent; not from the daemon's queue.
    public func stop() {
        guard stopOnce.set() else { return waitUntilStopped() }
        let (listener, control) = queue.sync { () -> (Listener?, ControlServer?) in
            stopping = true
            timer?.cancel()
            timer = nil
            return (self.listener, self.control)
        }
        control?.stop()
        listener?.stop()
        connections.closeAll(reason: "the node is shutting down")
        let (round, base) = queue.sync { () -> (Int, SHA256Digest) in
            links = [:]
            return (driver.round, driver.baseHash)
        }
        log.info("node stopped", ["round": String(round), "base": String(base.hex.prefix(16))])
        stopped.signal()
    }

    /// Blocks until ``stop()`` has finished.
    public func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    /// Where the node stands now.
    public func status() -> DaemonStatus {
        queue.sync {
            let phase: String = switch driver.phase {
            case .idle: "idle"
            case .training: "training"
            case .open: "open"
            }
            return DaemonStatus(round: driver.round, baseHash: driver.baseHash, records: driver.journal.records,
                                readyPeers: links.values.filter(\.isReady).map(\.peer).sorted(), phase: phase)
        }
    }

    /// Runs every `options.tick` on the queue: timers of every part of the daemon.
    func tick() {
        guard !stopping else { return }
        reconcileApprovals()
        dialPeers()
        checkClose()
        checkCatchup()
        evaluateClaims()
        maybeStartRound()
        tickShards()
        for link in links.values where link.isReady { link.pump(queue: queue, options: options, log: log) }
    }

    /// Publishes the current round and base in the hello new connections send.
    func updateHello() {
        hello.update(round: driver.round, base: driver.baseHash)
    }
}

/// The hello this node sends on new connections; read from connection threads.
final class HelloState: Sendable {
    private let value: Mutex<WireMessage.Hello>

    init(_ hello: WireMessage.Hello) { value = Mutex(hello) }

    var current: WireMessage.Hello { value.withLock { $0 } }

    func update(round: Int, base: SHA256Digest) {
        value.withLock {
            $0.round = round
            $0.base = base
        }
    }
}

/// A snapshot of a running node.
public struct DaemonStatus: Sendable {
    /// The current round.
    public let round: Int
    /// Its base hash (content hash of the `shared.*` tensors).
    public let baseHash: SHA256Digest
    /// The round journal.
    public let records: [RoundRecord]
    /// Approved peers with a ready connection.
    public let readyPeers: [NodeID]
    /// `idle`, `training` or `open`.
    public let phase: String
}
