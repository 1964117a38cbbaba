import Foundation
import Testing
@testable import CotrainTensor

@Suite struct OptimizerTests {
    @Test("AdamW's first step moves each weight by lr·sign(g) plus decoupled decay")
    func firstStep() {
        let w = Parameter(name: "w", shape: Shape(3)), b = Parameter(name: "b", shape: Shape(2), group: Parameter.noDecay)
        w.tensor.copy(from: [1, -2, 3])
        b.tensor.copy(from: [1, 1])
        var config = AdamW.Configuration()
        config.weightDecay = 0.5
        config.maxGradNorm = nil
        let opt = AdamW(parameters: [w, b], configuration: config, threads: 1)
        for (p, g) in [(w, [Float](arrayLiteral: 0.5, -0.1, 2)), (b, [3, -3])] {
            for i in 0..<g.count { p.tensor.grad[i] = g[i] }
            p.tensor.gradValid = true
        }
        opt.step(learningRate: 0.1)
        // m̂ = g, v̂ = g² ⇒ update ≈ sign(g); decay 1 − lr·λ = 0.95 on w only.
        let expectedW: [Float] = [1 * 0.95 - 0.1, -2 * 0.95 + 0.1, 3 * 0.95 - 0.1]
        #expect(zip(w.tensor.values, expectedW).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(b.tensor.values, [0.9, 1.1] as [Float]).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(!w.tensor.gradValid && !b.tensor.gradValid)
    }

    @Test("clipping scales the global norm down to the limit; group multipliers scale lr")
    func clippingAndGroups() {
        let a = Parameter(name: "a", shape: Shape(2), group: "slow"), c = Parameter(name: "c", shape: Shape(1))
        var config = AdamW.Configuration()
        config.maxGradNorm = 1
        config.weightDecay = 0
        config.groups["slow"] = AdamW.Group(learningRateScale: 0.1)
        let opt = AdamW(parameters: [a, c], configuration: config, threads: 1)
        a.tensor.grad[0] = 3; a.tensor.grad[1] = 0; c.tensor.grad[0] = 4
        a.tensor.gradValid = true; c.tensor.gradValid = true
        #expect(abs(opt.gradientNorm() - 5) < 1e-6)
        let report = opt.step(learningRate: 1)
        #expect(abs(report.clipScale - 0.2) < 1e-5)
        #expect(abs(a.tensor[0] + 0.1) < 1e-5 && a.tensor[1] == 0 && abs(c.tensor[0] + 1) < 1e-5)
    }

    @Test("warm-up is linear, the cosine ends at the floor")
    func schedule() {
        let s = CosineSchedule(peak: 1, warmupSteps: 4, totalSteps: 14, finalRatio: 0.1)
        #expect(s.learningRate(at: 0) == 0.25 && s.learningRate(at: 3) == 1)
        #expect(s.learningRate(at: 4) == 1)
        #expect(abs(s.learningRate(at: 9) - 0.55) < 1e-6)
        #expect(abs(s.learningRate(at: 14) - 0.1) < 1e-6 && abs(s.learningRate(at: 100) - 0.1) < 1e-6)
    }
}

@Suite struct RandomTests {
    @Test("the generator is reproducible and seeds differ")
    func reproducible() {
        var a = Xoshiro256(seed: 1), b = Xoshiro256(seed: 1), c = Xoshiro256(seed: 2)
        let xs = (0..<8).map { _ in a.next() }
        #expect(xs == (0..<8).map { _ in b.next() })
        #expect(xs != (0..<8).map { _ in c.next() })
    }

    @Test("uniform, normal and beta samples have the right moments")
    func moments() {
        var rng = Xoshiro256(seed: 3)
        let n = 200_000
        let u = (0..<n).map { _ in Double(rng.nextFloat()) }
        #expect(abs(u.reduce(0, +) / Double(n) - 0.5) < 0.005 && u.allSatisfy { $0 >= 0 && $0 < 1 })
        let z = (0..<n).map { _ in Double(rng.normal()) }
        let mean = z.reduce(0, +) / Double(n)
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.02)
        for (a, b) in [(1.5, 1.0), (0.5, 0.5), (2.0, 5.0)] {
            let x = (0..<50_000).map { _ in Double(rng.beta(a, b)) }
            let m = x.reduce(0, +) / Double(x.count)
            #expect(abs(m - a / (a + b)) < 0.01, "Beta(\(a), \(b)) mean \(m)")
            #expect(x.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
    }
}
