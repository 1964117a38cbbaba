// CotrainSim/Embodiment+UR5e.swift: Universal Robots UR5e with the published standard
// DH parameters and a parallel gripper.

extension Embodiment {
    /// UR5e on the table at the origin. The base is turned by π so that, with the
    /// published DH frames (links extending along −x at zero angles), the arm reaches
    /// over the table (+x) with the shoulder pan near 0.
    public static let ur5e: Embodiment = {
        let d: [Float] = [0.1625, 0, 0, 0.1333, 0.0997, 0.0996]
        let a: [Float] = [0, -0.425, -0.3922, 0, 0, 0]
        let alpha: [Float] = [.pi / 2, 0, 0, .pi / 2, -.pi / 2, 0]
        let names = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3"]
        // UR5e: ±360° on every joint except the elbow (±180°); 180°/s on all joints.
        let limits: [ClosedRange<Float>] = [
            -2 * .pi...2 * .pi, -2 * .pi...2 * .pi, -.pi...(.pi),
            -2 * .pi...2 * .pi, -2 * .pi...2 * .pi, -2 * .pi...2 * .pi,
        ]
        let joints = (0..<6).map {
            Joint.dh(names[$0], d: d[$0], a: a[$0], alpha: alpha[$0], limits: limits[$0], maxVelocity: .pi)
        }
        // The gripper's fingertip centre sits 0.16 m beyond the flange along the tool axis.
        let chain = KinematicChain(base: Pose(rotation: .rotZ(.pi)), joints: joints, tool: .at(0, 0, 0.16))
        return Embodiment(
            kind: .ur5e, chain: chain,
            home: JointVector(UR5eHome.q[0], UR5eHome.q[1], UR5eHome.q[2], UR5eHome.q[3], UR5eHome.q[4], UR5eHome.q[5], 0, 0),
            gripper: .parallel, maxOpening: 0.085, ikSpace: .full, posture: nil,
            actionSpace: .jointDelta, linkRadius: 0.032, linkColour: Vec3(0.62, 0.66, 0.70))
    }()
}

/// Home configuration (found by IK): tool at (0.45, 0, 0.25), pointing down, elbow up.
enum UR5eHome {
    static let q: [Float] = [-0.3006, -1.7005, 1.8912, -1.7615, -1.5708, -1.8713]
}
