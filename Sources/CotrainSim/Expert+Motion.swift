// CotrainSim/Expert+Motion.swift: from a tool-space target to an embodiment action.
//
// The expert moves the tool a bounded distance toward its target, solves IK for that
// waypoint from the current joints (warm start, few iterations), and emits the joint
// delta. Gantry and hand joints are tool coordinates, so for them this is exact.

extension ScriptedExpert {
    mutating func motion(_ env: SimEnvironment, _ command: ExpertCommand) -> [Float] {
        let n = embodiment.dof
        var action = [Float](repeating: 0, count: n + 1)
        action[n] = command.close ? 1 : -1
        if command.coarse && rng.chance(style.hesitation) { return action }
        let current = env.tool.translation
        var delta = command.target - current
        let distance = length(delta)
        let maxStep = command.coarse ? style.speed : min(style.speed, 0.025)
        if distance > maxStep { delta *= maxStep / distance }
        let yawError = wrapAngle(command.yaw - env.tool.yaw)
        let waypoint = Pose.topDown(at: current + delta, yaw: env.tool.yaw + clip(yawError, 0.25))
        let solution = embodiment.chain.solveIK(target: waypoint, from: env.q, options: ikOptions)
        var dq = solution.q - env.q
        // Scale the whole step (not per joint) so the tool keeps its direction.
        var scale: Float = 1
        for k in 0..<n {
            let bound = env.actionBounds[k]
            if abs(dq[k]) > bound { scale = min(scale, bound / abs(dq[k])) }
        }
        dq *= scale
        for k in 0..<n {
            var a = dq[k]
            if command.coarse { a += rng.gaussian() * style.actionNoise * env.actionBounds[k] * 0.25 }
            action[k] = clip(a, env.actionBounds[k])
        }
        return action
    }

    func holdStill(_ env: SimEnvironment) -> [Float] {
        var action = [Float](repeating: 0, count: embodiment.dof + 1)
        action[embodiment.dof] = env.world.held == nil ? -1 : 1
        return action
    }
}
