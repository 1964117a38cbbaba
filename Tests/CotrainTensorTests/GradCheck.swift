import Testing
@testable import CotrainTensor

/// Finite-difference gradient checking for tape ops.
///
/// The scalar checked is L = Σ wᵢ·outᵢ with fixed random weights w (so no gradient
/// cancels by symmetry), accumulated in Double. Analytic gradients come from seeding the
/// output gradient with w; numeric ones from central differences of L in each input.
enum GradCheck {
    /// Checks d L / d input for every `input` (up to `samples` elements each).
    static func check(
        _ inputs: [Tensor], eps: Float = 1e-2, tolerance: Double = 2e-3, samples: Int = 48,
        threads: Int = 2, sourceLocation: SourceLocation = #_sourceLocation,
        _ f: (Tape) -> Tensor
    ) {
        for t in inputs { t.requiresGrad = true; t.zeroGrad() }
        let tape = Tape(threads: threads)
        let out = f(tape)
        var rng = Xoshiro256(seed: 99)
        let weights = (0..<out.count).map { _ in Double(rng.uniform(-1, 1)) }
        tape.backward(from: out) { g in for i in 0..<out.count { g[i] = Float(weights[i]) } }
        let analytic = inputs.map { $0.gradient }

        let probe = Tape(threads: threads)
        probe.isRecording = false
        func loss() -> Double {
            probe.reset()
            let y = f(probe)
            var s = 0.0
            for i in 0..<y.count { s += weights[i] * Double(y[i]) }
            return s
        }
        for (which, t) in inputs.enumerated() {
            let stride = max(1, t.count / samples)
            var worst = 0.0, scale = 1e-3
            var numeric: [(Int, Double)] = []
            for i in Swift.stride(from: 0, to: t.count, by: stride) {
                let saved = t[i]
                t[i] = saved + eps
                let up = loss()
                t[i] = saved - eps
                let down = loss()
                t[i] = saved
                let d = (up - down) / (2 * Double(eps))
                numeric.append((i, d))
                scale = max(scale, abs(d), abs(Double(analytic[which][i])))
            }
            for (i, d) in numeric { worst = max(worst, abs(d - Double(analytic[which][i]))) }
            #expect(worst / scale < tolerance,
                    "input \(which) \(t.shape): max |analytic − numeric| = \(worst) at gradient scale \(scale)",
                    sourceLocation: sourceLocation)
        }
        for t in inputs { t.requiresGrad = false }
    }

    /// A tensor of uniform values in `[low, high)`.
    static func random(_ shape: Shape, seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
        var rng = Xoshiro256(seed: seed)
        let t = Tensor(zeros: shape)
        rng.fillUniform(t, low, high)
        return t
    }
}
