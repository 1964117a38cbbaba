// CotrainSim/Environment.swift: the simulated robot environment (reset / step).
//
// Each step integrates one bounded action (0.1 s), refuses motions that would take the
// tool outside the workspace, runs grasp/release/push logic, and scores the task. The
// step path does not allocate unless an observation is requested.

/// Image options for observations.
public struct SimConfig: Sendable, Equatable {
    /// Image width in pixels.
    public var imageWidth = 64
    /// Image height in pixels.
    public var imageHeight = 64
    /// Render the third-person image (off for fast non-visual rollouts).
    public var renderImages = true
    /// Also render a wrist-camera image.
    public var wristCamera = false
    /// The wrist camera's vertical field of view, in degrees: narrower shows an object
    /// below the fingers larger and sees less around it.
    public var wristFieldOfView = Camera.defaultWristFieldOfView

    public init(
        imageWidth: Int = 64, imageHeight: Int = 64, renderImages: Bool = true, wristCamera: Bool = false,
        wristFieldOfView: Float = Camera.defaultWristFieldOfView
    ) {
        self.imageWidth = imageWidth; self.imageHeight = imageHeight
        self.renderImages = renderImages; self.wristCamera = wristCamera; self.wristFieldOfView = wristFieldOfView
    }

    /// The wrist camera at tool pose `tool`.
    func wristView(_ tool: Pose) -> Camera {
        Camera.wrist(tool: tool, width: imageWidth, height: imageHeight, fieldOfView: wristFieldOfView)
    }
}

/// What happened in one step.
public struct StepInfo: Sendable, Equatable {
    /// Steps taken so far in the episode.
    public var step: Int
    /// Whether the task is complete after this step.
    public var success: Bool
    /// Success or step budget exhausted.
    public var done: Bool
    /// Milestones reached so far (latched) out of `milestoneCount`.
    public var milestonesReached: Int
    public var milestoneCount: Int
    /// The motion was refused because the tool would have left the workspace.
    public var motionRefused: Bool
}

/// A simulated robot on the tabletop.
public struct SimEnvironment: Sendable {
    /// The simulated robot.
    public let embodiment: Embodiment
    /// Image options, fixed for the environment's life.
    public let config: SimConfig
    /// Objects on the table and what is held (privileged state for experts and scoring).
    public internal(set) var world = World()
    /// Current joint configuration.
    public internal(set) var q = JointVector.zero
    /// Current tool centre point pose (forward kinematics of `q`).
    public internal(set) var tool = Pose.identity
    /// Gripper opening in [0, 1]; for suction 1 means on.
    public internal(set) var opening: Float = 1
    /// The sampled task of the current episode.
    public internal(set) var task = TaskInstance(family: .pick, instruction: "", goal: .pick(object: 0), milestones: [])
    /// Steps taken in the current episode.
    public internal(set) var stepCount = 0
    /// Milestones reached so far (latched), in `task.milestones` order.
    public internal(set) var milestones: [Bool] = []
    /// Whether the task is currently complete.
    public internal(set) var success = false
    /// Every start of a close command with nothing held, this episode.
    public internal(set) var graspAttempts: [GraspAttempt] = []
    /// Every release of the object to move on a task with a destination, this episode.
    public internal(set) var releases: [Release] = []
    /// The previous step's gripper command (to see where a close starts).
    var closeCommanded = false
    /// The look of the current episode (camera, light, tints), sampled from its shift.
    public internal(set) var renderSettings: RenderSettings
    var renderer: Renderer
    var milestoneScratch: [Bool] = []
    let limits: (lower: JointVector, upper: JointVector)
    let actionBounds: JointVector

    /// An environment for `embodiment`; call `reset` before stepping.
    public init(embodiment: Embodiment, config: SimConfig = SimConfig()) {
        self.embodiment = embodiment
        self.config = config
        renderer = Renderer(width: config.imageWidth, height: config.imageHeight)
        renderSettings = .nominal(width: config.imageWidth, height: config.imageHeight)
        limits = embodiment.chain.limits
        var bounds = JointVector.zero
        for (i, j) in embodiment.chain.joints.enumerated() { bounds[i] = j.maxVelocity * embodiment.controlPeriod }
        actionBounds = bounds
    }

    /// Completed fraction of the milestones (task-completion score).
    public var completion: Float {
        milestones.isEmpty ? 0 : Float(milestones.filter { $0 }.count) / Float(milestones.count)
    }

    /// Whether the episode is over (success or step budget).
    public var isDone: Bool { success || stepCount >= task.family.maxSteps }

    /// Starts an episode of `task` sampled from `seed`, with `shifts` applied.
    public mutating func reset(task spec: TaskSpec, seed: UInt64, shifts: DistributionShift = .none) -> Observation {
        resetState(task: spec, seed: seed, shifts: shifts)
        return observe()
    }

    /// `reset` without producing an observation (experts and benchmarks).
    public mutating func resetState(task spec: TaskSpec, seed: UInt64, shifts: DistributionShift = .none) {
        var rng = SimRandom(seed: seed, stream: 1)
        var shiftRng = SimRandom(seed: seed, stream: 2)
        (world, task) = SceneSampler.sample(spec, shifts: shifts, rng: &rng, shiftRng: &shiftRng)
        renderSettings = RenderSettings.sample(
            shifts, objectCount: world.objects.count, width: config.imageWidth, height: config.imageHeight, rng: &shiftRng)
        // A slightly different start pose each episode, so policies cannot memorise one.
        var start = embodiment.home
        for i in 0..<embodiment.dof {
            let j = embodiment.chain.joints[i]
            start[i] += rng.uniform(-0.04, 0.04) * (j.kind == .prismatic ? 0.5 : 1)
        }
        q = start.clamped(lowerBound: limits.lower, upperBound: limits.upper)
        tool = embodiment.chain.forward(q)
        opening = embodiment.gripper == .suction ? 0 : 1
        stepCount = 0
        success = false
        milestones = [Bool](repeating: false, count: task.milestones.count)
        graspAttempts.removeAll(keepingCapacity: true)
        releases.removeAll(keepingCapacity: true)
        closeCommanded = false
    }

    /// Applies one action and returns the next observation.
    public mutating func step(_ action: [Float]) -> (Observation, StepInfo) {
        let info = advance(action)
        return (observe(), info)
    }

    /// Applies one action without rendering. `action` must have the embodiment's action
    /// dimension; non-finite components are treated as 0.
    public mutating func advance(_ action: [Float]) -> StepInfo {
        let n = embodiment.dof
        precondition(action.count == n + 1, "action has \(action.count) components, \(embodiment.kind) expects \(n + 1)")
        var dq = JointVector.zero
        for i in 0..<n where action[i].isFinite { dq[i] = action[i] }
        dq = dq.clamped(lowerBound: -actionBounds, upperBound: actionBounds)
        let next = (q + dq).clamped(lowerBound: limits.lower, upperBound: limits.upper)
        let nextTool = embodiment.chain.forward(next)
        let refused = !world.workspace.contains(tool: nextTool.translation)
        if !refused { q = next; tool = nextTool }
        let close = action[n].isFinite && action[n] > 0
        noteGraspAttempt(close: close)
        let heldBefore = world.held, heightBefore = world.held.map { world.objects[$0].position.z } ?? 0
        updateGripper(close: close)
        noteRelease(heldBefore: heldBefore, height: heightBefore)
        followHeldObject()
        if pusherActive {
            world.push(tip: tool.translation, radius: embodiment.pusherRadius, reach: 0.05)
        }
        stepCount += 1
        success = task.isSuccess(world)
        task.milestoneStates(world, into: &milestoneScratch)
        for k in milestones.indices where milestoneScratch[k] { milestones[k] = true }
        var reached = 0
        for m in milestones where m { reached += 1 }
        return StepInfo(
            step: stepCount, success: success, done: isDone, milestonesReached: reached,
            milestoneCount: milestones.count, motionRefused: refused)
    }

    /// Proprioception: joint positions then the gripper state.
    public var proprio: [Float] {
        var p = [Float](repeating: 0, count: embodiment.dof + 1)
        for i in 0..<embodiment.dof { p[i] = q[i] }
        p[embodiment.dof] = opening
        return p
    }

    /// The robot state the renderer needs.
    public var robotPose: RobotPose { RobotPose(q: q, tool: tool, opening: opening) }

    /// Renders (if configured) and packages the current observation.
    public mutating func observe() -> Observation {
        var image: [UInt8] = []
        var wrist: [UInt8]? = nil
        if config.renderImages {
            renderer.render(world: world, robot: robotPose, embodiment: embodiment, settings: renderSettings, into: &image)
        }
        if config.wristCamera {
            var w: [UInt8] = []
            let cam = config.wristView(tool)
            renderer.render(world: world, robot: robotPose, embodiment: embodiment, settings: renderSettings, camera: cam, into: &w)
            wrist = w
        }
        var observation = Observation(
            image: image, wristImage: wrist, imageWidth: config.imageWidth, imageHeight: config.imageHeight,
            proprio: proprio, instruction: task.instruction, embodiment: embodiment.kind)
        if config.renderImages { observation.pointLabels = namedPoints() }
        return observation
    }
}
