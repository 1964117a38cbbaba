// Steps 5 and 6 of `cotrain demo` and its ending: each lab evaluates its federated policy
// against its local-only baseline in its own simulator embodiment (same seeds), checks
// its audit log and writes an HTML report; then the per-lab tables, the wall times,
// demo.json, and (with --keep-running) how to stop the nodes.
import CotrainCore
import CotrainRuntime
import Foundation

extension DemoRunner {
    /// The evaluation suite's first seed (docs/evaluation.md: episode k uses seed + k).
    static let evaluationSeed = 1000

    // MARK: - Step 5

    func evaluate() throws {
        console.note("Each lab writes a suite: its own tasks under nominal conditions, a lighting shift, distractors,")
        console.note("held-out colours (seen only in VL data) and paraphrased instructions; the task families only other")
        console.note("labs demonstrated are unseen tasks. Both policies meet the same scenes (seeds from \(Self.evaluationSeed)):")
        for lab in labs {
            let suite = JSONValue.object([
                ("name", .string(lab.name)), ("episodes", .int(Int64(plan.evalEpisodes))), ("seed", .int(Int64(Self.evaluationSeed))),
                ("tasks", .array(lab.lab.tasks.map { .string($0) })),
                ("conditions", .array(DemoPlan.conditions.map { .string($0) })),
                ("unseen_tasks", .array(lab.unseen.map { .string($0) })),
            ])
            try AtomicFile.write(suite.prettyBytes, to: lab.suite)
            try FileManager.default.createDirectory(atPath: lab.evalDirectory, withIntermediateDirectories: true)
            let cells = lab.lab.tasks.count * DemoPlan.conditions.count + lab.unseen.count
            let unseen = lab.unseen.isEmpty ? "" : " + unseen \(lab.unseen.joined(separator: ", "))"
            console.note("  \(lab.suite): \(lab.lab.tasks.joined(separator: ", ")) × \(DemoPlan.conditions.count) conditions\(unseen) = \(cells) cells × \(plan.evalEpisodes) episodes")
        }
        let start = ContinuousClock.now
        console.resetProgress()
        try runTogether(labs.map { lab in
            (lab, ["eval", "--policy", lab.federated, "--baseline", lab.localCheckpoint, "--suite", lab.suite, "--embodiment", lab.lab.embodiment,
                   "--out", "\(lab.evalDirectory)/federated.json", "--gif", lab.gifDirectory, "--json"], "eval",
             .file("\(lab.evalDirectory)/comparison.json"))
        }) {
            // Each cell writes its GIF when its first episode ends: cells started so far.
            let cells = labs.map { 2 * ($0.lab.tasks.count * DemoPlan.conditions.count + $0.unseen.count) }
            let started = labs.map { lab in
                ((try? FileManager.default.contentsOfDirectory(atPath: lab.gifDirectory)) ?? []).filter { $0.hasSuffix(".gif") }.count
            }
            console.progress(progressLine(names: labs.map(\.name), done: started, totals: cells, unit: "cells", since: start))
        }
        console.clearProgress()
        for lab in labs {
            // The baseline's results are part of the comparison output; the report reads them as their own file.
            let comparison = try JSONValue.parse(try readFile("\(lab.evalDirectory)/comparison.json", limit: 256 << 20))
            guard let baseline = comparison["baseline"] else {
                throw DemoFailure(message: "\(lab.evalDirectory)/comparison.json has no baseline results", log: log(lab, "eval"))
            }
            try AtomicFile.write(baseline.prettyBytes, to: "\(lab.evalDirectory)/local-only.json")
            lab.evaluation = try DemoEvaluation(comparisonFile: "\(lab.evalDirectory)/comparison.json")
            lab.gifs = selectGIFs(lab)
            let total = lab.evaluation!.cells.map { $0.federated.trials + $0.local.trials }.reduce(0, +)
            console.result("\(lab.name): \(total) episodes; federated \(EvalOutput.percent(overall(lab.evaluation!, \.federated))), "
                + "local-only \(EvalOutput.percent(overall(lab.evaluation!, \.local))) over all cells")
        }
        console.note("(results: OUT/lab-*/eval/federated.json; local-only.json is the baseline part of comparison.json)")
        console.result("all evaluated in \(DemoConsole.duration(Self.seconds(since: start)))")
    }

    private func overall(_ e: DemoEvaluation, _ policy: KeyPath<DemoComparison, Proportion>) -> Double {
        let s = e.cells.map { $0[keyPath: policy].successes }.reduce(0, +), n = e.cells.map { $0[keyPath: policy].trials }.reduce(0, +)
        return n == 0 ? 0 : Double(s) / Double(n)
    }

    /// A few rollouts for the report: both policies on the first own task (nominal) and
    /// on the first unseen task.
    func selectGIFs(_ lab: Lab) -> [String] {
        var names: [String] = []
        for policy in ["federated", "local-only"] {
            names.append("\(policy)-\(lab.lab.tasks[0])-nominal-seed\(Self.evaluationSeed).gif")
            if let unseen = lab.unseen.first { names.append("\(policy)-\(unseen)-unseen_task-seed\(Self.evaluationSeed).gif") }
        }
        return names.map { "\(lab.gifDirectory)/\($0)" }.filter { access($0, R_OK) == 0 }
    }

    // MARK: - Step 6

    func reportAndVerify() throws {
        console.note("Every join request and decision is in each node's hash-chained audit log:")
        for lab in labs {
            let verify = try runJSON(lab, ["audit", "verify", "--home", lab.home, "--json"], log: "audit")
            guard verify["ok"]?.bool == true else {
                throw DemoFailure(message: "\(lab.name)'s audit log does not verify: \(verify.canonicalString)", log: log(lab, "audit"))
            }
            let entries = try query(lab, ["audit", "show", "--home", lab.home, "--json"], log: "audit")["entries"]?.array ?? []
            var actions: [String: Int] = [:]
            for entry in entries { actions[entry["action"]?.string ?? "?", default: 0] += 1 }
            lab.audit = (verify["entries"]?.int ?? entries.count, verify["head_hash"]?.string ?? "", actions)
            let counts = actions.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            console.result("intact: \(lab.audit!.entries) entries (\(counts)), head \(lab.audit!.head.prefix(16))…")
        }
        console.note("Each lab writes a self-contained HTML report (success rates, comparison, training curves, the")
        console.note("federation's rounds, rollouts):")
        let date = ISO8601.format(Date())
        try runTogether(labs.map { lab in
            var arguments = ["report", "--out", lab.report, "--title", "\(lab.title): federated vs local-only — cotrain demo",
                             "--eval", "\(lab.evalDirectory)/federated.json", "--baseline-eval", "\(lab.evalDirectory)/local-only.json",
                             "--training", "local-only=\(lab.localRun)/training-log.jsonl",
                             "--training", "federated=\(lab.home)/state/trainer/training-log.jsonl"]
            if lab === labs[0] { arguments += ["--training", "vl-pretrain=\(lab.dir)/runs/vl-pretrain/training-log.jsonl"] }
            arguments += ["--journal", "\(lab.home)/state/round-journal.jsonl"]
            for other in labs { arguments += ["--lab", "\(other.hex)=\(other.name)"] }
            for gif in lab.gifs { arguments += ["--gif", gif] }
            arguments += ["--date", date]
            return (lab, arguments, "report", .log)
        })
    }

    // MARK: - The ending

    func finish() throws {
        let total = Self.seconds(since: started)
        console.always()
        console.always("Results: success in each lab's own simulated robot, 95 % intervals, the same seeds for both policies.")
        console.always("local-only = trained on the lab's own demonstrations only; federated = \(federation?.rounds ?? plan.rounds) rounds with the")
        console.always("other labs from the common VL-pretrained base (robot data never left a lab; only model deltas did).")
        console.always("difference = federated − local-only in percentage points; \"better\" only when its whole interval is above 0.")
        for lab in labs {
            guard let evaluation = lab.evaluation else { continue }
            console.always()
            let unseen = lab.unseen.isEmpty ? "" : ", unseen: \(lab.unseen.joined(separator: ", "))"
            console.always("\(lab.title) — demonstrated \(lab.lab.tasks.joined(separator: ", "))\(unseen); \(evaluation.episodesPerCell) episodes per cell")
            console.always(evaluation.table)
            if !evaluation.complete { console.always("⚠ an evaluation stopped early; the figures cover the episodes that ran") }
        }
        console.always()
        var times = TextTable("step", "wall time", rightAligned: [1])
        for (i, step) in stepTimes.enumerated() { times.add("\(i + 1). \(step.title)", DemoConsole.duration(step.seconds)) }
        times.add("total", DemoConsole.duration(total))
        console.always(times.rendered)
        console.always()
        if let federation {
            console.always("Federation: \(federation.rounds) rounds (\(federation.fullRounds) with every lab), base \(federation.baseHash) on every lab")
        }
        console.always("Reports:  " + labs.map(\.report).joined(separator: "  "))
        console.always("Summary:  \(out)/demo.json    Logs: \(logs)/")

        let summary = summaryJSON(totalSeconds: total)
        try AtomicFile.write(summary.prettyBytes, to: "\(out)/demo.json")
        if options.keepRunning {
            console.always()
            console.always("The nodes are still running (--keep-running):")
            for lab in labs {
                guard let serve = lab.serve else { continue }
                console.always("  \(lab.name)  pid \(serve.pid)  \(lab.endpoint)  log \(serve.log)")
                processes.release(serve)
            }
            let pids = labs.compactMap { $0.serve.map { String($0.pid) } }.joined(separator: " ")
            console.always("Try `cotrain round status --home \(labs[0].home)` or `cotrain peers list --home \(labs[0].home)`;")
            console.always("stop them with:  kill \(pids)   (SIGTERM: each stops cleanly)")
        }
        if options.json { Console.output(summary.canonicalString + "\n") }
    }

    /// demo.json: labs, node ids, the federation's base, per-condition figures, wall times.
    func summaryJSON(totalSeconds: Double) -> JSONValue {
        func seconds(_ x: Double) -> JSONValue { .double((x * 1000).rounded() / 1000) }
        let labsJSON: [JSONValue] = labs.map { lab in
            var members: [(String, JSONValue)] = [
                ("name", .string(lab.name)), ("embodiment", .string(lab.lab.embodiment)),
                ("node_id", .string(lab.nodeID)), ("node_hex", .string(lab.hex)), ("endpoint", .string(lab.endpoint)),
                ("home", .string(lab.home)), ("demonstrated_tasks", .array(lab.lab.tasks.map { .string($0) })),
                ("unseen_tasks", .array(lab.unseen.map { .string($0) })), ("episodes", .int(Int64(plan.episodesPerLab))),
                ("local_only_checkpoint", .string(lab.localCheckpoint)), ("federated_checkpoint", .string(lab.federated)),
                ("report", .string(lab.report)), ("evaluation", .string("\(lab.evalDirectory)/comparison.json")),
            ]
            if let losses = lab.localLosses {
                members.append(("local_only_action_loss", .array([.double(losses.first), .double(losses.last)])))
            }
            if let exported = lab.exported {
                members.append(("exported_round", .int(Int64(exported.round))))
                members.append(("base_hash", .string(exported.baseHash)))
            }
            if let audit = lab.audit {
                members.append(("audit", .object([
                    ("ok", .bool(true)), ("entries", .int(Int64(audit.entries))), ("head_hash", .string(audit.head)),
                    ("actions", .object(audit.actions.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                ])))
            }
            if let evaluation = lab.evaluation {
                members.append(("episodes_per_cell", .int(Int64(evaluation.episodesPerCell))))
                members.append(("evaluation_complete", .bool(evaluation.complete)))
                members.append(("conditions", .array(evaluation.conditions.map(\.json))))
                members.append(("cells", .array(evaluation.cells.map(\.json))))
            }
            return .object(members)
        }
        var federationJSON: [(String, JSONValue)] = [
            ("initial_checkpoint_sha256", .string(baseFileHash)), ("rounds_planned", .int(Int64(plan.rounds))),
            ("steps_per_round", .int(Int64(plan.stepsPerRound))),
        ]
        if let federation {
            federationJSON += [("rounds", .int(Int64(federation.rounds))), ("rounds_with_every_lab", .int(Int64(federation.fullRounds))),
                               ("base_hash", .string(federation.baseHash)), ("journal_head", .string(federation.head))]
        }
        return .object([
            ("format", .string("cotrain.demo.v1")), ("out", .string(out)), ("plan", plan.json),
            ("trainer", .string("recipe")), ("labs", .array(labsJSON)), ("federation", .object(federationJSON)),
            ("shards", .array(shards.map { .object([("sha256", .string($0.hash)), ("samples", .int(Int64($0.samples))), ("bytes", .int(Int64($0.bytes)))]) })),
            ("wall_seconds", .object([
                ("steps", .array(stepTimes.enumerated().map { i, s in
                    .object([("step", .int(Int64(i + 1))), ("title", .string(s.title)), ("seconds", seconds(s.seconds))])
                })),
                ("total", seconds(totalSeconds)),
            ])),
            ("reports", .array(labs.map { .string($0.report) })),
            ("nodes_left_running", .array(options.keepRunning ? labs.compactMap { $0.serve.map { .int(Int64($0.pid)) } } : [])),
        ])
    }
}
