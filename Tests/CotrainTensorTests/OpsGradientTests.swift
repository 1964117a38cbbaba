import Testing
import Foundation
@testable import CotrainTensor

/// Every op's backward pass against central differences.
@Suite struct OpsGradientTests {
    func r(_ shape: Shape, _ seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
        GradCheck.random(shape, seed: seed, low, high)
    }

    @Test func linearWithBias() {
        let (x, w, b) = (r(Shape(2, 5, 7), 1, -1, 1), r(Shape(9, 7), 2, -1, 1), r(Shape(9), 3, -1, 1))
        GradCheck.check([x, w, b]) { $0.linear(x, weight: w, bias: b) }
        GradCheck.check([x, w]) { $0.linear(x, weight: w) }
    }

    @Test func linearLarge() {
        // Big enough for the threaded, packed GEMM path with edges in every variant.
        let (x, w, b) = (r(Shape(67, 130), 4, -1, 1), r(Shape(45, 130), 5, -1, 1), r(Shape(45), 6, -1, 1))
        GradCheck.check([x, w, b], samples: 24) { $0.linear(x, weight: w, bias: b) }
    }

    @Test func elementwise() {
        let (a, b) = (r(Shape(3, 17), 7, -1, 1), r(Shape(3, 17), 8, -1, 1))
        GradCheck.check([a, b]) { $0.add(a, b) }
        GradCheck.check([a, b]) { $0.mul(a, b) }
        GradCheck.check([a]) { $0.scale(a, -2.5) }
        GradCheck.check([a]) { $0.mul(a, a) }  // the same tensor on both sides
    }

    @Test func broadcastAdd() {
        let a = r(Shape(2, 3, 5), 9, -1, 1)
        let bias = r(Shape(5), 10, -1, 1), table = r(Shape(3, 5), 11, -1, 1), perSample = r(Shape(2, 5), 12, -1, 1)
        GradCheck.check([a, bias]) { $0.broadcastAdd(a, bias, repeats: 6) }
        GradCheck.check([a, table]) { $0.broadcastAdd(a, table, repeats: 2) }
        GradCheck.check([a, perSample]) { $0.broadcastAdd(a, perSample, outer: 2, repeats: 3) }
    }

    @Test func gelu() {
        let x = r(Shape(37), 13, -4, 4)
        GradCheck.check([x], eps: 1e-3) { $0.gelu(x) }
    }

    @Test func norms() {
        let (x, g, b) = (r(Shape(4, 19), 14, -2, 2), r(Shape(19), 15, 0.5, 1.5), r(Shape(19), 16, -1, 1))
        GradCheck.check([x, g, b], eps: 1e-3) { $0.layerNorm(x, gamma: g, beta: b) }
        GradCheck.check([x, g], eps: 1e-3) { $0.rmsNorm(x, weight: g) }
    }

    @Test func softmax() {
        let x = r(Shape(3, 11), 17, -3, 3)
        GradCheck.check([x], eps: 1e-3) { $0.softmax(x) }
    }

    /// 3 channels: a partial 16-lane block; 19: a full block and a partial one.
    @Test(arguments: [3, 19])
    func spatialSoftmax(_ k: Int) {
        let (b, n) = (2, 13)
        let x = r(Shape(b, n, k), 18, -1, 1), beta = r(Shape(k), 19, 0.5, 3)
        let coordinates = r(Shape(n, 2), 23, -1, 1)
        GradCheck.check([x, beta], eps: 1e-3) { $0.spatialSoftmax(x, coordinates: coordinates, beta: beta) }
    }

    @Test("spatial soft-argmax finds a peak and averages ties")
    func spatialSoftmaxValues() {
        // Channel 0 fires at position 2 only; channel 1 is flat (mean of all coordinates).
        let coordinates = Tensor(shape: Shape(4, 2), values: [-1, -1, 1, -1, -1, 1, 1, 1])
        let x = Tensor(shape: Shape(1, 4, 2), values: [0, 0, 0, 0, 50, 0, 0, 0])
        let beta = Tensor(shape: Shape(2), values: [1, 1])
        let out = Tape(threads: 1).spatialSoftmax(x, coordinates: coordinates, beta: beta).values
        #expect(abs(out[0] - -1) < 1e-4 && abs(out[1] - 1) < 1e-4)
        #expect(abs(out[2]) < 1e-6 && abs(out[3]) < 1e-6)
    }

    @Test func pointer() {
        let (rows, n, k, m) = (3, 11, 4, 2)
        let x = r(Shape(rows, n, k), 24, -1, 1), q = r(Shape(rows, 1, m * k), 25, -1, 1)
        let coordinates = r(Shape(n, 2), 26, -1, 1)
        GradCheck.check([x, q], eps: 1e-3) { $0.pointer(x, queries: q, coordinates: coordinates, gain: 2) }
        // With a coarse map shared by every 4 positions (12 positions, 3 cells).
        let x12 = r(Shape(rows, 12, k), 27, -1, 1), y = r(Shape(rows, 3, 5), 28, -1, 1), qy = r(Shape(rows, 1, m * 5), 29, -1, 1)
        let coordinates12 = r(Shape(12, 2), 30, -1, 1)
        GradCheck.check([x12, q, y, qy], eps: 1e-3) {
            $0.pointer(x12, queries: q, coarse: y, coarseQueries: qy, coordinates: coordinates12, gain: 2)
        }
    }

    /// The log-mass output alone (no gradient into the points) and beside the points;
    /// one pointer unlabelled (radius 0).
    @Test func pointerLogMass() {
        let (rows, n, k, m) = (3, 12, 4, 2)
        let x = r(Shape(rows, n, k), 24, -1, 1), q = r(Shape(rows, 1, m * k), 25, -1, 1)
        let y = r(Shape(rows, 3, 5), 28, -1, 1), qy = r(Shape(rows, 1, m * 5), 29, -1, 1)
        let coordinates = r(Shape(n, 2), 26, -1, 1)
        var labels: [Float] = []
        // Row 3 unlabelled, row 4 the complement of its disc (a negative radius).
        for item in 0..<(rows * m) { labels += [coordinates[2 * item], coordinates[2 * item + 1], item == 3 ? 0 : item == 4 ? -0.9 : 0.9] }
        let targets = Tensor(shape: Shape(rows * m, 3), values: labels)
        GradCheck.check([x, q, y, qy], eps: 1e-3) {
            $0.pointer(x, queries: q, coarse: y, coarseQueries: qy, coordinates: coordinates, gain: 2, targets: targets).logMass!
        }
        GradCheck.check([x, q], eps: 1e-3) { tape in
            let (points, mass) = tape.pointer(x, queries: q, coordinates: coordinates, gain: 2, targets: targets)
            return tape.add(tape.sum(points), tape.scale(tape.sum(mass!), 0.7))
        }
    }

    /// Pointer 0 inhibited around pointer 1's point, with and without the coarse map and
    /// the log-mass. The radius is set between positions' distances to pointer 1's point,
    /// so the small steps of the check move no position across the disc's edge.
    @Test func pointerInhibition() {
        let (rows, n, k, m) = (3, 12, 4, 2)
        let x = r(Shape(rows, n, k), 34, -1, 1), q = r(Shape(rows, 1, m * k), 35, -1, 1)
        let y = r(Shape(rows, 3, 5), 36, -1, 1), qy = r(Shape(rows, 1, m * 5), 37, -1, 1)
        let coordinates = r(Shape(n, 2), 38, -1, 1), gates = r(Shape(rows), 39, -1, 1)
        let plain = Tape(threads: 1).pointer(x, queries: q, coarse: y, coarseQueries: qy, coordinates: coordinates, gain: 2).values
        func radius(_ row: Int) -> Float {
            let (cx, cy) = (plain[4 * row + 2], plain[4 * row + 3])
            let d: [Float] = (0..<n).map { i in hypotf(coordinates[2 * i] - cx, coordinates[2 * i + 1] - cy) }.sorted()
            // The widest gap between consecutive distances, with at least 3 positions inside.
            var (best, middle): (Float, Float) = (0, 0)
            for i in 3..<n where d[i] - d[i - 1] > best { (best, middle) = (d[i] - d[i - 1], (d[i] + d[i - 1]) / 2) }
            return middle
        }
        // One radius per row (three "cameras"), each inside a wide gap.
        let radii = (0..<rows).map(radius)
        #expect(radii.allSatisfy { $0 > 0 })
        GradCheck.check([x, q, y, qy, gates], eps: 1e-3) {
            $0.pointer(x, queries: q, coarse: y, coarseQueries: qy, coordinates: coordinates, gain: 2, targets: nil,
                       inhibition: (gates, radii, 2)).points
        }
        var labels: [Float] = []
        for item in 0..<(rows * m) { labels += [coordinates[2 * item], coordinates[2 * item + 1], 0.9] }
        let targets = Tensor(shape: Shape(rows * m, 3), values: labels)
        GradCheck.check([x, q, gates], eps: 1e-3) { tape in
            let (points, mass) = tape.pointer(x, queries: q, coarse: y, coarseQueries: qy, coordinates: coordinates, gain: 2,
                                              targets: targets, inhibition: (gates, radii, 2))
            return tape.add(tape.sum(points), tape.scale(tape.sum(mass!), 0.7))
        }
    }

    @Test("pointer inhibition: pointer 0 leaves pointer 1's disc as its gate grows; pointer 1 is untouched")
    func pointerInhibitionValues() {
        // Both queries like position 1 most (logit 2·gain), pointer 0 likes position 3
        // next (logit 1·gain); pointer 1 sits near position 1.
        let coordinates = Tensor(shape: Shape(4, 2), values: [-1, -1, 1, -1, -1, 1, 1, 1])
        let x = Tensor(shape: Shape(1, 4, 2), values: [0, 0, 2, 2, 0, 0, 1, 0])
        let q = Tensor(shape: Shape(1, 1, 4), values: [1, 0, 0, 1])
        func points(_ gate: Float?) -> [Float] {
            let gates = Tensor(shape: Shape(1), values: [gate ?? 0])
            return Tape(threads: 1).pointer(x, queries: q, coordinates: coordinates, gain: 8, targets: nil,
                                            inhibition: gate.map { _ in (gates, [0.5], 10) }).points.values
        }
        let free = points(nil), off = points(-40), on = points(4)
        #expect(abs(free[0] - 1) < 1e-3 && abs(free[1] - -1) < 1e-3)  // pointer 0 on position 1
        #expect(zip(off, free).allSatisfy { abs($0 - $1) < 1e-5 })  // softplus(−40)·10 ≈ 0
        #expect(abs(on[0] - 1) < 5e-3 && abs(on[1] - 1) < 5e-3, "\(on)")  // pointer 0 moved to position 3
        #expect(on[2] == free[2] && on[3] == free[3])
    }

    @Test("pointer log-mass: the log of the probability within the radius, outside it for a negative radius; 0 unlabelled")
    func pointerLogMassValues() {
        // Four positions on a square; the query likes position 1 (logit 2) over the rest
        // (logit 0). A target at position 1 with radius 0.5 holds e²/(e²+3) of the mass;
        // one at position 2 with radius 2.1 holds all of it; radius 0 is unlabelled.
        let coordinates = Tensor(shape: Shape(4, 2), values: [-1, -1, 1, -1, -1, 1, 1, 1])
        let x = Tensor(shape: Shape(1, 4, 1), values: [0, 1, 0, 0])
        let q = Tensor(shape: Shape(1, 1, 4), values: [1, 1, 1, 1])
        let targets = Tensor(shape: Shape(4, 3), values: [1, -1, 0.5, -1, 1, 3, 0, 0, 0, 1, -1, -0.5])
        let (points, mass) = Tape(threads: 1).pointer(x, queries: q, coordinates: coordinates, gain: 2, targets: targets)
        let e2 = Float(exp(2.0))
        #expect(abs(mass![0] - log(e2 / (e2 + 3))) < 1e-5)
        #expect(abs(mass![1]) < 1e-6 && mass![2] == 0)
        // A negative radius: the probability of landing outside the disc, 3/(e²+3).
        #expect(abs(mass![3] - log(3 / (e2 + 3))) < 1e-5)
        #expect(abs(points[0] - (e2 - 1) / (e2 + 3)) < 1e-5)
    }

    @Test func surround() {
        // 5×5 positions stored in a shuffled order, radius 1 and 2 (the window covers
        // the whole map at 2 from the centre, and is cut by the border elsewhere).
        var rng = Xoshiro256(seed: 31)
        var rows = Array(0..<25)
        for i in stride(from: 24, to: 0, by: -1) { rows.swapAt(i, rng.int(below: i + 1)) }
        let order = IndexTensor(rows.map(Int32.init))
        let x = r(Shape(2, 25, 3), 32, -1, 1)
        for radius in [1, 2] {
            GradCheck.check([x], eps: 1e-3) { $0.surround(x, order: order, side: 5, radius: radius) }
        }
    }

    @Test("surround: the features, then their neighbourhood means with zero padding")
    func surroundValues() {
        // 3×3 single-channel map in raster order, radius 1: the centre's mean is the mean
        // of all 9; a corner's is its 4 neighbours (incl. itself) over 9.
        let order = IndexTensor((0..<9).map(Int32.init))
        let x = Tensor(shape: Shape(1, 9, 1), values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let out = Tape(threads: 1).surround(x, order: order, side: 3, radius: 1).values
        #expect(out.count == 18)
        #expect(stride(from: 0, to: 18, by: 2).map { out[$0] } == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(abs(out[9] - 5) < 1e-6 && abs(out[1] - 12 / 9) < 1e-6 && abs(out[17] - 28 / 9) < 1e-6)
        // The same map stored in reverse order gives the same values per position.
        let reversed = IndexTensor((0..<9).map { Int32(8 - $0) })
        let xr = Tensor(shape: Shape(1, 9, 1), values: [9, 8, 7, 6, 5, 4, 3, 2, 1])
        let outr = Tape(threads: 1).surround(xr, order: reversed, side: 3, radius: 1).values
        #expect(abs(outr[(8 - 0) * 2 + 1] - 12 / 9) < 1e-6 && abs(outr[(8 - 8) * 2 + 1] - 28 / 9) < 1e-6)
    }

    @Test("pointer: each query points at the position its features match")
    func pointerValues() {
        // Feature 0 is high at position 1, feature 1 at position 3; query 0 asks for
        // feature 0, query 1 for feature 1.
        let coordinates = Tensor(shape: Shape(4, 2), values: [-1, -1, 1, -1, -1, 1, 1, 1])
        let x = Tensor(shape: Shape(1, 4, 2), values: [0, 0, 1, 0, 0, 0, 0, 1])
        let q = Tensor(shape: Shape(1, 1, 4), values: [1, 0, 0, 1])
        let out = Tape(threads: 1).pointer(x, queries: q, coordinates: coordinates, gain: 60).values
        #expect(abs(out[0] - 1) < 1e-4 && abs(out[1] - -1) < 1e-4)
        #expect(abs(out[2] - 1) < 1e-4 && abs(out[3] - 1) < 1e-4)
    }

    @Test("attention: plain, causal, key mask, additive masks, cross-attention",
          arguments: ["none", "causal", "keyMask", "additive", "batchAdditive", "cross"])
    func attention(_ kind: String) {
        let (batch, t, c, heads) = (2, 5, 8, 2)
        let tk = kind == "cross" ? 7 : t
        let q = r(Shape(batch, t, c), 20, -1, 1), k = r(Shape(batch, tk, c), 21, -1, 1), v = r(Shape(batch, tk, c), 22, -1, 1)
        var mask = AttentionMask.none
        switch kind {
        case "causal", "cross": mask.causal = true
        case "keyMask": mask.keyMask = Tensor(shape: Shape(batch, tk), values: [1, 1, 0, 1, 0, 1, 1, 1, 1, 0])
        case "additive": mask.additive = r(Shape(t, tk), 23, -1, 1)
        case "batchAdditive":
            let add = r(Shape(batch, t, tk), 24, -1, 1)
            add[3] = -.infinity
            add[30] = -.infinity
            mask.additive = add
        default: break
        }
        GradCheck.check([q, k, v], eps: 1e-3) { $0.attention(q: q, k: k, v: v, heads: heads, mask: mask) }
    }

    @Test func fusedSelfAttention() {
        let qkv = r(Shape(2, 6, 12), 25, -1, 1)
        GradCheck.check([qkv], eps: 1e-3) { $0.selfAttention(qkv: qkv, heads: 2, mask: AttentionMask(causal: true)) }
    }

    @Test func tokenOps() {
        let a = r(Shape(2, 3, 4), 26, -1, 1), b = r(Shape(2, 2, 4), 27, -1, 1)
        GradCheck.check([a, b]) { $0.concatTokens(a, b) }
        GradCheck.check([a]) { $0.sliceTokens(a, start: 1, count: 2) }
        GradCheck.check([a]) { $0.meanTokens(a) }
        GradCheck.check([a]) { $0.sum(a) }
        GradCheck.check([a]) { $0.mean(a) }
    }

    @Test func embedding() {
        let table = r(Shape(5, 6), 28, -1, 1)
        let ids = IndexTensor([3, 0, 3, 4, 3, 1])  // repeated ids accumulate
        GradCheck.check([table]) { $0.embedding(table, indices: ids, shape: Shape(2, 3, 6)) }
    }

    @Test func crossEntropy() {
        let logits = r(Shape(6, 7), 29, -2, 2)
        let targets = IndexTensor([0, 6, 3, -1, 2, 2])
        let weights = Tensor(shape: Shape(6), values: [1, 0.5, 0, 1, 2, 1])
        GradCheck.check([logits], eps: 1e-3) { $0.crossEntropy(logits, targets: targets, weights: weights) }
        GradCheck.check([logits], eps: 1e-3) { $0.crossEntropy(logits, targets: targets) }
    }

    @Test func regressionLosses() {
        let pred = r(Shape(4, 5), 30, -1, 1), target = r(Shape(4, 5), 31, -1, 1)
        let rows = Tensor(shape: Shape(4), values: [1, 0, 2, 1])
        let elements = r(Shape(4, 5), 32, 0, 1)
        for kind in [RegressionLoss.l1, .mse] {
            GradCheck.check([pred], eps: 1e-3) { $0.regression(kind, pred, target: target) }
            GradCheck.check([pred], eps: 1e-3) { $0.regression(kind, pred, target: target, weights: rows) }
            GradCheck.check([pred], eps: 1e-3) { $0.regression(kind, pred, target: target, weights: elements) }
        }
    }
}
