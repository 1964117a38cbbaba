// The round state machine driven by hand: completion, duplicates, late drops, quorum
// at the deadline, and refusals that affect only the offending delta.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite struct RoundStateTests {
    let nodes = TestNode.make(4)
    let base = try! SHA256.hash(Array("base-5".utf8))
    let start = Date(timeIntervalSince1970: 1_000_000)
    var deadline: Date { start.addingTimeInterval(600) }
    var keys: (NodeID) -> Ed25519PublicKey? { TestNode.keys(nodes) }
    var schema: ParameterSchema { DeltaFixtures.sharedSchema }

    func state(quorum: Quorum = .count(3)) -> RoundState {
        RoundState(
            expectation: DeltaExpectation(round: 5, baseHash: base, sharedSchema: schema),
            participants: Set(nodes.map(\.id)), deadline: deadline, quorum: quorum)
    }

    func delta(_ index: Int, round: Int = 5, seed: UInt64 = 0) throws -> SignedDelta {
        try DeltaEncoder(codec: .fp16).encode(
            delta: DeltaFixtures.gaussianSet(schema, seed: 60 + UInt64(index) + seed), round: round, baseHash: base,
            sampleCount: 10, key: nodes[index].key)
    }

    @Test func completesWhenEveryParticipantReported() throws {
        var round = state()
        for i in 0..<4 {
            #expect(round.closeIfComplete() == .waiting)
            #expect(round.receive(try delta(i), now: start, verifier: DeltaVerifier(), keys: keys) == .accepted)
        }
        #expect(round.isComplete)
        guard case let .aggregate(inputs) = round.closeIfComplete() else { Issue.record("not closed"); return }
        #expect(inputs.map(\.node) == nodes.map(\.id))
        #expect(round.phase == .closed)
        #expect(round.receive(try delta(0, seed: 9), now: start, verifier: DeltaVerifier(), keys: keys) == .lateDropped)
        #expect(round.closeIfComplete() == .alreadyClosed)
    }

    @Test func duplicatesEquivocationAndStrangers() throws {
        var round = state()
        let first = try delta(0)
        #expect(round.receive(first, now: start, verifier: DeltaVerifier(), keys: keys) == .accepted)
        #expect(round.receive(first, now: start, verifier: DeltaVerifier(), keys: keys) == .duplicate)
        guard case let .rejected(error) = round.receive(try delta(0, seed: 1), now: start, verifier: DeltaVerifier(), keys: keys) else {
            Issue.record("equivocation accepted"); return
        }
        #expect(error.check == .replay && error.node == nodes[0].id)
        let stranger = TestNode()
        let foreign = try DeltaEncoder().encode(
            delta: DeltaFixtures.gaussianSet(schema, seed: 1), round: 5, baseHash: base, sampleCount: 1, key: stranger.key)
        guard case let .rejected(e2) = round.receive(foreign, now: start, verifier: DeltaVerifier(), keys: keys) else {
            Issue.record("stranger accepted"); return
        }
        #expect(e2.check == .sender)
        #expect(round.received.count == 1)
    }

    @Test func roundsAndTamperingAreJudgedPerDelta() throws {
        var round = state()
        #expect(round.receive(try delta(1, round: 4), now: start, verifier: DeltaVerifier(), keys: keys) == .lateDropped)
        guard case let .rejected(future) = round.receive(try delta(1, round: 6), now: start, verifier: DeltaVerifier(), keys: keys) else {
            Issue.record("future round accepted"); return
        }
        #expect(future.check == .round)
        var bytes = try delta(2).serialized()
        bytes[bytes.count - 100] ^= 1
        let tampered = try SignedDelta(serialized: bytes, maxPayloadBytes: 1 << 20)
        guard case let .rejected(bad) = round.receive(tampered, now: start, verifier: DeltaVerifier(), keys: keys) else {
            Issue.record("tampered accepted"); return
        }
        #expect(bad.check == .signature)
        #expect(round.receive(try delta(2), now: start, verifier: DeltaVerifier(), keys: keys) == .accepted)
    }

    @Test func deadlineClosesWithAQuorumAndDropsLateDeltas() throws {
        var round = state(quorum: .fraction(0.75))
        for i in 0..<3 { _ = round.receive(try delta(i), now: start, verifier: DeltaVerifier(), keys: keys) }
        #expect(round.deadlineReached(now: deadline.addingTimeInterval(-1)) == .waiting)
        #expect(round.receive(try delta(3), now: deadline, verifier: DeltaVerifier(), keys: keys) == .lateDropped)
        guard case let .aggregate(inputs) = round.deadlineReached(now: deadline) else { Issue.record("no close"); return }
        #expect(inputs.count == 3 && inputs.map(\.node) == inputs.map(\.node).sorted())
    }

    @Test func deadlineWithoutAQuorumFailsTheRound() throws {
        var round = state(quorum: .count(3))
        for i in 0..<2 { _ = round.receive(try delta(i), now: start, verifier: DeltaVerifier(), keys: keys) }
        guard case let .insufficientQuorum(have, needed) = round.deadlineReached(now: deadline.addingTimeInterval(5)) else {
            Issue.record("closed without quorum"); return
        }
        #expect(have == 2 && needed == 3 && round.phase == .failed)
        #expect(round.deadlineReached(now: deadline.addingTimeInterval(10)) == .alreadyClosed)
        #expect(Quorum.fraction(0.5).needed(of: 5) == 3 && Quorum.count(0).needed(of: 5) == 1)
    }
}

extension RoundState.CloseAction: Equatable {
    public static func == (a: RoundState.CloseAction, b: RoundState.CloseAction) -> Bool {
        switch (a, b) {
        case (.waiting, .waiting), (.alreadyClosed, .alreadyClosed): return true
        case let (.aggregate(x), .aggregate(y)): return x.map(\.deltaHash) == y.map(\.deltaHash)
        case let (.insufficientQuorum(h1, n1), .insufficientQuorum(h2, n2)): return h1 == h2 && n1 == n2
        default: return false
        }
    }
}
