import CotrainCore
import Foundation
import Synchronization
import Testing
@testable import CotrainFederation

@Suite struct PeerRegistryTests {
    @Test func approvingAPendingRequestPinsThePeerAndIsAudited() throws {
        let node = try NodeRegistryFixture()
        let certificate = try node.join("lab-b")
        let id = certificate.nodeID
        #expect(node.registry.standing(of: id) == .pending)
        #expect(node.registry.joinStatus(of: id) == .pending)
        let record = try node.registry.approve(id, by: "alice", reason: "MoU signed")
        #expect(record.lab == "lab-b" && record.embodiment == "ur5e" && record.endpoint.description == "lab-b.example.org:7443")
        #expect(node.registry.standing(of: id) == .approved)
        #expect(node.registry.pendingRequests.isEmpty)
        #expect(FileManager.default.fileExists(atPath: node.home.peerPath(id)))
        #expect(!FileManager.default.fileExists(atPath: node.home.pendingPath(id)))
        #expect(try node.fixture.mode(of: node.home.peerPath(id)) == 0o644)
        let entries = try AuditLog(path: node.home.auditLogPath).verify().entries
        #expect(entries.map(\.action) == ["init", "join-request", "approve"])
        #expect(entries[2].actor == "alice" && entries[2].reason == "MoU signed" && entries[2].nodeID == id.digest.hex)
        #expect(entries[2].lab == "lab-b" && entries[1].actor == "remote 10.0.0.5:40000")
        // A restart reads the same state back from disk.
        let reopened = try node.reopened()
        #expect(reopened.standing(of: id) == .approved && reopened.peers.map(\.nodeID) == [id] && reopened.problems.isEmpty)
        #expect(try reopened.peers[0].certificate.derEncoded() == certificate.derEncoded())
        // An approved node sending a join request again changes nothing.
        let again = try node.registry.receivedJoinRequest(
            certificate: certificate, lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443", message: "", from: "10.0.0.9")
        #expect(again == .approved && node.registry.pendingRequests.isEmpty)
    }

    @Test func decisionsNeedAPendingRequest() throws {
        let node = try NodeRegistryFixture()
        let stranger = try NodeFixture.peer("lab-x").nodeID
        #expect(throws: PeerRegistryError.notPending(stranger)) { try node.registry.approve(stranger, by: "alice") }
        #expect(throws: PeerRegistryError.notPending(stranger)) { try node.registry.reject(stranger, by: "alice") }
        let id = try node.join("lab-b").nodeID
        try node.registry.approve(id, by: "alice")
        #expect(throws: PeerRegistryError.alreadyApproved(id)) { try node.registry.approve(id, by: "alice") }
        #expect(throws: PeerRegistryError.self) { try node.registry.approve(id, by: "eve\u{1B}[2J") }
        #expect(try node.auditActions() == ["init", "join-request", "approve"])
    }

    @Test func rejectedNodesMayAskAgainAndLearnTheOutcome() throws {
        let node = try NodeRegistryFixture()
        let certificate = try node.join("lab-b")
        let id = certificate.nodeID
        try node.registry.reject(id, by: "alice", reason: "unknown lab")
        #expect(node.registry.standing(of: id) == .unknown)
        #expect(node.registry.joinStatus(of: id) == .rejected(reason: "unknown lab"))
        #expect(try node.reopened().joinStatus(of: id) == .rejected(reason: "unknown lab"))
        let status = try node.registry.receivedJoinRequest(
            certificate: certificate, lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443", message: "please", from: "10.0.0.5")
        #expect(status == .pending && node.registry.joinStatus(of: id) == .pending)
        let entries = try AuditLog(path: node.home.auditLogPath).verify().entries
        #expect(entries.map(\.action) == ["init", "join-request", "reject", "join-request"])
        #expect(entries[2].reason == "unknown lab" && entries[3].detail?.contains("rejected before") == true)
    }

    @Test func revokedNodesStayRevokedAndTheTransportIsTold() throws {
        let node = try NodeRegistryFixture()
        let certificate = try node.join("lab-b")
        let id = certificate.nodeID
        try node.registry.approve(id, by: "alice")
        let revoked = NodeIDRecorder()
        node.registry.onRevoke { id in revoked.append(id) }
        try node.registry.revoke(id, by: "alice", reason: "key leaked")
        #expect(revoked.all == [id])
        #expect(node.registry.standing(of: id) == .revoked && node.registry.peer(id) == nil)
        #expect(!FileManager.default.fileExists(atPath: node.home.peerPath(id)))
        #expect(throws: PeerRegistryError.alreadyRevoked(id)) { try node.registry.revoke(id, by: "alice") }
        // Its join requests are ignored, and it stays revoked after a restart.
        let status = try node.registry.receivedJoinRequest(
            certificate: certificate, lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443", message: "", from: "10.0.0.7")
        #expect(status == .revoked && node.registry.pendingRequests.isEmpty)
        #expect(try node.reopened().standing(of: id) == .revoked)
        #expect(throws: PeerRegistryError.revokedNotPending(id)) { try node.registry.approve(id, by: "alice") }
        // Unrevoking makes it unknown: it must ask again and be approved again.
        try node.registry.unrevoke(id, by: "alice", reason: "new key checked")
        #expect(node.registry.standing(of: id) == .unknown)
        #expect(try node.reopened().standing(of: id) == .unknown)
        #expect(try node.auditActions() == ["init", "join-request", "approve", "revoke", "unrevoke"])
    }

    @Test func anUnknownIdMayBeRevokedInAdvance() throws {
        let node = try NodeRegistryFixture()
        let certificate = try NodeFixture.peer("lab-z")
        try node.registry.revoke(certificate.nodeID, by: "alice", reason: "spam")
        #expect(node.registry.standing(of: certificate.nodeID) == .revoked)
        #expect(try node.registry.receivedJoinRequest(
            certificate: certificate, lab: "lab-z", embodiment: "hand", endpoint: "z.example.org:1", message: "", from: "10.1.1.1") == .revoked)
    }

    @Test func aTamperedPeerRecordIsNotTrusted() throws {
        let node = try NodeRegistryFixture()
        let real = try node.join("lab-b")
        try node.registry.approve(real.nodeID, by: "alice")
        // Swap in another node's certificate, keeping the approved node's id and file name.
        let impostor = try NodeFixture.peer("lab-b")
        let path = node.home.peerPath(real.nodeID)
        let text = String(decoding: try readFile(path, limit: 1 << 20), as: UTF8.self)
        let forged = text.replacingOccurrences(of: try jsonEscaped(real.pemEncoded()), with: try jsonEscaped(impostor.pemEncoded()))
        #expect(forged != text)
        try AtomicFile.write(Array(forged.utf8), to: path)
        let reopened = try node.reopened()
        #expect(reopened.standing(of: real.nodeID) == .unknown && reopened.standing(of: impostor.nodeID) == .unknown)
        #expect(reopened.problems.count == 1 && reopened.problems[0].contains("NOT trusted"))
        #expect(reopened.problems[0].contains("belongs to node \(impostor.nodeID)"))
        #expect(throws: PeerRecordError.self) { try PeerRecord.load(from: path) }
    }

    @Test func aPeerRecordMustBeNamedAfterItsIdAndMatchItsLab() throws {
        let node = try NodeRegistryFixture()
        let a = try node.join("lab-b")
        try node.registry.approve(a.nodeID, by: "alice")
        let path = node.home.peerPath(a.nodeID)
        let other = "\(node.home.peersDirectory)/\(String(repeating: "ab", count: 32)).json"
        try FileManager.default.moveItem(atPath: path, toPath: other)
        #expect(throws: PeerRecordError.self) { try PeerRecord.load(from: other) }
        try FileManager.default.moveItem(atPath: other, toPath: path)
        let text = String(decoding: try readFile(path, limit: 1 << 20), as: UTF8.self)
        try AtomicFile.write(Array(text.replacingOccurrences(of: "\"lab\": \"lab-b\"", with: "\"lab\": \"lab-c\"").utf8), to: path)
        let error = try #require(throws: PeerRecordError.self) { try PeerRecord.load(from: path) }
        #expect(error.reason.contains("differs from the certificate's name"))
    }

    @Test func idsResolveFromGroupedHexAndUnambiguousPrefixes() throws {
        let node = try NodeRegistryFixture()
        let id = try node.join("lab-b").nodeID
        let registry = node.registry
        #expect(try registry.resolve(id.description, in: [.pending]) == id)
        #expect(try registry.resolve(id.description.lowercased().replacingOccurrences(of: "-", with: " "), in: [.pending]) == id)
        #expect(try registry.resolve(id.digest.hex, in: [.pending]) == id)
        #expect(try registry.resolve(id.short, in: [.pending]) == id)
        #expect(try registry.resolve(String(id.short.prefix(4)).lowercased(), in: [.pending]) == id)
        #expect(throws: PeerRegistryError.self) { try registry.resolve(String(id.short.prefix(3)), in: [.pending]) }
        #expect(throws: PeerRegistryError.self) { try registry.resolve(id.short, in: [.approved]) }
        #expect(throws: PeerRegistryError.self) { try registry.resolve("MFRG-0000", in: [.pending]) }
        #expect(throws: PeerRegistryError.self) { try registry.resolve(id.short, in: []) }
        // Two ids sharing a prefix are ambiguous.
        let twins = try (0..<2).map { i -> NodeID in
            var bytes = [UInt8](repeating: 0x5A, count: 32)
            bytes[31] = UInt8(i)
            return NodeID(digest: try SHA256Digest(bytes: bytes))
        }
        #expect(throws: PeerRegistryError.ambiguous("LJNF", matches: twins)) {
            try PeerRegistry.match("LJNF", prefix: "LJNF", candidates: twins, among: "pending request")
        }
    }

    private func jsonEscaped(_ text: String) -> String {
        String(JSONValue.string(text).canonicalString.dropFirst().dropLast())
    }
}
