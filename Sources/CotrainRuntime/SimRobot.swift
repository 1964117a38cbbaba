// CotrainRuntime/SimRobot.swift: the built-in simulator behind the `Robot` interface.
import CotrainSim

/// A simulated robot: a `SimEnvironment` driven through the `Robot` interface, so the
/// evaluation harness, the control loop and the safety envelope run the same code for
/// simulated and real episodes.
public struct SimRobot: Robot {
    /// The environment (privileged state, for scoring and animations).
    public private(set) var environment: SimEnvironment
    public let capabilities: RobotCapabilities
    /// Safety stops requested so far (tests check that the runtime asked for them).
    public private(set) var stopCount = 0
    /// The reason given with the most recent safety stop.
    public private(set) var lastStopReason: String?
    var stopped = false

    /// A simulated `kind` with `config`'s image size and cameras.
    public init(_ kind: EmbodimentKind, config: SimConfig = SimConfig()) {
        let embodiment = Embodiment.make(kind)
        environment = SimEnvironment(embodiment: embodiment, config: config)
        capabilities = .simulated(embodiment, config: config)
    }

    public mutating func reset(_ request: EpisodeRequest) throws(RuntimeError) -> Observation {
        do {
            try request.task.validate()
        } catch {
            throw .invalidSuite(error.description)
        }
        stopped = false
        return environment.reset(task: request.task, seed: request.seed, shifts: request.shift)
    }

    public mutating func observe() throws(RuntimeError) -> Observation {
        environment.observe()
    }

    public mutating func act(_ action: [Float]) throws(RuntimeError) -> RobotStep {
        guard action.count == capabilities.actionDimension else {
            throw .badPolicyOutput("action has \(action.count) components, \(capabilities.embodiment.rawValue) expects \(capabilities.actionDimension)")
        }
        // After a safety stop the simulated arm holds: joints still, gripper unchanged.
        var applied = action
        if stopped { applied = holdAction }
        let (observation, info) = environment.step(applied)
        return RobotStep(observation: observation, success: info.success, completion: environment.completion, done: info.done)
    }

    public mutating func endEpisode() throws(RuntimeError) -> (success: Bool?, completion: Float?) {
        (environment.success, environment.completion)
    }

    public var graspAttempts: [GraspAttempt] { environment.graspAttempts }
    public var releases: [Release] { environment.releases }
    public var carried: Release? { environment.carried }

    public mutating func safetyStop(reason: String) {
        stopCount += 1
        lastStopReason = reason
        stopped = true
    }

    /// Zero joint motion; a held object stays held.
    var holdAction: [Float] {
        var a = [Float](repeating: 0, count: capabilities.actionDimension)
        a[a.count - 1] = environment.world.held != nil ? 1 : -1
        return a
    }
}
