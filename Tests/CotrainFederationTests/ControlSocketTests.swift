import CotrainCore
import Foundation
import Synchronization
import Testing
@testable import CotrainFederation

/// Admin requests through both paths: directly on the files when no node runs, and
/// over the control socket of a node running in this process.
@Suite struct ControlSocketTests {
    let fixture = NodeFixture()

    /// A home with one pending join request from `lab-b`; returns its id. The lock is
    /// released when this returns (no node runs).
    func homeWithPendingRequest() throws -> (NodeHome, NodeID) {
        let home = try fixture.makeHome("node")
        let lock = LockBox(try NodeLock(directory: home.root))
        let registry = try lock.with { try PeerRegistry(home: home, lock: $0) }
        let certificate = try NodeFixture.peer("lab-b")
        _ = try registry.receivedJoinRequest(
            certificate: certificate, lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443", message: "hi", from: "10.0.0.5")
        return (home, certificate.nodeID)
    }

    /// A running node: holds the lock, serves the control socket.
    final class RunningNode {
        let lock: LockBox
        let registry: PeerRegistry
        let server: ControlServer
        let revoked = NodeIDRecorder()

        init(_ home: NodeHome) throws {
            lock = try LockBox.retaking(home.root)
            registry = try lock.with { try PeerRegistry(home: home, lock: $0) }
            let handler = ControlHandler(registry: registry, config: try home.loadConfig(), nodeID: try home.loadCertificate().nodeID)
            server = try ControlServer(home: home, handler: handler)
            registry.onRevoke { [revoked] id in revoked.append(id) }
            server.start()
        }

        deinit { server.stop() }
    }

    @Test func withoutARunningNodeCommandsActOnTheFiles() throws {
        let (home, id) = try homeWithPendingRequest()
        let (pending, path) = try NodeAdmin.perform(ControlRequest(.pending), home: home)
        #expect(path == .direct)
        #expect(pending["pending"]?[0]?["node_id"]?.string == id.description)
        let (approved, _) = try NodeAdmin.perform(ControlRequest(.approve, id: id.short, reason: "MoU", by: "alice"), home: home)
        #expect(approved["approved"]?["lab"]?.string == "lab-b")
        let (list, _) = try NodeAdmin.perform(ControlRequest(.list), home: home)
        #expect(list["peers"]?.array?.count == 1 && list["peers"]?[0]?["short"]?.string == id.short)
        let entry = try #require(try AuditLog(path: home.auditLogPath).verify().entries.last)
        #expect(entry.action == "approve" && entry.reason == "MoU")
        #expect(entry.actor == "alice (as \(AuditEntry.currentUser()))")
        // The lock was released: another direct command can take it.
        #expect(try NodeAdmin.perform(ControlRequest(.status), home: home).path == .direct)
    }

    @Test func whileANodeRunsCommandsGoThroughItsSocket() throws {
        let (home, id) = try homeWithPendingRequest()
        let node = try RunningNode(home)
        #expect(try fixture.mode(of: home.controlSocketPath) == 0o600)
        let (status, path) = try NodeAdmin.perform(ControlRequest(.status), home: home)
        #expect(path == .controlSocket)
        #expect(status["node_id"]?.string == (try home.loadCertificate().nodeID.description))
        // A decision through the socket is visible to the running node's registry at once.
        _ = try NodeAdmin.perform(ControlRequest(.approve, id: id.digest.hex, reason: "ok"), home: home)
        #expect(node.registry.standing(of: id) == .approved)
        _ = try NodeAdmin.perform(ControlRequest(.revoke, id: String(id.short.prefix(9)), reason: "leak"), home: home)
        #expect(node.registry.standing(of: id) == .revoked)
        #expect(node.revoked.all == [id])
        let list = try NodeAdmin.perform(ControlRequest(.list), home: home).result
        #expect(list["peers"]?.array?.isEmpty == true && list["revoked"]?[0]?["reason"]?.string == "leak")
        #expect(try AuditLog(path: home.auditLogPath).verify().entries.map(\.action) == ["init", "join-request", "approve", "revoke"])
    }

    @Test func errorsComeBackAsOneLine() throws {
        let (home, _) = try homeWithPendingRequest()
        let node = try RunningNode(home)
        let error = try #require(throws: ControlError.self) {
            try NodeAdmin.perform(ControlRequest(.approve, id: "ZZZZ-ZZZZ"), home: home)
        }
        guard case .failed(let message) = error else { Issue.record("\(error)"); return }
        #expect(message.contains("no pending request has an id starting with 'ZZZZ-ZZZZ'"))
        #expect(node.registry.pendingRequests.count == 1)
    }

    @Test func malformedRequestsGetAnErrorResponse() throws {
        let (home, _) = try homeWithPendingRequest()
        let node = try RunningNode(home)
        for bad in ["not json", #"{"version":1,"command":"explode"}"#, #"{"version":2,"command":"status"}"#,
                    #"{"version":1,"command":"status","extra":1}"#, #"{"version":1,"command":"approve"}"#] {
            let socket = try ControlSocket.connect(to: home.controlSocketPath)
            try socket.writeLine(Array(bad.utf8))
            let response = try JSONValue.parse(socket.readLine(limit: 1 << 16))
            #expect(response["ok"] == false, "\(bad)")
            #expect(response["error"]?.string?.isEmpty == false)
        }
        // An over-long line is cut off with an error rather than buffered without end.
        let socket = try ControlSocket.connect(to: home.controlSocketPath)
        try? socket.writeLine([UInt8](repeating: 0x41, count: ControlRequest.maximumLineBytes + 10))
        #expect(try JSONValue.parse(socket.readLine(limit: 1 << 16))["ok"] == false)
        #expect(node.registry.pendingRequests.count == 1)
    }

    @Test func aLockedHomeWithoutASocketSaysSo() throws {
        let (home, _) = try homeWithPendingRequest()
        let node = try RunningNode(home)
        node.server.stop()
        #expect(!FileManager.default.fileExists(atPath: home.controlSocketPath))
        let error = try #require(throws: ControlError.self) {
            try NodeAdmin.perform(ControlRequest(.list), home: home, lockWait: 0.2)
        }
        guard case .noSocket = error else { Issue.record("\(error)"); return }
        #expect(error.description.contains("cotrain serve"))
    }

    @Test func tooLongSocketPathsAreRefusedClearly() throws {
        let path = "/tmp/" + String(repeating: "d", count: 120) + "/control.sock"
        #expect(throws: NodeHomeError.self) { try ControlSocket.address(path) }
    }
}
