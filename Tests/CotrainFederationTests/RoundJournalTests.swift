// The round journal: durable append and reload, chain verification against edits,
// reorders and truncation, torn tails, signatures, and catch-up from a peer.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite struct RoundJournalTests {
    static func digest(_ text: String) -> SHA256Digest { try! SHA256.hash(Array(text.utf8)) }

    /// `count` chained records starting at round 1 (each base = previous result).
    static func chain(_ count: Int, after previous: RoundRecord? = nil, tag: String = "") -> [RoundRecord] {
        var records: [RoundRecord] = []
        var head = previous?.recordHash ?? RoundRecord.genesis
        var base = previous?.resultHash ?? digest("genesis-base")
        for i in 0..<count {
            let round = (previous?.round ?? 0) + i + 1
            let entries = (0..<3).map { k in
                RoundRecordEntry(node: AggregationReference.nodeID(k), deltaHash: digest("d\(round).\(k)\(tag)"), sampleCount: 10 * k + 1)
            }
            let record = RoundRecord(
                round: round, baseHash: base, entries: entries, rule: AggregationRule(method: .median).json,
                resultHash: digest("result-\(round)\(tag)"), previousHash: head)
            records.append(record)
            head = record.recordHash
            base = record.resultHash
        }
        return records
    }

    func lines(_ dir: JournalTempDir) throws -> [String] {
        String(decoding: try readFile("\(dir.path)/\(RoundJournal.fileName)", limit: 1 << 20), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func write(_ lines: [String], _ dir: JournalTempDir) throws {
        try AtomicFile.write(Array(lines.joined(separator: "\n").utf8), to: "\(dir.path)/\(RoundJournal.fileName)")
    }

    @Test func appendedRecordsSurviveReopening() throws {
        let dir = JournalTempDir()
        var journal = try RoundJournal.open(directory: dir.path)
        #expect(journal.records.isEmpty && journal.headHash == RoundRecord.genesis)
        for record in Self.chain(4) { try journal.append(record) }
        let reopened = try RoundJournal.open(directory: dir.path)
        #expect(reopened.records == journal.records)
        try reopened.verify()
        #expect(throws: JournalError.self) { try journal.append(Self.chain(1)[0]) }  // does not link to the head
    }

    @Test func recordsFromAnAggregationLinkToTheHead() throws {
        let dir = JournalTempDir()
        var journal = try RoundJournal.open(directory: dir.path)
        let rule = AggregationRule(method: .fedAvg(maxShare: 0.5))
        let result = try Aggregator(rule: rule).aggregate(AggregationReference.inputs(count: 3, elements: 100, seed: 1))
        let record = journal.record(round: 1, baseHash: Self.digest("b"), result: result, rule: rule, resultHash: Self.digest("r"))
        try journal.append(record)
        #expect(record.entries.map(\.node) == result.contributions.map(\.node))
        #expect(try AggregationRule(json: journal.records[0].rule) == rule)
    }

    @Test func editsReordersAndTruncationsAreCaught() throws {
        let dir = JournalTempDir()
        var journal = try RoundJournal.open(directory: dir.path)
        try journal.append(contentsOf: Self.chain(5))
        let original = try lines(dir)
        #expect(original.count == 6 && original[5].isEmpty)

        var edited = original
        edited[2] = edited[2].replacingOccurrences(of: "\"sample_count\":11", with: "\"sample_count\":12")
        try write(edited, dir)
        #expect(throws: JournalError.self) { try RoundJournal.open(directory: dir.path) }

        var reordered = original
        reordered.swapAt(1, 2)
        try write(reordered, dir)
        #expect(throws: JournalError.self) { try RoundJournal.open(directory: dir.path) }

        var cut = original
        cut.remove(at: 0)
        try write(cut, dir)
        #expect(throws: JournalError.self) { try RoundJournal.open(directory: dir.path) }

        // Rewriting a middle record *with* a fresh record_hash still breaks the next link.
        var records = journal.records
        records[2] = RoundRecord(
            round: 3, baseHash: records[2].baseHash, entries: [], rule: records[2].rule,
            resultHash: records[2].resultHash, previousHash: records[2].previousHash)
        #expect(throws: JournalError.self) { try RoundJournal.verify(records) }

        // Losing the tail is visible against what the node had: catch-up refuses it.
        #expect(throws: JournalError.self) { try RoundJournal.catchUp(local: journal.records, remote: Array(journal.records.prefix(3))) }
    }

    @Test func aTornTailIsIgnoredAndRepaired() throws {
        let dir = JournalTempDir()
        var journal = try RoundJournal.open(directory: dir.path)
        let records = Self.chain(3)
        try journal.append(contentsOf: Array(records.prefix(2)))
        let path = "\(dir.path)/\(RoundJournal.fileName)"
        let full = try readFile(path, limit: 1 << 20)
        let torn = RoundJournal.serialize([records[2]]).prefix(40)
        try AtomicFile.write(full + torn, to: path)  // a crash in the middle of an append
        var recovered = try RoundJournal.open(directory: dir.path)
        #expect(recovered.records == Array(records.prefix(2)))
        try recovered.append(records[2])
        #expect(try RoundJournal.open(directory: dir.path).records == records)
    }

    @Test func signedRecordsVerifyAndForgeriesDoNot() throws {
        let signer = TestNode()
        let stranger = TestNode()
        var records = Self.chain(2)
        try records[1].sign(with: signer.key)
        try RoundJournal.verify(records, keys: TestNode.keys([signer]))
        #expect(records[1].hasValidSignature(from: signer.key.publicKey))
        #expect(!records[1].hasValidSignature(from: stranger.key.publicKey))
        #expect(throws: JournalError.self) { try RoundJournal.verify(records, keys: TestNode.keys([stranger])) }
        // Signature survives serialization; a flipped signature byte is caught.
        let parsed = try RoundJournal.parse(RoundJournal.serialize(records))
        #expect(parsed == records)
        var bad = records[1]
        bad.signature!.bytes[0] ^= 1
        #expect(throws: JournalError.self) { try RoundJournal.verify([records[0], bad], keys: TestNode.keys([signer])) }
    }

    @Test func catchUpAdoptsOnlyAVerifiedExtension() throws {
        let dir = JournalTempDir()
        var journal = try RoundJournal.open(directory: dir.path)
        let peer = Self.chain(6)
        try journal.append(contentsOf: Array(peer.prefix(2)))
        let adopted = try journal.adopt(peerJournal: RoundJournal.serialize(peer))
        #expect(adopted == 4 && journal.records == peer)
        #expect(try RoundJournal.open(directory: dir.path).records == peer)
        // A fork (same length prefix, different history) is refused.
        let fork = Array(Self.chain(3, tag: "x"))
        #expect(throws: JournalError.self) { try RoundJournal.catchUp(local: Array(peer.prefix(2)), remote: fork) }
        // A peer journal with a broken chain is refused before anything is adopted.
        var broken = peer + Self.chain(1, after: peer[5])
        broken.swapAt(3, 4)
        #expect(throws: JournalError.self) { try journal.adopt(peerJournal: RoundJournal.serialize(broken)) }
        #expect(journal.records == peer)
        // Garbage bytes are a typed error.
        #expect(throws: JournalError.self) { try journal.adopt(peerJournal: Array("{\"round\":1}\n".utf8)) }
    }
}
