import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain round …`: the node's rounds as its files show them.
enum RoundCommand {
    static let command = Command(
        name: "round",
        summary: "show the node's current round, base hash and round journal",
        help: """
            Usage: cotrain round COMMAND [--home DIR] [--json]

            Reads the node's files (works whether or not the node runs).
            """,
        subcommands: [status])

    static let status = Command(
        name: "status", summary: "current round, base hash and the journal's records",
        help: """
            Usage: cotrain round status [--home DIR] [--last N] [--json]

            Prints the current round, the base hash (content hash of the shared.*
            tensors), and the last N journal records (default 10): round, number of
            deltas aggregated, result hash and record hash. Nodes that agree on the
            federation's history show the same record hashes. The journal's chain is
            verified while reading; a broken chain is an error.

            Example:
              cotrain round status --home ./lab-a-node --json
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let last = try args.int("--last", default: 10, range: 0...1_000_000)
            try args.finish()
            let status = try RoundStatus.read(home: home)
            if options.json {
                print(status.json.canonicalString)
                return ExitCode.ok
            }
            print("round   \(status.round)")
            print("base    \(status.baseHash?.hex ?? "(no model yet)")")
            print("journal \(status.records.count) records, head \((status.records.last?.recordHash ?? RoundRecord.genesis).hex.prefix(16))…")
            guard !status.records.isEmpty, last > 0 else { return ExitCode.ok }
            var table = TextTable("round", "deltas", "result", "record", rightAligned: [0, 1])
            for record in status.records.suffix(last) {
                table.add(String(record.round), String(record.entries.count), String(record.resultHash.hex.prefix(16)),
                          String(record.recordHash.hex.prefix(16)))
            }
            print("\n" + table.rendered)
            return ExitCode.ok
        })
}
