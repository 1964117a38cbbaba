// CotrainRuntime/Robot.swift: the one interface the control loop and the evaluation
// harness drive, whether the robot is the built-in simulator or a real arm behind a
// bridge.
import CotrainSim

/// One camera a robot provides (RGB8, row-major, top row first).
public struct CameraInfo: Sendable, Equatable {
    /// "main" is the third-person camera policies see; "wrist" is optional.
    public var name: String
    public var width: Int
    public var height: Int

    public init(name: String, width: Int, height: Int) {
        self.name = name; self.width = width; self.height = height
    }

    /// Bytes in one frame.
    public var byteCount: Int { width * height * 3 }
}

/// What a robot is and what it accepts: the contract every action is checked against.
public struct RobotCapabilities: Sendable, Equatable {
    /// The embodiment (selects kinematics for workspace checks and the policy's stems).
    public var embodiment: EmbodimentKind
    /// Whether actions are joint deltas or end-effector deltas.
    public var actionSpace: ActionSpec.Space
    /// Action component names and bounds (joints first, then the gripper in [−1, 1]).
    public var actionNames: [String]
    public var actionLower: [Float]
    public var actionUpper: [Float]
    /// Joint names and position limits (rad or m), and speed limits (per second).
    public var jointNames: [String]
    public var jointLower: [Float]
    public var jointUpper: [Float]
    public var jointMaxVelocity: [Float]
    /// Cameras, the first being the one policies see.
    public var cameras: [CameraInfo]
    /// Control rate in Hz: one action is executed per period.
    public var controlRate: Double
    /// Whether the robot reports task success by itself (sim: yes; real arm: usually no).
    public var hasSuccessSignal: Bool
    /// True for the simulator and `arm-sim`; real arms need operator confirmation.
    public var isSimulated: Bool

    public init(
        embodiment: EmbodimentKind, actionSpace: ActionSpec.Space, actionNames: [String], actionLower: [Float],
        actionUpper: [Float], jointNames: [String], jointLower: [Float], jointUpper: [Float], jointMaxVelocity: [Float],
        cameras: [CameraInfo], controlRate: Double, hasSuccessSignal: Bool, isSimulated: Bool
    ) {
        self.embodiment = embodiment; self.actionSpace = actionSpace; self.actionNames = actionNames
        self.actionLower = actionLower; self.actionUpper = actionUpper; self.jointNames = jointNames
        self.jointLower = jointLower; self.jointUpper = jointUpper; self.jointMaxVelocity = jointMaxVelocity
        self.cameras = cameras; self.controlRate = controlRate; self.hasSuccessSignal = hasSuccessSignal
        self.isSimulated = isSimulated
    }

    /// Components per action (joints + gripper).
    public var actionDimension: Int { actionNames.count }
    /// Number of joints.
    public var dof: Int { jointNames.count }

    /// The capabilities of the simulated `embodiment` with `config`'s cameras.
    public static func simulated(_ embodiment: Embodiment, config: SimConfig) -> RobotCapabilities {
        let action = embodiment.action
        let joints = embodiment.chain.joints
        var cameras = [CameraInfo(name: "main", width: config.imageWidth, height: config.imageHeight)]
        if config.wristCamera { cameras.append(CameraInfo(name: "wrist", width: config.imageWidth, height: config.imageHeight)) }
        return RobotCapabilities(
            embodiment: embodiment.kind, actionSpace: action.space, actionNames: action.names,
            actionLower: action.lower, actionUpper: action.upper, jointNames: joints.map(\.name),
            jointLower: joints.map(\.lower), jointUpper: joints.map(\.upper), jointMaxVelocity: joints.map(\.maxVelocity),
            cameras: cameras, controlRate: Double(1 / embodiment.controlPeriod), hasSuccessSignal: true,
            isSimulated: true)
    }
}

/// What an episode is about. The simulator (and `arm-sim`) build the scene from
/// task, seed and shift; a real arm's operator sets the scene up from `prompt`.
public struct EpisodeRequest: Sendable, Equatable {
    /// Task family and concepts; its `maxSteps` is the episode budget on every robot.
    public var task: TaskSpec
    /// Scene seed (shared across policies and conditions, so comparisons are paired).
    public var seed: UInt64
    /// Distribution shift applied by simulated robots.
    public var shift: DistributionShift
    /// Suite condition name, for logs and the operator.
    public var condition: String
    /// What the operator should set up on a real arm (e.g. "red cube on the table").
    public var prompt: String

    public init(task: TaskSpec, seed: UInt64, shift: DistributionShift = .none, condition: String = "nominal", prompt: String = "") {
        self.task = task; self.seed = seed; self.shift = shift; self.condition = condition; self.prompt = prompt
    }
}

/// The result of one executed action.
public struct RobotStep: Sendable, Equatable {
    /// The observation after the action.
    public var observation: Observation
    /// Task success, if the robot has a success signal.
    public var success: Bool?
    /// Fraction of milestones reached, if the robot can tell.
    public var completion: Float?
    /// The robot ended the episode (success or its own budget).
    public var done: Bool
}

/// A robot the runtime can drive: the simulator (`SimRobot`) or a real arm through the
/// arm bridge (`ArmBridgeClient`).
///
/// Callers run every action through a `SafetyEnvelope` first (the control loop does).
/// Any thrown error means the robot has already been stopped as well as it could be.
public protocol Robot {
    /// What the robot is and accepts; fixed for the robot's life.
    var capabilities: RobotCapabilities { get }
    /// Starts an episode and returns the first observation.
    mutating func reset(_ request: EpisodeRequest) throws(RuntimeError) -> Observation
    /// The latest observation, without moving (on a bridge: the last state received).
    mutating func observe() throws(RuntimeError) -> Observation
    /// Executes one action (already checked by the safety envelope) for one control period.
    mutating func act(_ action: [Float]) throws(RuntimeError) -> RobotStep
    /// Ends the episode and returns the robot's own success verdict, if it has one.
    mutating func endEpisode() throws(RuntimeError) -> (success: Bool?, completion: Float?)
    /// Stops all motion now and holds position. Best effort: never throws, may be
    /// called repeatedly and after a failure.
    mutating func safetyStop(reason: String)
    /// Where the gripper started to close this episode, relative to the object the task
    /// names, when the robot knows where that object is (the simulator does; a bridge to
    /// a real arm does not, and reports none).
    var graspAttempts: [GraspAttempt] { get }
    /// Where the object to move was against its destination each time the gripper let
    /// go of it this episode (the simulator knows; a bridge reports none).
    var releases: [Release] { get }
    /// The object to move against its destination if the gripper holds it now.
    var carried: Release? { get }
}

extension Robot {
    public var graspAttempts: [GraspAttempt] { [] }
    public var releases: [Release] { [] }
    public var carried: Release? { nil }
}

extension Robot {
    /// Executes a chunk of actions in order, stopping early when the robot reports done.
    public mutating func act(chunk: [[Float]]) throws(RuntimeError) -> [RobotStep] {
        var steps: [RobotStep] = []
        for action in chunk {
            let step = try act(action)
            steps.append(step)
            if step.done { break }
        }
        return steps
    }
}
