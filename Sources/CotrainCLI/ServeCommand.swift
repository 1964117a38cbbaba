import CotrainCore
import CotrainFederation
import CotrainTensor
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
                                 [--trainer synthetic|command|recipe] [--trainer-command "PROGRAM ARG..."]
                                 [--policy RECIPE.json --data STORE[,...] [--vl DIR[,...]]
                                  --init BASE.safetensors [--steps-per-round N] [--threads N]]
                                 [--initial-model FILE] [--shard-rate-mbps N]
                                 [--synthetic-train-seconds S]

            Takes the node lock, loads config.json (overridden by COTRAIN_* variables,
            then by these flags), listens for peers, dials approved peers, answers admin
            commands on state/control.sock (`cotrain peers ...` works while it runs; a
            revocation cuts the peer at once), and runs federated rounds. Log lines go
            to stderr and, as JSON lines, to state/node.log.jsonl. SIGINT or SIGTERM
            stops it cleanly; everything it learned is already on disk, and the next
            start resumes from there (a kill -9 is safe too).

            With --trainer recipe the node trains the recipe's policy on its own data
            for each round, --steps-per-round steps at a time along the recipe's
            schedule, and keeps the whole policy with its optimizer state in
            state/trainer/. Every lab starts from the same --init file. The trainer
            settings can also live in config.json's `trainer` object (docs/operations.md,
            section 11); `cotrain round export` writes the current round's model for
            `cotrain eval`.

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
                                     see docs/operations.md), command (an external trainer)
                                     or recipe (the built-in co-training trainer)
                                     (config trainer.kind)
              --trainer-command CMD  the external trainer: run with COTRAIN_BASE,
                                     COTRAIN_OUT and COTRAIN_ROUND set (docs/operations.md)
              --policy RECIPE.json   recipe trainer: the recipe (config trainer.policy)
              --data DIRS            recipe trainer: episode stores, comma-separated
              --vl DIRS              recipe trainer: VL shard stores, comma-separated
              --init FILE            recipe trainer: the federation's common initial policy
                                     checkpoint (the same file, by SHA-256, in every lab)
              --steps-per-round N    recipe trainer: optimiser steps per round (default 50)
              --threads N            recipe trainer: compute threads (default: all cores)
              --initial-model FILE   the federation's first checkpoint (safetensors), used
                                     when state/model/ is empty (command trainer)
              --shard-rate-mbps N    shard bytes served per peer per second, MB (default 64)
              --synthetic-train-seconds S
                                     make each synthetic round take at least S seconds
                                     (stands in for real training in demos and tests)

            Examples:
              cotrain serve --home ./lab-a-node
              cotrain serve --home ./lab-a-node --rounds 20 --deadline 60 --quorum 2
              cotrain serve --home ./lab-a-node --trainer recipe --policy policies/vl.json \\
                  --data lab/episodes --vl lab/vl --init federation-base.safetensors \\
                  --steps-per-round 50 --threads 2 --deadline 600
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
        for (flag, setting) in [("--trainer", "trainer.kind"), ("--trainer-command", "trainer.command"),
                                ("--policy", "trainer.policy"), ("--data", "trainer.data"), ("--vl", "trainer.vl"),
                                ("--init", "trainer.init")] {
            if let value = try args.option(flag) { overrides.append((setting, value)) }
        }
        if let kind = overrides.last(where: { $0.0 == "trainer.kind" })?.1, TrainerKindName(rawValue: kind) == nil {
            let kinds = TrainerKindName.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError(message: "--trainer must be one of \(kinds), got '\(kind)'", command: "serve")
        }
        for (flag, setting, range) in [("--steps-per-round", "trainer.steps_per_round", 1...1_000_000), ("--threads", "trainer.threads", 1...256)] {
            if let text = try args.option(flag) {
                guard let value = Int(text), range.contains(value) else {
                    throw UsageError(message: "\(flag) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'", command: "serve")
                }
                overrides.append((setting, String(value)))
            }
        }
        let initialModelPath = try args.option("--initial-model")
        let shardRate = try args.int("--shard-rate-mbps", default: 64, range: 1...100_000)
        let trainSeconds = try args.option("--synthetic-train-seconds").map { text in
            guard let value = Double(text), (0...3600).contains(value) else {
                throw UsageError(message: "--synthetic-train-seconds must be a number in 0...3600, got '\(text)'", command: "serve")
            }
            return value
        }
        let deadlineMilliseconds = try deadline.map { text in
            guard let seconds = Double(text), (0.2...86_400).contains(seconds) else {
                throw UsageError(message: "--deadline must be a number of seconds in 0.2...86400, got '\(text)'", command: "serve")
            }
            return Int(seconds * 1000)
        }
        try ConfigOverrides.check(overrides, environment: ProcessInfo.processInfo.environment, command: "serve")
        try args.finish()

        let lock = try NodeLock(directory: home.root)
        let config = try home.loadConfig(environment: ProcessInfo.processInfo.environment, overrides: overrides)
        var daemonOptions = DaemonOptions(config: config)
        daemonOptions.lastRound = rounds
        if let deadlineMilliseconds { daemonOptions.deadline = .milliseconds(deadlineMilliseconds) }
        if let minPeers { daemonOptions.minPeers = minPeers }
        daemonOptions.shardBytesPerSecond = shardRate * 1_000_000

        let consoleLevel: LogLevel? = global.quiet ? .warning : (global.verbose ? .debug : .info)
        let log = try Logger(component: "node", consoleLevel: consoleLevel, jsonFile: "\(home.stateDirectory)/node.log.jsonl")
        let trainer: any LocalTrainer
        var initialModel: ParameterSet?
        let settings = config.trainer.resolvingPaths(against: home.root)
        switch settings.kind {
        case .synthetic:
            trainer = SyntheticTrainer(nodeID: try home.loadCertificate().nodeID, minimumSeconds: trainSeconds ?? 0)
            initialModel = try SyntheticModel.initial(embodiments: config.embodiments)
        case .command:
            guard let words = settings.command?.split(separator: " ").map(String.init), let program = words.first else {
                throw UsageError(message: "--trainer command needs --trainer-command \"PROGRAM ARG...\" (or trainer.command in config.json)", command: "serve")
            }
            trainer = CommandTrainer(executable: program, arguments: Array(words.dropFirst()), directory: "\(home.stateDirectory)/trainer")
        case .recipe:
            let recipeTrainer = try makeRecipeTrainer(settings, home: home, config: config, log: log.component("trainer"))
            trainer = recipeTrainer
            initialModel = try recipeTrainer.initialModel()
        }
        if let initialModelPath { initialModel = try ParameterSet.load(path: initialModelPath) }

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

    /// The recipe trainer from the layered settings (paths already resolved).
    static func makeRecipeTrainer(_ settings: NodeConfig.TrainerSettings, home: NodeHome, config: NodeConfig,
                                  log: Logger) throws -> RecipeRoundTrainer {
        guard let policy = settings.policy else {
            throw UsageError(message: "--trainer recipe needs --policy RECIPE.json (or trainer.policy in config.json)", command: "serve")
        }
        guard let initial = settings.initialCheckpoint else {
            throw UsageError(message: "--trainer recipe needs --init BASE.safetensors, the federation's common initial checkpoint (or trainer.init in config.json)", command: "serve")
        }
        guard !settings.data.isEmpty || !settings.vl.isEmpty else {
            throw UsageError(message: "--trainer recipe needs --data STORE[,...] and/or --vl DIR[,...] (or trainer.data / trainer.vl in config.json)", command: "serve")
        }
        guard config.embodiments.count == 1, let embodiment = config.embodiments.first else {
            throw UsageError(message: "the recipe trainer trains one robot per node, but config.json lists \(config.embodiments.joined(separator: ", ")); run one node per robot", command: "serve")
        }
        return try RecipeRoundTrainer(
            recipePath: policy, episodeStores: settings.data, vlStores: settings.vl, embodiment: embodiment,
            initialCheckpoint: initial, workDirectory: "\(home.stateDirectory)/trainer", stepsPerRound: settings.stepsPerRound,
            threads: settings.threads ?? Compute.availableCores, log: log)
    }

    private static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let value = Int(text), value >= 1 else {
            throw UsageError(message: "\(flag) must be a positive integer, got '\(text)'", command: "serve")
        }
        return value
    }
}
