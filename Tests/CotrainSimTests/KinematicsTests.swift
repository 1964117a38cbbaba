import Testing
@testable import CotrainSim

@Suite struct KinematicsTests {
    /// Published zero-configuration flange positions check the DH conventions.
    @Test func ur5eFlangeAtZeroMatchesDatasheet() {
        var chain = Embodiment.ur5e.chain
        chain.base = .identity
        chain.tool = .identity
        // Standard DH at q = 0: x = a2 + a3, y = −(d4 + d6), z = d1 − d5.
        expectClose(chain.forward(.zero).translation, Vec3(-0.8172, -0.2329, 0.0628), 1e-4)
    }

    @Test func pandaFlangeAtZeroMatchesDatasheet() {
        var chain = Embodiment.panda.chain
        chain.tool = .at(0, 0, 0.107)
        let flange = chain.forward(.zero)
        expectClose(flange.translation, Vec3(0.088, 0, 0.926), 1e-4)
        expectClose(flange.rotation.c2, Vec3(0, 0, -1), 1e-5)  // flange points down
    }

    @Test(arguments: EmbodimentKind.allCases)
    func homeIsTopDownAboveTheTable(_ kind: EmbodimentKind) {
        let e = Embodiment.make(kind)
        let tool = e.chain.forward(e.home)
        expectClose(tool.rotation.c2, Vec3(0, 0, -1), 1e-3)
        #expect(Workspace().contains(tool: tool.translation))
        #expect(tool.translation.z > 0.2)
    }

    @Test(arguments: EmbodimentKind.allCases)
    func ikReachesTopDownPosesAcrossTheWorkspace(_ kind: EmbodimentKind) {
        let e = Embodiment.make(kind)
        var options = IKOptions(space: e.ikSpace, posture: e.posture)
        options.maxIterations = 200
        let (lo, hi) = e.chain.limits
        var rng = SimRandom(seed: 11)
        for _ in 0..<60 {
            let target = randomTopDownPose(&rng)
            let r = e.chain.solveIK(target: target, from: e.home, options: options)
            #expect(r.converged, "\(kind) did not reach \(target.translation) yaw \(target.yaw)")
            let fk = e.chain.forward(r.q)
            expectClose(fk.translation, target.translation, 1e-3)
            #expect(rotationDistance(fk.rotation, target.rotation) < 5e-3)
            #expect(all(r.q .>= lo) && all(r.q .<= hi))
        }
    }

    /// FK → IK → FK from a perturbed start, over random configurations.
    @Test(arguments: EmbodimentKind.allCases)
    func forwardInverseRoundTrip(_ kind: EmbodimentKind) {
        let e = Embodiment.make(kind)
        var options = IKOptions(space: e.ikSpace)
        options.maxIterations = 300
        let (lo, hi) = e.chain.limits
        var rng = SimRandom(seed: 5)
        var converged = 0
        for _ in 0..<40 {
            var q = e.home, start = e.home
            for i in 0..<e.dof {
                q[i] += rng.uniform(-0.4, 0.4) * (e.chain.joints[i].kind == .prismatic ? 0.3 : 1)
                start[i] = q[i] + rng.uniform(-0.15, 0.15) * (e.chain.joints[i].kind == .prismatic ? 0.3 : 1)
            }
            q = q.clamped(lowerBound: lo, upperBound: hi)
            let target = e.chain.forward(q)
            let r = e.chain.solveIK(target: target, from: start, options: options)
            if r.converged {
                converged += 1
                expectClose(e.chain.forward(r.q).translation, target.translation, 1e-3)
            }
        }
        #expect(converged >= 38, "\(kind): \(converged)/40 round trips converged")
    }

    @Test(arguments: EmbodimentKind.allCases)
    func jacobianMatchesFiniteDifferences(_ kind: EmbodimentKind) {
        let e = Embodiment.make(kind)
        var q = e.home
        for i in 0..<e.dof { q[i] += 0.05 * Float(i + 1) * (e.chain.joints[i].kind == .prismatic ? 0.1 : 1) }
        let (tool, jac) = e.chain.jacobian(q)
        let h: Float = 1e-3
        for i in 0..<e.dof {
            var qp = q, qm = q
            qp[i] += h; qm[i] -= h
            let tp = e.chain.forward(qp), tm = e.chain.forward(qm)
            let v = (tp.translation - tm.translation) / (2 * h)
            let w = (tp.rotation * tm.rotation.transposed).rotationVector / (2 * h)
            expectClose(Vec3(jac.rows[0][i], jac.rows[1][i], jac.rows[2][i]), v, 2e-3, "linear column \(i)")
            expectClose(Vec3(jac.rows[3][i], jac.rows[4][i], jac.rows[5][i]), w, 2e-3, "angular column \(i)")
        }
        _ = tool
    }

    @Test func pandaNullSpaceKeepsThePostureCloser() {
        let e = Embodiment.panda
        var free = IKOptions(space: .full)
        free.maxIterations = 200
        var rng = SimRandom(seed: 3)
        var closer = 0
        for _ in 0..<20 {
            let target = randomTopDownPose(&rng)
            let withPosture = e.chain.solveIK(
                target: target, from: e.home, options: { var o = free; o.posture = e.home; return o }())
            let without = e.chain.solveIK(target: target, from: e.home, options: free)
            #expect(withPosture.converged)
            let d1 = ((withPosture.q - e.home) * (withPosture.q - e.home)).sum(), d2 = ((without.q - e.home) * (without.q - e.home)).sum()
            if d1 <= d2 + 1e-3 { closer += 1 }
        }
        #expect(closer >= 18)
    }

    @Test func actionAndProprioDefinitionsDiffer() {
        let dims = EmbodimentKind.allCases.map { Embodiment.make($0).action.dimension }
        #expect(dims == [7, 8, 5, 5, 7])
        for kind in EmbodimentKind.allCases {
            let e = Embodiment.make(kind)
            #expect(e.proprioNames.count == e.dof + 1)
            #expect(zip(e.action.lower, e.action.upper).allSatisfy { $0 < 0 && $1 > 0 && $0 == -$1 })
        }
        #expect(Embodiment.gantry.action.space == .endEffectorDelta)
        #expect(Embodiment.hand.action.space == .endEffectorDelta)
        #expect(Embodiment.ur5e.action.space == .jointDelta)
        #expect(Embodiment.scara.action.names.last == "suction")
    }
}
