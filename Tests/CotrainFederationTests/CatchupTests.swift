import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

/// Catching up from a peer's journal: the plan (extend, fork rule, refusal), the
/// journal rewrite, and two running nodes that forked converging on one history.
@Suite(.serialized) struct CatchupTests {
    static func digest(_ text: String) -> SHA256Digest { try! SHA256.hash(Array(text.utf8)) }

    /// A chain of records after `previous`, one per entry list.
    static func chain(_ deltas: [[String]], after previous: RoundRecord? = nil, salt: String = "") -> [RoundRecord] {
        var records: [RoundRecord] = []
        var last = previous
        for (index, names) in deltas.enumerated() {
            let round = (last?.round ?? 0) + 1
            let entries = names.map { RoundRecordEntry(node: NodeID(digest: digest($0)), deltaHash: digest("\($0)/\(round)\(salt)"), sampleCount: 10) }
            let record = RoundRecord(round: round, baseHash: last?.resultHash ?? digest("initial"), entries: entries,
                                     rule: AggregationRule().json, resultHash: digest("result \(round) \(index) \(names) \(salt)"),
                                     previousHash: last?.recordHash ?? RoundRecord.genesis)
            records.append(record)
            last = record
        }
        return records
    }

    @Test func aPeerAheadIsAdoptedAndAnUnlinkedOneRefused() throws {
        let local = Self.chain([["a", "b"], ["a", "b"]])
        let remote = Self.chain([["a", "b"]], after: local[1])
        #expect(try CatchupPlan.plan(local: local, remote: [local[1]] + remote) == .extend(remote))
        #expect(try CatchupPlan.plan(local: local, remote: [local[1]]) == .upToDate)
        #expect(try CatchupPlan.plan(local: [], remote: local) == .extend(local))
        let stranger = Self.chain([["x"], ["x"]], salt: "other history")
        #expect(throws: JournalError.self) { try CatchupPlan.plan(local: local, remote: [stranger[1]]) }
        var broken = remote
        broken.append(Self.chain([["a"]], after: local[0])[0])  // does not follow remote's last record
        #expect(throws: JournalError.self) { try CatchupPlan.plan(local: local, remote: broken) }
    }

    @Test func theForkRulePrefersMoreDeltasThenTheLowerRecordHash() throws {
        let common = Self.chain([["a", "b", "c"]])
        let missed = Self.chain([["a", "b"]], after: common[0])  // this node missed c's delta at the deadline
        let full = Self.chain([["a", "b", "c"], ["a", "b", "c"]], after: common[0])
        #expect(try CatchupPlan.plan(local: common + missed, remote: full) == .replace(keeping: 1, with: full))
        #expect(try CatchupPlan.plan(local: common + full, remote: missed) == .keepLocal(round: 2))
        let other = Self.chain([["a", "c"]], after: common[0], salt: "x")
        let winner = CatchupPlan.wins(other[0], over: missed[0]) ? other[0] : missed[0]
        #expect(CatchupPlan.wins(winner, over: winner == other[0] ? missed[0] : other[0]))
        #expect(!CatchupPlan.wins(winner == other[0] ? missed[0] : other[0], over: winner), "a strict order: both nodes pick the same")
    }

    @Test func replacingTheTailRewritesTheJournalAtomically() throws {
        let fixture = NodeFixture()
        var journal = try RoundJournal.open(directory: fixture.path)
        let common = Self.chain([["a", "b", "c"]])
        try journal.append(contentsOf: common + Self.chain([["a", "b"]], after: common[0]))
        let full = Self.chain([["a", "b", "c"]], after: common[0])
        try journal.apply(.replace(keeping: 1, with: full))
        #expect(try RoundJournal.open(directory: fixture.path).records == common + full)
        try journal.append(Self.chain([["a"]], after: full[0])[0])
        #expect(try RoundJournal.open(directory: fixture.path).records.count == 3)
        #expect(AtomicFile.sweepTemporaries(in: fixture.path).isEmpty)
    }

    /// `a` aggregates a delta `b` never sees (from `h`, a peer only `a` approved), so
    /// their records of round 1 differ: `b` adopts `a`'s (more deltas), and both go on
    /// with one history.
    @Test func nodesThatForkedConvergeOnTheWinningRecord() throws {
        let cluster = DaemonCluster()
        let a = try cluster.add("a", embodiment: "ur5e"), b = try cluster.add("b", embodiment: "panda")
        try a.start { $0.lastRound = 3; $0.minPeers = 2 }
        try b.start { $0.lastRound = 3; $0.minPeers = 1 }
        let h = try TLSTestNode("lab-h")
        h.knows(TLSTestNode.Peer(id: a.id), as: .approved)
        let shared = try SyntheticModel.initial(embodiments: ["ur5e"]).filtered(prefixes: ["shared."])
        let inbox = TLSInbox()
        let hello = WireMessage.Hello(nodeID: h.id, lab: h.lab, embodiment: "ur5e", schema: shared.schema.hash, round: 1, base: shared.contentHash)
        let connection = try h.dialer().dial(SocketEndpoint(host: "127.0.0.1", port: a.port), expecting: a.id, hello: hello, events: inbox.events)
        defer { connection.close(reason: "test over") }
        try connection.send(.joinRequest(.init(lab: h.lab, embodiment: "ur5e", endpoint: "127.0.0.1:1", message: "")))
        #expect(inbox.next(timeout: 10) { if case .received(_, .joinStatus(let s)) = $0, s.status == .pending { true } else { nil } } == true)
        _ = try a.admin(ControlRequest(.approve, id: h.id.description, reason: "test"))
        try connection.send(.joinStatus(.init(status: .approved)))
        try cluster.link(b, to: a)
        #expect(inbox.next(timeout: 10) { if case .received(_, .deltaOffer(let o)) = $0, o.round == 1 { true } else { nil } } == true)
        let values = ParameterSet.build(schema: shared.schema) { flat in for i in 0..<flat.count { flat[i] = 1e-3 } }
        let delta = try DeltaEncoder().encode(delta: values, round: 1, baseHash: shared.contentHash, sampleCount: 5, key: h.identity.key)
        let bytes = delta.serialized(), hash = try SHA256.hash(bytes)
        try connection.send(.deltaOffer(.init(round: 1, base: shared.contentHash, delta: hash, size: bytes.count, signature: delta.signature)))
        try connection.send(.deltaChunk(.init(hash: hash, offset: 0, bytes: bytes)))

        try cluster.waitUntil("both close round 3 with the same journal", timeout: 30) {
            let (ja, jb) = (a.status().records, b.status().records)
            return ja.count == 3 && ja.map(\.recordHash) == jb.map(\.recordHash)
        }
        #expect(a.status().records[0].entries.count == 3, "round 1 includes h's delta")
        #expect(try b.logged { $0["message"]?.string == "caught up" })
        #expect(a.status().baseHash == b.status().baseHash)
    }
}
