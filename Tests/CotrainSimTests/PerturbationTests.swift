import Testing

@testable import CotrainSim

/// DART noise in recorded demonstrations (`ScriptedExpert.record(…, perturbation:)`).
@Suite struct PerturbationTests {
    static let config = SimConfig(renderImages: false)

    static func episode(_ seed: UInt64, _ perturbation: Float, family: TaskFamily = .pick) -> Episode {
        var env = SimEnvironment(embodiment: .ur5e, config: config)
        return ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: seed, perturbation: perturbation)
    }

    @Test("perturbed demonstrations are deterministic, leave the clean path, and still succeed at a small noise level")
    func perturbedButSuccessful() {
        for seed in UInt64(1)...6 {
            let clean = Self.episode(seed, 0), noisy = Self.episode(seed, 0.02)
            #expect(noisy == Self.episode(seed, 0.02))
            #expect(noisy.proprio != clean.proprio, "seed \(seed): the noise moved the arm")
            #expect(noisy.success, "seed \(seed): the expert recovers from noise of 2 % of the step bound")
        }
    }

    @Test("the noise goes into what is executed; the recorded actions are the expert's commands, within bounds")
    func recordsTheCleanCommand() {
        let e = Self.episode(3, 0.02), clean = Self.episode(3, 0)
        let n = e.actionDimension, dof = n - 1
        let bounds = SimEnvironment(embodiment: .ur5e, config: Self.config).actionBounds
        var differs = 0
        for t in 0..<(e.steps - 1) {
            for k in 0..<dof {
                let recorded = e.actions[t * n + k], moved = e.proprio[(t + 1) * n + k] - e.proprio[t * n + k]
                #expect(abs(recorded) <= bounds[k] + 1e-6)
                if abs(recorded - moved) > 1e-4 { differs += 1 }
            }
        }
        #expect(differs > e.steps)  // most joint commands were executed with noise
        // Without noise the arm moves exactly as recorded.
        for t in 0..<(clean.steps - 1) {
            for k in 0..<dof {
                #expect(abs(clean.actions[t * n + k] - (clean.proprio[(t + 1) * n + k] - clean.proprio[t * n + k])) < 1e-4)
            }
        }
    }
}
