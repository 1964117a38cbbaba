// Errors from the round journal: bad records, broken chains, refused catch-ups.
import CotrainCore

/// Why a journal or record was refused, or could not be read or written.
public enum JournalError: CotrainError, Equatable {
    /// A record line is not a valid record (`line` counts from 1).
    case malformed(line: Int, String)
    /// The chain is broken at record `index` (from 0); `reason` says how.
    case brokenChain(index: Int, round: Int, String)
    /// A record's signature does not verify, or its signer is unknown.
    case badSignature(round: Int, String)
    /// A peer's journal does not extend the local one.
    case notAnExtension(String)
    /// Reading or writing the journal file failed.
    case io(String)

    public var description: String {
        switch self {
        case let .malformed(line, why): return "round journal line \(line): \(why)"
        case let .brokenChain(index, round, why): return "round journal chain broken at record \(index) (round \(round)): \(why)"
        case let .badSignature(round, why): return "round record \(round): \(why)"
        case let .notAnExtension(why): return "peer journal refused: \(why)"
        case let .io(what): return "round journal: \(what)"
        }
    }
}
