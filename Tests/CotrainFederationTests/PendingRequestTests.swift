import CotrainCore
import Foundation
import Testing
@testable import CotrainFederation

@Suite struct PendingRequestTests {
    @Test func theRateLimiterAllowsABurstThenOnePerRefill() {
        var limiter = PendingRateLimiter(perMinute: 3)
        for _ in 0..<3 { #expect(limiter.admit("10.0.0.5:1000", at: 100) == .allowed) }
        #expect(limiter.admit("10.0.0.5:2000", at: 100) == .limited(retryAfter: 20))
        #expect(limiter.admit("10.0.0.6", at: 100) == .allowed)
        #expect(limiter.admit("10.0.0.5", at: 110) == .limited(retryAfter: 10))
        #expect(limiter.admit("10.0.0.5", at: 120) == .allowed)
        #expect(limiter.admit("10.0.0.5", at: 120) == .limited(retryAfter: 20))
        // A clock stepping backwards adds nothing.
        #expect(limiter.admit("10.0.0.5", at: 50) == .limited(retryAfter: 20))
        // Idle for long enough, the bucket is full again but never above the burst.
        for _ in 0..<3 { #expect(limiter.admit("10.0.0.5", at: 10_000) == .allowed) }
        #expect(limiter.admit("10.0.0.5", at: 10_000) != .allowed)
    }

    @Test func ipv6AddressesShareABucketPerSlash64() {
        var limiter = PendingRateLimiter(perMinute: 1)
        #expect(limiter.admit("[2001:db8:1:2::1]:5000", at: 0) == .allowed)
        #expect(limiter.admit("[2001:db8:1:2::ffff]:5001", at: 0) != .allowed)
        #expect(limiter.admit("2001:db8:1:3::1", at: 0) == .allowed)
    }

    @Test func trackedAddressesAreBounded() {
        var limiter = PendingRateLimiter(perMinute: 3, maximumAddresses: 10)
        for i in 0..<100 { _ = limiter.admit("10.0.1.\(i)", at: Double(i)) }
        #expect(limiter.trackedAddresses <= 11)
    }

    @Test func theRegistryRateLimitsPerAddressWithItsClock() throws {
        let node = try NodeRegistryFixture()
        for i in 0..<3 { try node.join("lab-\(i)", from: "192.0.2.1:\(4000 + i)") }
        let error = try #require(throws: JoinRequestError.self) { try node.join("lab-3", from: "192.0.2.1:4100") }
        #expect(error == .rateLimited(address: "192.0.2.1:4100", retryAfterSeconds: 20))
        try node.join("lab-4", from: "192.0.2.2:4000")
        node.clock.advance(20)
        try node.join("lab-5", from: "192.0.2.1:4101")
        #expect(node.registry.pendingRequests.count == 5)
    }

    @Test func thePendingListIsBounded() throws {
        var limits = NodeConfig.NodeLimits()
        limits.maxPendingRequests = 2
        let node = try NodeRegistryFixture(limits: limits)
        let first = try node.join("lab-a", from: "198.51.100.1")
        try node.join("lab-b", from: "198.51.100.2")
        #expect(throws: JoinRequestError.pendingFull(limit: 2)) { try node.join("lab-c", from: "198.51.100.3") }
        #expect(JoinRequestError.pendingFull(limit: 2).description.contains("try again later"))
        // A node already pending may still update its request.
        let status = try node.registry.receivedJoinRequest(
            certificate: first, lab: "lab-a", embodiment: "panda", endpoint: "lab-a.example.org:7443", message: "new", from: "198.51.100.1")
        #expect(status == .pending)
        #expect(node.registry.pendingRequests.first { $0.nodeID == first.nodeID }?.message == "new")
        // Deciding frees a slot.
        try node.registry.reject(first.nodeID, by: "alice")
        try node.join("lab-c", from: "198.51.100.3")
        #expect(try node.reopened().pendingRequests.count == 2)
    }

    @Test func aResendThatChangesNothingIsNotLoggedAgain() throws {
        let node = try NodeRegistryFixture()
        let certificate = try node.join("lab-b")
        node.clock.advance(60)
        for message in ["hello", "hello", "changed"] {
            _ = try node.registry.receivedJoinRequest(
                certificate: certificate, lab: "lab-b", embodiment: "ur5e", endpoint: "lab-b.example.org:7443", message: message, from: "10.0.0.5")
        }
        #expect(try node.auditActions() == ["init", "join-request", "join-request"])
        let request = try #require(node.registry.pendingRequests.first)
        #expect(request.receivedAt != request.updatedAt && request.message == "changed")
    }

    @Test(arguments: [
        ("lab", " lab-b", "ur5e", "lab-b.example.org:7443", "hi"),
        ("certificate", "lab-c", "ur5e", "lab-b.example.org:7443", "hi"),
        ("embodiment", "lab-b", "pandas", "lab-b.example.org:7443", "hi"),
        ("endpoint", "lab-b", "ur5e", "lab-b.example.org", "hi"),
        ("message", "lab-b", "ur5e", "lab-b.example.org:7443", String(repeating: "m", count: 1025)),
        ("message", "lab-b", "ur5e", "lab-b.example.org:7443", "clear \u{1B}[2J screen"),
    ])
    func invalidJoinRequestsAreRefusedAndNotStored(field: String, lab: String, embodiment: String, endpoint: String, message: String) throws {
        let node = try NodeRegistryFixture()
        let certificate = try NodeFixture.peer("lab-b")
        let error = try #require(throws: JoinRequestError.self) {
            try node.registry.receivedJoinRequest(
                certificate: certificate, lab: lab, embodiment: embodiment, endpoint: endpoint, message: message, from: "10.0.0.5")
        }
        guard case .invalid(let found, _) = error else { Issue.record("expected .invalid, got \(error)"); return }
        #expect(found == field)
        #expect(node.registry.pendingRequests.isEmpty && node.registry.standing(of: certificate.nodeID) == .unknown)
        #expect(try node.auditActions() == ["init"])
    }

    @Test func aMessageOfExactly1KiBIsAccepted() throws {
        let node = try NodeRegistryFixture()
        try node.join("lab-b", message: String(repeating: "é", count: 512))
        #expect(node.registry.pendingRequests[0].message.utf8.count == 1024)
    }

    @Test func anExpiredCertificateIsRefused() throws {
        let node = try NodeRegistryFixture()
        let old = try Certificate.selfSigned(labName: "lab-old", key: Ed25519PrivateKey(), validityDays: 1, now: Date(timeIntervalSince1970: 1_000_000_000))
        #expect(throws: JoinRequestError.self) {
            try node.registry.receivedJoinRequest(certificate: old, lab: "lab-old", embodiment: "hand", endpoint: "old.example.org:1", message: "", from: "10.0.0.1")
        }
    }
}
