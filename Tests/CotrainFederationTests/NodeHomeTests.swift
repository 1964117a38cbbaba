import CotrainCore
import Foundation
import Synchronization
import Testing
@testable import CotrainFederation

@Suite struct NodeHomeTests {
    @Test func initCreatesTheLayoutWithPrivatePermissions() throws {
        let fixture = NodeFixture()
        let home = try fixture.makeHome("node")
        for directory in home.directories {
            #expect(try fixture.mode(of: directory) == 0o700, "\(directory)")
        }
        #expect(try fixture.mode(of: home.keyPath) == 0o600)
        #expect(try fixture.mode(of: home.certificatePath) == 0o644)
        #expect(try fixture.mode(of: home.auditLogPath) == 0o600)
        let config = try NodeConfig.load(from: home.configPath)
        #expect(config.lab == "lab-node" && config.embodiments == ["panda"] && config.listen.description == "0.0.0.0:7443")
        let identity = try home.loadIdentity()
        #expect(try identity.key.publicKey.nodeID() == identity.certificate.nodeID)
        let log = try AuditLog(path: home.auditLogPath).verify()
        #expect(log.isIntact && log.entries.map(\.action) == ["init"])
        #expect(log.entries[0].nodeID == identity.certificate.nodeID.digest.hex)
        // Nothing but the home itself is left in the parent (no staging directory).
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.path) == ["node"])
    }

    @Test func initRefusesANonEmptyDirectoryAndAcceptsAnEmptyOne() throws {
        let fixture = NodeFixture()
        let full = fixture.file("full")
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: false)
        #expect(FileManager.default.createFile(atPath: full + "/notes.txt", contents: Data("keep".utf8)))
        #expect(throws: NodeHomeError.notEmpty(full)) { try fixture.makeHome("full") }
        #expect(FileManager.default.contents(atPath: full + "/notes.txt") == Data("keep".utf8))
        let empty = fixture.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        let home = try fixture.makeHome("empty")
        #expect(try fixture.mode(of: home.root) == 0o700)
        #expect(throws: NodeHomeError.notEmpty(home.root)) { try fixture.makeHome("empty") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.path).sorted() == ["empty", "full"])
    }

    @Test func aDirectoryWithoutConfigIsNotAHome() throws {
        let fixture = NodeFixture()
        let home = NodeHome(root: fixture.path)
        #expect(throws: NodeHomeError.notInitialized(fixture.path)) { try home.validate() }
        #expect(throws: NodeHomeError.notInitialized(fixture.path)) {
            try NodeAdmin.perform(ControlRequest(.list), home: home)
        }
    }

    @Test func missingStateDirectoriesAreRecreated() throws {
        let fixture = NodeFixture()
        let home = try fixture.makeHome("node")
        try FileManager.default.removeItem(atPath: home.pendingDirectory)
        try FileManager.default.removeItem(atPath: home.outgoingDirectory)
        try home.validate()
        #expect(try fixture.mode(of: home.pendingDirectory) == 0o700)
    }

    @Test func homeResolutionPrefersTheFlagThenTheEnvironment() {
        #expect(NodeHome.resolve(flag: "/a/", environment: ["COTRAIN_HOME": "/b"]).root == "/a")
        #expect(NodeHome.resolve(flag: nil, environment: ["COTRAIN_HOME": "/b"]).root == "/b")
        #expect(NodeHome.resolve(flag: nil, environment: [:]).root == "cotrain-node")
    }
}

// MARK: - Fixtures shared by the node, peer, pending, audit and control tests

/// A temporary directory for one test, with helpers to make homes and peer identities.
final class NodeFixture {
    let path: String

    init() {
        var template = Array("\(NSTemporaryDirectory())/cotrain-node.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// A new node home `name` for lab `lab-<name>`.
    @discardableResult
    func makeHome(_ name: String, config: NodeConfig? = nil) throws -> NodeHome {
        let config = try config ?? NodeConfig(lab: "lab-\(name)", embodiments: ["panda"], listen: NodeEndpoint(parsing: "0.0.0.0:7443"),
                                              advertise: NodeEndpoint(parsing: "\(name).example.org:7443"))
        return try NodeHome.create(at: file(name), config: config, actor: "tester").home
    }

    func mode(of path: String) throws -> mode_t {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw SystemError("lstat", path, code: errno) }
        return st.st_mode & 0o7777
    }

    /// A new peer identity: its key and self-signed certificate for `lab`.
    static func peer(_ lab: String) throws -> Certificate {
        try Certificate.selfSigned(labName: lab, key: Ed25519PrivateKey())
    }
}

/// A clock tests move by hand.
final class NodeTestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func read() -> Date { now.withLock { $0 } }
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
    var function: @Sendable () -> Date { { [self] in read() } }
}

/// A registry over a fresh home, holding the home's lock for its lifetime.
final class NodeRegistryFixture {
    let fixture = NodeFixture()
    let home: NodeHome
    let clock = NodeTestClock()
    let registry: PeerRegistry
    private let lock: LockBox

    init(limits: NodeConfig.NodeLimits = .init()) throws {
        let home = try fixture.makeHome("node")
        let lock = LockBox(try NodeLock(directory: home.root))
        let clock = clock.function
        registry = try lock.with { try PeerRegistry(home: home, lock: $0, limits: limits, clock: clock) }
        self.home = home
        self.lock = lock
    }

    /// A join request from a new node of lab `lab`; returns its certificate.
    @discardableResult
    func join(_ lab: String, from address: String = "10.0.0.5:40000", message: String = "hello") throws -> Certificate {
        let certificate = try NodeFixture.peer(lab)
        let status = try registry.receivedJoinRequest(
            certificate: certificate, lab: lab, embodiment: "ur5e", endpoint: "\(lab).example.org:7443", message: message, from: address)
        #expect(status == .pending)
        return certificate
    }

    /// A second registry over the same files (as after a restart), sharing the lock.
    func reopened() throws -> PeerRegistry {
        try lock.with { try PeerRegistry(home: home, lock: $0, clock: clock.function) }
    }

    func auditActions() throws -> [String] {
        try AuditLog(path: home.auditLogPath).verify().entries.map(\.action)
    }
}

/// Keeps a non-copyable lock alive inside a class.
final class LockBox {
    let lock: NodeLock
    init(_ lock: consuming NodeLock) { self.lock = lock }
    func with<T>(_ body: (borrowing NodeLock) throws -> T) rethrows -> T { try body(lock) }

    /// Takes the lock of a home this process locked and released a moment ago. A child
    /// that another test spawns at that moment carries a copy of the lock's descriptor
    /// from its fork until its exec closes it (O_CLOEXEC), and flock sees the lock held
    /// by this very process; on a busy machine that window lasts long enough to fail a
    /// test. Other holders fail at once, as the node would.
    static func retaking(_ directory: String) throws -> LockBox {
        let deadline = Date().addingTimeInterval(5)
        while true {
            do { return LockBox(try NodeLock(directory: directory)) } catch let error as LockError where error.holder == getpid() && Date() < deadline {
                usleep(10_000)
            }
        }
    }
}

/// Collects node ids from callbacks on any thread.
final class NodeIDRecorder: Sendable {
    private let ids = Mutex<[NodeID]>([])
    func append(_ id: NodeID) { ids.withLock { $0.append(id) } }
    var all: [NodeID] { ids.withLock { $0 } }
}
