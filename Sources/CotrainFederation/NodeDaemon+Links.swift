// Connections of a running node: which to dial and when, turning an established
// connection into a peer link (one per peer), the join exchange, approvals and
// revocations taking effect on live connections.
//
// Readiness: right after hello, each side sends `joinStatus(approved)` on a connection
// to a peer it approves. A side sends delta, shard and catch-up traffic only after it
// has received that from the peer, so nothing arrives before the peer's registry
// allows it. The same message tells a node that joined us that it was approved.
import CotrainCore
import Foundation

/// When to dial a peer next.
struct DialState {
    var next: ContinuousClock.Instant
    var delay: Double
    var dialing = false
}

extension NodeDaemon {
    /// Connection callbacks: each hands the event to the daemon's queue.
    var connectionEvents: ConnectionEvents {
        ConnectionEvents(
            established: { [weak self] connection in
                guard let self else { return }
                queue.async { self.established(connection) }
            },
            received: { [weak self] connection, message in
                guard let self else { return }
                queue.async { self.received(connection, message) }
            },
            closed: { [weak self] connection, error in
                guard let self else { return }
                queue.async { self.closed(connection, error) }
            })
    }

    /// A connection finished its hellos (dialled or accepted).
    func established(_ connection: Connection) {
        guard !stopping, let peer = connection.peerID, let peerHello = connection.peerHello, connection.isOpen else { return }
        switch registry.standing(of: peer) {
        case .approved:
            if links[peer]?.connection === connection { return }  // already this peer's link
            if let existing = links[peer], existing.connection.isOpen {
                // One connection per pair: the one dialled by the lower node id wins, on both sides.
                let winner = min(nodeID, peer)
                func dialler(_ c: Connection) -> NodeID { c.role == .dialler ? nodeID : peer }
                guard dialler(connection) == winner, dialler(existing.connection) != winner else {
                    connection.close(reason: "duplicate connection (keeping the one dialled by \(winner.short))")
                    return
                }
                existing.connection.close(reason: "duplicate connection (keeping the one dialled by \(winner.short))")
            }
            let link = PeerLink(peer: peer, connection: connection, hello: peerHello)
            links[peer] = link
            dials[peer]?.delay = options.reconnectDelay.first
            link.send(.joinStatus(.init(status: .approved)), log: log)
            noteClaim(peer, round: peerHello.round, base: peerHello.base)
            if peerHello.schema != driver.sharedSchema.hash {
                log.warning("peer trains another model schema; its deltas will be refused", ["peer": peer.short, "lab": peerHello.lab])
            }
        case .unknown, .pending:
            if let join = outgoingJoin(peer) {
                connection.enqueue(message: .joinRequest(join), log: log)
            }
        case .revoked:
            connection.close(reason: "revoked", code: .revoked)
        }
    }

    /// A message passed the transport's checks on `connection`.
    func received(_ connection: Connection, _ message: WireMessage) {
        guard !stopping, let peer = connection.peerID else { return }
        switch message {
        case let .joinRequest(request): joinRequest(request, on: connection, from: peer)
        case let .joinStatus(status): joinStatus(status, on: connection, from: peer)
        default:
            guard let link = links[peer], link.connection === connection else { return }
            switch message {
            case let .deltaOffer(offer): deltaOffer(offer, on: link)
            case let .deltaChunk(chunk): deltaChunk(chunk, on: link)
            case let .deltaAck(ack): deltaAck(ack, on: link)
            case let .shardInventory(inventory): link.inventory = inventory
            case let .shardRequest(request): serveShard(request, on: link)
            case let .shardChunk(chunk): shardChunk(chunk, on: link)
            case let .catchupRequest(from): serveCatchup(from: from, on: link)
            case let .catchupResponse(response): catchupResponse(response, on: link)
            case let .blobChunk(chunk): blobChunk(chunk, on: link)
            default: break
            }
        }
    }

    /// A connection ended.
    func closed(_ connection: Connection, _ error: ConnectionError) {
        guard let peer = connection.peerID, let link = links[peer], link.connection === connection else { return }
        links[peer] = nil
        if !stopping { log.info("peer disconnected", ["peer": peer.short, "reason": error.description]) }
        var dial = dials[peer] ?? DialState(next: .now, delay: options.reconnectDelay.first)
        dial.next = .now + .milliseconds(Int(dial.delay * 1000))
        dials[peer] = dial
        peerGone(peer)
    }

    /// The peer became ready: both sides approve each other.
    func linkReady(_ link: PeerLink) {
        log.info("peer ready", ["peer": link.peer.short, "lab": link.hello.lab, "round": String(link.hello.round)])
        sendInventory(to: link)
        sendOwnDeltas(to: link)
        evaluateClaims()
        maybeStartRound()
    }

    private func joinRequest(_ request: WireMessage.JoinRequest, on connection: Connection, from peer: NodeID) {
        switch registry.standing(of: peer) {
        case .approved:
            connection.enqueue(message: .joinStatus(.init(status: .approved)), log: log)
            if links[peer]?.connection !== connection { established(connection) }
        case .revoked:
            connection.close(reason: "revoked", code: .revoked)
        case .unknown, .pending:
            guard let certificate = connection.peerCertificate else { return }
            do {
                let status = try registry.receivedJoinRequest(
                    certificate: certificate, lab: request.lab, embodiment: request.embodiment, endpoint: request.endpoint,
                    message: request.message, from: connection.address)
                log.info("join request", ["peer": peer.short, "lab": request.lab, "status": "\(status)"])
                let reply: WireMessage.JoinStatus = switch status {
                case .approved: .init(status: .approved)
                case let .rejected(reason): .init(status: .rejected, reason: reason)
                case .pending, .unknown: .init(status: .pending)
                case .revoked: .init(status: .rejected, reason: "revoked")
                }
                connection.enqueue(message: .joinStatus(reply), log: log)
            } catch {
                log.warning("join request refused", ["peer": peer.short, "reason": "\(error)"])
                connection.close(reason: "\(error)", code: .notPermitted)
            }
        }
    }

    private func joinStatus(_ status: WireMessage.JoinStatus, on connection: Connection, from peer: NodeID) {
        guard status.status == .approved else {
            log.info("join request answered", ["peer": peer.short, "status": status.status.rawValue, "reason": status.reason])
            return
        }
        if registry.standing(of: peer) != .approved, outgoingJoin(peer) != nil,
            let certificate = connection.peerCertificate, let peerHello = connection.peerHello {
            do {
                try registry.outgoingJoinAccepted(certificate: certificate, embodiment: peerHello.embodiment)
                approved.insert(peer)
                log.info("joined: the peer approved this node", ["peer": peer.short, "lab": peerHello.lab])
            } catch {
                log.warning("cannot pin the peer that approved us", ["peer": peer.short, "reason": "\(error)"])
                return
            }
        }
        guard registry.standing(of: peer) == .approved else { return }
        if links[peer]?.connection !== connection { established(connection) }
        guard let link = links[peer], link.connection === connection, !link.peerApproves else { return }
        link.peerApproves = true
        linkReady(link)
    }

    /// Applies approvals and removals made through the registry (admin commands).
    func reconcileApprovals() {
        let current = Set(registry.peers.map(\.nodeID))
        for id in current.subtracting(approved) {
            log.info("peer approved", ["peer": id.short])
            for connection in connections.connections(to: id) where connection.isOpen { established(connection) }
            dials[id] = nil
        }
        for id in approved.subtracting(current) {
            links.removeValue(forKey: id)?.connection.close(reason: "no longer an approved peer")
            peerGone(id)
            driver.removeParticipant(id, now: Date())
        }
        approved = current
    }

    /// An admin revoked `id`; its connections were already cut.
    func revoked(_ id: NodeID) {
        log.warning("peer revoked: connections cut, its deltas dropped", ["peer": id.short])
        links[id] = nil
        approved.remove(id)
        claims[id] = nil
        peerGone(id)
        driver.removeParticipant(id, now: Date())
        checkClose()
    }

    /// Dials approved peers (and nodes this node asked to join) that have no connection.
    func dialPeers() {
        let now = ContinuousClock.now
        var targets = registry.peers.map { ($0.nodeID, $0.endpoint, false) }
        for (id, endpoint) in outgoingTargets() where !approved.contains(id) { targets.append((id, endpoint, true)) }
        for (id, endpoint, joining) in targets where links[id] == nil && connections.connections(to: id).isEmpty {
            let first = joining ? 5 : options.reconnectDelay.first
            // The higher id waits a little, so the lower id's dial (the one both keep) usually comes first.
            var state = dials[id] ?? DialState(next: now + .milliseconds(nodeID < id || joining ? 0 : 1000), delay: first)
            guard !state.dialing, now >= state.next else {
                dials[id] = state
                continue
            }
            state.dialing = true
            dials[id] = state
            let dialer = dialer!, hello = hello.current, events = connectionEvents
            // A short-lived thread per dial: connect and handshake block it (never a
            // thread of Swift's cooperative pool, which the node must not depend on).
            let thread = Thread { [weak self] in
                var failure: ConnectionError?
                do throws(ConnectionError) {
                    _ = try dialer.dial(SocketEndpoint(endpoint), expecting: id, hello: hello, events: events)
                } catch {
                    failure = error
                }
                guard let self else { return }
                queue.async { [failure] in self.dialFinished(id, joining: joining, failure: failure) }
            }
            thread.name = "cotrain-dial"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func dialFinished(_ id: NodeID, joining: Bool, failure: ConnectionError?) {
        guard var state = dials[id] else { return }
        state.dialing = false
        if let failure {
            state.delay = min(joining ? 300 : options.reconnectDelay.longest, max(state.delay * 2, options.reconnectDelay.first))
            log.debug("dial failed", ["peer": id.short, "retry_s": String(format: "%.1f", state.delay), "reason": failure.description])
        }
        state.next = .now + .milliseconds(Int(state.delay * 1000))
        dials[id] = state
    }

    /// The join request this node sent to `id` (state/outgoing/), as a wire message.
    func outgoingJoin(_ id: NodeID) -> WireMessage.JoinRequest? {
        guard let value = try? JSONValue.parse(readFile(home.outgoingPath(id), limit: 64 << 10)),
            let lab = value["lab"]?.string, let embodiment = value["embodiment"]?.string,
            let advertise = value["advertise"]?.string, let message = value["message"]?.string
        else { return nil }
        return WireMessage.JoinRequest(lab: lab, embodiment: embodiment, endpoint: advertise, message: message)
    }

    /// Nodes this node asked to join and where they listen.
    private func outgoingTargets() -> [(NodeID, NodeEndpoint)] {
        let names = (try? NodeHome.jsonFiles(in: home.outgoingDirectory)) ?? []
        return names.compactMap { name in
            guard let digest = try? SHA256Digest(hex: String(name.dropLast(5))),
                let value = try? JSONValue.parse(readFile("\(home.outgoingDirectory)/\(name)", limit: 64 << 10)),
                let text = value["endpoint"]?.string, let endpoint = try? NodeEndpoint(parsing: text)
            else { return nil }
            return (NodeID(digest: digest), endpoint)
        }
    }
}

extension Connection {
    /// Queues `message`, logging (not throwing) when the connection refuses it.
    func enqueue(message: WireMessage, log: Logger) {
        do { try enqueue(message) } catch {
            log.warning("cannot send", ["peer": peerLabel, "message": "\(message.type)", "reason": error.description])
        }
    }
}
