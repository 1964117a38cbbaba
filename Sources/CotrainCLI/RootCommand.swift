import CotrainCore

/// The top of the command tree, grouped as a lab uses it.
enum RootCommand {
    static let command = Command(
        name: "cotrain",
        summary: "federated co-training node for robot-learning labs",
        help: """
            cotrain — federated co-training for robot-learning labs

            Usage: cotrain COMMAND [SUBCOMMAND] [OPTIONS]

            Options every command accepts:
              --help, -h   show the command's help and examples
              --json       machine-readable output (one JSON object on stdout)
              --quiet      only errors and the final result
              --verbose    debug-level detail

            Exit status: 0 ok, 1 failure (a check failed, bad input, I/O error),
            2 usage error, 3 node home locked by another process.
            """,
        subcommands: [
            InitCommand.command,
            IDCommand.command,
            PeersCommand.command,
            ServeCommand.command,
            RoundCommand.command,
            ShardsCommand.command,
            AuditCommand.command,
            SelfCheckCommand.command,
            BenchCommand.command,
            TrainCommand.command,
            StudyCommand.command,
            EvalCommand.command,
            ArmSimCommand.command,
            SimCommand.command,
            DataCommand.command,
            ReportCommand.command,
            VersionCommand.command,
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
