import CotrainCore
import Foundation
import Synchronization
import Testing

@testable import CotrainFederation

/// Node daemons in one process, over real TLS on loopback: rounds across nodes,
/// embodiment groups, revocation mid-round.
@Suite(.serialized) struct DaemonTests {
    @Test func theSyntheticTrainerIsDeterministicPerNodeAndDiffersAcrossNodes() throws {
        let base = try SyntheticModel.initial(embodiments: ["panda"])
        let one = SyntheticTrainer(nodeID: try NodeFixture.peer("lab-a").nodeID)
        let two = SyntheticTrainer(nodeID: try NodeFixture.peer("lab-b").nodeID)
        let (first, samples) = try one.checkedTrain(base: base, round: 3)
        #expect(try one.train(base: base, round: 3).trained.isBitIdentical(to: first) && samples == one.rows)
        #expect(!(try two.train(base: base, round: 3).trained.isBitIdentical(to: first)))
        #expect(!(try one.train(base: base, round: 4).trained.isBitIdentical(to: first)), "new samples each round")
        let delta = try first.subtracting(base)
        #expect(delta.isFinite && delta.l2Norm > 0.01 && delta.l2Norm < 100)
        #expect(try SyntheticModel.initial(embodiments: ["ur5e"]).sharedBaseHash == base.sharedBaseHash, "one shared start for all labs")
    }

    @Test func threeNodesAgreeAndSameEmbodimentPeersAggregateTheirOwnTensors() throws {
        let cluster = DaemonCluster()
        let a = try cluster.add("a", embodiment: "panda"), b = try cluster.add("b", embodiment: "panda")
        let c = try cluster.add("c", embodiment: "ur5e")
        for node in [a, b, c] { try node.start { $0.lastRound = 3; $0.minPeers = 2 } }
        try cluster.link(b, to: a)
        try cluster.link(c, to: a)
        try cluster.link(c, to: b)
        try cluster.waitUntil("every node closed 3 rounds") { [a, b, c].allSatisfy { $0.status().records.count == 3 } }
        let journals = [a, b, c].map { $0.status().records.map(\.recordHash) }
        #expect(journals[0] == journals[1] && journals[1] == journals[2])
        #expect(a.status().records.allSatisfy { $0.entries.count == 3 })
        for node in [a, b, c] { node.stop() }
        let models = try [a, b, c].map { try ParameterSet.load(path: "\($0.home.stateDirectory)/model/base.safetensors") }
        let shared = models.map { $0.filtered(prefixes: ["shared."]) }
        #expect(shared[0].isBitIdentical(to: shared[1]) && shared[1].isBitIdentical(to: shared[2]))
        let initial = try SyntheticModel.initial(embodiments: ["panda"])
        #expect(!shared[0].isBitIdentical(to: initial.filtered(prefixes: ["shared."])), "aggregation moves the model")
        // panda is federated between a and b only: both hold the same aggregated tensors.
        let pandaA = models[0].filtered(prefixes: ["embodiment.panda."]), pandaB = models[1].filtered(prefixes: ["embodiment.panda."])
        #expect(pandaA.isBitIdentical(to: pandaB))
        #expect(!pandaA.isBitIdentical(to: initial.filtered(prefixes: ["embodiment.panda."])))
        #expect(try a.logged { $0["message"]?.string == "delta accepted" && $0["fields"]?["embodiment"]?.string == "panda" })
        #expect(try !c.logged { $0["fields"]?["embodiment"]?.string == "panda" }, "the ur5e node never sees panda tensors")
    }

    @Test func revokingAPeerMidRoundCutsItAndClosesTheRoundWithoutIt() throws {
        let cluster = DaemonCluster()
        let a = try cluster.add("a", embodiment: "ur5e"), b = try cluster.add("b", embodiment: "panda")
        let c = try cluster.add("c", embodiment: "scara", trainSeconds: 30)  // c never finishes training in time
        for node in [a, b, c] { try node.start { $0.lastRound = 1; $0.minPeers = 2; $0.deadline = .seconds(60) } }
        try cluster.link(b, to: a)
        try cluster.link(c, to: a)
        try cluster.link(c, to: b)
        try cluster.waitUntil("a and b hold both their deltas, waiting for c") {
            [a, b].allSatisfy { (try? $0.logged { $0["message"]?.string == "delta accepted" }) == true && $0.status().phase == "open" }
        }
        #expect(a.status().records.isEmpty)
        for node in [a, b] { _ = try node.admin(ControlRequest(.revoke, id: c.id.description, reason: "test: revoked mid-round")) }
        try cluster.waitUntil("the round closes without c") { [a, b].allSatisfy { $0.status().records.count == 1 } }
        let record = try #require(a.status().records.first)
        #expect(record.entries.map(\.node).sorted() == [a.id, b.id].sorted())
        #expect(record.recordHash == b.status().records.first?.recordHash)
        #expect(!a.status().readyPeers.contains(c.id))
        #expect(try a.logged { $0["message"]?.string == "peer revoked: connections cut, its deltas dropped" })
    }
}

// MARK: - Fixture: node daemons in this process

/// A port nobody listens on right now (bound to 0, read, released).
func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return UInt16(bigEndian: address.sin_port)
}

/// One node home and, while started, its daemon.
final class DaemonNode: @unchecked Sendable {
    let name: String
    let home: NodeHome
    let id: NodeID
    let port: UInt16
    let trainSeconds: Double
    private(set) var daemon: NodeDaemon?
    private var lock: LockBox?

    init(name: String, home: NodeHome, port: UInt16, trainSeconds: Double) throws {
        self.name = name
        self.home = home
        self.port = port
        self.trainSeconds = trainSeconds
        id = try home.loadCertificate().nodeID
    }

    var endpoint: String { "127.0.0.1:\(port)" }

    /// Starts the daemon with test timings, after `configure` adjusts the options.
    func start(_ configure: (inout DaemonOptions) -> Void = { _ in }) throws {
        let config = try home.loadConfig()
        var options = DaemonOptions(config: config)
        options.deadline = .milliseconds(1500)
        options.tick = .milliseconds(20)
        options.reconnectDelay = (0.1, 1)
        options.catchupTimeout = .seconds(3)
        configure(&options)
        let lock = LockBox(try NodeLock(directory: home.root))
        let log = try Logger(component: name, consoleLevel: nil, jsonFile: "\(home.stateDirectory)/node.log.jsonl")
        let trainer = SyntheticTrainer(nodeID: id, minimumSeconds: trainSeconds)
        let initial = try SyntheticModel.initial(embodiments: config.embodiments)
        let daemon = try lock.with { try NodeDaemon(home: home, lock: $0, config: config, options: options, trainer: trainer,
                                                      initialModel: initial, log: log) }
        try daemon.start()
        self.daemon = daemon
        self.lock = lock
    }

    /// Stops the daemon and releases the lock.
    func stop() {
        daemon?.stop()
        daemon = nil
        lock = nil
    }

    func status() -> DaemonStatus { daemon!.status() }

    /// Runs an admin request the way `cotrain peers …` does (control socket while running).
    func admin(_ request: ControlRequest) throws -> JSONValue {
        try NodeAdmin.perform(request, home: home).result
    }

    /// Whether a line of the node's JSON log satisfies `match`.
    func logged(_ match: (JSONValue) -> Bool) throws -> Bool {
        let bytes = (try? readFile("\(home.stateDirectory)/node.log.jsonl", limit: 64 << 20)) ?? []
        return bytes.split(separator: 0x0A).contains { line in (try? JSONValue.parse(Array(line))).map(match) ?? false }
    }

    deinit { stop() }
}

/// Several nodes in temporary homes; stops them all at the end.
final class DaemonCluster {
    let fixture = NodeFixture()
    private(set) var nodes: [DaemonNode] = []

    /// A new home for lab `lab-<name>` listening on a free loopback port.
    func add(_ name: String, embodiment: String, trainSeconds: Double = 0, quota: Int64? = nil) throws -> DaemonNode {
        let port = try freeLoopbackPort()
        let endpoint = try NodeEndpoint(parsing: "127.0.0.1:\(port)")
        var config = try NodeConfig(lab: "lab-\(name)", embodiments: [embodiment], listen: endpoint, advertise: endpoint)
        config.limits.joinRequestsPerMinute = 600
        if let quota { config.limits.shardDiskQuotaBytes = quota }
        let home = try NodeHome.create(at: fixture.file(name), config: config, actor: "tester").home
        let node = try DaemonNode(name: name, home: home, port: port, trainSeconds: trainSeconds)
        nodes.append(node)
        return node
    }

    /// The join flow as two admins run it: `joiner` asks, `target` approves, and the
    /// target's approval reaches the joiner over the network.
    func link(_ joiner: DaemonNode, to target: DaemonNode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        _ = try joiner.admin(ControlRequest(.join, id: target.id.description, endpoint: target.endpoint, message: "test"))
        _ = try target.admin(ControlRequest(.approve, id: joiner.id.description, reason: "test"))
        try waitUntil("\(joiner.name) and \(target.name) are linked", sourceLocation: sourceLocation) {
            joiner.status().readyPeers.contains(target.id) && target.status().readyPeers.contains(joiner.id)
        }
    }

    /// Polls `condition` every 20 ms for up to `timeout` seconds; records an issue
    /// and throws when it never holds.
    func waitUntil(_ what: String, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
                   _ condition: () throws -> Bool) throws {
        let deadline = Date() + timeout
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        var logs = ""
        for node in nodes {
            let text = (try? String(decoding: readFile("\(node.home.stateDirectory)/node.log.jsonl", limit: 64 << 20), as: UTF8.self)) ?? ""
            logs += "\n--- \(node.name) ---\n" + text.split(separator: "\n").suffix(25).joined(separator: "\n")
        }
        Issue.record("timed out waiting until \(what); last log lines:\(logs)", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    deinit { for node in nodes { node.stop() } }
}
