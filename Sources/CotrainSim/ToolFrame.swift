// CotrainSim/ToolFrame.swift: an arm's actions as tool motions, for policies.
//
// An arm takes joint deltas, and a joint delta that moves the tool 1 cm to the left
// depends on where the arm is (the Jacobian). A policy that has found the object in
// its cameras must learn that map on top, from a few hundred demonstrations. In the tool
// frame the action is the tool's own motion, (dx, dy, dz, dyaw, gripper) in the robot's
// base frame, which is nearly linear in "where the object is relative to the tool".
// Recorded joint deltas convert exactly (forward kinematics); the policy's tool motions
// go back to joint deltas through the same damped least-squares IK the experts use, so
// the robot interface (and a real arm's bridge) still speaks joint deltas.

import Foundation

/// Converts one arm's joint-delta actions and proprioception to and from the tool frame.
public struct ToolFrame: Sendable {
    /// The arm (an embodiment whose actions are joint deltas).
    public let embodiment: Embodiment
    let ik: IKOptions
    /// When > 0, proprioception also carries the tool's motion over the last
    /// `motionWindow` steps (`motionNames`), between the arm's values and the tool pose.
    /// Without it a state says where the tool is but not where it is going: holding a
    /// cube 10 cm over its bowl looks the same lifting and lowering, and policies
    /// hovered there, half of each chunk going up and half down (docs/study.md).
    public var motionWindow = 0

    /// Tool-frame action components.
    public static let actionNames = ["tool.dx", "tool.dy", "tool.dz", "tool.dyaw"]
    /// What the tool frame appends to the arm's proprioception.
    public static let poseNames = ["tool.x", "tool.y", "tool.z", "tool.yaw.sin", "tool.yaw.cos"]
    /// The tool's motion over the last `motionWindow` steps (with a window).
    public static let motionNames = ["tool.motion.dx", "tool.motion.dy", "tool.motion.dz"]

    /// The tool frame of `embodiment`; nil when its actions already move the tool
    /// (gantry, hand), where there is nothing to convert. `motionWindow`: see the property.
    public init?(_ embodiment: Embodiment, motionWindow: Int = 0) {
        guard embodiment.actionSpace == .jointDelta else { return nil }
        self.embodiment = embodiment
        self.motionWindow = max(0, motionWindow)
        ik = IKOptions(space: embodiment.ikSpace, posture: embodiment.posture)
    }

    /// dx, dy, dz, dyaw and the gripper command.
    public var actionDimension: Int { Self.actionNames.count + 1 }
    /// The arm's proprioception (joints, gripper), the motion (with a window), then the
    /// tool pose: the pose stays last, where table points read it.
    public var proprioDimension: Int { embodiment.dof + 1 + motionNames.count + Self.poseNames.count }
    /// Component names, in order.
    public var actionComponentNames: [String] { Self.actionNames + [embodiment.action.names.last!] }
    public var proprioComponentNames: [String] { embodiment.proprioNames + motionNames + Self.poseNames }
    var motionNames: [String] { motionWindow > 0 ? Self.motionNames : [] }

    /// The tool's position for the arm's proprioception (joints then gripper).
    public func toolPosition(_ armProprio: [Float]) -> Vec3 { embodiment.chain.forward(joints(armProprio)).translation }

    func joints(_ proprio: [Float]) -> JointVector {
        var q = JointVector.zero
        for i in 0..<embodiment.dof { q[i] = proprio[i] }
        return q
    }

    /// The arm's proprioception (joints then gripper) with the tool pose appended; with a
    /// motion window, the tool's motion since `earlier` (the arm's proprioception
    /// `motionWindow` steps ago; nil at an episode's start, which gives no motion) first.
    public func proprio(_ armProprio: [Float], earlier: [Float]? = nil) -> [Float] {
        precondition(armProprio.count == embodiment.dof + 1, "proprio has \(armProprio.count) values, \(embodiment.kind) has \(embodiment.dof + 1)")
        let tool = embodiment.chain.forward(joints(armProprio))
        let p = tool.translation, yaw = tool.yaw
        var out = armProprio
        if motionWindow > 0 {
            let motion = earlier.map { p - toolPosition($0) } ?? .zero
            out += [motion.x, motion.y, motion.z]
        }
        return out + [p.x, p.y, p.z, sinf(yaw), cosf(yaw)]
    }

    /// The tool motion of joint delta `action` taken from the joints in `armProprio`.
    public func toolAction(armProprio: [Float], jointAction action: [Float]) -> [Float] {
        let n = embodiment.dof
        precondition(action.count == n + 1, "action has \(action.count) values, \(embodiment.kind) takes \(n + 1)")
        let q = joints(armProprio)
        var next = q
        for i in 0..<n { next[i] += action[i] }
        let (lo, hi) = embodiment.chain.limits
        next = next.clamped(lowerBound: lo, upperBound: hi)
        let a = embodiment.chain.forward(q), b = embodiment.chain.forward(next)
        let d = b.translation - a.translation
        return [d.x, d.y, d.z, wrapAngle(b.yaw - a.yaw), action[n]]
    }

    /// Joint deltas that carry out `chunk` (tool motions, in order) from the joints in
    /// `armProprio`: each target is the previous one's IK solution moved by the next
    /// tool motion, with the tool kept pointing down. A step beyond a joint's per-step
    /// bound is scaled as a whole, so the tool keeps its direction.
    public func jointActions(armProprio: [Float], chunk: [[Float]]) -> [[Float]] {
        let n = embodiment.dof
        var q = joints(armProprio)
        var bounds = JointVector.zero
        for (i, j) in embodiment.chain.joints.enumerated() { bounds[i] = j.maxVelocity * embodiment.controlPeriod }
        return chunk.map { t in
            precondition(t.count == actionDimension, "tool action has \(t.count) values, expected \(actionDimension)")
            let tool = embodiment.chain.forward(q)
            let move = Vec3(finite(t[0]), finite(t[1]), finite(t[2]))
            let target = Pose.topDown(at: tool.translation + move, yaw: tool.yaw + finite(t[3]))
            var dq = embodiment.chain.solveIK(target: target, from: q, options: ik).q - q
            var scale: Float = 1
            for i in 0..<n where abs(dq[i]) > bounds[i] { scale = min(scale, bounds[i] / abs(dq[i])) }
            dq *= scale
            q += dq
            var action = (0..<n).map { dq[$0] }
            action.append(t[4])
            return action
        }
    }

    /// Non-finite policy outputs move nothing (the environment treats them so too).
    func finite(_ x: Float) -> Float { x.isFinite ? x : 0 }
}
