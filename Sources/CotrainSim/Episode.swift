// CotrainSim/Episode.swift: recorded demonstrations. Arrays are flat and row-major so the
// data layer can write them as safetensors without reshaping.

/// One recorded episode: per-step observations, actions and annotations.
public struct Episode: Sendable, Equatable {
    /// Who acted, on which task family, with which instruction and seed.
    public var embodiment: EmbodimentKind
    public var family: TaskFamily
    public var instruction: String
    public var seed: UInt64
    /// Number of recorded steps (observation/action pairs).
    public var steps: Int
    /// Size of each image.
    public var imageWidth: Int
    public var imageHeight: Int
    /// Third-person images, (steps, height, width, 3) RGB8; empty when not rendered.
    public var images: [UInt8]
    /// Wrist images with the same layout; empty when the wrist camera is off.
    public var wristImages: [UInt8]
    /// (steps, proprioDimension)
    public var proprio: [Float]
    /// Components per proprio row.
    public var proprioDimension: Int
    /// (steps, actionDimension)
    public var actions: [Float]
    /// Components per action row.
    public var actionDimension: Int
    /// The expert's sub-step at each step, e.g. "move above the red cube".
    public var annotations: [String]
    /// Where the named objects appear: (steps, cameras, `SimEnvironment.pointSlots`, 3)
    /// from `SimEnvironment.namedPoints()`, recorded with the images; empty when not
    /// rendered.
    public var points: [Float] = []
    /// How the object to move is turned against the fingers: (steps, 3) from
    /// `SimEnvironment.namedOrientation()`; empty when not rendered.
    public var orientations: [Float] = []
    /// Outcome: success and milestones reached out of the task's count.
    public var success: Bool
    public var milestonesReached: Int
    public var milestoneCount: Int

    /// A 64-bit FNV-1a digest of every field, to check determinism cheaply.
    public var digest: UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix<T: FixedWidthInteger>(_ v: T) {
            var x = UInt64(truncatingIfNeeded: v)
            for _ in 0..<(T.bitWidth / 8) { h = (h ^ (x & 0xFF)) &* 0x100_0000_01B3; x >>= 8 }
        }
        func mix(_ s: String) { for b in s.utf8 { mix(b) }; mix(UInt8(0)) }
        mix(embodiment.rawValue); mix(family.rawValue); mix(instruction); mix(seed); mix(steps)
        for b in images { mix(b) }
        for b in wristImages { mix(b) }
        for f in proprio { mix(f.bitPattern) }
        for f in actions { mix(f.bitPattern) }
        for a in annotations { mix(a) }
        for f in points { mix(f.bitPattern) }
        for f in orientations { mix(f.bitPattern) }
        mix(success ? 1 : 0); mix(milestonesReached)
        return h
    }
}

extension Episode {
    /// An empty recording of the episode `env` has just been reset to.
    init(starting env: SimEnvironment, family: TaskFamily, seed: UInt64) {
        let e = env.embodiment
        self.init(
            embodiment: e.kind, family: family, instruction: env.task.instruction, seed: seed, steps: 0,
            imageWidth: env.config.imageWidth, imageHeight: env.config.imageHeight, images: [], wristImages: [],
            proprio: [], proprioDimension: e.dof + 1, actions: [], actionDimension: e.dof + 1, annotations: [],
            success: false, milestonesReached: 0, milestoneCount: env.milestones.count)
    }

    /// Records one step: what was observed in `env`'s current state, and the action
    /// and sub-step the demonstrator gives for it.
    mutating func append(_ obs: Observation, action: [Float], annotation: String, env: SimEnvironment) {
        images += obs.image
        if let w = obs.wristImage { wristImages += w }
        if env.config.renderImages {
            points += obs.pointLabels ?? env.namedPoints()  // observe() labelled this state
            orientations += env.namedOrientation()
        }
        proprio += obs.proprio
        actions += action
        annotations.append(annotation)
    }
}

extension ScriptedExpert {
    /// Runs the expert on `task` from `seed` and records the episode (until success or
    /// the step budget). Same arguments ⇒ identical episode.
    public static func record(
        embodiment: Embodiment, task: TaskSpec, seed: UInt64, shifts: DistributionShift = .none,
        config: SimConfig = SimConfig()
    ) -> Episode {
        var env = SimEnvironment(embodiment: embodiment, config: config)
        return record(env: &env, task: task, seed: seed, shifts: shifts)
    }

    /// As `record(embodiment:…)`, reusing an environment (and its render buffers).
    ///
    /// `perturbation` > 0 injects noise into what is executed, not into what is recorded
    /// (DART, Laskey et al. 2017): each joint command gets Gaussian noise with this
    /// fraction of its per-step bound as standard deviation, the expert — which re-plans
    /// from the actual state every step — corrects the drift, and the episode records
    /// the expert's clean action for the perturbed state. A policy trained on it sees
    /// how to recover from its own small errors, which clean demonstrations never show.
    ///
    /// `misses` > 0: that fraction of the episodes that grasp something (drawn per
    /// episode from `seed`) executes a first grasp aimed off the object, 1.4–2.2 times
    /// the gripper's planar tolerance away, while recording what an expert aiming right
    /// would do from each of those states: return above the object with the gripper
    /// open. Once the off-aim expert has missed and reopened it aims right, and its own
    /// actions are recorded from then on. The data then show how to recover from a
    /// missed grasp, which clean demonstrations (whose grasps almost never miss) do not.
    ///
    /// `afterSuccess` > 0 keeps recording that many steps once the task has succeeded,
    /// while it stays succeeded: the expert's follow-through (the gripper opening and
    /// rising after a place, holding after a pick). Without it an episode ends on the
    /// step that succeeds, so a place shows "open the gripper" once, as its last action,
    /// and a policy's chunks never see what follows it.
    public static func record(
        env: inout SimEnvironment, task: TaskSpec, seed: UInt64, shifts: DistributionShift = .none, perturbation: Float = 0,
        misses: Float = 0, afterSuccess: Int = 0
    ) -> Episode {
        var expert = ScriptedExpert(embodiment: env.embodiment, seed: seed)
        var noise = SimRandom(seed: seed, stream: 0xDA27)
        var obs = env.reset(task: task, seed: seed, shifts: shifts)
        var offAim = misses > 0 ? expert.missing(env, chance: misses, seed: seed) : nil
        if let off = offAim {
            expert.style.graspOffset = .zero
            // Turn the wrist wherever the off-aim expert does, or the labels would say
            // "keep the wrist still" beside a cube the executed arm has turned to.
            expert.style.turnRadius += length(off.style.graspOffset)
        }
        let e = env.embodiment
        var episode = Episode(starting: env, family: task.family, seed: seed)
        var followThrough = 0
        while !env.isDone || (env.success && followThrough < afterSuccess) {
            if env.success { followThrough += 1 }
            // The off-aim expert has missed and reopened (it aims right now), or grasped
            // after all: from here on it is the demonstrator.
            if let off = offAim, off.style.graspOffset == .zero || env.world.held != nil { (expert, offAim) = (off, nil) }
            let (action, annotation) = expert.act(env)
            let intended = offAim?.act(env).action ?? action
            episode.append(obs, action: action, annotation: annotation, env: env)
            var executed = intended
            if perturbation > 0 {
                for k in 0..<e.dof {
                    let bound = env.actionBounds[k]
                    executed[k] = clip(intended[k] + noise.gaussian() * perturbation * bound, bound)
                }
            }
            let (next, info) = env.step(executed)
            obs = next
            episode.steps += 1
            episode.success = info.success
            episode.milestonesReached = info.milestonesReached
        }
        return episode
    }

    /// Runs the expert without recording or rendering; returns success, completion and
    /// steps. Used by tests and benchmarks.
    public static func rollout(env: inout SimEnvironment, task: TaskSpec, seed: UInt64, shifts: DistributionShift = .none)
        -> (success: Bool, completion: Float, steps: Int)
    {
        var expert = ScriptedExpert(embodiment: env.embodiment, seed: seed)
        env.resetState(task: task, seed: seed, shifts: shifts)
        while !env.isDone { _ = env.advance(expert.act(env).action) }
        return (env.success, env.completion, env.stepCount)
    }
}
