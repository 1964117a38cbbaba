// CotrainSim/Embodiment+Panda.swift: Franka Emika Panda with the published modified
// (Craig) DH parameters, joint limits and speed limits, and its parallel gripper.

extension Embodiment {
    /// Panda on the table at the origin, facing +x. Seven joints for a six-dimensional
    /// task: IK uses the null space to keep the arm near `posture`.
    public static let panda: Embodiment = {
        // (a, d, alpha) per joint, modified DH.
        let params: [(Float, Float, Float)] = [
            (0, 0.333, 0), (0, 0, -.pi / 2), (0, 0.316, .pi / 2), (0.0825, 0, .pi / 2),
            (-0.0825, 0.384, -.pi / 2), (0, 0, .pi / 2), (0.088, 0, .pi / 2),
        ]
        let limits: [ClosedRange<Float>] = [
            -2.8973...2.8973, -1.7628...1.7628, -2.8973...2.8973, -3.0718...(-0.0698),
            -2.8973...2.8973, -0.0175...3.7525, -2.8973...2.8973,
        ]
        let speeds: [Float] = [2.175, 2.175, 2.175, 2.175, 2.61, 2.61, 2.61]
        let joints = (0..<7).map {
            Joint.modifiedDH(
                "panda_joint\($0 + 1)", a: params[$0].0, d: params[$0].1, alpha: params[$0].2,
                limits: limits[$0], maxVelocity: speeds[$0])
        }
        // Flange 0.107 m along z7; the hand is mounted turned by −π/4 and its fingertip
        // centre is 0.1034 m further along the tool axis.
        let tool = Pose.at(0, 0, 0.107) * Pose(rotation: .rotZ(-.pi / 4)) * Pose.at(0, 0, 0.1034)
        let chain = KinematicChain(base: .identity, joints: joints, tool: tool)
        let home = JointVector(PandaHome.q[0], PandaHome.q[1], PandaHome.q[2], PandaHome.q[3], PandaHome.q[4], PandaHome.q[5], PandaHome.q[6], 0)
        return Embodiment(
            kind: .panda, chain: chain, home: home, gripper: .parallel, maxOpening: 0.08,
            ikSpace: .full, posture: home, actionSpace: .jointDelta, linkRadius: 0.04,
            linkColour: Vec3(0.9, 0.9, 0.92))
    }()
}

/// Home configuration (found by IK): tool at (0.45, 0, 0.25), pointing down.
enum PandaHome {
    static let q: [Float] = [0, -0.1851, 0, -2.4968, 0, 2.3117, .pi / 4]
}
