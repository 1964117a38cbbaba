// CotrainSim/Embodiment+Cartesian.swift: the SCARA, the gantry and the floating hand —
// embodiments defined here rather than from a datasheet.

extension Embodiment {
    /// SCARA: column 0.45 m high at the origin, links of 0.40 and 0.35 m, a quill sliding
    /// down (prismatic) and a wrist yaw, with a suction cup at the tip.
    public static let scara: Embodiment = {
        let joints = [
            Joint("scara_j1", pre: .at(0, 0, 0.45), post: .at(0.40, 0, 0), limits: -2.6...2.6, maxVelocity: 3),
            Joint("scara_j2", post: .at(0.35, 0, 0), limits: -2.6...2.6, maxVelocity: 3),
            // The quill frame is flipped so the slide (and the tool axis) points down.
            Joint("scara_z", .prismatic, pre: Pose(rotation: .rotX(.pi)), limits: 0...0.445, maxVelocity: 1),
            Joint("scara_yaw", limits: -.pi...(.pi), maxVelocity: 4),
        ]
        let chain = KinematicChain(base: .identity, joints: joints, tool: .identity)
        return Embodiment(
            kind: .scara, chain: chain, home: JointVector(-0.8413, 1.8600, 0.2, 1.0187, 0, 0, 0, 0),
            gripper: .suction, maxOpening: 0.012, ikSpace: .positionYaw, posture: nil,
            actionSpace: .jointDelta, linkRadius: 0.035, linkColour: Vec3(0.95, 0.6, 0.15))
    }()

    /// Overhead Cartesian gantry: joints are the tool x, y, z and yaw, so its joint-delta
    /// actions are end-effector deltas.
    public static let gantry: Embodiment = {
        let joints = cartesianXYZ(prefix: "gantry", z: 0.005...0.55, speed: 0.6) + [
            Joint("gantry_yaw", post: Pose(rotation: .rotX(.pi)), limits: -.pi...(.pi), maxVelocity: 3)
        ]
        let chain = KinematicChain(base: .identity, joints: joints, tool: .identity)
        return Embodiment(
            kind: .gantry, chain: chain, home: JointVector(0.45, 0, 0.25, 0, 0, 0, 0, 0),
            gripper: .parallel, maxOpening: 0.09, ikSpace: .positionYaw, posture: nil,
            actionSpace: .endEffectorDelta, linkRadius: 0.03, linkColour: Vec3(0.35, 0.38, 0.42))
    }()

    /// A floating human hand: position plus yaw, pitch and roll (Z-Y-X), palm facing down
    /// at zero angles. Its "joints" are end-effector coordinates.
    public static let hand: Embodiment = {
        let joints = cartesianXYZ(prefix: "hand", z: 0.005...0.6, speed: 0.8) + [
            Joint("hand_yaw", limits: -.pi...(.pi), maxVelocity: 3),
            Joint("hand_pitch", pre: Pose(rotation: .rotX(-.pi / 2)), post: Pose(rotation: .rotX(.pi / 2)),
                  limits: -0.8...0.8, maxVelocity: 3),
            Joint("hand_roll", pre: Pose(rotation: .rotY(.pi / 2)), post: Pose(rotation: .rotY(-.pi / 2)),
                  limits: -0.8...0.8, maxVelocity: 3),
        ]
        let chain = KinematicChain(base: .identity, joints: joints, tool: Pose(rotation: .rotX(.pi)))
        return Embodiment(
            kind: .hand, chain: chain, home: JointVector(0.45, 0, 0.25, 0, 0, 0, 0, 0),
            gripper: .hand, maxOpening: 0.11, ikSpace: .full, posture: nil,
            actionSpace: .endEffectorDelta, linkRadius: 0.03, linkColour: Vec3(0.87, 0.68, 0.55))
    }()

    /// Three prismatic joints along world x, y, z (pre/post turn the joint z axis onto
    /// each world axis and back).
    static func cartesianXYZ(prefix: String, z: ClosedRange<Float>, speed: Float) -> [Joint] {
        [
            Joint("\(prefix)_x", .prismatic, pre: Pose(rotation: .rotY(.pi / 2)), post: Pose(rotation: .rotY(-.pi / 2)),
                  limits: 0.05...0.85, maxVelocity: speed),
            Joint("\(prefix)_y", .prismatic, pre: Pose(rotation: .rotX(-.pi / 2)), post: Pose(rotation: .rotX(.pi / 2)),
                  limits: -0.45...0.45, maxVelocity: speed),
            Joint("\(prefix)_z", .prismatic, limits: z, maxVelocity: speed),
        ]
    }
}
