// CotrainSim/Expert+Corrections.swift: the expert labels the states a learned policy
// visits (DAgger, Ross et al. 2011).
//
// Demonstrations show only the states the expert itself visits. A policy that drifts
// (hovers over a bowl, closes beside a cube) reaches states no demonstration shows and
// has nothing to imitate there. Here the policy drives and the expert, re-planning from
// whatever state the policy left, records what it would do: a policy trained on both
// learns the way back from its own mistakes.

extension ScriptedExpert {
    /// How far (planar, metres) from its aim point a held object may be for the expert
    /// to lower it straight from wherever the policy carried it, rather than first lifting
    /// it to its travel height. The descent corrects the offset on the way down; its own
    /// demonstrations start lowering within `lowerRadius`.
    static let correctionLowerRadius: Float = 0.045
    /// How far below its travel height a held object may be carried on sideways (the
    /// travel height is 15–20 cm; objects and bowls are under 6 cm tall).
    static let correctionCarryDrop: Float = 0.06

    /// Brings the sub-step in line with a state the expert did not produce (the policy
    /// acted since the expert last planned). The phase machine advances only on its own
    /// completion tests, so a policy that grasped, carried or let go on its own would
    /// otherwise leave it in a sub-step that no longer fits: approaching an object already
    /// held, lifting an object already over its bowl. Consistent phases are left alone.
    mutating func resync(_ env: SimEnvironment) {
        guard case .pickPlace(let i, let destination) = job, phase != .idle else { return }
        let world = env.world, tool = env.tool.translation
        func set(_ p: ExpertPhase) { if phase != p { (phase, phaseSteps) = (p, 0) } }
        if let other = world.held, other != i {
            set(.reopen)  // holding the wrong object: let it go and start over
            return
        }
        guard world.held == i else {
            // Over the object, between hover and grasp height (a policy that goes straight
            // down rather than pausing at the hover point): descend from there. A descent
            // that drifted sideways starts again from above the object.
            let o = world.objects[i]
            let gap = planarDistance(o.position + style.graspOffset, tool)
            let low = tool.z < o.position.z + o.height + style.hover + 0.01 && tool.z > graspHeight(o) - 0.01
            if phase == .approach, gap < 0.015, low, suction || env.opening > 0.95 { set(.descend) }
            if phase == .descend, gap > 0.02 { set(.approach) }
            return  // close, settle, lift, carry and lower already notice a lost grasp
        }
        switch phase {
        case .approach, .descend, .reopen: set(.close)  // the policy grasped: settle, then lift
        case .release, .retreat: set(.lift)
        case .lift, .carry, .lower:
            guard let destination else { return }
            let o = world.objects[i]
            let aim = destinationPoint(destination, world).0 - (o.position - tool)
            let gap = planarDistance(aim, tool)
            // Carried high enough to clear the scene (though below this expert's travel
            // height): carry on from there, rather than lifting straight up first.
            let clear = tool.z > style.travel - Self.correctionCarryDrop
            if gap < Self.correctionLowerRadius {
                if phase != .lower, tool.z < style.travel - 0.01 || gap < Self.lowerRadius { set(.lower) }
            } else if phase == .lower || (phase == .lift && clear) {
                set(clear ? .carry : .lift)
            }
        default: return
        }
    }

    /// Records an episode driven by `driver` and labelled by the expert: at every step the
    /// episode stores the observation and the expert's action and sub-step for it, while
    /// the simulator executes the driver's. Each time the driver's chunk runs out, the
    /// next chunk is the expert's own instead with probability `expertShare` (drawn from
    /// `seed`), so corrections also reach the states that follow a recovery. `execute`
    /// sees every action about to run with the current proprioception and returns what
    /// to execute (a safety envelope's adjustment, as in evaluation), or nil to end the
    /// episode.
    ///
    /// `afterSuccess` as in `record(env:…)`. Same arguments and driver ⇒ same episode.
    public static func recordCorrections<P: Policy>(
        env: inout SimEnvironment, task: TaskSpec, seed: UInt64, shifts: DistributionShift = .none, driver: inout P,
        expertShare: Float, afterSuccess: Int = 0, execute: ([Float], [Float]) -> [Float]? = { action, _ in action }
    ) -> Episode {
        var expert = ScriptedExpert(embodiment: env.embodiment, seed: seed)
        var turns = SimRandom(seed: seed, stream: 0xDA66)
        driver.reset()
        var obs = env.reset(task: task, seed: seed, shifts: shifts)
        var episode = Episode(starting: env, family: task.family, seed: seed)
        var chunk: [[Float]] = [], expertTurn = false, driverActed = false
        var followThrough = 0
        while !env.isDone || (env.success && followThrough < afterSuccess) {
            if env.success { followThrough += 1 }
            if chunk.isEmpty {
                expertTurn = turns.chance(expertShare)
                // Ask the driver even on the expert's turn: it plans from what it saw last.
                chunk = driver.act(obs)
                precondition(!chunk.isEmpty, "a policy must return at least one action")
            }
            if driverActed { expert.resync(env) }
            let (action, annotation) = expert.act(env)
            episode.append(obs, action: action, annotation: annotation, env: env)
            let planned = chunk.removeFirst()
            driverActed = !expertTurn
            guard let executed = execute(expertTurn ? action : planned, obs.proprio) else { break }
            let (next, info) = env.step(executed)
            obs = next
            episode.steps += 1
            episode.success = info.success
            episode.milestonesReached = info.milestonesReached
        }
        return episode
    }
}
