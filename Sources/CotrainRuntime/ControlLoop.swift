// CotrainRuntime/ControlLoop.swift: one episode of policy control with action chunking.
//
// The policy returns an H-step chunk; the loop executes its first k actions (each
// through the safety envelope, one per control period) and asks again. Every action is
// timed, so the report shows how well the rate was held.
import CotrainSim

/// How the control loop runs.
public struct ControlLoopOptions: Sendable, Equatable {
    /// Policy steps per second; nil uses the robot's control rate (10 Hz for the sim).
    public var rate: Double?
    /// Actions executed from each chunk before re-planning (k); nil executes the whole chunk.
    public var executeSteps: Int?
    /// Sleep to hold the rate (real arms); false runs as fast as possible (simulation).
    public var paced: Bool
    /// Keep every main-camera frame (for animations).
    public var recordFrames: Bool

    public init(rate: Double? = nil, executeSteps: Int? = nil, paced: Bool = false, recordFrames: Bool = false) {
        self.rate = rate; self.executeSteps = executeSteps; self.paced = paced; self.recordFrames = recordFrames
    }
}

/// What happened in one episode.
public struct EpisodeRun: Sendable {
    /// The instruction the robot reported (or the request's prompt).
    public var instruction: String
    /// Actions executed.
    public var steps: Int
    /// The robot's own verdict, if it has a success signal.
    public var success: Bool?
    public var completion: Float?
    /// Period statistics of this episode, and the raw samples behind them.
    public var timing: TimingReport
    public var periodErrors: [Double]
    public var policySeconds: [Double]
    /// Main-camera frames (initial observation first), when recorded.
    public var frames: [[UInt8]]
    public var frameWidth: Int
    public var frameHeight: Int
    /// Envelope adjustments made during the episode.
    public var adjustments: [SafetyAdjustment: Int]
    /// Where the gripper started to close (robots that know the objects only).
    public var graspAttempts: [GraspAttempt] = []
    /// Where the object to move was let go of (robots that know the objects only).
    public var releases: [Release] = []
    /// The object to move, if still held at the end.
    public var carried: Release? = nil
}

/// Runs episodes of a policy on a robot.
public struct ControlLoop: Sendable {
    public var options: ControlLoopOptions
    /// Asked before every action; when set, the arm is stopped and the episode ends.
    public let stop: StopRequest

    public init(options: ControlLoopOptions = ControlLoopOptions(), stop: StopRequest = StopRequest()) {
        self.options = options; self.stop = stop
    }

    /// Runs one episode: reset, then chunks until the robot is done or the task's step
    /// budget is used. On any error the robot has been stopped before this throws.
    public func run<R: Robot, P: Policy>(
        robot: inout R, policy: inout P, request: EpisodeRequest, envelope: inout SafetyEnvelope
    ) throws(RuntimeError) -> EpisodeRun {
        let caps = robot.capabilities
        let rate = options.rate ?? caps.controlRate
        var timing = TimingRecorder(targetPeriod: options.paced ? 1 / rate : 0)
        envelope.reset()
        policy.reset()
        let feedback = policy as? any ExecutionFeedback
        if stop.isRequested { robot.safetyStop(reason: "stop requested"); throw .interrupted }
        var observation = try robot.reset(request)
        let instruction = observation.instruction.isEmpty ? request.prompt : observation.instruction
        var frames: [[UInt8]] = options.recordFrames ? [observation.image] : []
        let budget = request.task.family.maxSteps
        var steps = 0
        var done = false
        var next = monotonicSeconds()
        while !done && steps < budget {
            let started = monotonicSeconds()
            let chunk = policy.act(observation)
            timing.policySeconds.append(monotonicSeconds() - started)
            guard !chunk.isEmpty else {
                robot.safetyStop(reason: "empty action chunk")
                throw .badPolicyOutput("the chunk is empty; a policy must return at least one action")
            }
            let k = min(chunk.count, options.executeSteps ?? chunk.count)
            for action in chunk.prefix(k) {
                if stop.isRequested { robot.safetyStop(reason: "stop requested (Ctrl-C)"); throw .interrupted }
                let safe: [Float]
                switch envelope.check(action, proprio: observation.proprio) {
                case .pass(let a): safe = a
                case .stop(let reason):
                    robot.safetyStop(reason: reason)
                    throw .unsafeAction(reason)
                }
                if options.paced { sleep(until: next); next = max(next + 1 / rate, monotonicSeconds() - 0.5 / rate) }
                timing.tick(monotonicSeconds())
                let step = try robot.act(safe)
                feedback?.executed(safe)
                observation = step.observation
                if options.recordFrames { frames.append(observation.image) }
                steps += 1
                if step.done || steps >= budget { done = true; break }
            }
        }
        let carried = robot.carried
        let verdict = try robot.endEpisode()
        return EpisodeRun(
            instruction: instruction, steps: steps, success: verdict.success, completion: verdict.completion,
            timing: timing.report, periodErrors: timing.errors, policySeconds: timing.policySeconds, frames: frames, frameWidth: observation.imageWidth, frameHeight: observation.imageHeight,
            adjustments: envelope.adjustments, graspAttempts: robot.graspAttempts, releases: robot.releases, carried: carried)
    }
}
