import CotrainCore
import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import Foundation
import Synchronization

/// `cotrain eval`: run an evaluation suite in the simulator or on the arm bridge.
enum EvalCommand {
    static let command = Command(
        name: "eval",
        summary: "evaluate a policy on a suite in the simulator or on the real arm",
        help: """
            Usage: cotrain eval --policy POLICY --suite NAME|FILE.json [options]

            Runs every cell (task × condition) of the suite for N episodes with fixed
            seeds and prints success rates with 95 % Wilson intervals and mean task
            completion. With --baseline, runs a second policy on the same seeds and says
            per cell whether the first is better, worse, or not clearly different.
            In the simulator it also shows where each episode's first grasp attempt
            began against the object to move (planar offset, height, yaw): why a policy
            that reaches the object still fails. On the arm bridge, each episode waits for the operator's confirmation (skip
            with --yes), and the operator scores success when the bridge cannot.
            Ctrl-C stops the arm and ends the run; finished episodes are kept.

            Options:
              --policy P          expert (scripted oracle; simulated robots only), hold, or a
                                  trained checkpoint (FILE.safetensors, from `cotrain train`)
              --suite S           smoke, quick, standard, or a suite file (.json)
              --episodes N        episodes per cell (default: the suite's)
              --embodiment E      ur5e, panda, scara, gantry, hand (sim; default ur5e)
              --robot R           sim (default) or bridge
              --bridge HOST:PORT  the arm bridge (with --robot bridge)
              --baseline P        also run P and compare
              --out FILE          write the results JSON (atomically)
              --gif DIR           write animated GIFs of the first episode(s) of each cell
              --gif-episodes N    episodes per cell to animate (default 1)
              --rate HZ           policy steps per second (default: the robot's, 10)
              --execute K         actions executed per chunk before re-planning, up to
                                  a checkpoint's chunk length (default: its first
                                  half, 4 of 8; the expert re-plans every step)
              --noise S           scale of the flow-matching start noise of each chunk: 1
                                  samples the learned distribution, 0 takes the one
                                  deterministic chunk from the noise's mean (default: the
                                  recipe's model.sampling_noise, else 1)
              --oracle-points M   (simulator) replace a checkpoint's pointers with the
                                  simulator's labels of the named objects: main-object
                                  (the main camera's object pointer), object (every
                                  camera's), or all; what perfect pointing would buy
              --ensemble M        temporal ensembling: sample a chunk every step and
                                  execute the mean of every chunk's action for that step,
                                  a chunk sampled a steps ago weighted exp(-M·a); M ≥ 0
                                  (default: the recipe's model.temporal_ensemble, else
                                  off: execute chunks as sampled)
              --paced             hold the rate in the simulator too (bridges always do)
              --yes               do not ask before each real episode
              --json              print the results JSON instead of tables
              --verbose           also print one line per episode (seed, success, steps)

            Progress goes to stderr, e.g.
              eval: 37/180 episodes (20%)  12.1 episodes/s  ETA 12 s  pick/nominal 8/10 ok
            redrawn in place on a terminal, a line every 5 s otherwise (--quiet: none).

            Examples:
              cotrain eval --policy expert --suite quick
              cotrain eval --policy runs/vl/checkpoint.safetensors --baseline hold --suite quick
              cotrain eval --policy expert --baseline hold --suite smoke --gif gifs/
              cotrain arm-sim --listen 127.0.0.1:7600 --embodiment ur5e &
              cotrain eval --policy expert --suite smoke --robot bridge --bridge 127.0.0.1:7600 --yes
            """,
        run: { args, options in
            let policyName = try args.option("--policy") ?? { throw UsageError(message: "--policy is required", command: "eval") }()
            let suiteName = try args.option("--suite") ?? "quick"
            let episodes = try args.option("--episodes").map { text -> Int in
                guard let n = Int(text), (1...100_000).contains(n) else { throw UsageError(message: "--episodes must be 1...100000", command: "eval") }
                return n
            }
            let embodiment = try parseEmbodiment(try args.option("--embodiment"), command: "eval")
            let robotKind = try args.option("--robot") ?? "sim"
            let bridge = try args.option("--bridge")
            let baselineName = try args.option("--baseline")
            let out = try args.option("--out")
            let gif = try args.option("--gif")
            let gifEpisodes = try args.int("--gif-episodes", default: 1, range: 1...1000)
            let rate = try args.option("--rate").map { text -> Double in
                guard let r = Double(text), r >= 0.5, r <= 1000 else { throw UsageError(message: "--rate must be 0.5...1000 Hz", command: "eval") }
                return r
            }
            let (execute, noise, oracle) = try chunkOptions(&args, command: "eval")
            let ensemble = try args.option("--ensemble").map { text -> Float in
                guard let m = Float(text), PolicyConfig.ensembleDecayRange.contains(m) else {
                    throw UsageError(message: "--ensemble must be a number within \(PolicyConfig.ensembleDecayRange), got '\(text)'", command: "eval")
                }
                return m
            }
            let paced = args.flag("--paced"), yes = args.flag("--yes")
            guard robotKind == "sim" || robotKind == "bridge" else { throw UsageError(message: "--robot must be sim or bridge", command: "eval") }
            guard robotKind == "sim" || bridge != nil else { throw UsageError(message: "--robot bridge needs --bridge HOST:PORT", command: "eval") }
            guard oracle == nil || robotKind == "sim" else { throw UsageError(message: "--oracle-points needs the simulator's labels: use it with --robot sim", command: "eval") }
            let named = suiteName.hasSuffix(".json") ? nil : try EvaluationSuite.named(suiteName)
            try args.finish()
            let suite = try named ?? EvaluationSuite.load(path: suiteName)
            if let gif { try FileManager.default.createDirectory(atPath: gif, withIntermediateDirectories: true) }

            StopRequest.installInterruptHandler()
            let stop = StopRequest(followsInterrupt: true)
            let confirm = robotKind == "bridge" && !yes
            let baseSettings = EvaluationOptions(
                episodes: episodes, loop: ControlLoopOptions(rate: rate, executeSteps: execute, paced: paced || robotKind == "bridge"),
                confirmEpisodes: confirm, gifDirectory: gif, gifEpisodes: gifEpisodes)
            // Operator prompts share stderr with the progress: no in-place redraw then.
            var style = options.progressStyle
            if confirm && style == .terminal { style = .lines }

            func evaluate(_ name: String, isBaseline: Bool = false) throws -> EvaluationReport {
                let label = baselineName == nil ? "eval" : isBaseline ? "eval \(name) (baseline)" : "eval \(name)"
                let view = EvaluationProgressView(label, style: style, verbose: options.verbose)
                defer { view.end() }
                var settings = baseSettings
                settings.progress = { view.show($0) }
                if robotKind == "sim" {
                    var person = UnattendedOperator()
                    return try withProvider(name, noiseScale: noise, ensembleDecay: ensemble, executeSteps: execute, oracle: oracle) { provider in
                        // The simulator renders the wrist camera only for policies that read it,
                        // as they were trained (its field of view).
                        var robot = SimRobot(embodiment ?? .ur5e, config: (provider as? CheckpointPolicyProvider)?.simConfig ?? SimConfig())
                        return try EvaluationHarness.run(suite: suite, robot: &robot, robotName: "sim", provider: provider, operator: &person, options: settings, stop: stop)
                    }
                }
                var robot = try ArmBridgeClient(address: bridge!, stop: stop)
                if let embodiment, embodiment != robot.capabilities.embodiment {
                    throw UsageError(message: "the bridge drives a \(robot.capabilities.embodiment.rawValue), not a \(embodiment.rawValue)", command: "eval")
                }
                var person = TerminalOperator()
                return try withProvider(name, noiseScale: noise, ensembleDecay: ensemble, executeSteps: execute, oracle: oracle) { provider in
                    try EvaluationHarness.run(suite: suite, robot: &robot, robotName: "bridge \(bridge!)", provider: provider, operator: &person, options: settings, stop: stop)
                }
            }

            let report = try evaluate(policyName)
            let baseline = try baselineName.map { name -> EvaluationReport in
                if let stopped = report.stoppedEarly { throw RuntimeError.invalidSuite("baseline not run: \(stopped)") }
                return try evaluate(name, isBaseline: true)
            }
            if let out { try report.write(to: out) }
            EvalOutput.print(report, baseline: baseline, json: options.json, quiet: options.quiet)
            if let stopped = report.stoppedEarly ?? baseline?.stoppedEarly {
                printError("evaluation ended early: \(stopped)")
                return ExitCode.failure
            }
            return ExitCode.ok
        })

    /// Calls `body` with the provider named `name`: `expert`, `hold`, or a checkpoint file.
    static func withProvider<T>(
        _ name: String, noiseScale: Float? = nil, ensembleDecay: Float? = nil, executeSteps: Int? = nil, oracle: OraclePoints? = nil,
        _ body: (any PolicyProvider) throws -> T
    ) throws -> T {
        if oracle != nil, name == "expert" || name == "hold" {
            throw UsageError(message: "--oracle-points replaces a trained checkpoint's pointers; \(name) has none", command: "eval")
        }
        switch name {
        case "expert": return try body(ExpertPolicyProvider())
        case "hold": return try body(HoldPolicyProvider())
        default:
            guard name.hasSuffix(".safetensors") || access(name, F_OK) == 0 else {
                throw UsageError(message: "unknown policy '\(name)': use expert, hold, or a checkpoint file (e.g. runs/vl/checkpoint.safetensors)", command: "eval")
            }
            let provider = try CheckpointPolicyProvider(path: name)
            if let ensembleDecay { provider.ensembleDecay = ensembleDecay }
            try configure(provider, noise: noiseScale, execute: executeSteps, oracle: oracle, command: "eval")
            return try body(provider)
        }
    }

    /// `--execute K`, `--noise S` and `--oracle-points MODE`, as `eval` and `sim trace` read them.
    static func chunkOptions(_ args: inout Arguments, command: String) throws -> (execute: Int?, noise: Float?, oracle: OraclePoints?) {
        let execute = try args.option("--execute").map { text -> Int in
            guard let k = Int(text), k >= 1 else { throw UsageError(message: "--execute must be a positive integer", command: command) }
            return k
        }
        let noise = try args.option("--noise").map { text -> Float in
            guard let s = Float(text), PolicyConfig.samplingNoiseRange.contains(s) else {
                throw UsageError(message: "--noise must be a number within \(PolicyConfig.samplingNoiseRange), got '\(text)'", command: command)
            }
            return s
        }
        let oracle = try args.option("--oracle-points").map { text -> OraclePoints in
            guard let mode = OraclePoints(rawValue: text) else {
                throw UsageError(message: "--oracle-points must be \(OraclePoints.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'", command: command)
            }
            return mode
        }
        return (execute, noise, oracle)
    }

    /// Sets a checkpoint's start noise, actions per chunk (at most its chunk) and oracle points.
    static func configure(_ provider: CheckpointPolicyProvider, noise: Float?, execute: Int?, oracle: OraclePoints? = nil, command: String) throws {
        if let noise { provider.noiseScale = noise }
        provider.oraclePoints = oracle
        guard let execute else { return }
        let chunk = provider.model.config.chunkLength
        guard execute <= chunk else {
            throw UsageError(message: "--execute \(execute) exceeds \(provider.name)'s chunk of \(chunk) actions", command: command)
        }
        provider.executeSteps = execute
    }
}

/// Shows an evaluation's progress on stderr through a ``ProgressReporter``:
/// "eval: 37/180 episodes (20%)  12.1 episodes/s  ETA 12 s  pick/nominal 8/10 ok";
/// with --verbose also one line per episode above it.
final class EvaluationProgressView: Sendable {
    let reporter: ProgressReporter
    let verbose: Bool
    private let last = Mutex<EvaluationProgress?>(nil)

    init(_ label: String, style: ProgressReporter.Style, verbose: Bool) {
        reporter = ProgressReporter(label, style: style)
        self.verbose = verbose
    }

    /// One finished episode: a redraw (throttled), and the final line at the last one.
    func show(_ progress: EvaluationProgress) {
        last.withLock { $0 = progress }
        if verbose { reporter.note("\(reporter.label): " + progress.episodeLine) }
        if progress.done >= progress.total { reporter.finish(progress.line) } else { reporter.update(progress.line) }
    }

    /// Ends the status line of a run that stopped before its last episode.
    func end() {
        guard let progress = last.withLock({ $0 }), progress.done < progress.total else { return }
        reporter.finish(progress.line)
    }
}

/// Parses an --embodiment value (nil when absent).
func parseEmbodiment(_ text: String?, command: String) throws -> EmbodimentKind? {
    guard let text else { return nil }
    guard let kind = EmbodimentKind(rawValue: text) else {
        throw UsageError(message: "unknown embodiment '\(text)'; use \(EmbodimentKind.allCases.map(\.rawValue).joined(separator: ", "))", command: command)
    }
    return kind
}

/// Terminal and JSON output of `cotrain eval`.
enum EvalOutput {
    static func print(_ report: EvaluationReport, baseline: EvaluationReport?, json: Bool, quiet: Bool) {
        let comparisons = baseline.map { report.compare(with: $0) } ?? []
        if json {
            var members: [(String, JSONValue)] = [("results", report.json)]
            if let baseline {
                members.append(("baseline", baseline.json))
                members.append(("comparison", .array(comparisons.map { cell, c in
                    .object([
                        ("cell", .string(cell)), ("difference", .double(c.difference)), ("ci95", .array([.double(c.lower), .double(c.upper)])),
                        ("p_value", .double(c.pValue)), ("paired_p_value", c.pairedPValue.map { .double($0) } ?? .null),
                        ("verdict", .string(c.verdict.rawValue)),
                    ])
                })))
            }
            Swift.print(JSONValue.object(members).canonicalString)
            return
        }
        for r in [report] + (baseline.map { [$0] } ?? []) {
            Swift.print("\(r.policy) on \(r.robot) (\(r.embodiment)), suite \(r.suite): \(r.episodeCount) episodes in \(format(r.seconds, 1)) s")
            var table = TextTable("task", "condition", "n", "success", "95% CI", "completion", rightAligned: [2, 3, 5])
            for c in r.cells {
                let p = c.success
                table.add(c.task, c.condition, "\(p.trials)", percent(p.rate), "\(percent(p.lower))–\(percent(p.upper))", percent(c.meanCompletion))
            }
            Swift.print(table.rendered)
            if !quiet, let grasps = graspTable(r) { Swift.print(grasps) }
            if !quiet, let releases = releaseTable(r) { Swift.print(releases) }
            if !quiet {
                let t = r.timing
                let period = t.targetPeriod > 0 ? "period error vs \(format(t.targetPeriod * 1000, 1)) ms" : "step time (unpaced)"
                Swift.print("timing: \(period): mean \(format(t.meanError * 1000, 2)) ms, p95 \(format(t.p95Error * 1000, 2)) ms, max \(format(t.maxError * 1000, 2)) ms; policy \(format(t.meanPolicySeconds * 1000, 2)) ms/chunk")
                let adjusted = SafetyAdjustment.allCases.compactMap { a in r.adjustments[a].map { "\(a.rawValue) \($0)" } }
                if !adjusted.isEmpty { Swift.print("safety envelope adjusted actions: \(adjusted.joined(separator: ", "))") }
            }
            Swift.print("")
        }
        guard let baseline else { return }
        var table = TextTable("cell", "\(report.policy) − \(baseline.policy)", "95% CI", "p", "verdict", rightAligned: [1, 3])
        for (cell, c) in comparisons {
            table.add(cell, points(c.difference), "\(points(c.lower)) to \(points(c.upper))", format(c.pValue, 3), c.verdict.rawValue)
        }
        Swift.print(table.rendered)
        Swift.print("(differences in percentage points; \"better\" means the whole 95 % interval is above zero)")
    }

    /// Where each episode's first close started, per cell: why a policy that reaches the
    /// object still fails. Nil when the robot reports no grasp attempts.
    static func graspTable(_ r: EvaluationReport) -> String? {
        let cells = r.cells.compactMap { c in c.firstGrasps.map { (c, $0) } }
        guard !cells.isEmpty else { return nil }
        var table = TextTable(
            "task", "condition", "closed", "aligned", "planar ok", "height ok", "yaw ok", "median offset",
            rightAligned: [2, 3, 4, 5, 6, 7])
        for (c, g) in cells {
            func of(_ k: Int) -> String { "\(k)/\(g.attempted)" }
            table.add(
                c.task, c.condition, "\(g.attempted)/\(g.episodes)", of(g.aligned), of(g.withinPlanar), of(g.withinHeight),
                of(g.withinYaw), format(g.medianPlanarOffset * 100, 1) + " cm")
        }
        return "first grasp attempt of each episode, against the object to move (\"aligned\": within every tolerance"
            + " of the gripper; parallel: planar 1.6 cm, fingertips in the object's height band, cube yaw 0.35 rad):\n"
            + table.rendered
    }

    /// Where each episode first let go of the object to move, per cell with a
    /// destination: a policy that carries the object to the bowl still fails if it lets
    /// go on the rim, or never lets go. Nil when no episode carried an object to move.
    static func releaseTable(_ r: EvaluationReport) -> String? {
        let cells = r.cells.compactMap { c in c.firstReleases.map { (c, $0) } }
        guard !cells.isEmpty else { return nil }
        var table = TextTable(
            "task", "condition", "grasped", "never let go", "held over it", "let go", "within", "landed", "median offset",
            rightAligned: [2, 3, 4, 5, 6, 7, 8])
        for (c, s) in cells {
            func of(_ k: Int) -> String { "\(k)/\(s.released)" }
            table.add(
                c.task, c.condition, "\(s.grasped)/\(s.episodes)", "\(s.neverReleased)/\(s.grasped)",
                "\(s.heldOverDestination)/\(s.neverReleased)", "\(s.released)/\(s.grasped)", of(s.withinTolerance), of(s.landed),
                s.medianPlanarOffset.map { format($0 * 100, 1) + " cm" } ?? "–")
        }
        return "first release of the object to move, against its destination (\"within\": the object's centre close enough"
            + " to the destination's to land in it, e.g. 4.4 cm for a cube in a bowl; \"held over it\": never let go, and ended holding it that close;"
            + " offsets from the destination's centre):\n"
            + table.rendered
    }

    static func percent(_ x: Double) -> String { format(x * 100, 0) + "%" }
    static func points(_ x: Double) -> String { (x >= 0 ? "+" : "") + format(x * 100, 0) }
}
