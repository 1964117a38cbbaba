import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain peers …`: join requests, approvals and revocations. Each subcommand works
/// whether or not the node runs (see `NodeAdmin`).
enum PeersCommand {
    static let command = Command(
        name: "peers",
        summary: "review join requests; approve, reject, revoke and list peers; join another node",
        help: """
            Usage: cotrain peers COMMAND [--home DIR] [--json]

            Every command works while the node runs (through its control socket) and
            when it does not (on the files, holding the node lock). IDs may be given in
            the grouped form, as 64 hex digits, or as the first characters of the
            grouped form (at least 4) when they match exactly one node.

            Examples:
              cotrain peers pending --home ./lab-a-node
              cotrain peers approve MFRG-GZDF --reason "MoU signed 2026-11-20" --home ./lab-a-node
              cotrain peers list --home ./lab-a-node --json
            """,
        subcommands: [join, pending, approve, reject, list, revoke, unrevoke])

    static let pending = Command(
        name: "pending", summary: "show join requests waiting for a decision",
        help: """
            Usage: cotrain peers pending [--home DIR] [--json]

            Shows each waiting join request in full: read the node id to the other
            lab's admin before approving it.

            Example:
              cotrain peers pending --home ./lab-a-node
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let result = try perform(&args, home, options, ControlRequest(.pending))
            let requests = result["pending"]?.array ?? []
            guard !options.json else { return ExitCode.ok }
            if requests.isEmpty { print("no pending join requests"); return ExitCode.ok }
            print("\(requests.count) pending join request\(requests.count == 1 ? "" : "s"):")
            for request in requests {
                print("")
                for (label, key) in [("node id", "node_id"), ("lab", "lab"), ("embodiment", "embodiment"), ("endpoint", "endpoint"),
                                     ("from", "from_address"), ("received", "received_at"), ("message", "message")] {
                    let value = request[key]?.string ?? ""
                    print("  \(label.padding(toLength: 11, withPad: " ", startingAt: 0)) \(key == "message" ? value.debugDescription : value)")
                }
            }
            print("\nCompare the node id with the other lab, then: cotrain peers approve SHORT-ID --reason \"...\"")
            return ExitCode.ok
        })

    static let approve = decision(.approve, "approve", summary: "approve a pending join request (pins its certificate)", example: "MFRG-GZDF-MZTW --reason \"MoU signed 2026-11-20\" --by alice")
    static let reject = decision(.reject, "reject", summary: "reject a pending join request", example: "MFRG-GZDF-MZTW --reason \"unknown lab\"")
    static let revoke = decision(.revoke, "revoke", summary: "withdraw a peer's approval; it stays revoked and is cut at once", example: "MFRG-GZDF-MZTW --reason \"key leaked\"")
    static let unrevoke = decision(.unrevoke, "unrevoke", summary: "lift a revocation (the node must then ask to join again)", example: "MFRG-GZDF-MZTW --reason \"new agreement\"")

    /// approve / reject / revoke / unrevoke share their shape.
    static func decision(_ command: ControlCommand, _ name: String, summary: String, example: String) -> Command {
        Command(
            name: name, summary: summary,
            help: """
                Usage: cotrain peers \(name) ID [--reason R] [--by NAME] [--home DIR] [--json]

                \(summary.prefix(1).uppercased() + summary.dropFirst()). The decision goes to the audit log
                with who (your user name, and --by if given), when and why (--reason).

                Options:
                  --reason R   why (recorded in the audit log; at most 1 KiB)
                  --by NAME    who decided, if not your user name (e.g. an e-mail address)

                Example:
                  cotrain peers \(name) \(example)
                """,
            run: { args, options in
                let home = try takeHome(&args)
                let reason = try args.option("--reason") ?? ""
                let by = try args.option("--by")
                let id = try args.requiredPositional("the node ID")
                let result = try perform(&args, home, options, ControlRequest(command, id: id, reason: reason, by: by))
                guard !options.json else { return ExitCode.ok }
                let key = ["approve": "approved", "reject": "rejected", "revoke": "revoked", "unrevoke": "unrevoked"][name]!
                let node = result[key] ?? .null
                let lab = node["lab"]?.string.map { " (\($0))" } ?? ""
                print("\(key) \(node["node_id"]?.string ?? id)\(lab)")
                return ExitCode.ok
            })
    }

    static let list = Command(
        name: "list", summary: "list approved peers (and revoked nodes)",
        help: """
            Usage: cotrain peers list [--home DIR] [--json]

            A table of approved peers: short id, lab, embodiment, endpoint, and who
            approved them when; then revoked nodes. Peer records that fail their checks
            (node id not matching the certificate) are reported and not trusted.

            Example:
              cotrain peers list --home ./lab-a-node
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let result = try perform(&args, home, options, ControlRequest(.list))
            for problem in result["problems"]?.array ?? [] { printError(problem.string ?? "") }
            guard !options.json else { return ExitCode.ok }
            let peers = result["peers"]?.array ?? []
            var table = TextTable("id", "lab", "embodiment", "endpoint", "approved by", "approved at")
            for peer in peers {
                func field(_ key: String) -> String { peer[key]?.string ?? "" }
                table.add(field("short"), field("lab"), field("embodiment"), field("endpoint"), field("approved_by"), field("approved_at"))
            }
            print(peers.isEmpty ? "no approved peers" : table.rendered)
            let revoked = result["revoked"]?.array ?? []
            if !revoked.isEmpty {
                var table = TextTable("revoked id", "lab", "revoked by", "at", "reason")
                for node in revoked {
                    func field(_ key: String) -> String { node[key]?.string ?? "" }
                    table.add(field("short"), field("lab"), field("by"), field("at"), field("reason"))
                }
                print("\n" + table.rendered)
            }
            return ExitCode.ok
        })

    static let join = Command(
        name: "join", summary: "ask another node to accept this one as a peer",
        help: """
            Usage: cotrain peers join HOST:PORT --id ID [--message M] [--home DIR] [--json]

            Records the other node in state/outgoing/ (you agree to trust it once it
            approves you) and sends it a join request over TLS, checking that it
            presents the node id you were given. Get HOST:PORT and the full ID from the
            other lab (their `cotrain id`), and check the ID by phone.
            When this node is running (`cotrain serve`), the request goes out at once
            over TLS and the other node's answer (pending, approved, …) is printed.
            When it is not running, the request is recorded, the command exits 1
            saying it was not sent yet, and the node sends it when it starts.

            Options:
              --id ID       the other node's full id (grouped form or 64 hex digits)
              --message M   a note for the other admin (at most 1 KiB)

            Example:
              cotrain peers join lab-b.example.org:7443 --id MFRG-GZDF-... --message "lab A, see our MoU"
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let id = try args.option("--id")
            let message = try args.option("--message") ?? ""
            let endpoint = try args.requiredPositional("HOST:PORT of the node to join")
            guard let id else { throw UsageError(message: "--id ID is required (the other node's full id)", command: "peers join") }
            let result = try perform(&args, home, options, ControlRequest(.join, id: id, endpoint: endpoint, message: message))
            guard !options.json else { return ExitCode.ok }
            print("join request sent to \(endpoint): \(result["status"]?.string ?? "unknown")")
            return ExitCode.ok
        })

    /// Runs `request` on `home` once every argument is consumed; prints the result
    /// with --json. (Options are taken before positionals, so `--home DIR ID` works.)
    static func perform(_ args: inout Arguments, _ home: NodeHome, _ options: GlobalOptions, _ request: ControlRequest) throws -> JSONValue {
        try args.finish()
        let (result, path) = try NodeAdmin.perform(request, home: home, environment: ProcessInfo.processInfo.environment)
        if options.verbose { Console.error("cotrain: \(request.command.rawValue) via \(path.rawValue)\n") }
        if options.json { print(result.canonicalString) }
        return result
    }
}
