// The safety envelope: what reaches the robot after clipping and limiting.
import Testing
import CotrainSim
@testable import CotrainRuntime

@Suite struct SafetyEnvelopeTests {
    let caps = RobotCapabilities.simulated(.ur5e, config: SimConfig())
    var home: [Float] {
        let e = Embodiment.ur5e
        return (0..<e.dof).map { e.home[$0] } + [1]
    }

    func pass(_ verdict: SafetyVerdict, sourceLocation: SourceLocation = #_sourceLocation) -> [Float] {
        guard case .pass(let a) = verdict else { Issue.record("expected pass, got \(verdict)", sourceLocation: sourceLocation); return [] }
        return a
    }

    @Test func nonFiniteOrMisSizedActionsStop() {
        var envelope = SafetyEnvelope(capabilities: caps)
        for bad: Float in [.nan, .infinity, -.infinity] {
            var action = [Float](repeating: 0, count: 7)
            action[2] = bad
            guard case .stop(let reason) = envelope.check(action, proprio: home) else { Issue.record("\(bad) passed"); continue }
            #expect(reason.contains("component 2"))
        }
        guard case .stop = envelope.check([0, 0, 0], proprio: home) else { Issue.record("short action passed"); return }
        guard case .stop = envelope.check([Float](repeating: 0, count: 7), proprio: [.nan] + home.dropFirst()) else {
            Issue.record("NaN state passed"); return
        }
    }

    @Test func clipsVelocityAndAcceleration() {
        var limits = SafetyLimits(capabilities: caps, rampSteps: 2)
        limits.workspace = nil
        var envelope = SafetyEnvelope(capabilities: caps, limits: limits)
        let bound = limits.maxStep[0]
        #expect(abs(bound - .pi * 0.1) < 1e-6)
        // First step from rest: acceleration allows half the speed bound.
        var a = pass(envelope.check([5, 0, 0, 0, 0, 0, 3], proprio: home))
        #expect(abs(a[0] - bound / 2) < 1e-6 && a[6] == 1)
        a = pass(envelope.check([5, 0, 0, 0, 0, 0, 0], proprio: home))
        #expect(abs(a[0] - bound) < 1e-6)
        // Reversing is limited too.
        a = pass(envelope.check([-5, 0, 0, 0, 0, 0, 0], proprio: home))
        #expect(abs(a[0] - bound / 2) < 1e-6)
        #expect(envelope.adjustments[.clipped, default: 0] >= 3 && envelope.adjustments[.acceleration, default: 0] >= 2)
    }

    @Test func keepsJointsInsideLimits() {
        var limits = SafetyLimits(capabilities: caps, jointMargin: 0.1)
        limits.workspace = nil
        var envelope = SafetyEnvelope(capabilities: caps, limits: limits)
        var state = home
        state[2] = .pi - 0.12  // elbow near its +π limit
        let a = pass(envelope.check([0, 0, 0.3, 0, 0, 0, 0], proprio: state))
        #expect(abs((state[2] + a[2]) - (.pi - 0.1)) < 1e-5)
        #expect(envelope.adjustments[.jointLimit] == 1)
    }

    @Test func refusesMotionsLeavingTheWorkspace() {
        var envelope = SafetyEnvelope(capabilities: caps)
        var limits = envelope.limits
        // Shrink the box to a slab just below the home tool height (0.25 m): lifting is refused.
        limits.workspace?.toolZ = 0.004...0.2505
        envelope = SafetyEnvelope(capabilities: caps, limits: limits)
        // Shoulder lift towards −: raises the tool on the UR5e at home.
        let up = pass(envelope.check([0, -0.05, 0, 0, 0, 0, 1], proprio: home))
        let down = pass(envelope.check([0, 0.05, 0, 0, 0, 0, 1], proprio: home))
        #expect(up.prefix(6).allSatisfy { $0 == 0 } != down.prefix(6).allSatisfy { $0 == 0 })
        #expect(envelope.adjustments[.workspace] == 1)
    }
}
