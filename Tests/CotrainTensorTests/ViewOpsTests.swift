import Testing
@testable import CotrainTensor

/// `reshape`, attention over a fused key/value tensor, and AdamW state export/restore
/// (added for CotrainPolicy).
@Suite struct ViewOpsTests {
    @Test("reshape copies values and passes gradients through")
    func reshapeGradient() {
        let x = GradCheck.random(Shape(2, 3, 4), seed: 1)
        GradCheck.check([x]) { tape in tape.gelu(tape.reshape(x, Shape(6, 4))) }
        let tape = Tape(threads: 1)
        #expect(tape.reshape(x, Shape(24)).values == x.values)
    }

    @Test("attention(q:kv:) equals attention(q:k:v:) with split keys and values, gradients included")
    func fusedKeyValue() {
        let (b, tq, tk, c) = (2, 3, 5, 8)
        let q = GradCheck.random(Shape(b, tq, c), seed: 2), kv = GradCheck.random(Shape(b, tk, 2 * c), seed: 3)
        let keyMask = Tensor(shape: Shape(b, tk), values: [1, 1, 0, 1, 1, 1, 1, 1, 1, 0])
        let k = Tensor(zeros: Shape(b, tk, c)), v = Tensor(zeros: Shape(b, tk, c))
        for row in 0..<(b * tk) {
            for j in 0..<c {
                k[row * c + j] = kv[row * 2 * c + j]
                v[row * c + j] = kv[row * 2 * c + c + j]
            }
        }
        let tape = Tape(threads: 2)
        let fused = tape.attention(q: q, kv: kv, heads: 2, mask: AttentionMask(keyMask: keyMask)).values
        let split = tape.attention(q: q, k: k, v: v, heads: 2, mask: AttentionMask(keyMask: keyMask)).values
        #expect(fused == split)
        GradCheck.check([q, kv]) { tape in tape.attention(q: q, kv: kv, heads: 2, mask: AttentionMask(keyMask: keyMask)) }
    }

    @Test("restoring AdamW's moments and step continues bit-identically")
    func adamRestore() {
        func makeParameter() -> Parameter {
            let p = Parameter(name: "w", shape: Shape(5))
            p.tensor.copy(from: [0.1, -0.2, 0.3, 0.4, -0.5])
            return p
        }
        func step(_ opt: AdamW, _ p: Parameter, _ k: Int) {
            for i in 0..<5 { p.tensor.grad[i] = Float(i + k) * 0.1 - 0.2 }
            p.tensor.gradValid = true
            opt.step(learningRate: 0.01)
        }
        let a = makeParameter(), optA = AdamW(parameters: [a], threads: 1)
        for k in 0..<4 { step(optA, a, k) }
        let b = makeParameter(), optB = AdamW(parameters: [b], threads: 1)
        for k in 0..<2 { step(optB, b, k) }
        let c = makeParameter(), optC = AdamW(parameters: [c], threads: 1)
        c.tensor.copy(from: b.tensor.values)
        optC.restore(stepCount: optB.stepCount, moments: [optB.moments(of: 0)])
        for k in 2..<4 { step(optC, c, k) }
        #expect(c.tensor.values == a.tensor.values)
        #expect(optC.stepCount == 4)
    }
}
