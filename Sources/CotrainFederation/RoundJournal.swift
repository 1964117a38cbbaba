// The hash-chained round journal: one record per closed round, appended durably to
// DIR/round-journal.jsonl, verifiable end to end, and extendable from a peer's copy.
//
// Durability: each record is one canonical JSON line, appended with O_APPEND and then
// fsync'd (the directory too when the file is created). A crash mid-append can leave
// a final line without its newline; loading ignores that torn tail and the next append
// truncates it away first. A complete line that does not parse is corruption: an error.
import CotrainCore
import Foundation

/// A node's round journal.
public struct RoundJournal: Sendable {
    /// The journal file's name inside its directory.
    public static let fileName = "round-journal.jsonl"
    /// The largest journal file read (1 GiB) and line accepted (4 MiB).
    public static let maxFileBytes = 1 << 30, maxLineBytes = 4 << 20

    /// The journal file.
    public let path: String
    /// The records, oldest first.
    public internal(set) var records: [RoundRecord]
    var validLength: Int  // bytes of complete lines; anything after is a torn tail

    /// Opens (or starts) the journal in `directory` and verifies its chain.
    public static func open(directory: String) throws(JournalError) -> RoundJournal {
        let path = "\(directory)/\(fileName)"
        var bytes: [UInt8] = []
        if access(path, F_OK) == 0 {
            do { bytes = try readFile(path, limit: maxFileBytes) } catch { throw .io("\(error)") }
        }
        let end = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        let records = try parse(Array(bytes[..<end]))
        try verify(records)
        return RoundJournal(path: path, records: records, validLength: end)
    }

    /// Parses journal bytes (complete lines) into records, without checking the chain.
    public static func parse(_ bytes: [UInt8]) throws(JournalError) -> [RoundRecord] {
        var records: [RoundRecord] = []
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !(index == lines.count - 1 && line.isEmpty) {
            let limits = JSONLimits(maxInputBytes: maxLineBytes, maxDepth: 8, maxStringBytes: 4096, maxValues: 1 << 20)
            let value: JSONValue
            do { value = try JSONValue.parse(Array(line), limits: limits) } catch {
                throw .malformed(line: index + 1, "\(error)")
            }
            records.append(try RoundRecord(line: value, number: index + 1))
        }
        return records
    }

    /// The records as journal bytes (one canonical JSON line each), e.g. to send to a peer.
    public static func serialize(_ records: [RoundRecord]) -> [UInt8] {
        records.flatMap { $0.line.canonicalBytes + [0x0A] }
    }

    /// Checks the chain: each record's hash (done on parse), `previous_hash` linking to
    /// the record before (genesis for the first), rounds strictly increasing, each base
    /// equal to the previous result, a valid rule, at least one delta. With `keys`,
    /// signed records must verify with their signer's key.
    public static func verify(_ records: [RoundRecord], keys: ((NodeID) -> Ed25519PublicKey?)? = nil) throws(JournalError) {
        for (i, record) in records.enumerated() {
            func broken(_ why: String) -> JournalError { .brokenChain(index: i, round: record.round, why) }
            let previous = i > 0 ? records[i - 1] : nil
            guard record.previousHash == (previous?.recordHash ?? RoundRecord.genesis) else {
                throw broken("previous_hash does not match the record before")
            }
            if let previous {
                guard record.round > previous.round else { throw broken("round does not increase") }
                guard record.baseHash == previous.resultHash else { throw broken("base_hash is not the previous result") }
            }
            guard !record.entries.isEmpty else { throw broken("no deltas") }
            guard (try? AggregationRule(json: record.rule)) != nil else { throw broken("rule is not a valid aggregation rule") }
            if let keys, let signature = record.signature {
                guard let key = keys(signature.signer), record.hasValidSignature(from: key) else {
                    throw .badSignature(round: record.round, "signature by \(signature.signer.short) does not verify")
                }
            }
        }
    }

    /// Verifies this journal's chain.
    public func verify(keys: ((NodeID) -> Ed25519PublicKey?)? = nil) throws(JournalError) {
        try Self.verify(records, keys: keys)
    }

    /// The last record's hash (genesis when empty): the `previous_hash` of the next record.
    public var headHash: SHA256Digest { records.last?.recordHash ?? RoundRecord.genesis }
}
