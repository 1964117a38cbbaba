// `cotrain demo`: the whole story of a federation on one machine, told by running the
// real CLI as separate processes — one node per lab, real TLS on 127.0.0.1 — and
// printing each command as the lab's admin would type it. This file holds the runner's
// state, its command helpers and steps 1–3; training is in DemoRunner+Training.swift,
// evaluation, reports and the summary in DemoRunner+Results.swift.
import CotrainCore
import CotrainFederation
import Foundation

/// Runs the demo's steps; see docs/demo.md.
final class DemoRunner {
    /// How the demo was called.
    struct Options {
        /// The output directory as given (commands print paths relative to it).
        var out = "cotrain-demo"
        /// Delete a non-empty --out that is not a previous demo.
        var fresh = false
        /// Leave the nodes running at the end.
        var keepRunning = false
        /// Print demo.json on stdout at the end (the narrative goes to stderr).
        var json = false
        /// Only the final tables.
        var quiet = false
        /// Where the shipped recipes are (default: found from the working directory or the executable).
        var policies: String?
    }

    /// One lab: its plan, node identity, paths and results.
    final class Lab {
        let lab: DemoLab
        let unseen: [String]
        let port: UInt16
        /// The lab's directory (`OUT/lab-a`): node home, data, runs, evaluation.
        let dir: String
        var nodeID = ""
        var hex = ""
        var serve: DemoChild?
        var serveLaunches = 0
        /// Training losses and evaluation results, as the runs reported them.
        var localLosses: (first: Double, last: Double)?
        var federatedLoss: String?
        var evaluation: DemoEvaluation?
        var audit: (entries: Int, head: String, actions: [String: Int])?
        var exported: (round: Int, baseHash: String)?
        var gifs: [String] = []

        init(_ lab: DemoLab, federation: [DemoLab], port: UInt16, out: String) {
            self.lab = lab
            unseen = lab.unseenTasks(in: federation)
            self.port = port
            dir = "\(out)/\(lab.name)"
        }

        var name: String { lab.name }
        var home: String { "\(dir)/node" }
        var endpoint: String { "127.0.0.1:\(port)" }
        var episodes: String { "\(dir)/episodes" }
        var vl: String { "\(dir)/vl" }
        var localRun: String { "\(dir)/runs/local-only" }
        var localCheckpoint: String { "\(localRun)/checkpoint.safetensors" }
        var base: String { "\(dir)/federation-base.safetensors" }
        var federated: String { "\(dir)/federated.safetensors" }
        var suite: String { "\(dir)/suite.json" }
        var evalDirectory: String { "\(dir)/eval" }
        var gifDirectory: String { "\(dir)/gifs" }
        var report: String { "\(dir)/report.html" }
        /// "lab-a (ur5e)".
        var title: String { "\(lab.name) (\(lab.embodiment))" }
        /// The short form of the node id (first three groups), as tables show it.
        var short: String { String(nodeID.prefix(14)) }
    }

    let plan: DemoPlan
    let options: Options
    let out: String
    let console: DemoConsole
    let stop = DemoStopSignal()
    let processes: DemoProcesses
    let labs: [Lab]
    let policies: String
    /// Wall time of each step, in order.
    var stepTimes: [(title: String, seconds: Double)] = []
    private var current: (number: Int, title: String)?
    let started = ContinuousClock.now
    static let stepCount = 6

    /// The shards lab-a published: hash, samples and bytes.
    var shards: [(hash: String, samples: Int, bytes: Int)] = []
    /// The common base's SHA-256 and the federation's final state.
    var baseFileHash = ""
    var federation: (rounds: Int, baseHash: String, head: String, fullRounds: Int)?

    init(plan: DemoPlan, options: Options) throws {
        self.plan = plan
        self.options = options
        var out = options.out
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        while out.hasPrefix("./") && out.count > 2 { out.removeFirst(2) }
        self.out = out
        console = DemoConsole(json: options.json, quiet: options.quiet)
        processes = try DemoProcesses(stop: stop)
        policies = try options.policies ?? Self.findPolicies(executable: processes.executable)
        var ports: [UInt16] = []
        for _ in plan.labs {
            var port: UInt16
            repeat { port = try Self.freeLoopbackPort() } while ports.contains(port)
            ports.append(port)
        }
        labs = zip(plan.labs, ports).map { Lab($0, federation: plan.labs, port: $1, out: out) }
    }

    var logs: String { "\(out)/logs" }

    // MARK: - The run

    /// Runs every step; returns the exit status. On a failure or a signal, every child
    /// process is stopped and the step, the reason and its log are named.
    func run() -> Int32 {
        do {
            try prepare()
            stop.install()
            introduce()
            try step(1, "Create the labs and record their demonstrations") { try createLabs() }
            try step(2, "Start the nodes; the labs ask to join each other and each admin approves") { try connectLabs() }
            try step(3, "lab-a shares vision-language data; the other nodes fetch it") { try shareVisionLanguageData() }
            try step(4, "Train: local-only baselines, the common base, then federated rounds") { try train() }
            try step(5, "Evaluate: each lab's robot, federated vs local-only, on the same seeds") { try evaluate() }
            try step(6, "Check the audit logs and write the reports") { try reportAndVerify() }
            try finish()
            return ExitCode.ok
        } catch let interrupted as DemoInterrupted {
            console.clearProgress()
            let during = current.map { " during step \($0.number) (\($0.title))" } ?? ""
            Console.error("\ncotrain demo: stopped by \(interrupted.name)\(during)\n")
            stopEverything()
            return 130
        } catch {
            console.clearProgress()
            let during = current.map { "step \($0.number) (\($0.title)) failed: " } ?? ""
            var message = "\ncotrain demo: \(during)\(error)\n"
            if let failure = error as? DemoFailure, let log = failure.log {
                message += "  log: \(log)\n" + tail(log, lines: 12).map { "  | \($0)\n" }.joined()
            } else if current != nil {
                message += "  logs: \(logs)/\n"
            }
            Console.error(message)
            stopEverything()
            return ExitCode.failure
        }
    }

    /// Runs one step, timing it and naming it in errors.
    func step(_ number: Int, _ title: String, _ body: () throws -> Void) throws {
        current = (number, title)
        console.heading(number, of: Self.stepCount, title)
        let start = ContinuousClock.now
        try body()
        console.resetProgress()
        let seconds = Self.seconds(since: start)
        stepTimes.append((title, seconds))
        console.say("  step \(number) done in \(DemoConsole.duration(seconds))")
        current = nil
    }

    /// Stops every process the demo started (nodes included) and says so.
    func stopEverything() {
        let stopped = processes.terminateAll()
        guard !stopped.isEmpty else { return }
        let list = stopped.map { "\($0.lab) `cotrain \($0.arguments.first ?? "")` (pid \($0.pid))" }.joined(separator: ", ")
        Console.error("cotrain demo: stopped \(list)\n")
    }

    // MARK: - Preparing the output directory

    /// Creates --out, or replaces a previous demo there; refuses a non-empty directory
    /// that is not one unless --fresh.
    func prepare() throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: out, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DemoFailure(message: "--out \(out) is a file, not a directory") }
            let entries = try fm.contentsOfDirectory(atPath: out)
            if !entries.isEmpty {
                let previous = entries.contains(Self.marker)
                if !previous && !options.fresh {
                    throw DemoFailure(message: "--out \(out) is not empty and holds no previous demo; choose another directory, or add --fresh to delete it")
                }
                try refuseRunningNodes(in: out, entries: entries)
                try refuseDangerous(out)
                console.say(previous ? "Removing the previous demo in \(out)/" : "Deleting \(out)/ (--fresh)")
                try fm.removeItem(atPath: out)
            }
        }
        try fm.createDirectory(atPath: "\(logs)/.out", withIntermediateDirectories: true)
        try AtomicFile.write(Array("cotrain demo \(plan.preset.rawValue) started \(ISO8601.format(Date()))\n".utf8), to: "\(out)/\(Self.marker)")
    }

    /// The file that marks a directory as a demo's output.
    static let marker = ".cotrain-demo"

    /// A previous demo's nodes left running (`--keep-running`) hold their homes' locks.
    private func refuseRunningNodes(in directory: String, entries: [String]) throws {
        for entry in entries.sorted() {
            let home = "\(directory)/\(entry)/node"
            guard access("\(home)/.lock", F_OK) == 0 else { continue }
            do {
                let lock = try NodeLock(directory: home)
                _ = consume lock
            } catch {
                let pid = (try? String(decoding: readFile("\(home)/.lock", limit: 64), as: UTF8.self))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                let stopHint = Int(pid) != nil ? "stop it with `kill \(pid)`" : "stop the cotrain process using it"
                throw DemoFailure(message: "a node of the previous demo still runs in \(home); \(stopHint), then run the demo again")
            }
        }
    }

    /// Refuses to delete /, the home directory or the working directory.
    private func refuseDangerous(_ path: String) throws {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
        let home = URL(fileURLWithPath: NSHomeDirectory()).resolvingSymlinksInPath().path
        if resolved == "/" || resolved == cwd || resolved == home || cwd.hasPrefix(resolved + "/") {
            throw DemoFailure(message: "refusing to delete \(resolved): choose a dedicated --out directory")
        }
    }

    /// What is about to happen.
    func introduce() {
        let p = plan
        let names = labs.map(\.name).joined(separator: ", ")
        console.say("cotrain demo — \(labs.count) labs (\(names)) federate a vision-language-action policy")
        console.say("over mutually authenticated TLS on 127.0.0.1, each lab a separate `cotrain` process.")
        console.say()
        console.say("  preset \(p.preset.rawValue): \(p.episodesPerLab) demonstrations per lab; \(p.localSteps) training steps per policy "
            + "(the federation: \(p.rounds) rounds × \(p.stepsPerRound)); \(p.evalEpisodes) evaluation episodes per cell")
        for lab in labs {
            let others = labs.filter { $0 !== lab && !Set($0.lab.tasks).isDisjoint(with: lab.unseen) }.map(\.name)
            let unseen = lab.unseen.isEmpty ? "" : "; never \(lab.unseen.joined(separator: ", ")) (\(others.joined(separator: " and ")) demonstrate\(others.count == 1 ? "s" : "") it)"
            console.say("  \(lab.name)  \(lab.lab.embodiment.padding(toLength: 5, withPad: " ", startingAt: 0))  demonstrates \(lab.lab.tasks.joined(separator: ", "))\(unseen)")
        }
        console.say("  Commands are shown as each lab's admin would type them (`lab-b $ cotrain …`); their output")
        console.say("  goes to \(logs)/. Everything the demo makes is under \(out)/.")
    }

    // MARK: - Running commands

    /// Prints `cotrain arguments…` for `lab` and runs it to completion; throws with the
    /// log when it fails.
    @discardableResult
    func run(_ lab: Lab, _ arguments: [String], log kind: String, output: DemoProcesses.Output = .log,
             note: String? = nil, show: Bool = true) throws -> DemoChild {
        if show { console.command(lab.name, arguments, suffix: redirect(output), note: note) }
        let child = try processes.start(lab: lab.name, arguments, log: log(lab, kind), output: output)
        try processes.wait([child]) { try checkNodes() }
        try check(child)
        return child
    }

    /// Starts several commands at once (printed first) and waits for all of them;
    /// `tick` runs about 5 times a second (progress).
    func runTogether(_ commands: [(lab: Lab, arguments: [String], log: String, output: DemoProcesses.Output)],
                     tick: () throws -> Void = {}) throws {
        for c in commands { console.command(c.lab.name, c.arguments, suffix: redirect(c.output)) }
        if commands.count > 1 {
            let threads = commands.allSatisfy { $0.arguments.contains("--threads") } ? ", one thread each" : ""
            console.note("(the \(commands.count) commands run side by side\(threads))")
        }
        var children: [DemoChild] = []
        for c in commands { children.append(try processes.start(lab: c.lab.name, c.arguments, log: log(c.lab, c.log), output: c.output)) }
        try processes.wait(children) {
            try tick()
            if let failed = children.first(where: { ($0.poll() ?? 0) != 0 }) { try check(failed) }
            try checkNodes()
        }
        for child in children { try check(child) }
    }

    /// Runs a `--json` command quietly (a poll) and parses its output.
    func query(_ lab: Lab, _ arguments: [String], log kind: String) throws -> JSONValue {
        let file = "\(logs)/.out/\(lab.name)-\(kind).json"
        let child = try processes.start(lab: lab.name, arguments, log: log(lab, kind), output: .file(file))
        try processes.wait([child]) { try checkNodes() }
        try check(child)
        do { return try JSONValue.parse(try readFile(file, limit: 64 << 20)) } catch {
            throw DemoFailure(message: "`cotrain \(DemoShell.quote(arguments))` printed no JSON: \(error)", log: log(lab, kind))
        }
    }

    /// Prints and runs a `--json` command; returns its output.
    func runJSON(_ lab: Lab, _ arguments: [String], log kind: String, note: String? = nil) throws -> JSONValue {
        console.command(lab.name, arguments, note: note)
        return try query(lab, arguments, log: kind)
    }

    func log(_ lab: Lab, _ kind: String) -> String { "\(logs)/\(lab.name)-\(kind).log" }

    private func redirect(_ output: DemoProcesses.Output) -> String {
        if case let .file(path) = output { return " > \(DemoShell.quote(path))" }
        return ""
    }

    /// Throws if `child` exited with a failure.
    func check(_ child: DemoChild) throws {
        guard let status = child.poll(), status != 0 else { return }
        throw DemoFailure(message: "`cotrain \(DemoShell.quote(child.arguments))` (\(child.lab)) ended with \(child.statusText)", log: child.log)
    }

    /// Throws if a lab's node stopped on its own.
    func checkNodes() throws {
        for lab in labs {
            guard let serve = lab.serve, let status = serve.poll() else { continue }
            throw DemoFailure(message: "\(lab.name)'s node (`cotrain serve`, pid \(serve.pid)) stopped by itself (\(serve.statusText), status \(status))", log: serve.log)
        }
    }

    /// Polls `condition` every `interval` seconds until it holds or `timeout` passes.
    func waitUntil(_ what: String, timeout: Double, interval: Double = 0.5, log: String? = nil,
                   _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            try stop.check()
            try checkNodes()
            if try condition() { return }
            guard ContinuousClock.now < deadline else {
                throw DemoFailure(message: "timed out after \(DemoConsole.duration(timeout)) waiting until \(what)", log: log)
            }
            usleep(UInt32(interval * 1_000_000))
        }
    }

    // MARK: - Step 1: labs and demonstrations

    func createLabs() throws {
        for lab in labs {
            try run(lab, ["init", lab.home, "--lab", lab.name, "--embodiment", lab.lab.embodiment, "--listen", lab.endpoint], log: "init")
            let id = try runJSON(lab, ["id", "--home", lab.home, "--json"], log: "init")
            guard let nodeID = id["node_id"]?.string, let hex = id["hex"]?.string else {
                throw DemoFailure(message: "`cotrain id` printed no node id", log: log(lab, "init"))
            }
            lab.nodeID = nodeID
            lab.hex = hex
            console.result("node id \(nodeID) — the admin reads it to the other labs by phone")
        }
        console.note("Each lab records scripted-expert demonstrations of its own tasks in the simulator:")
        let start = ContinuousClock.now
        try runTogether(labs.map { lab in
            (lab, ["data", "collect", "--store", lab.episodes, "--embodiment", lab.lab.embodiment, "--tasks", lab.lab.tasks.joined(separator: ","),
                   "--count", String(plan.episodesPerLab), "--seed", String(lab.lab.seed)], "data", .log)
        })
        console.result("\(plan.episodesPerLab) episodes per lab in \(DemoConsole.duration(Self.seconds(since: start)))")
    }

    // MARK: - Step 2: nodes, joining, approving

    /// The environment every node gets: the labs share one address, and the default
    /// join-request limit (3 a minute per address) is for strangers on the internet.
    static let joinLimit = ("COTRAIN_LIMITS_JOIN_REQUESTS_PER_MINUTE", "60")

    func connectLabs() throws {
        console.command("", [], program: "export \(Self.joinLimit.0)=\(Self.joinLimit.1)",
                        note: "the labs share 127.0.0.1; the default allows 3 join requests a minute per address")
        processes.extraEnvironment[Self.joinLimit.0] = Self.joinLimit.1
        for lab in labs {
            try startNode(lab, ["serve", "--home", lab.home, "--min-peers", "99"],
                          note: "no rounds yet (--min-peers 99): until the labs share a model the node serves peers, admins and shards")
        }
        try waitUntil("every node listens", timeout: 60, log: labs.first?.serve?.log) {
            labs.allSatisfy { access("\($0.home)/state/control.sock", F_OK) == 0 }
        }
        console.result("\(labs.count) nodes running (logs \(logs)/lab-*-serve-1.log)")

        console.note("Each lab asks the labs before it to accept it (with the address and id they gave it):")
        for (j, joiner) in labs.enumerated() {
            for target in labs.prefix(j) {
                let answer = try runJSON(joiner, ["peers", "join", target.endpoint, "--id", target.nodeID, "--home", joiner.home,
                                                  "--message", "\(joiner.name) (\(joiner.lab.embodiment)), cotrain demo", "--json"], log: "peers")
                console.result("\(target.name) answered: \(answer["status"]?.string ?? "?")")
            }
        }
        console.note("Each admin reviews the requests, compares each full id with the one read out by phone, and approves:")
        for lab in labs {
            let pending = try runJSON(lab, ["peers", "pending", "--home", lab.home, "--json"], log: "peers")["pending"]?.array ?? []
            if pending.isEmpty {
                console.result("no pending requests (\(lab.name) asked the others; they decide)")
                continue
            }
            let summary = pending.map { "\($0["lab"]?.string ?? "?") (\($0["embodiment"]?.string ?? "?")) \($0["node_id"]?.string?.prefix(14) ?? "?")…" }
            console.result("\(pending.count) request\(pending.count == 1 ? "" : "s"): \(summary.joined(separator: ", "))")
            for request in pending {
                let id = request["node_id"]?.string ?? ""
                // The phone call: the full id must be the one that lab's `cotrain id` printed.
                guard let requester = labs.first(where: { $0.nodeID == id }), request["lab"]?.string == requester.name else {
                    throw DemoFailure(message: "\(lab.name) has a join request from an unexpected node \(id) (\(request["lab"]?.string ?? "?")); not approving it",
                                      log: log(lab, "peers"))
                }
                try run(lab, ["peers", "approve", requester.short, "--home", lab.home, "--reason", "full id compared by phone",
                              "--by", "admin@\(lab.name)"], log: "peers")
            }
        }
        let first = labs[0]
        console.command(first.name, ["peers", "list", "--home", first.home, "--json"],
                        note: "on every lab, repeated until each lists the others (an approval reaches the joiner over TLS)")
        try waitUntil("every lab lists the other \(labs.count - 1) as peers", timeout: 60, interval: 0.3, log: log(first, "peers")) {
            try labs.allSatisfy { lab in
                (try query(lab, ["peers", "list", "--home", lab.home, "--json"], log: "poll")["peers"]?.array?.count ?? 0) == labs.count - 1
            }
        }
        for lab in labs {
            let peers = labs.filter { $0 !== lab }.map { "\($0.name) (\($0.lab.embodiment))" }.joined(separator: ", ")
            console.result("\(lab.name) trusts \(peers)")
        }
    }

    /// Starts `cotrain serve …` for `lab` in the background (printed with `&`).
    func startNode(_ lab: Lab, _ arguments: [String], note: String? = nil) throws {
        lab.serveLaunches += 1
        console.command(lab.name, arguments, suffix: " &", note: note)
        lab.serve = try processes.start(lab: lab.name, arguments, log: log(lab, "serve-\(lab.serveLaunches)"))
    }

    /// Stops `lab`'s node with SIGTERM (printed as `kill PID`) and expects a clean exit.
    func stopNode(_ lab: Lab, note: String? = nil) throws {
        guard let serve = lab.serve else { return }
        console.command(lab.name, [String(serve.pid)], program: "kill", note: note)
        lab.serve = nil
        let status = processes.terminate(serve, signal: SIGTERM, grace: 30)
        guard status == 0 else {
            throw DemoFailure(message: "\(lab.name)'s node did not stop cleanly on SIGTERM: \(serve.statusText)", log: serve.log)
        }
    }

    // MARK: - Step 3: VL shards

    func shareVisionLanguageData() throws {
        let a = labs[0]
        let start = ContinuousClock.now
        try run(a, ["data", "vl-generate", "--out", a.vl, "--count", String(plan.vlSamples), "--seed", "7",
                    "--shard-size", String(plan.vlShardSize), "--probe-count", String(plan.vlProbeSamples)], log: "data",
                note: "captions, questions and referring expressions of rendered scenes, with colours robots never see")
        let manifest = try JSONValue.parse(try readFile("\(a.vl)/manifest.json", limit: 64 << 20))
        let held = manifest["concept_split"]?["held_out"]?.array?.compactMap(\.string) ?? []
        let train = (manifest["shards"]?.array ?? []).filter { $0["split"]?.string == "train" }
        shards = train.compactMap { s in
            guard let hash = s["sha256"]?.string, let samples = s["samples"]?.int, let bytes = s["bytes"]?.int else { return nil }
            return (hash, samples, bytes)
        }
        guard !shards.isEmpty else { throw DemoFailure(message: "\(a.vl)/manifest.json lists no training shards", log: log(a, "data")) }
        let licence = train.first?["licence"]?.string ?? "CC0-1.0"
        let colours = held.filter { $0.hasPrefix("colour:") }.map { String($0.dropFirst(7)) }
        let relations = held.filter { $0.hasPrefix("relation:") }.map { String($0.dropFirst(9)) }
        let other = held.filter { !$0.hasPrefix("colour:") && !$0.hasPrefix("relation:") }
        var concepts = colours.isEmpty ? [] : ["colours " + colours.joined(separator: ", ")]
        if !relations.isEmpty { concepts.append("relations " + relations.joined(separator: ", ")) }
        console.result("\(shards.count) training shards (\(shards.map(\.samples).reduce(0, +)) samples) and a probe split; only VL data shows "
            + (concepts + other).joined(separator: "; "))
        for shard in shards {
            try run(a, ["shards", "publish", "\(a.vl)/blobs/\(shard.hash.prefix(2))/\(shard.hash)", "--source", "lab-a-scenes",
                        "--licence", licence, "--home", a.home], log: "shards")
        }
        let others = Array(labs.dropFirst())
        console.result("the running node announces them to \(others.map(\.name).joined(separator: " and ")); their nodes fetch them over TLS")
        let total = shards.count * others.count
        let wanted = Set(shards.map(\.hash))
        var have: [String: Set<String>] = [:]
        console.command(others[0].name, ["shards", "list", "--home", others[0].home, "--json"],
                        note: "repeated every second until all \(shards.count) are there")
        let fetchStart = ContinuousClock.now
        console.resetProgress()
        try waitUntil("\(others.map(\.name).joined(separator: " and ")) fetched lab-a's \(shards.count) shards", timeout: 180, interval: 1,
                      log: others.first?.serve?.log) {
            for lab in others where have[lab.name]?.count != wanted.count {
                let listed = try query(lab, ["shards", "list", "--home", lab.home, "--json"], log: "poll")["shards"]?.array ?? []
                have[lab.name] = Set(listed.compactMap { $0["hash"]?.string }).intersection(wanted)
            }
            let done = have.values.map(\.count).reduce(0, +)
            let bytes = Double(shards.filter { s in have.values.contains { $0.contains(s.hash) } }.map(\.bytes).reduce(0, +))
            let seconds = Self.seconds(since: fetchStart)
            console.progress("fetched " + others.map { "\($0.name) \(have[$0.name]?.count ?? 0)/\(shards.count)" }.joined(separator: ", ")
                + " shards  \(format(bytes / 1e6 / max(seconds, 0.001), 1)) MB/s  \(DemoConsole.duration(seconds))")
            return done == total
        }
        let megabytes = Double(shards.map(\.bytes).reduce(0, +)) / 1e6
        console.result("each fetched \(shards.count) shards (\(format(megabytes, 1)) MB) in \(DemoConsole.duration(Self.seconds(since: fetchStart)))")

        console.note("Each lab imports the fetched shards (stored by hash in its node) into its own VL store:")
        for lab in others { try FileManager.default.createDirectory(atPath: lab.dir, withIntermediateDirectories: true) }
        try runTogetherSequences(others.map { lab in
            (lab, shards.map { shard in
                ["data", "vl-import", "--in", "\(lab.home)/state/shards/blobs/\(shard.hash.prefix(2))/\(shard.hash)", "--store", lab.vl,
                 "--source", "lab-a-scenes", "--licence", licence]
            })
        })
        console.result("imported in \(DemoConsole.duration(Self.seconds(since: start))) since generation began")
    }

    /// Runs, per lab, a sequence of commands one after another (they share a store),
    /// the labs side by side.
    func runTogetherSequences(_ sequences: [(lab: Lab, commands: [[String]])]) throws {
        for (lab, commands) in sequences { for arguments in commands { console.command(lab.name, arguments) } }
        var queues = sequences.map { (lab: $0.lab, rest: $0.commands[...]) }
        var running: [DemoChild?] = Array(repeating: nil, count: queues.count)
        while true {
            for i in queues.indices where running[i] == nil || running[i]?.poll() != nil {
                if let done = running[i] { try check(done) }
                running[i] = nil
                if let next = queues[i].rest.popFirst() {
                    running[i] = try processes.start(lab: queues[i].lab.name, next, log: log(queues[i].lab, "data"))
                }
            }
            if running.allSatisfy({ $0 == nil }) { return }
            try stop.check()
            try checkNodes()
            usleep(50_000)
        }
    }

    // MARK: - Helpers

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// The last `lines` lines of a log file.
    func tail(_ path: String, lines: Int) -> [String] {
        guard let bytes = try? readFile(path, limit: 1 << 30) else { return [] }
        return String(decoding: bytes.suffix(64 << 10), as: UTF8.self).split(separator: "\n").suffix(lines).map(String.init)
    }

    /// A loopback port nobody listens on right now (bound to 0, read, released).
    static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DemoFailure(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw DemoFailure(message: "cannot bind a loopback port: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// The shipped recipes: `./policies`, else the `policies/` of the repository the
    /// executable was built in (…/.build/release/cotrain → …/policies).
    static func findPolicies(executable: String) throws -> String {
        var candidates = ["policies"]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent("policies").path)
            directory = directory.deletingLastPathComponent()
        }
        for candidate in candidates where access("\(candidate)/vl.json", R_OK) == 0 && access("\(candidate)/robot-only.json", R_OK) == 0 {
            return candidate
        }
        throw DemoFailure(message: "cannot find the shipped recipes (policies/vl.json, policies/robot-only.json); run from the repository or pass --policies DIR")
    }
}
