// The peer registry: who is approved, pending, rejected or revoked, loaded from
// DIR/peers and DIR/state. The transport asks it for a node's standing at every
// handshake and frame; it answers from an in-memory snapshot that every change made
// through the registry replaces at once (and `reload()` re-reads from disk).
import CotrainCore
import Foundation
import Synchronization

/// The approved, pending, rejected and revoked nodes of one node home.
///
/// Only the process holding the home's ``NodeLock`` may create a registry (it sweeps
/// temporary files and writes without further locking). Thread-safe: queries read a
/// snapshot; changes are serialised, written durably (audit entry first, then the
/// record files) and then published.
public final class PeerRegistry: PeerAuthorizing {
    /// The home it reads and writes.
    public let home: NodeHome
    /// The audit log every decision is written to.
    public let audit: AuditLog
    /// The clock for timestamps and rate limits (injected by tests).
    let clock: @Sendable () -> Date
    /// The most join requests kept pending.
    let maximumPending: Int

    struct Snapshot: Sendable {
        var peers: [NodeID: PeerRecord] = [:]
        var pending: [NodeID: PendingRequest] = [:]
        var revoked = PeerDecisionList()
        var rejected = PeerDecisionList(capacity: 1024)
        var problems: [String] = []
    }

    let snapshot = Mutex(Snapshot())
    /// Held for the whole of a change, so changes apply one at a time.
    let writer = Mutex(())
    let limiter: Mutex<PendingRateLimiter>
    private let revocationHandlers = Mutex<[@Sendable (NodeID) -> Void]>([])

    /// Loads the registry of `home`. Records that fail their cross-checks are not
    /// trusted and are listed in ``problems``; other read errors throw.
    ///
    /// - Parameters:
    ///   - lock: proof that the caller holds the home's lock.
    ///   - limits: pending-request bound and per-address join rate.
    ///   - clock: the time source (tests inject a fake one).
    public init(
        home: NodeHome, lock: borrowing NodeLock, limits: NodeConfig.NodeLimits = .init(),
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.home = home
        self.audit = AuditLog(path: home.auditLogPath)
        self.clock = clock
        self.maximumPending = limits.maxPendingRequests
        self.limiter = Mutex(PendingRateLimiter(perMinute: limits.joinRequestsPerMinute))
        try home.validate()
        for directory in [home.peersDirectory, home.pendingDirectory, home.outgoingDirectory, home.stateDirectory] {
            AtomicFile.sweepTemporaries(in: directory)
        }
        try reload()
    }

    /// Re-reads every record from disk and publishes the result.
    public func reload() throws {
        try writer.withLock { _ in
            let next = try loadSnapshot()
            snapshot.withLock { $0 = next }
        }
    }

    private func loadSnapshot() throws -> Snapshot {
        var next = Snapshot()
        for name in try NodeHome.jsonFiles(in: home.peersDirectory) {
            let path = "\(home.peersDirectory)/\(name)"
            do {
                let record = try PeerRecord.load(from: path)
                next.peers[record.nodeID] = record
            } catch {
                next.problems.append("\(error)")
            }
        }
        for name in try NodeHome.jsonFiles(in: home.pendingDirectory) {
            let path = "\(home.pendingDirectory)/\(name)"
            do {
                let request = try PendingRequest.load(from: path)
                next.pending[request.nodeID] = request
            } catch {
                next.problems.append("\(error)")
            }
        }
        next.revoked = try PeerDecisionList.load(from: home.revokedPath)
        next.rejected = try PeerDecisionList.load(from: home.rejectedPath, capacity: 1024)
        return next
    }

    /// The standing of `id` now: revoked wins over approved, approved over pending.
    public func standing(of id: NodeID) -> PeerStanding {
        snapshot.withLock { state in
            if state.revoked.entry(for: id) != nil { return .revoked }
            if state.peers[id] != nil { return .approved }
            if state.pending[id] != nil { return .pending }
            return .unknown
        }
    }

    /// Approved peers, sorted by lab name then id.
    public var peers: [PeerRecord] {
        snapshot.withLock { Array($0.peers.values) }.sorted { ($0.lab, $0.nodeID) < ($1.lab, $1.nodeID) }
    }

    /// The approved peer `id`, if it is one (and not revoked).
    public func peer(_ id: NodeID) -> PeerRecord? {
        snapshot.withLock { $0.revoked.entry(for: id) == nil ? $0.peers[id] : nil }
    }

    /// Pending join requests, oldest first.
    public var pendingRequests: [PendingRequest] {
        snapshot.withLock { Array($0.pending.values) }.sorted { ($0.receivedAt, $0.nodeID) < ($1.receivedAt, $1.nodeID) }
    }

    /// Revoked nodes, in the order they were revoked.
    public var revokedNodes: [PeerDecision] { snapshot.withLock { $0.revoked.entries } }

    /// Why records on disk were not trusted (one line each); empty when all are fine.
    public var problems: [String] { snapshot.withLock { $0.problems } }

    /// Calls `handler` with the id of every node revoked from now on (after the
    /// revocation is durable), e.g. so the transport cuts its live connections.
    public func onRevoke(_ handler: @escaping @Sendable (NodeID) -> Void) {
        revocationHandlers.withLock { $0.append(handler) }
    }

    func notifyRevoked(_ id: NodeID) {
        for handler in revocationHandlers.withLock({ $0 }) { handler(id) }
    }

    /// The current time as RFC 3339 text.
    var timestamp: String { ISO8601.format(clock()) }

    /// Removes a file if present and makes the removal durable.
    func removeFile(_ path: String) throws {
        guard unlink(path) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("unlink", path, code: errno)
        }
        try AtomicFile.syncDirectory(AuditLog.directory(of: path))
    }
}
