import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain id`: the node's identity and join address.
enum IDCommand {
    static let command = Command(
        name: "id",
        summary: "print this node's id and the command other labs use to join it",
        help: """
            Usage: cotrain id [--home DIR] [--json]

            Prints the node id in its grouped form (13 groups of 4: read it aloud to the
            other lab's admin, who compares it before approving), the short form used in
            tables, the lab and embodiment, and the join command for other labs.

            Options:
              --home DIR   the node home (default: $COTRAIN_HOME, else ./cotrain-node)

            Examples:
              cotrain id --home ./lab-a-node
              cotrain id --json
            """,
        run: { args, options in
            let home = try takeHome(&args)
            try args.finish()
            let config = try home.loadConfig(environment: ProcessInfo.processInfo.environment)
            let id = try home.loadCertificate().nodeID
            let join = "cotrain peers join \(config.advertise) --id \(id)"
            if options.json {
                print(JSONValue.object([
                    ("node_id", .string(id.description)), ("short", .string(id.short)), ("hex", .string(id.digest.hex)),
                    ("lab", .string(config.lab)), ("embodiments", .array(config.embodiments.map { .string($0) })),
                    ("join_address", .string(config.advertise.description)), ("join_command", .string(join)),
                ]).canonicalString)
                return ExitCode.ok
            }
            print("node id     \(id)")
            print("short       \(id.short)")
            print("lab         \(config.lab)")
            print("embodiment  \(config.embodiments.joined(separator: ", "))")
            print("join        \(join)")
            return ExitCode.ok
        })
}

/// Takes `--home DIR` (default: `COTRAIN_HOME`, else `./cotrain-node`).
func takeHome(_ args: inout Arguments) throws -> NodeHome {
    NodeHome.resolve(flag: try args.option("--home"), environment: ProcessInfo.processInfo.environment)
}
