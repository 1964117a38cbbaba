import CotrainCore
import CotrainFederation
import Dispatch
import Foundation

/// `cotrain serve`: runs the node until SIGINT or SIGTERM.
enum ServeCommand {
    static let command = Command(
        name: "serve",
        summary: "run the node: TLS listener, admin socket, rounds, catch-up and shard exchange",
        help: """
            Usage: cotrain serve [--home DIR] [--listen HOST:PORT] [--advertise HOST:PORT]
                                 [--rounds N] [--deadline SECONDS] [--quorum N] [--min-peers N]
                                 [--aggregation fedavg|median|trimmed_mean] [--codec int8|fp16|bf16|fp32]
                                 [--trainer synthetic|command] [--trainer-command "PROGRAM ARG..."]
                                 [--initial-model FILE] [--shard-rate-mbps N]
                                 [--synthetic-train-seconds S]

            Takes the node lock, loads config.json (overridden by COTRAIN_* variables,
            then by these flags), listens for peers, dials approved peers, answers admin
            commands on state/control.sock (`cotrain peers ...` works while it runs; a
            revocation cuts the peer at once), and runs federated rounds. Log lines go
            to stderr and, as JSON lines, to state/node.log.jsonl. SIGINT or SIGTERM
            stops it cleanly; everything it learned is already on disk, and the next
            start resumes from there (a kill -9 is safe too).

            Options:
              --listen HOST:PORT     where to listen (config `listen`)
              --advertise HOST:PORT  where peers dial this node (config `advertise`)
              --rounds N             run rounds up to round N, then keep serving peers
                                     (catch-up, shards, admin) until stopped
              --deadline SECONDS     round deadline once this node's delta is ready
                                     (decimal, 0.2-86400; config round.deadline_seconds)
              --quorum N             deltas needed at the deadline (config round.quorum)
              --min-peers N          ready peers needed to start a round (default quorum - 1)
              --aggregation RULE     config round.aggregation
              --codec CODEC          config round.delta_codec
              --trainer KIND         synthetic (default: a seeded least-squares workload,
                                     see docs/operations.md) or command (an external trainer)
              --trainer-command CMD  the external trainer: run with COTRAIN_BASE,
                                     COTRAIN_OUT and COTRAIN_ROUND set (docs/operations.md)
              --initial-model FILE   the federation's first checkpoint (safetensors), used
                                     when state/model/ is empty (command trainer)
              --shard-rate-mbps N    shard bytes served per peer per second, MB (default 64)
              --synthetic-train-seconds S
                                     make each synthetic round take at least S seconds
                                     (stands in for real training in demos and tests)

            Examples:
              cotrain serve --home ./lab-a-node
              cotrain serve --home ./lab-a-node --rounds 20 --deadline 60 --quorum 2
            """,
        run: { args, options in try run(&args, options) })

    static func run(_ args: inout Arguments, _ global: GlobalOptions) throws -> Int32 {
        let home = try takeHome(&args)
        var overrides: [(String, String)] = []
        for (flag, setting) in [("--listen", "listen"), ("--advertise", "advertise"), ("--quorum", "round.quorum"),
                                ("--aggregation", "round.aggregation"), ("--codec", "round.delta_codec")] {
            if let value = try args.option(flag) { overrides.append((setting, value)) }
        }
        let rounds = try args.option("--rounds").map { try positive($0, "--rounds") }
        let deadline = try args.option("--deadline")
        let minPeers = try args.option("--min-peers").map { try positive($0, "--min-peers") }
        let trainerKind = try args.option("--trainer") ?? "synthetic"
        let trainerCommand = try args.option("--trainer-command")
        let initialModelPath = try args.option("--initial-model")
        let shardRate = try args.int("--shard-rate-mbps", default: 64, range: 1...100_000)
        let trainSeconds = try args.option("--synthetic-train-seconds").map { text in
            guard let value = Double(text), (0...3600).contains(value) else {
                throw UsageError(message: "--synthetic-train-seconds must be a number in 0...3600, got '\(text)'", command: "serve")
            }
            return value
        }
        try args.finish()

        let lock = try NodeLock(directory: home.root)
        let config = try home.loadConfig(environment: ProcessInfo.processInfo.environment, overrides: overrides)
        var daemonOptions = DaemonOptions(config: config)
        daemonOptions.lastRound = rounds
        if let deadline {
            guard let seconds = Double(deadline), (0.2...86_400).contains(seconds) else {
                throw UsageError(message: "--deadline must be a number of seconds in 0.2...86400, got '\(deadline)'", command: "serve")
            }
            daemonOptions.deadline = .milliseconds(Int(seconds * 1000))
        }
        if let minPeers { daemonOptions.minPeers = minPeers }
        daemonOptions.shardBytesPerSecond = shardRate * 1_000_000

        let trainer: any LocalTrainer
        var initialModel: ParameterSet?
        switch trainerKind {
        case "synthetic":
            trainer = SyntheticTrainer(nodeID: try home.loadCertificate().nodeID, minimumSeconds: trainSeconds ?? 0)
            initialModel = try SyntheticModel.initial(embodiments: config.embodiments)
        case "command":
            guard let words = trainerCommand?.split(separator: " ").map(String.init), let program = words.first else {
                throw UsageError(message: "--trainer command needs --trainer-command \"PROGRAM ARG...\"", command: "serve")
            }
            trainer = CommandTrainer(executable: program, arguments: Array(words.dropFirst()), directory: "\(home.stateDirectory)/trainer")
        default:
            throw UsageError(message: "--trainer must be synthetic or command, got '\(trainerKind)'", command: "serve")
        }
        if let initialModelPath { initialModel = try ParameterSet.load(path: initialModelPath) }

        let consoleLevel: LogLevel? = global.quiet ? .warning : (global.verbose ? .debug : .info)
        let log = try Logger(component: "node", consoleLevel: consoleLevel, jsonFile: "\(home.stateDirectory)/node.log.jsonl")
        let daemon = try NodeDaemon(home: home, lock: lock, config: config, options: daemonOptions, trainer: trainer,
                                    initialModel: initialModel, log: log)
        let signals = DispatchQueue(label: "cotrain-signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler {
                log.info("signal received; stopping", ["signal": number == SIGINT ? "SIGINT" : "SIGTERM"])
                daemon.stop()
            }
            source.resume()
            sources.append(source)
        }
        try daemon.start()
        daemon.waitUntilStopped()
        _ = consume lock
        withExtendedLifetime(sources) {}
        return ExitCode.ok
    }

    private static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let value = Int(text), value >= 1 else {
            throw UsageError(message: "\(flag) must be a positive integer, got '\(text)'", command: "serve")
        }
        return value
    }
}
