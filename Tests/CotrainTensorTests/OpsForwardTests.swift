import Foundation
import Testing
@testable import CotrainTensor

/// Fast forward kernels against the naive references, and the semantics of masks.
@Suite struct OpsForwardTests {
    func r(_ shape: Shape, _ seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
        GradCheck.random(shape, seed: seed, low, high)
    }

    static func maxError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
    }

    @Test("attention equals the reference", arguments: [
        (1, 1, 1, 4, 1), (2, 7, 7, 16, 2), (3, 13, 21, 64, 4), (2, 80, 80, 128, 4), (1, 33, 5, 48, 3),
    ])
    func attention(_ shape: (Int, Int, Int, Int, Int)) {
        let (batch, tq, tk, c, heads) = shape
        let q = r(Shape(batch, tq, c), 40, -2, 2), k = r(Shape(batch, tk, c), 41, -2, 2), v = r(Shape(batch, tk, c), 42, -1, 1)
        var rng = Xoshiro256(seed: 43)
        let keyMask = Tensor(shape: Shape(batch, tk), values: (0..<(batch * tk)).map { _ in rng.nextFloat() < 0.3 ? 0 : 1 })
        let additive = r(Shape(batch, tq, tk), 44, -1, 1)
        for (causal, useKeys, useAdd) in [(false, false, false), (true, false, false), (false, true, false), (true, true, true)] {
            let tape = Tape(threads: 2)
            let mask = AttentionMask(causal: causal, keyMask: useKeys ? keyMask : nil, additive: useAdd ? additive : nil)
            let out = tape.attention(q: q, k: k, v: v, heads: heads, mask: mask)
            let ref = Reference.attention(
                q: q.values, k: k.values, v: v.values, batch: batch, tq: tq, tk: tk, c: c, heads: heads,
                causal: causal, keyMask: useKeys ? keyMask.values : nil, additive: useAdd ? additive.values : nil)
            #expect(Self.maxError(out.values, ref) < 2e-5, "causal \(causal) keys \(useKeys) additive \(useAdd)")
        }
    }

    @Test("a masked key cannot influence the output; a fully masked query row is zero")
    func maskedKeysAreInvisible() {
        let (q, k, v) = (r(Shape(1, 3, 8), 45), r(Shape(1, 4, 8), 46), r(Shape(1, 4, 8), 47))
        let keyMask = Tensor(shape: Shape(1, 4), values: [1, 0, 1, 1])
        let tape = Tape(threads: 1)
        let before = tape.attention(q: q, k: k, v: v, heads: 2, mask: AttentionMask(keyMask: keyMask)).values
        for i in 8..<16 { k[i] = 100; v[i] = -100 }  // key 1 is masked
        tape.reset()
        let after = tape.attention(q: q, k: k, v: v, heads: 2, mask: AttentionMask(keyMask: keyMask)).values
        #expect(before == after)
        tape.reset()
        let blocked = Tensor(zeros: Shape(3, 4))
        for j in 0..<4 { blocked[j] = -.infinity }  // query 0 sees nothing
        let out = tape.attention(q: q, k: k, v: v, heads: 2, mask: AttentionMask(additive: blocked)).values
        #expect(out[0..<8].allSatisfy { $0 == 0 } && out[8..<24].contains { $0 != 0 })
    }

    @Test func layerNormAndSoftmax() {
        let (x, g, b) = (r(Shape(9, 35), 48, -3, 3), r(Shape(35), 49), r(Shape(35), 50))
        let tape = Tape(threads: 2)
        let y = tape.layerNorm(x, gamma: g, beta: b)
        #expect(Self.maxError(y.values, Reference.layerNorm(x.values, gamma: g.values, beta: b.values, c: 35)) < 1e-5)
        let s = tape.softmax(x).values
        for row in 0..<9 {
            let xs = x.values[(row * 35)..<(row * 35 + 35)].map(Double.init)
            let z = xs.map { Foundation.exp($0) }.reduce(0, +)
            for i in 0..<35 { #expect(abs(Double(s[row * 35 + i]) - Foundation.exp(xs[i]) / z) < 1e-6) }
        }
    }

    @Test("exp and GELU match libm over a wide range")
    func transcendentals() {
        var worst: Float = 0
        for i in -2000...2000 {
            let x = Float(i) * 0.04
            let e = expScalar(x)
            worst = max(worst, abs(e - Foundation.exp(x)) / Foundation.exp(x))
        }
        #expect(worst < 5e-7)
        let xs = r(Shape(1001), 51, -8, 8)
        let tape = Tape(threads: 1)
        let y = tape.gelu(xs).values
        #expect(Self.maxError(y, xs.values.map(Reference.gelu)) < 1e-6)
        // Clamped, never inf or NaN: masked scores rely on this.
        #expect(expScalar(-1000) > 0 && expScalar(-1000) < 1e-37)
        #expect(expScalar(1000).isFinite && expScalar(1000) > 1e38)
    }

    @Test("cross-entropy with weights, ignored targets and an all-masked batch")
    func crossEntropy() {
        let logits = r(Shape(5, 9), 52, -4, 4)
        let targets = IndexTensor([1, 8, -1, 0, 4])
        let weights = Tensor(shape: Shape(5), values: [1, 2, 5, 0, 0.5])
        let tape = Tape(threads: 2)
        let loss = tape.crossEntropy(logits, targets: targets, weights: weights)[0]
        let ref = Reference.crossEntropy(logits.values, targets: targets.values, weights: weights.values, v: 9)
        #expect(abs(Double(loss) - ref) < 1e-5)
        let none = Tensor(zeros: Shape(5))
        #expect(tape.crossEntropy(logits, targets: targets, weights: none)[0] == 0)
    }

    @Test("L1 and MSE average over weighted elements")
    func regression() {
        let pred = Tensor(shape: Shape(2, 2), values: [1, 2, 3, 4])
        let target = Tensor(shape: Shape(2, 2), values: [0, 0, 0, 0])
        let rows = Tensor(shape: Shape(2), values: [1, 0])
        let tape = Tape(threads: 1)
        #expect(tape.l1Loss(pred, target: target)[0] == 2.5)
        #expect(tape.mseLoss(pred, target: target)[0] == 7.5)
        #expect(tape.l1Loss(pred, target: target, weights: rows)[0] == 1.5)
        #expect(tape.mseLoss(pred, target: target, weights: rows)[0] == 2.5)
        let elements = Tensor(shape: Shape(2, 2), values: [0, 0, 0, 1])
        #expect(tape.mseLoss(pred, target: target, weights: elements)[0] == 16)
    }

    @Test func tokenOpsAndBroadcast() {
        let a = Tensor(shape: Shape(2, 1, 2), values: [1, 2, 3, 4]), b = Tensor(shape: Shape(2, 2, 2), values: [5, 6, 7, 8, 9, 10, 11, 12])
        let tape = Tape(threads: 1)
        let cat = tape.concatTokens(a, b)
        #expect(cat.shape == Shape(2, 3, 2) && cat.values == [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
        #expect(tape.sliceTokens(cat, start: 1, count: 1).values == [5, 6, 9, 10])
        #expect(tape.meanTokens(b).values == [6, 7, 10, 11])
        let bias = Tensor(shape: Shape(2), values: [100, 200])
        #expect(tape.broadcastAdd(b, bias, repeats: 4).values == [105, 206, 107, 208, 109, 210, 111, 212])
        #expect(tape.broadcastAdd(b, a, outer: 2, repeats: 2).values == [6, 8, 8, 10, 12, 14, 14, 16])
        let table = Tensor(shape: Shape(3, 2), values: [0, 1, 2, 3, 4, 5])
        #expect(tape.embedding(table, indices: IndexTensor([2, 0, 2])).values == [4, 5, 0, 1, 4, 5])
    }
}
