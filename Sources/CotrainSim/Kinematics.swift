// CotrainSim/Kinematics.swift: serial kinematic chains, forward kinematics, Jacobians.
//
// Every embodiment, from the DH arms to the gantry and the floating hand, is a chain of
// one-axis joints. Joint i contributes `pre · motion(q_i) · post`, where motion is a
// rotation about (revolute) or a translation along (prismatic) the local z axis. That
// covers standard DH (pre = I, post = Tz(d)·Tx(a)·Rx(α)), modified DH
// (pre = Rx(α)·Tx(a), post = Tz(d)) and Cartesian axes (pre/post rotate z onto x or y).
import Foundation

/// Revolute joints rotate about their local z axis; prismatic joints slide along it.
public enum JointKind: Sendable { case revolute, prismatic }

/// One joint of a chain, with its limits.
public struct Joint: Sendable {
    /// Joint name, used in action and proprio names.
    public var name: String
    public var kind: JointKind
    /// Fixed transforms before and after the joint motion.
    public var pre: Pose
    public var post: Pose
    /// Position limits (rad or m).
    public var lower: Float, upper: Float
    /// Speed limit (rad/s or m/s); one control step may move at most `maxVelocity · dt`.
    public var maxVelocity: Float

    public init(
        _ name: String, _ kind: JointKind = .revolute, pre: Pose = .identity, post: Pose = .identity,
        limits: ClosedRange<Float>, maxVelocity: Float
    ) {
        self.name = name; self.kind = kind; self.pre = pre; self.post = post
        self.lower = limits.lowerBound; self.upper = limits.upperBound; self.maxVelocity = maxVelocity
    }

    /// A joint from standard (distal) DH parameters: Rz(θ)·Tz(d)·Tx(a)·Rx(α).
    public static func dh(
        _ name: String, d: Float, a: Float, alpha: Float, limits: ClosedRange<Float>, maxVelocity: Float
    ) -> Joint {
        Joint(
            name, post: Pose(rotation: .rotX(alpha), translation: Vec3(a, 0, d)),
            limits: limits, maxVelocity: maxVelocity)
    }

    /// A joint from modified (proximal, Craig) DH parameters: Rx(α)·Tx(a)·Rz(θ)·Tz(d).
    public static func modifiedDH(
        _ name: String, a: Float, d: Float, alpha: Float, limits: ClosedRange<Float>, maxVelocity: Float
    ) -> Joint {
        Joint(
            name, pre: Pose(rotation: .rotX(alpha), translation: Vec3(a, 0, 0)), post: .at(0, 0, d),
            limits: limits, maxVelocity: maxVelocity)
    }

    func motion(_ q: Float) -> Pose {
        switch kind {
        case .revolute: Pose(rotation: .rotZ(q))
        case .prismatic: Pose(translation: Vec3(0, 0, q))
        }
    }
}

/// The geometric Jacobian of the tool centre point: 6 rows (linear x, y, z, angular x,
/// y, z), one lane per joint.
public struct Jacobian: Sendable {
    /// Row k, lane i: ∂(tool twist component k)/∂q_i.
    public var rows = InlineArray<6, JointVector>(repeating: .zero)
    public init() {}
}

/// A serial chain from the robot base (placed on the table) to the tool centre point.
public struct KinematicChain: Sendable {
    /// Where the robot is mounted, in world coordinates.
    public var base: Pose
    /// Joints from base to tool.
    public var joints: [Joint]
    /// From the last joint frame to the tool centre point (between the fingertips).
    public var tool: Pose

    public init(base: Pose, joints: [Joint], tool: Pose) {
        precondition(joints.count <= 8, "a chain holds at most 8 joints (one SIMD8 lane each)")
        self.base = base; self.joints = joints; self.tool = tool
    }

    /// Number of joints.
    public var dof: Int { joints.count }

    /// Lower and upper limits as joint vectors (unused lanes are 0).
    public var limits: (lower: JointVector, upper: JointVector) {
        var lo = JointVector.zero, hi = JointVector.zero
        for (i, j) in joints.enumerated() { lo[i] = j.lower; hi[i] = j.upper }
        return (lo, hi)
    }

    /// The tool centre point pose for configuration `q`.
    public func forward(_ q: JointVector) -> Pose {
        var t = base
        for i in joints.indices {
            let j = joints[i]
            t = t * j.pre * j.motion(q[i]) * j.post
        }
        return t * tool
    }

    /// Joint origins (after each `pre`, i.e. on the joint axis) followed by the tool centre
    /// point, written into `points` (count dof + 1). The renderer draws links between them.
    public func jointOrigins(_ q: JointVector, into points: inout [Vec3]) {
        points.removeAll(keepingCapacity: true)
        var t = base
        for i in joints.indices {
            let j = joints[i]
            t = t * j.pre
            points.append(t.translation)
            t = t * j.motion(q[i]) * j.post
        }
        points.append((t * tool).translation)
    }

    /// The tool pose and geometric Jacobian at `q`.
    public func jacobian(_ q: JointVector) -> (tool: Pose, jacobian: Jacobian) {
        var axes = InlineArray<8, Vec3>(repeating: .zero)
        var origins = InlineArray<8, Vec3>(repeating: .zero)
        var t = base
        for i in joints.indices {
            let j = joints[i]
            t = t * j.pre
            axes[i] = t.rotation.c2
            origins[i] = t.translation
            t = t * j.motion(q[i]) * j.post
        }
        let tcp = t * tool
        var jac = Jacobian()
        for i in joints.indices {
            let z = axes[i]
            let (v, w): (Vec3, Vec3) =
                joints[i].kind == .revolute ? (cross(z, tcp.translation - origins[i]), z) : (z, .zero)
            jac.rows[0][i] = v.x; jac.rows[1][i] = v.y; jac.rows[2][i] = v.z
            jac.rows[3][i] = w.x; jac.rows[4][i] = w.y; jac.rows[5][i] = w.z
        }
        return (tcp, jac)
    }
}
