import CotrainCore

/// The top of the command tree, grouped and ordered as a lab uses it (docs/cli.md).
enum RootCommand {
    static let command = Command.grouped(
        name: "cotrain",
        summary: "federated co-training node for robot-learning labs",
        help: """
            cotrain — federated co-training for robot-learning labs

            Usage: cotrain COMMAND [SUBCOMMAND] [OPTIONS]

            Options every command accepts (before or after the command's name):
              --help, -h   show the command's help and examples
              --json       the result as one JSON document on stdout; no progress
              --quiet      only errors and the final result
              --verbose    more detail (e.g. one line per episode in eval)

            Node home: commands that act on a node (id, peers, audit, serve, round,
            shards; init creates one) take --home DIR; without it, $COTRAIN_HOME, else
            ./cotrain-node. Settings: config.json in the home < COTRAIN_* environment
            variables < flags (docs/cli.md).

            Exit status: 0 ok, 1 failure (a check failed, bad input, I/O error),
            2 usage error, 3 node home (or store) locked by another process.

            Examples:
              cotrain init ./lab-a-node --lab lab-a --embodiment ur5e
              cotrain serve --home ./lab-a-node
              cotrain eval --policy expert --suite quick
            """,
        groups: [
            CommandGroup(title: "Node", commands: [
                InitCommand.command,
                IDCommand.command,
                ServeCommand.command.refusingJSON("it logs JSON lines to state/node.log.jsonl in the node home"),
            ]),
            CommandGroup(title: "Federation", commands: [
                PeersCommand.command,
                AuditCommand.command,
                RoundCommand.command,
                ShardsCommand.command,
            ]),
            CommandGroup(title: "Data & training", commands: [
                DataCommand.command,
                TrainCommand.command,
            ]),
            CommandGroup(title: "Evaluation", commands: [
                EvalCommand.command,
                OfflineEvalCommand.command,
                StudyCommand.command,
                ArmSimCommand.command.refusingJSON("it is a server; its results come from `cotrain eval --robot bridge --json`"),
                ReportCommand.command,
            ]),
            CommandGroup(title: "Tools", commands: [
                BenchCommand.command,
                SimCommand.command,
                SelfCheckCommand.command,
                VersionCommand.command,
                DemoCommand.command,
            ]),
        ])
}

/// `cotrain version`.
enum VersionCommand {
    static let version = "0.1.0"

    static let command = Command(
        name: "version",
        summary: "print the versions of cotrain and the libraries it uses",
        help: """
            Usage: cotrain version [--json]

            Prints cotrain's version and the OpenSSL and zstd libraries it runs with.

            Example:
              cotrain version --json
            """,
        run: { args, options in
            try args.finish()
            let fields: [(String, String)] = [
                ("cotrain", version),
                ("openssl", LibraryVersions.openSSL),
                ("zstd", LibraryVersions.zstd),
            ]
            if options.json {
                print(JSONValue.object(fields.map { ($0.0, .string($0.1)) }).canonicalString)
            } else {
                for (name, value) in fields { print("\(name) \(value)") }
            }
            return ExitCode.ok
        })
}
