import CotrainCore
import CotrainData
import CotrainFederation
import Foundation

/// `cotrain round …`: the node's rounds as its files show them.
enum RoundCommand {
    static let command = Command(
        name: "round",
        summary: "show the node's rounds; export the current round's model as a policy checkpoint",
        help: """
            Usage: cotrain round COMMAND [--home DIR] [--json]

            Reads the node's files (works whether or not the node runs).

            Examples:
              cotrain round status --home ./lab-a-node
              cotrain round export --home ./lab-a-node --out lab-a-round.safetensors
            """,
        subcommands: [status, export])

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

    static let export = Command(
        name: "export", summary: "write the current round base as a policy checkpoint for `cotrain eval`",
        help: """
            Usage: cotrain round export --out FILE.safetensors [--home DIR] [--json]

            For a node that trains with `cotrain serve --trainer recipe`: takes the
            current round base (state/model/base.safetensors: the shared.* tensors and
            the node's own robot's, as the last aggregation left them), puts it into the
            trainer's work checkpoint (state/trainer/checkpoint.safetensors: config,
            tokenizer, normalisation and the tensors that are never federated) and
            writes a policy checkpoint without optimizer state (atomically). Its
            metadata records the round and the base hash. Works whether or not the
            node runs.

            Example:
              cotrain round export --home ./lab-a-node --out lab-a-round.safetensors
              cotrain eval --policy lab-a-round.safetensors --embodiment ur5e --suite quick
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let out = try args.option("--out") ?? { throw UsageError(message: "--out FILE.safetensors is required", command: "round export") }()
            try args.finish()
            try home.validate()
            let basePath = "\(home.stateDirectory)/model/base.safetensors"
            guard access(basePath, F_OK) == 0 else { throw RoundExportError.noBase(basePath) }
            let status = try RoundStatus.read(home: home)
            let base = try ParameterSet.load(path: basePath)
            let closed = status.records.last?.round ?? 0
            let step = try RoundTraining.export(
                base: RecipeRoundTrainer.tensors(base), workDirectory: "\(home.stateDirectory)/trainer", to: out,
                metadata: ["federation_round": String(closed), "federation_base_sha256": base.sharedBaseHash.hex])
            if options.json {
                print(JSONValue.object([
                    ("checkpoint", .string(out)), ("round", .int(Int64(closed))), ("base_hash", .string(base.sharedBaseHash.hex)),
                    ("local_step", .int(Int64(step))),
                ]).canonicalString)
            } else {
                print("wrote \(out): the base after round \(closed) (base \(base.sharedBaseHash.hex.prefix(16))…), local training step \(step)")
            }
            return ExitCode.ok
        })
}

/// Why `cotrain round export` cannot run.
enum RoundExportError: CotrainError {
    /// The node has no round base yet.
    case noBase(String)

    var description: String {
        switch self {
        case let .noBase(path):
            return "no round base at \(path); start the node (`cotrain serve --trainer recipe ...`) so it creates one"
        }
    }
}
