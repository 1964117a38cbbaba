// CotrainSim/Embodiment.swift: what makes robots differ — kinematics, limits, gripper,
// and the shape and meaning of their action and proprioception vectors.

/// The robots (and the human hand) the simulator provides.
public enum EmbodimentKind: String, CaseIterable, Sendable, Codable {
    /// Universal Robots UR5e: 6-DoF arm, parallel gripper, joint-delta actions.
    case ur5e
    /// Franka Emika Panda: 7-DoF redundant arm, parallel gripper, joint-delta actions.
    case panda
    /// 4-DoF SCARA (two revolute, prismatic z, wrist yaw) with a suction cup.
    case scara
    /// Cartesian gantry: XYZ + yaw and a parallel gripper, end-effector-delta actions.
    case gantry
    /// A floating human hand (6-DoF pose + grasp) for "human video" demonstrations.
    case hand
}

/// How an embodiment holds objects.
public enum GripperKind: Sendable, Equatable {
    /// Two fingers closing along the tool y axis; grasps objects narrower than the opening.
    case parallel
    /// A suction cup at the tool centre point; holds flat tops it touches.
    case suction
    /// Thumb and fingers; more forgiving than a gripper, no yaw alignment needed.
    case hand
}

/// What an action vector means.
public struct ActionSpec: Sendable, Equatable {
    /// Whether the leading components are joint deltas or end-effector deltas.
    public enum Space: String, Sendable, Codable { case jointDelta, endEffectorDelta }

    /// Joint or end-effector deltas.
    public var space: Space
    /// One name per component, e.g. "shoulder_pan.delta", "gripper".
    public var names: [String]
    /// Bounds per component; `SimEnvironment.step` clamps to them.
    public var lower: [Float]
    public var upper: [Float]

    /// Number of components (joints + 1 gripper command).
    public var dimension: Int { names.count }
}

/// A simulated embodiment: kinematic chain, limits, gripper and interface definitions.
public struct Embodiment: Sendable {
    /// Which embodiment this is.
    public var kind: EmbodimentKind
    /// Base placement, joints and tool offset.
    public var chain: KinematicChain
    /// Start configuration: tool above the workspace, pointing down.
    public var home: JointVector
    /// How the embodiment holds objects.
    public var gripper: GripperKind
    /// Finger opening when fully open (m); for suction, the cup radius.
    public var maxOpening: Float
    /// Task rows IK controls for this embodiment.
    public var ikSpace: IKTaskSpace
    /// Rest posture for the null space of redundant arms.
    public var posture: JointVector?
    /// What the leading action components mean.
    public var actionSpace: ActionSpec.Space
    /// Render thickness of links (m) and their albedo.
    public var linkRadius: Float
    public var linkColour: Vec3
    /// Control period: one action is one step of this many seconds (10 Hz).
    public var controlPeriod: Float = 0.1

    /// Number of joints (the action and proprio vectors add one gripper component).
    public var dof: Int { chain.dof }

    /// The action vector: a bounded delta per joint (at most `maxVelocity · dt`) followed
    /// by a gripper command in [−1, 1], where > 0 means close (or suction on).
    public var action: ActionSpec {
        var names: [String] = [], lo: [Float] = [], hi: [Float] = []
        for j in chain.joints {
            names.append("\(j.name).delta")
            lo.append(-j.maxVelocity * controlPeriod); hi.append(j.maxVelocity * controlPeriod)
        }
        names.append(gripper == .suction ? "suction" : "gripper")
        lo.append(-1); hi.append(1)
        return ActionSpec(space: actionSpace, names: names, lower: lo, upper: hi)
    }

    /// Names of the proprioception vector: joint positions, then the gripper state
    /// (opening fraction in [0, 1], or 1 when the suction is on).
    public var proprioNames: [String] {
        chain.joints.map { "\($0.name).position" } + [gripper == .suction ? "suction" : "gripper.opening"]
    }

    /// The embodiment of a given kind, placed on the table.
    public static func make(_ kind: EmbodimentKind) -> Embodiment {
        switch kind {
        case .ur5e: .ur5e
        case .panda: .panda
        case .scara: .scara
        case .gantry: .gantry
        case .hand: .hand
        }
    }

    /// Radius of the pusher (closed fingers, suction quill, fist) for push contacts.
    public var pusherRadius: Float {
        switch gripper {
        case .parallel: 0.012
        case .suction: 0.012
        case .hand: 0.022
        }
    }

    /// Joint vector with every lane set to `value` for the joints of this chain (rest 0).
    func fill(_ value: Float) -> JointVector {
        var v = JointVector.zero
        for i in 0..<dof { v[i] = value }
        return v
    }
}
