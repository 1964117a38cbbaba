import CotrainCore
import Foundation
import Testing
@testable import CotrainFederation

/// The joining side: `peers join` records the target, sends through a JoinDialer,
/// and pins the target once it approves.
@Suite struct PeerJoinTests {
    struct FakeDialer: JoinDialer {
        let reply: JoinReply
        func sendJoinRequest(_ request: OutgoingJoin) throws -> JoinReply { reply }
    }

    func request(_ node: NodeRegistryFixture, target: NodeID) throws -> OutgoingJoin {
        OutgoingJoin(target: target, endpoint: try NodeEndpoint(parsing: "lab-b.example.org:7443"), message: "hello",
                     lab: "lab-node", embodiment: "panda", advertise: try NodeEndpoint(parsing: "node.example.org:7443"),
                     requestedBy: "alice", requestedAt: "2027-01-15T08:00:00.000Z")
    }

    @Test func withoutATransportTheRequestIsRecordedButNotSent() throws {
        let node = try NodeRegistryFixture()
        let target = try NodeFixture.peer("lab-b").nodeID
        #expect(throws: JoinSendError.transportUnavailable(recorded: target)) {
            try node.registry.sendJoinRequest(request(node, target: target), with: UnavailableJoinDialer())
        }
        #expect(FileManager.default.fileExists(atPath: node.home.outgoingPath(target)))
        #expect(node.registry.standing(of: target) == .unknown)
        #expect(try node.auditActions() == ["init"])
        // Through the admin path the same: an error, never a fake success.
        let fixture = NodeFixture()
        let home = try fixture.makeHome("other")
        #expect(throws: JoinSendError.self) {
            try NodeAdmin.perform(ControlRequest(.join, id: target.description, endpoint: "lab-b.example.org:7443"), home: home)
        }
        #expect(FileManager.default.fileExists(atPath: home.outgoingPath(target)))
    }

    @Test func anApprovingTargetIsPinnedAsAPeer() throws {
        let node = try NodeRegistryFixture()
        let target = try NodeFixture.peer("lab-b")
        let dialer = FakeDialer(reply: JoinReply(status: .approved, certificate: target, embodiment: "ur5e"))
        #expect(try node.registry.sendJoinRequest(request(node, target: target.nodeID), with: dialer) == .approved)
        let peer = try #require(node.registry.peer(target.nodeID))
        #expect(peer.approvedBy == "alice" && peer.lab == "lab-b" && peer.endpoint.description == "lab-b.example.org:7443")
        #expect(!FileManager.default.fileExists(atPath: node.home.outgoingPath(target.nodeID)))
        #expect(try node.auditActions() == ["init", "join-sent", "join-accepted"])
    }

    @Test func aPendingAnswerWaitsForTheTargetsApproval() throws {
        let node = try NodeRegistryFixture()
        let target = try NodeFixture.peer("lab-b")
        let dialer = FakeDialer(reply: JoinReply(status: .pending, certificate: target, embodiment: "ur5e"))
        #expect(try node.registry.sendJoinRequest(request(node, target: target.nodeID), with: dialer) == .pending)
        #expect(node.registry.standing(of: target.nodeID) == .unknown)
        // Later the transport learns the target approved us.
        #expect(try node.registry.outgoingJoinAccepted(certificate: target, embodiment: "ur5e") != nil)
        #expect(node.registry.standing(of: target.nodeID) == .approved)
        // A node we never asked to join is never pinned this way.
        #expect(try node.registry.outgoingJoinAccepted(certificate: try NodeFixture.peer("lab-x"), embodiment: "ur5e") == nil)
    }

    @Test func aTargetPresentingAnotherIdIsRefused() throws {
        let node = try NodeRegistryFixture()
        let target = try NodeFixture.peer("lab-b")
        let impostor = try NodeFixture.peer("lab-b")
        let dialer = FakeDialer(reply: JoinReply(status: .approved, certificate: impostor, embodiment: "ur5e"))
        #expect(throws: JoinSendError.wrongTarget(expected: target.nodeID, found: impostor.nodeID)) {
            try node.registry.sendJoinRequest(request(node, target: target.nodeID), with: dialer)
        }
        #expect(node.registry.peers.isEmpty)
    }
}
