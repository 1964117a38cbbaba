// CotrainRuntime/EvaluationHarness.swift: runs a suite with one policy on one robot.
//
// The same code runs simulated and real episodes: real ones add the operator's
// confirmation before each episode and, when the bridge has no success signal, the
// operator's verdict after it. Any failure stops the arm; the results gathered so far
// are returned with the reason, so a lab never loses a half-finished real evaluation.
import CotrainCore
import CotrainSim

/// How an evaluation runs.
public struct EvaluationOptions: Sendable {
    /// Episodes per cell, overriding the suite's.
    public var episodes: Int?
    /// Control loop settings (rate, chunk execution, pacing).
    public var loop: ControlLoopOptions
    /// Ask the operator before each episode (real arms); off for the simulator.
    public var confirmEpisodes: Bool
    /// Write an animated GIF of the first `gifEpisodes` episodes of every cell here.
    public var gifDirectory: String?
    public var gifEpisodes: Int
    /// GIF upscaling factor (64×64 frames are small on screen).
    public var gifScale: Int
    /// Safety limits; nil derives them from the robot's capabilities.
    public var limits: SafetyLimits?
    /// Called after every finished (or skipped) episode.
    public var progress: (@Sendable (EvaluationProgress) -> Void)?

    public init(
        episodes: Int? = nil, loop: ControlLoopOptions = ControlLoopOptions(), confirmEpisodes: Bool = false,
        gifDirectory: String? = nil, gifEpisodes: Int = 1, gifScale: Int = 4, limits: SafetyLimits? = nil,
        progress: (@Sendable (EvaluationProgress) -> Void)? = nil
    ) {
        self.episodes = episodes; self.loop = loop; self.confirmEpisodes = confirmEpisodes
        self.gifDirectory = gifDirectory; self.gifEpisodes = gifEpisodes; self.gifScale = gifScale
        self.limits = limits; self.progress = progress
    }
}

/// Where an evaluation stands after one episode: what `cotrain eval` shows as
/// "eval: 37/180 episodes (20%)  12.1 episodes/s  ETA 12 s  pick/nominal 8/10 ok".
public struct EvaluationProgress: Sendable {
    /// Episodes finished (or skipped) so far, and in the whole run.
    public var done: Int
    public var total: Int
    /// The episode just finished.
    public var task: String
    public var condition: String
    public var seed: UInt64
    public var success: Bool
    public var steps: Int
    public var skipped: Bool
    /// Successes and counted (not skipped) episodes so far in this episode's cell.
    public var cellSuccesses: Int
    public var cellEpisodes: Int
    /// Seconds since the evaluation started.
    public var elapsed: Double

    /// "37/180 episodes (20%)  12.1 episodes/s  ETA 12 s  pick/nominal 8/10 ok".
    public var line: String {
        ProgressMeter(total: total, unit: "episodes").line(done: done, elapsed: elapsed) + "  " + cellSummary
    }

    /// "pick/nominal 8/10 ok": the current cell's tally.
    public var cellSummary: String { "\(task)/\(condition) \(cellSuccesses)/\(cellEpisodes) ok" }

    /// "episode 37/180 pick/nominal seed 12: success in 43 steps": one line per episode.
    public var episodeLine: String {
        let outcome = skipped ? "skipped by the operator" : "\(success ? "success" : "failure") in \(steps) steps"
        return "episode \(done)/\(total) \(task)/\(condition) seed \(seed): \(outcome)"
    }
}

/// Runs evaluation suites.
public enum EvaluationHarness {
    /// Runs every cell of `suite` with policies from `provider` on `robot`. Errors that
    /// end the run early (Ctrl-C, bridge failure, safety stop, operator abort) are
    /// reported in `stoppedEarly`; invalid suites and policies throw.
    public static func run<R: Robot, P: PolicyProvider, O: OperatorInterface>(
        suite original: EvaluationSuite, robot: inout R, robotName: String, provider: P, operator: inout O,
        options: EvaluationOptions = EvaluationOptions(), stop: StopRequest = StopRequest()
    ) throws(RuntimeError) -> EvaluationReport {
        var suite = original
        if let n = options.episodes { suite.episodes = n }
        try suite.validate()
        let caps = robot.capabilities
        var envelope = SafetyEnvelope(capabilities: caps, limits: options.limits)
        var loop = ControlLoop(options: options.loop, stop: stop)
        var recorder = TimingRecorder(targetPeriod: options.loop.paced ? 1 / (options.loop.rate ?? caps.controlRate) : 0)
        var adjustments: [SafetyAdjustment: Int] = [:]
        var report = EvaluationReport(
            suite: suite.name, policy: provider.name, robot: robotName, embodiment: caps.embodiment.rawValue, cells: [],
            timing: TimingReport(), adjustments: [:], seconds: 0, stoppedEarly: nil)
        let started = monotonicSeconds()
        let cells = suite.cells
        let total = cells.count * suite.episodes
        var index = 0
        run: for cell in cells {
            var result = CellResult(task: cell.task, condition: cell.condition, episodes: [])
            defer { report.cells.append(result) }
            for (k, seed) in cell.seeds.enumerated() {
                let request = EpisodeRequest(
                    task: cell.spec, seed: seed, shift: cell.shift, condition: cell.condition, prompt: prompt(cell.spec, seed))
                index += 1
                if options.confirmEpisodes {
                    switch `operator`.confirm(episode: request, index: index - 1, of: total) {
                    case .go: break
                    case .skip:
                        result.episodes.append(EpisodeResult(seed: seed, success: false, completion: 0, steps: 0, scoredBy: .skipped, instruction: ""))
                        options.progress?(EvaluationProgress(
                            done: index, total: total, task: cell.task, condition: cell.condition, seed: seed, success: false, steps: 0,
                            skipped: true, cellSuccesses: result.success.successes, cellEpisodes: result.success.trials,
                            elapsed: monotonicSeconds() - started))
                        continue
                    case .abort:
                        report.stoppedEarly = RuntimeError.operatorAborted.description
                        break run
                    }
                }
                var policy = try provider.makePolicy(for: EpisodeContext(capabilities: caps, request: request))
                loop.options.recordFrames = options.gifDirectory != nil && k < options.gifEpisodes
                let episode: EpisodeRun
                do {
                    episode = try loop.run(robot: &robot, policy: &policy, request: request, envelope: &envelope)
                } catch {
                    if case .policyUnavailable = error { throw error }
                    report.stoppedEarly = error.description
                    break run
                }
                for (key, n) in episode.adjustments { adjustments[key, default: 0] += n }
                recorder.errors += episode.periodErrors
                recorder.policySeconds += episode.policySeconds
                var outcome = EpisodeResult(
                    seed: seed, success: episode.success ?? false, completion: Double(episode.completion ?? 0),
                    steps: episode.steps, scoredBy: .robot, instruction: episode.instruction,
                    graspAttempts: episode.graspAttempts.count, firstGrasp: episode.graspAttempts.first,
                    releases: episode.releases.count, firstRelease: episode.releases.first, carriedAtEnd: episode.carried)
                if episode.success == nil {
                    let verdict = `operator`.scoreSuccess(episode: request, instruction: episode.instruction)
                    outcome.success = verdict ?? false
                    outcome.scoredBy = verdict == nil ? .operatorUnsure : .operator
                    if episode.completion == nil { outcome.completion = outcome.success ? 1 : 0 }
                }
                result.episodes.append(outcome)
                if loop.options.recordFrames, let dir = options.gifDirectory {
                    try writeGIF(episode, to: "\(dir)/\(provider.name)-\(cell.task)-\(cell.condition)-seed\(seed).gif", scale: options.gifScale)
                }
                options.progress?(EvaluationProgress(
                    done: index, total: total, task: cell.task, condition: cell.condition, seed: seed, success: outcome.success,
                    steps: outcome.steps, skipped: false, cellSuccesses: result.success.successes,
                    cellEpisodes: result.success.trials, elapsed: monotonicSeconds() - started))
            }
        }
        report.timing = TimingReport(targetPeriod: recorder.targetPeriod, errors: recorder.errors, policySeconds: recorder.policySeconds)
        report.adjustments = adjustments
        report.seconds = monotonicSeconds() - started
        return report
    }

    /// What the operator of a real arm should set up for this episode.
    static func prompt(_ task: TaskSpec, _ seed: UInt64) -> String {
        // The simulator samples the same instruction the scene would get; a real setup
        // follows it (objects named in it on the table, in any layout).
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: task, seed: seed)
        let objects = env.world.objects.map(\.name)
        return "\(env.task.instruction) — objects: \(objects.joined(separator: ", "))"
    }

    /// Writes an episode's frames as an animated GIF (atomically).
    static func writeGIF(_ run: EpisodeRun, to path: String, scale: Int) throws(RuntimeError) {
        guard let first = run.frames.first, first.count == run.frameWidth * run.frameHeight * 3 else { return }
        var gif = GIFEncoder(width: run.frameWidth, height: run.frameHeight, scale: scale, delayCentiseconds: 10)
        for frame in run.frames where frame.count == first.count { gif.add(rgb: frame) }
        do { try AtomicFile.write(gif.data, to: path) } catch { throw .output(path: path, reason: "\(error)") }
    }
}
