// Deciding what to do with a peer's journal records: nothing, append the rounds this
// node missed, or — when both closed the same round with different delta sets — keep
// whichever record wins the fork rule. Pure logic; the daemon fetches and commits.
import CotrainCore

/// What a node does with round records received in a catch-up response.
enum CatchupPlan: Equatable {
    /// The peer has nothing this node lacks.
    case upToDate
    /// Append these records (they extend the local journal).
    case extend([RoundRecord])
    /// Keep the first `keeping` local records and replace the rest with `records`.
    case replace(keeping: Int, with: [RoundRecord])
    /// The journals forked and the local record wins; the peer will come to us.
    case keepLocal(round: Int)

    /// The records that would end the journal after the plan, if it changes anything.
    var adopted: [RoundRecord] {
        switch self {
        case .upToDate, .keepLocal: return []
        case let .extend(records), let .replace(_, records): return records
        }
    }

    /// Plans how `remote` (a peer's records, oldest first, a contiguous piece of its
    /// journal) relates to `local`.
    ///
    /// `remote` must link to the local journal: its first record follows a local
    /// record (or is the first record of all), and the combined chain must verify.
    /// Where the journals differ at the same position, the **fork rule** decides:
    /// the record with more deltas wins (it saw a delta the other missed at the
    /// deadline), ties go to the lower record hash. Every node applies the same rule,
    /// so nodes that exchange their records end with the same journal.
    ///
    /// - Throws: ``JournalError`` when the records do not link or the chain breaks.
    static func plan(local: [RoundRecord], remote: [RoundRecord]) throws(JournalError) -> CatchupPlan {
        guard let first = remote.first else { return .upToDate }
        let anchor: Int  // local records kept before remote[0]
        if first.previousHash == RoundRecord.genesis {
            anchor = 0
        } else if let index = local.firstIndex(where: { $0.recordHash == first.previousHash }) {
            anchor = index + 1
        } else {
            throw .notAnExtension("the peer's records start at round \(first.round) and do not link to this node's journal")
        }
        try RoundJournal.verify(Array(local[..<anchor]) + remote)
        for (offset, record) in remote.enumerated() {
            let position = anchor + offset
            guard position < local.count else { return .extend(Array(remote[offset...])) }
            if local[position].recordHash == record.recordHash { continue }
            return wins(record, over: local[position])
                ? .replace(keeping: position, with: Array(remote[offset...])) : .keepLocal(round: local[position].round)
        }
        return .upToDate
    }

    /// The fork rule: more deltas wins; equal counts, the lower record hash.
    static func wins(_ challenger: RoundRecord, over incumbent: RoundRecord) -> Bool {
        if challenger.entries.count != incumbent.entries.count { return challenger.entries.count > incumbent.entries.count }
        return challenger.recordHash.bytes.lexicographicallyPrecedes(incumbent.recordHash.bytes)
    }
}

extension RoundJournal {
    /// Applies an ``CatchupPlan/extend(_:)`` or ``CatchupPlan/replace(keeping:with:)``
    /// plan. A replacement rewrites the file atomically (temp file, fsync, rename).
    mutating func apply(_ plan: CatchupPlan) throws(JournalError) {
        switch plan {
        case .upToDate, .keepLocal:
            return
        case let .extend(records):
            try append(contentsOf: records)
        case let .replace(keeping, records):
            let all = Array(self.records[..<keeping]) + records
            try Self.verify(all)
            let bytes = Self.serialize(all)
            do { try AtomicFile.write(bytes, to: path, mode: 0o644) } catch { throw .io("rewrite \(path): \(error)") }
            self.records = all
            validLength = bytes.count
        }
    }
}
