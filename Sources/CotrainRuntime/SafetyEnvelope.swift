// CotrainRuntime/SafetyEnvelope.swift: the checks every action passes before it reaches
// a robot, real or simulated.
//
// Order: reject non-finite or mis-sized actions (stop), clip to the action bounds, limit
// the per-step motion (velocity) and its change from the last step (acceleration), keep
// the target inside the joint limits, and refuse motions whose tool position would leave
// the workspace box (the joints hold, the gripper command still applies).
import CotrainSim

/// Limits the envelope enforces; derived from the robot's capabilities by default.
public struct SafetyLimits: Sendable, Equatable {
    /// Bounds per action component (joints, then the gripper).
    public var actionLower: [Float]
    public var actionUpper: [Float]
    /// Allowed joint positions (rad or m), after the margin.
    public var jointLower: [Float]
    public var jointUpper: [Float]
    /// Largest joint motion per control step (velocity limit × period).
    public var maxStep: [Float]
    /// Largest change of the per-step motion between consecutive steps
    /// (acceleration limit × period²).
    public var maxStepChange: [Float]
    /// Box the tool centre point must stay in (needs known kinematics); nil: no check.
    public var workspace: Workspace?

    /// Limits from `capabilities`: joint limits shrunk by `jointMargin`, the velocity
    /// limit per period, and an acceleration limit that lets a joint reach full speed
    /// from rest in `rampSteps` periods.
    public init(capabilities c: RobotCapabilities, jointMargin: Float = 0, rampSteps: Float = 1) {
        let n = c.dof
        let period = Float(1 / c.controlRate)
        actionLower = c.actionLower; actionUpper = c.actionUpper
        jointLower = (0..<n).map { c.jointLower[$0] + jointMargin }
        jointUpper = (0..<n).map { c.jointUpper[$0] - jointMargin }
        maxStep = (0..<n).map { min(c.actionUpper[$0], -c.actionLower[$0], c.jointMaxVelocity[$0] * period) }
        maxStepChange = maxStep.map { $0 / max(rampSteps, 1e-3) }
        workspace = Workspace()
    }
}

/// A change the envelope made to an action (counted for the report).
public enum SafetyAdjustment: String, Sendable, CaseIterable {
    case clipped, velocity, acceleration, jointLimit = "joint_limit", workspace
}

/// The envelope's answer for one action.
public enum SafetyVerdict: Sendable, Equatable {
    /// Send this (possibly adjusted) action.
    case pass([Float])
    /// Do not send anything; stop the arm. The reason is one line for the operator.
    case stop(String)
}

/// Checks and limits actions for one robot. Keep one per episode: the acceleration limit
/// remembers the previous step's motion.
public struct SafetyEnvelope: Sendable {
    /// The limits in force.
    public let limits: SafetyLimits
    /// How often each adjustment was made since the last `reset`.
    public private(set) var adjustments: [SafetyAdjustment: Int] = [:]
    let chain: KinematicChain
    let dof: Int
    var lastStep: [Float]

    /// An envelope for a robot with `capabilities`, enforcing `limits`.
    public init(capabilities: RobotCapabilities, limits: SafetyLimits? = nil) {
        self.limits = limits ?? SafetyLimits(capabilities: capabilities)
        chain = Embodiment.make(capabilities.embodiment).chain
        dof = capabilities.dof
        lastStep = [Float](repeating: 0, count: capabilities.dof)
    }

    /// Forgets the previous motion (call at episode start) and the adjustment counts.
    public mutating func reset() {
        lastStep = [Float](repeating: 0, count: dof)
        adjustments = [:]
    }

    /// Checks `action` given the robot's current proprioception (joint positions first).
    public mutating func check(_ action: [Float], proprio: [Float]) -> SafetyVerdict {
        guard action.count == dof + 1 else {
            return .stop("action has \(action.count) components, the robot expects \(dof + 1)")
        }
        if let bad = action.firstIndex(where: { !$0.isFinite }) {
            return .stop("action component \(bad) is \(action[bad]) (not a finite number)")
        }
        guard proprio.count >= dof, proprio.prefix(dof).allSatisfy(\.isFinite) else {
            return .stop("the robot state holds no finite joint positions")
        }
        var out = action
        var q = JointVector.zero, target = JointVector.zero
        for i in 0...dof {
            let clipped = min(max(out[i], limits.actionLower[i]), limits.actionUpper[i])
            if clipped != out[i] { note(.clipped); out[i] = clipped }
        }
        for i in 0..<dof {
            var step = out[i]
            let bound = limits.maxStep[i]
            if abs(step) > bound { step = step < 0 ? -bound : bound; note(.velocity) }
            let change = step - lastStep[i], maxChange = limits.maxStepChange[i]
            if abs(change) > maxChange { step = lastStep[i] + (change < 0 ? -maxChange : maxChange); note(.acceleration) }
            q[i] = proprio[i]
            var goal = q[i] + step
            if goal > limits.jointUpper[i] { goal = max(q[i], limits.jointUpper[i]); note(.jointLimit) }
            if goal < limits.jointLower[i] { goal = min(q[i], limits.jointLower[i]); note(.jointLimit) }
            step = goal - q[i]
            target[i] = goal
            out[i] = step
        }
        if let box = limits.workspace, dof <= 8, !box.contains(tool: chain.forward(target).translation) {
            // Refuse the motion unless it brings an already-outside tool back towards the box.
            let now = chain.forward(q).translation
            if box.contains(tool: now) || distanceOutside(chain.forward(target).translation, box) > distanceOutside(now, box) {
                for i in 0..<dof { out[i] = 0 }
                note(.workspace)
            }
        }
        for i in 0..<dof { lastStep[i] = out[i] }
        return .pass(out)
    }

    mutating func note(_ adjustment: SafetyAdjustment) { adjustments[adjustment, default: 0] += 1 }

    func distanceOutside(_ p: Vec3, _ box: Workspace) -> Float {
        func d(_ x: Float, _ r: ClosedRange<Float>) -> Float { max(0, r.lowerBound - x, x - r.upperBound) }
        return d(p.x, box.toolX) + d(p.y, box.toolY) + d(p.z, box.toolZ)
    }
}
