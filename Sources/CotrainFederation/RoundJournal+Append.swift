// Appending to the journal (durably) and catching up from a peer's journal.
import CotrainCore
import Foundation

extension RoundJournal {
    /// The record for a closed round, linked to this journal's head.
    public func record(round: Int, baseHash: SHA256Digest, result: AggregationResult, rule: AggregationRule, resultHash: SHA256Digest) -> RoundRecord {
        RoundRecord(
            round: round, baseHash: baseHash,
            entries: result.contributions.map { RoundRecordEntry(node: $0.node, deltaHash: $0.deltaHash, sampleCount: $0.sampleCount) },
            rule: rule.json, resultHash: resultHash, previousHash: headHash)
    }

    /// Appends `record` after checking it extends the chain; returns once it is on disk
    /// (written with O_APPEND, fsync'd; a torn tail from a crash is truncated first).
    public mutating func append(_ record: RoundRecord) throws(JournalError) {
        try append(contentsOf: [record])
    }

    /// Appends `newRecords` in one write, after checking they extend the chain.
    public mutating func append(contentsOf newRecords: [RoundRecord]) throws(JournalError) {
        guard !newRecords.isEmpty else { return }
        try Self.verify(records + newRecords)
        let bytes = Self.serialize(newRecords)
        let created = access(path, F_OK) != 0
        do throws(any Error) {
            let fd = try FileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode: 0o644)
            let size = Int(try fd.status().st_size)
            if size != validLength {
                try sysCall("ftruncate", path) { ftruncate(fd.raw, off_t(validLength)) }
            }
            try fd.writeAll(bytes)
            try fd.sync()
            if created { try AtomicFile.syncDirectory(RoundJournalPath.of(path)) }
        } catch {
            throw .io("append to \(path): \(error)")
        }
        records += newRecords
        validLength += bytes.count
    }

    /// Checks a journal received from a peer before adopting it: its chain verifies
    /// (signatures too, with `keys`), and it extends the local journal — the local
    /// records are exactly its prefix. Returns the records the local journal lacks.
    public static func catchUp(
        local: [RoundRecord], remote: [RoundRecord], keys: ((NodeID) -> Ed25519PublicKey?)? = nil
    ) throws(JournalError) -> [RoundRecord] {
        try verify(remote, keys: keys)
        guard remote.count >= local.count else {
            throw .notAnExtension("peer has \(remote.count) records, this node \(local.count)")
        }
        for (i, record) in local.enumerated() where record.recordHash != remote[i].recordHash {
            throw .notAnExtension("record \(i) (round \(record.round)) differs: the journals have forked")
        }
        return Array(remote[local.count...])
    }

    /// Verifies a peer's journal bytes with ``catchUp(local:remote:keys:)`` and appends
    /// the missing records. Returns how many were adopted.
    @discardableResult
    public mutating func adopt(peerJournal bytes: [UInt8], keys: ((NodeID) -> Ed25519PublicKey?)? = nil) throws(JournalError) -> Int {
        let missing = try Self.catchUp(local: records, remote: Self.parse(bytes), keys: keys)
        try append(contentsOf: missing)
        return missing.count
    }
}

/// The directory part of a path.
enum RoundJournalPath {
    static func of(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
