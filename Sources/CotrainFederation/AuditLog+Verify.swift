// Reading and verifying the whole audit chain: each line parses, its hash matches its
// content, its seq follows the previous one and its prev is the previous hash. An
// edited line fails its hash; a deleted, inserted or reordered line breaks seq/prev.
import CotrainCore

/// The result of reading the audit log from the start.
public struct AuditVerification: Sendable, Equatable {
    /// The entries that verified, in order (all of them when ``problem`` is nil).
    public var entries: [AuditEntry] = []
    /// The first line that breaks the chain, if any.
    public var problem: AuditProblem?
    /// A torn last line (no final newline: a crash during an append), if any. Not a
    /// break in the chain: the next append drops it and logs a `log-repair` entry.
    public var tornLine: Int?

    /// True when every complete line verifies (a torn last line is allowed).
    public var isIntact: Bool { problem == nil }
    /// The hash of the last verified entry: note it somewhere else to detect later
    /// truncation of the log (a chain cannot show its own lost tail).
    public var headHash: String { entries.last?.hash ?? AuditEntry.genesis }
}

/// The first line of the audit log that does not verify.
public struct AuditProblem: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    /// What is wrong with it.
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}

extension AuditLog {
    /// Reads and verifies the whole log. A missing file is an empty, intact log.
    public func verify() throws -> AuditVerification {
        var st = stat()
        guard lstat(path, &st) == 0 else { return AuditVerification() }
        return Self.verify(try readFile(path, limit: Self.maximumSize), source: path)
    }

    /// Verifies log bytes; `source` names them in messages.
    static func verify(_ bytes: [UInt8], source: String) -> AuditVerification {
        var result = AuditVerification()
        var previous = (seq: 0, hash: AuditEntry.genesis)
        var start = 0
        var line = 0
        while start < bytes.count {
            line += 1
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                result.tornLine = line
                break
            }
            defer { start = newline + 1 }
            let entry: AuditEntry
            do {
                entry = try AuditEntry.parse(bytes[start..<newline], source: "\(source) line \(line)")
            } catch {
                let field = error.field.isEmpty ? "" : " ('\(error.field)')"
                result.problem = AuditProblem(line: line, reason: "not a valid entry\(field): \(error.problem)")
                break
            }
            if let reason = Self.check(entry, after: previous) {
                result.problem = AuditProblem(line: line, reason: reason)
                break
            }
            result.entries.append(entry)
            previous = (entry.seq, entry.hash)
        }
        return result
    }

    /// Why `entry` cannot follow `previous`, or nil when it can.
    private static func check(_ entry: AuditEntry, after previous: (seq: Int, hash: String)) -> String? {
        guard let computed = try? entry.computedHash(), computed == entry.hash else {
            return "its hash does not match its content (the line was edited)"
        }
        guard entry.seq == previous.seq + 1 else {
            return "seq is \(entry.seq) but \(previous.seq + 1) was expected (a line was deleted, inserted or moved)"
        }
        guard entry.prev == previous.hash else {
            return "prev does not match the hash of the line before (a line was deleted, inserted or moved)"
        }
        return nil
    }
}

extension ConfigError.Problem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missing: return "a field is missing"
        case .unknownKey: return "it has an unknown field"
        case .wrongType(let expected): return "a field must be \(expected)"
        case .outOfRange(let value, let allowed): return "a value is \(value), allowed: \(allowed)"
        case .invalid(let reason): return reason
        }
    }
}
