// Step 4 of `cotrain demo`: the local-only baselines and the common VL-pretrained base
// (side by side), the base handed to every lab out of band with its SHA-256, and the
// federated rounds with the co-training trainer, followed until every lab holds the
// same base; then each lab exports its federated policy.
import CotrainCore
import Foundation

extension DemoRunner {
    /// The recipes this preset trains, written to OUT/recipes/ from the shipped ones.
    struct DemoRecipes {
        let localOnly: String
        let pretrain: String
        let federated: String
    }

    func train() throws {
        let recipes = try writeRecipes()
        let a = labs[0]

        // (a) + (b): the baselines and the base, side by side.
        console.note("(a) every lab trains a local-only baseline on its own demonstrations; (b) lab-a trains the")
        console.note("    federation's common starting model on its VL data only (a VL-pretrained base):")
        let pretrainRun = "\(a.dir)/runs/vl-pretrain"
        let interval = String(plan.checkpointInterval)
        var runs: [(lab: Lab, arguments: [String], log: String, output: DemoProcesses.Output)] = labs.map { lab in
            (lab, ["train", "--policy", recipes.localOnly, "--data", lab.episodes, "--out", lab.localRun, "--embodiment", lab.lab.embodiment,
                   "--threads", String(plan.threadsPerProcess), "--checkpoint-every", interval], "train-local-only", .log)
        }
        runs.append((a, ["train", "--policy", recipes.pretrain, "--vl", a.vl, "--out", pretrainRun, "--embodiment", a.lab.embodiment,
                         "--threads", String(plan.threadsPerProcess), "--checkpoint-every", interval], "train-vl-pretrain", .log))
        let totals = labs.map { _ in plan.localSteps } + [plan.baseSteps]
        let directories = labs.map(\.localRun) + [pretrainRun]
        let names = labs.map { "\($0.name) local" } + ["base"]
        let start = ContinuousClock.now
        var lastCheck = ContinuousClock.now - .seconds(10)
        var done = Array(repeating: 0, count: runs.count)
        console.resetProgress()
        try runTogether(runs) {
            guard ContinuousClock.now - lastCheck >= .seconds(1) else { return }
            lastCheck = .now
            for (i, directory) in directories.enumerated() { done[i] = Self.loggedSteps("\(directory)/training-log.jsonl") }
            console.progress(progressLine(names: names, done: done, totals: totals, unit: "steps", since: start))
        }
        console.clearProgress()
        for lab in labs {
            let run = try JSONValue.parse(try readFile("\(lab.localRun)/run.json", limit: 1 << 20))
            if let first = run["losses"]?["first"]?["action"]?.double, let last = run["losses"]?["last"]?["action"]?.double {
                lab.localLosses = (first, last)
            }
        }
        let pretrain = try JSONValue.parse(try readFile("\(pretrainRun)/run.json", limit: 1 << 20))
        let losses = labs.compactMap { lab in lab.localLosses.map { "\(lab.name) \(format($0.first, 2)) → \(format($0.last, 2))" } }
        console.result("local-only action loss (first → last 20 steps): " + losses.joined(separator: ", "))
        console.result("base text loss \(format(pretrain["losses"]?["first"]?["text"]?.double ?? .nan, 2)) → "
            + "\(format(pretrain["losses"]?["last"]?["text"]?.double ?? .nan, 2)); all in \(DemoConsole.duration(Self.seconds(since: start)))")

        // The base goes to every lab out of band; the SHA-256 read out by phone checks it.
        console.note("lab-a sends the base to the other labs out of band (here a copy stands in for scp or a download link),")
        console.note("and reads its SHA-256 to them; every lab starts the federation from exactly this file:")
        let source = "\(pretrainRun)/checkpoint.safetensors"
        console.command(a.name, [source], program: "sha256sum")
        baseFileHash = try SHA256.hash(fileAt: source).hex
        console.result(baseFileHash)
        for lab in labs {
            console.command(lab.name, [source, lab.base], program: "cp")
            try copyFile(source, to: lab.base)
            if lab !== a {
                console.command(lab.name, [lab.base], program: "sha256sum")
                let hash = try SHA256.hash(fileAt: lab.base).hex
                guard hash == baseFileHash else {
                    throw DemoFailure(message: "\(lab.base) hashes to \(hash), not lab-a's \(baseFileHash)")
                }
                console.result("\(hash.prefix(16))… matches what lab-a read out")
            }
        }

        // (c) Restart the nodes with the co-training trainer and run the rounds.
        console.note("(c) every lab restarts its node with the co-training trainer for \(plan.rounds) rounds of \(plan.stepsPerRound) steps:")
        for lab in labs {
            // No round ran with the first `serve` (the stand-in trainer, --min-peers 99), so
            // the restarted node starts from the recipe trainer's model (the --init file),
            // not the stand-in model the first start stored.
            try stopNode(lab, note: "stop the node (SIGTERM): it stops cleanly")
        }
        for lab in labs {
            try startNode(lab, ["serve", "--home", lab.home, "--rounds", String(plan.rounds), "--deadline", String(plan.roundDeadline),
                                "--min-peers", String(labs.count - 1), "--trainer", "recipe", "--policy", recipes.federated,
                                "--data", lab.episodes, "--vl", lab.vl, "--init", lab.base,
                                "--steps-per-round", String(plan.stepsPerRound), "--threads", String(plan.threadsPerProcess)])
        }
        try followRounds()

        console.note("Each lab turns its node's final base into a policy checkpoint it can evaluate:")
        for lab in labs {
            let exported = try runJSON(lab, ["round", "export", "--home", lab.home, "--out", lab.federated, "--json"], log: "round")
            lab.exported = (exported["round"]?.int ?? 0, exported["base_hash"]?.string ?? "")
            lab.federatedLoss = Self.lastRoundLoss(home: lab.home)
            let loss = lab.federatedLoss.map { "; its last round's losses: \($0)" } ?? ""
            console.result("round \(lab.exported!.round), base \(lab.exported!.baseHash.prefix(16))…, \(exported["local_step"]?.int ?? 0) local steps\(loss)")
        }
        if let hash = labs.first?.exported?.baseHash, !labs.allSatisfy({ $0.exported?.baseHash == hash }) {
            throw DemoFailure(message: "the exported policies carry different bases: "
                + labs.map { "\($0.name) \($0.exported?.baseHash.prefix(16) ?? "?")" }.joined(separator: ", "))
        }
        if options.keepRunning {
            console.note("The nodes keep running (--keep-running); the demo stops them only on failure.")
        } else {
            for lab in labs { try stopNode(lab) }
        }
    }

    /// Polls every lab's `cotrain round status --json` until each has closed the last
    /// round and all hold the same journal head and base, with a progress line.
    func followRounds() throws {
        let first = labs[0]
        console.command(first.name, ["round", "status", "--home", first.home, "--json"],
                        note: "on every lab, every 2 s, until all finished round \(plan.rounds) with the same base")
        let start = ContinuousClock.now
        var statuses: [String: JSONValue] = [:]
        console.resetProgress()
        // Training dominates: allow each round its steps at a slow pace, plus the deadline.
        let timeout = Double(plan.rounds) * (Double(plan.stepsPerRound) * 0.5 * Double(labs.count) + 60) + Double(plan.roundDeadline)
        try waitUntil("every lab finished round \(plan.rounds) with the same base", timeout: timeout, interval: 2,
                      log: first.serve?.log) {
            for lab in labs { statuses[lab.name] = try query(lab, ["round", "status", "--home", lab.home, "--json"], log: "poll") }
            let closed = labs.map { lab in
                (statuses[lab.name]?["journal"]?.array ?? []).compactMap { $0["round"]?.int }.max() ?? 0
            }
            let done = closed.map { min($0, plan.rounds) }
            console.progress(progressLine(names: labs.map(\.name), done: done, totals: labs.map { _ in plan.rounds }, unit: "rounds", since: start))
            let finished = labs.allSatisfy { (statuses[$0.name]?["round"]?.int ?? 0) > plan.rounds }
            let heads = Set(labs.compactMap { statuses[$0.name]?["head"]?.string })
            let bases = Set(labs.compactMap { statuses[$0.name]?["base_hash"]?.string })
            return finished && heads.count == 1 && bases.count == 1
        }
        console.clearProgress()
        let status = statuses[first.name]!
        let journal = status["journal"]?.array ?? []
        let full = journal.filter { $0["deltas"]?.int == labs.count }.count
        federation = (journal.count, status["base_hash"]?.string ?? "", status["head"]?.string ?? "", full)
        console.result("\(journal.count) rounds closed in \(DemoConsole.duration(Self.seconds(since: start))), "
            + "\(full) with every lab's delta; every lab holds base \(federation!.baseHash.prefix(16))… (journal head \(federation!.head.prefix(16))…)")
    }

    /// "lab-a 3/6 · lab-b 2/6  0.8 rounds/min  ETA 2 min 10 s".
    func progressLine(names: [String], done: [Int], totals: [Int], unit: String, since start: ContinuousClock.Instant) -> String {
        let parts = zip(names, zip(done, totals)).map { "\($0) \($1.0)/\($1.1)" }.joined(separator: " · ")
        let sum = done.reduce(0, +), total = totals.reduce(0, +)
        let seconds = Self.seconds(since: start)
        let rate = seconds > 0 ? Double(sum) / seconds : 0
        let perMinute = unit == "rounds"
        let rateText = perMinute ? "\(format(rate * 60, 1)) \(unit)/min" : "\(format(rate, 1)) \(unit)/s"
        let eta = sum >= total ? "" : rate > 0 ? "  ETA \(DemoConsole.duration(Double(total - sum) / rate))" : "  ETA —"
        return "\(parts)  \(rateText)\(eta)  (\(DemoConsole.duration(seconds)))"
    }

    /// Writes this preset's recipes to OUT/recipes/ from the shipped ones: robot-only and
    /// vl with this plan's steps, and vl-pretrain — vl.json's model (so the base fits the
    /// federated model) trained on VL data only.
    func writeRecipes() throws -> DemoRecipes {
        let directory = "\(out)/recipes"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let robotOnly = try JSONValue.parse(try readFile("\(policies)/robot-only.json", limit: 1 << 20))
        let vl = try JSONValue.parse(try readFile("\(policies)/vl.json", limit: 1 << 20))
        let federatedSteps = plan.rounds * plan.stepsPerRound
        var pretrain = Self.sized(vl, steps: plan.baseSteps, batch: plan.batchSize)
        pretrain = Self.setting(pretrain, "name", .string("vl-pretrain"))
        pretrain = Self.setting(pretrain, "description", .string("The federation's common base: vl.json's model trained on vision-language data only."))
        pretrain = Self.setting(pretrain, "question", .string("What does a policy know from VL data alone, before any robot data? (cotrain demo)"))
        if case let .array(phases)? = pretrain["phases"] {
            pretrain = Self.setting(pretrain, "phases", .array(phases.map { Self.setting($0, "mixture", .object([("vl", .double(1))])) }))
        }
        let recipes = DemoRecipes(localOnly: "\(directory)/robot-only.json", pretrain: "\(directory)/vl-pretrain.json", federated: "\(directory)/vl.json")
        try AtomicFile.write(Self.sized(robotOnly, steps: plan.localSteps, batch: plan.batchSize).prettyBytes, to: recipes.localOnly)
        try AtomicFile.write(pretrain.prettyBytes, to: recipes.pretrain)
        try AtomicFile.write(Self.sized(vl, steps: federatedSteps, batch: plan.batchSize).prettyBytes, to: recipes.federated)
        let batch = plan.batchSize.map { ", batch \($0)" } ?? ""
        let shipped = Set([robotOnly, vl].map { r in (r["phases"]?.array ?? []).compactMap { $0["steps"]?.int }.reduce(0, +) })
        let shippedSteps = shipped.count == 1 ? " (the shipped ones train \(shipped.first!) steps)" : ""
        console.note("Recipes with this preset's sizes\(batch)\(shippedSteps):")
        console.note("  \(recipes.localOnly)   \(policies)/robot-only.json, \(plan.localSteps) steps (local-only baselines)")
        console.note("  \(recipes.pretrain)  \(policies)/vl.json's model on VL data only, \(plan.baseSteps) steps (the common base)")
        console.note("  \(recipes.federated)           \(policies)/vl.json, \(federatedSteps) steps = \(plan.rounds) rounds × \(plan.stepsPerRound) (federated)")
        return recipes
    }

    /// `recipe` with its phases scaled to `steps` in total (warm-up scaled alike) and,
    /// when given, every phase's batch size set.
    static func sized(_ recipe: JSONValue, steps: Int, batch: Int?) -> JSONValue {
        guard case let .array(phases)? = recipe["phases"] else { return recipe }
        let original = phases.compactMap { $0["steps"]?.int }.reduce(0, +)
        guard original > 0 else { return recipe }
        var remaining = steps
        var scaled: [JSONValue] = []
        for (i, phase) in phases.enumerated() {
            let old = phase["steps"]?.int ?? 0
            let new = i == phases.count - 1 ? remaining : max(1, old * steps / original)
            remaining -= new
            var p = setting(phase, "steps", .int(Int64(max(1, new))))
            if let warmup = phase["warmup"]?.int { p = setting(p, "warmup", .int(Int64(min(max(1, new) - 1, warmup * new / max(old, 1))))) }
            if let batch { p = setting(p, "batch_size", .int(Int64(batch))) }
            scaled.append(p)
        }
        return setting(recipe, "phases", .array(scaled))
    }

    /// `object` with member `key` set to `value`.
    static func setting(_ object: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard case var .object(members) = object else { return object }
        if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
        return .object(members)
    }

    /// Steps in a run's training log (written with each checkpoint).
    static func loggedSteps(_ path: String) -> Int {
        guard let bytes = try? readFile(path, limit: 1 << 30) else { return 0 }
        return bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    /// Records in a node's round journal.
    static func journalRecords(_ home: String) -> Int {
        loggedSteps("\(home)/state/round-journal.jsonl")
    }

    /// The last "round trained" losses from a node's log, e.g. "action 0.42, text 2.10".
    static func lastRoundLoss(home: String) -> String? {
        guard let bytes = try? readFile("\(home)/state/node.log.jsonl", limit: 1 << 30) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        for line in lines.reversed() {
            guard line.contains("round trained"), let entry = try? JSONValue.parse(String(line)), entry["message"]?.string == "round trained" else { continue }
            let fields = entry["fields"]
            return ["action", "text"].compactMap { key in fields?[key]?.string.map { "\(key) \($0)" } }.joined(separator: ", ")
        }
        return nil
    }

    /// Copies a file (atomically at the target).
    func copyFile(_ source: String, to target: String) throws {
        try AtomicFile.write(try readFile(source, limit: 1 << 34), to: target)
    }
}
