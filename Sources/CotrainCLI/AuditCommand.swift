import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain audit …`: the hash-chained audit log of approvals and revocations.
enum AuditCommand {
    static let command = Command(
        name: "audit",
        summary: "verify and show the audit log of join requests and admin decisions",
        help: """
            Usage: cotrain audit COMMAND [--home DIR] [--json]

            DIR/state/audit.log records every join request and every decision (who,
            when, why) as hash-chained JSON lines. Reading it needs no lock: these
            commands work while the node runs.

            Examples:
              cotrain audit verify --home ./lab-a-node
              cotrain audit show --last 20 --home ./lab-a-node
            """,
        subcommands: [verify, show])

    static let verify = Command(
        name: "verify", summary: "check the whole hash chain; exit 1 naming the first bad line",
        help: """
            Usage: cotrain audit verify [--home DIR] [--json]

            Checks that every line is a valid entry, that its hash matches its content,
            and that seq and prev link it to the line before: an edited, deleted,
            inserted or reordered line is found. An incomplete last line (a crash during
            an append) is reported as a warning; the next append drops it and records a
            log-repair entry. Prints the head hash: keep a copy elsewhere to detect a
            truncated log later.

            Example:
              cotrain audit verify --home ./lab-a-node
            """,
        run: { args, options in
            let home = try takeHome(&args)
            try args.finish()
            try home.validate()
            let result = try AuditLog(path: home.auditLogPath).verify()
            if options.json {
                print(JSONValue.object([
                    ("ok", .bool(result.isIntact)), ("entries", .int(Int64(result.entries.count))),
                    ("head_hash", .string(result.headHash)),
                    ("problem", result.problem.map { .object([("line", .int(Int64($0.line))), ("reason", .string($0.reason))]) } ?? .null),
                    ("torn_line", result.tornLine.map { .int(Int64($0)) } ?? .null),
                ]).canonicalString)
            } else {
                if let torn = result.tornLine {
                    Console.error("cotrain: warning: \(home.auditLogPath) line \(torn) is an incomplete entry left by a crash; the next append drops it and logs a repair\n")
                }
                if let problem = result.problem {
                    printError("\(home.auditLogPath) is BROKEN at \(problem); \(result.entries.count) entr\(result.entries.count == 1 ? "y" : "ies") before it verify")
                } else {
                    print("audit log ok: \(result.entries.count) entries, head hash \(result.headHash)")
                }
            }
            return result.isIntact ? ExitCode.ok : ExitCode.failure
        })

    static let show = Command(
        name: "show", summary: "print audit entries (newest last)",
        help: """
            Usage: cotrain audit show [--last N] [--home DIR] [--json]

            Prints the entries that verify, oldest first; stops at the first broken
            line with an error (run `cotrain audit verify` for details).

            Options:
              --last N   only the last N entries

            Examples:
              cotrain audit show --last 20
              cotrain audit show --json | jq '.entries[] | select(.action == "approve")'
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let last = try args.int("--last", default: Int.max, range: 1...Int.max)
            try args.finish()
            try home.validate()
            let result = try AuditLog(path: home.auditLogPath).verify()
            let entries = result.entries.suffix(last)
            if options.json {
                print(JSONValue.object([("entries", .array(entries.map(\.json))), ("ok", .bool(result.isIntact))]).canonicalString)
            } else {
                var table = TextTable("seq", "time", "actor", "action", "node", "lab", "reason", rightAligned: [0])
                for entry in entries {
                    let node = entry.nodeID.flatMap { try? SHA256Digest(hex: $0) }.map { NodeID(digest: $0).short } ?? ""
                    table.add("\(entry.seq)", String(entry.time.prefix(19)), entry.actor, entry.action, node, entry.lab ?? "",
                              entry.reason.isEmpty ? "" : entry.reason.debugDescription)
                }
                print(entries.isEmpty ? "the audit log is empty" : table.rendered)
            }
            if let problem = result.problem { printError("the audit log is broken at \(problem): run `cotrain audit verify`") }
            return result.isIntact ? ExitCode.ok : ExitCode.failure
        })
}
