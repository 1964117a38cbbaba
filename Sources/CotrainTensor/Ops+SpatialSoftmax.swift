// Spatial soft-argmax (the "spatial softmax" keypoints of Levine et al. 2016, used by
// most visuomotor policies trained from a few hundred demonstrations): for every
// channel of a feature map, a softmax over positions and the expected coordinates under
// it. A channel that responds to "red" yields where the red object is, with no attention
// to learn first.
import Foundation

// The softmax of `logits` (N) into `probs`, and the expected (x, y) under it from
// `coords (N,2)` into `out[0]`, `out[1]`.
@inline(__always)
func softArgmax(_ logits: [Float], probs p: UnsafeMutablePointer<Float>, coords: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
    let n = logits.count
    _ = logits.withUnsafeBufferPointer { softmaxRow(p, $0.baseAddress!, n) }
    var (mx, my) = (Float(0), Float(0))
    for i in 0..<n {
        mx += p[i] * coords[2 * i]
        my += p[i] * coords[2 * i + 1]
    }
    out[0] = mx
    out[1] = my
}

// x (B,N,K), coords (N,2), beta (K) → out (B,2K) = per channel (Σ p·cx, Σ p·cy),
// p = softmax over n of beta_k · x[b,n,k]; probs (B,N,K) kept for backward.
//
// The maps are channels-last, so each sample is worked in blocks of 16 channels: every
// inner step is one contiguous 16-lane load at position n. Forward + backward at the
// vl-pointer shape took 15.5 ms one channel at a time (strided reads) and 4.0 ms so
// (`cotrain bench train`, both under the same load).
func spatialSoftmaxForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    coords: UnsafePointer<Float>, beta: UnsafePointer<Float>, b: Int, n: Int, k: Int, threads: Int
) {
    let blocks = (k + 15) / 16
    parallelRanges(b * blocks, threads: threads, grain: Swift.max(1, elementwiseGrain / (16 * n))) { range in
        for item in range {
            let (s, c0) = (item / blocks, item % blocks * 16)
            let w = Swift.min(16, k - c0)
            let src = x + s * n * k + c0, p = probs + s * n * k + c0
            let vb = loadLanes(beta + c0, w)
            var m = F16(repeating: -.infinity)
            for i in 0..<n {
                let v = vb * loadLanes(src + i * k, w)
                m = m.replacing(with: v, where: v .> m)
            }
            var (sum, sx, sy) = (F16(), F16(), F16())
            for i in 0..<n {
                let e = expF16(vb * loadLanes(src + i * k, w) - m)
                storeLanes(e, p + i * k, w)
                sum += e
                sx += e * coords[2 * i]
                sy += e * coords[2 * i + 1]
            }
            let inv = 1 / sum
            for i in 0..<n { storeLanes(loadLanes(p + i * k, w) * inv, p + i * k, w) }
            let (mx, my) = (sx * inv, sy * inv)
            for j in 0..<w {
                out[s * 2 * k + 2 * (c0 + j)] = mx[j]
                out[s * 2 * k + 2 * (c0 + j) + 1] = my[j]
            }
        }
    }
}

// dout (B,2K) → dx (B,N,K) += beta_k · p_n · (gx (cx_n − x̄) + gy (cy_n − ȳ)), and
// dbeta (K) += Σ_b Σ_n p_n · (gx (cx_n − x̄) + gy (cy_n − ȳ)) · x[b,n,k]. dbeta is summed
// over samples in a fixed order, so the result does not depend on `threads`.
func spatialSoftmaxBackward(
    dx: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>,
    _ out: UnsafePointer<Float>, probs: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    coords: UnsafePointer<Float>, beta: UnsafePointer<Float>, b: Int, n: Int, k: Int, threads: Int
) {
    let blocks = (k + 15) / 16
    var partial = [Float](repeating: 0, count: b * k)
    partial.withUnsafeMutableBufferPointer { partialBuffer in
        let part = partialBuffer.baseAddress!
        parallelRanges(b * blocks, threads: threads, grain: Swift.max(1, elementwiseGrain / (16 * n))) { range in
            for item in range {
                let (s, c0) = (item / blocks, item % blocks * 16)
                let w = Swift.min(16, k - c0)
                var (gx, gy, mx, my) = (F16(), F16(), F16(), F16())
                for j in 0..<w {
                    let at = s * 2 * k + 2 * (c0 + j)
                    (gx[j], gy[j], mx[j], my[j]) = (dout[at], dout[at + 1], out[at], out[at + 1])
                }
                let offset = s * n * k + c0
                let p = probs + offset, src = x + offset
                let vb = loadLanes(beta + c0, w)
                var db = F16()
                for i in 0..<n {
                    let dl = loadLanes(p + i * k, w) * (gx * (coords[2 * i] - mx) + gy * (coords[2 * i + 1] - my))
                    if let dx { storeLanes(loadLanes(dx + offset + i * k, w) + vb * dl, dx + offset + i * k, w) }
                    db += dl * loadLanes(src + i * k, w)
                }
                storeLanes(db, part + s * k + c0, w)
            }
        }
    }
    guard let dbeta else { return }
    for s in 0..<b {
        for c in 0..<k { dbeta[c] += partial[s * k + c] }
    }
}

// The first `w` (≤ 16) floats at `p` as lanes (the rest zero), and back.
@inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, _ w: Int) -> F16 {
    if w == 16 { return loadF16(p) }
    var v = F16()
    for j in 0..<w { v[j] = p[j] }
    return v
}

@inline(__always)
func storeLanes(_ v: F16, _ p: UnsafeMutablePointer<Float>, _ w: Int) {
    if w == 16 { storeF16(v, p); return }
    for j in 0..<w { p[j] = v[j] }
}

// Query-weighted soft-argmax (the policy's language-conditioned pointer): x (R,N,K)
// fine features, q (R,M,K) one query per row and pointer, and optionally y (R,N/rep,C)
// coarse features (each shared by `rep` consecutive positions) with queries qy (R,M,C)
// → out (R,2M) = per pointer the expected coordinates under
// p = softmax over n of gain · (Σ_k x[r,n,k]·q[r,m,k] + Σ_c y[r,n/rep,c]·qy[r,m,c]).
// probs (R,M,N) kept for backward.
struct PointerShape {
    let r: Int, n: Int, k: Int, m: Int
    /// Coarse features per row and how many positions share one (0, 1 without).
    let c: Int, rep: Int
}

// Pointer 0 of every row (the object to move) avoids where pointer 1 (its destination)
// points: its logits drop by softplus(gates[row])·scale at the positions within
// radii[row % radii.count] of pointer 1's point. The disc counts as fixed in backward
// (its edge moves with pointer 1's point, a gradient that is zero almost everywhere).
struct PointerInhibition {
    let gates: UnsafePointer<Float>
    let radii: [Float]
    let scale: Float

    @inline(__always) func amount(_ row: Int) -> Float { softplus(gates[row]) * scale }
    @inline(__always) func radius(_ row: Int) -> Float { radii[row % radii.count] }
}

@inline(__always) func softplus(_ a: Float) -> Float { Swift.max(a, 0) + log1p(exp(-abs(a))) }
@inline(__always) func sigmoid(_ a: Float) -> Float { 1 / (1 + exp(-a)) }

@inline(__always)
func inDisc(_ coords: UnsafePointer<Float>, _ i: Int, _ cx: Float, _ cy: Float, _ r2: Float) -> Bool {
    let (dx, dy) = (coords[2 * i] - cx, coords[2 * i + 1] - cy)
    return dx * dx + dy * dy <= r2
}

// With `targets` (R·M rows of x, y, radius in coordinate units; radius 0: none; a
// negative radius counts the positions outside the disc of |radius|),
// `mass` (R·M) receives log Σ p_n over the positions within the radius of the target
// (0 where there is none): the pointer's log-probability of landing on the labelled
// object, whatever else the map's mean is pulled towards.
func pointerForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ q: UnsafePointer<Float>, coarse y: UnsafePointer<Float>?, coarseQueries qy: UnsafePointer<Float>?,
    coords: UnsafePointer<Float>, gain: Float, shape: PointerShape,
    targets: UnsafePointer<Float>? = nil, mass: UnsafeMutablePointer<Float>? = nil,
    inhibition: PointerInhibition? = nil, threads: Int
) {
    let (r, n, k, m, c, rep) = (shape.r, shape.n, shape.k, shape.m, shape.c, shape.rep)
    let inhibit = inhibition != nil && m >= 2
    // With inhibition pointer 0 waits for pointer 1: every other pointer first, then the
    // rows' pointer 0.
    func pass(_ count: Int, _ itemAt: @escaping (Int) -> Int) {
        parallelRanges(count, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * k))) { range in
            var logits = [Float](repeating: 0, count: n)
            var coarseLogits = [Float](repeating: 0, count: Swift.max(1, n / rep))
            for index in range {
                let item = itemAt(index), row = item / m
                let src = x + row * n * k, query = q + item * k
                if let y, let qy {
                    let cells = n / rep, ys = y + row * cells * c, cq = qy + item * c
                    for j in 0..<cells { coarseLogits[j] = dot(ys + j * c, cq, c) }
                }
                for i in 0..<n { logits[i] = gain * ((y == nil ? 0 : coarseLogits[i / rep]) + dot(src + i * k, query, k)) }
                if inhibit, item % m == 0, let inhibition {
                    let (cx, cy, radius) = (out[2 * item + 2], out[2 * item + 3], inhibition.radius(row))
                    let amount = inhibition.amount(row)
                    for i in 0..<n where inDisc(coords, i, cx, cy, radius * radius) { logits[i] -= amount }
                }
                softArgmax(logits, probs: probs + item * n, coords: coords, into: out + 2 * item)
                if let targets, let mass {
                    mass[item] = log(Swift.max(massWithin(targets + 3 * item, probs: probs + item * n, coords: coords, n: n), .leastNormalMagnitude))
                }
            }
        }
    }
    if inhibit {
        pass(r * (m - 1)) { index in index / (m - 1) * m + 1 + index % (m - 1) }
        pass(r) { row in row * m }
    } else {
        pass(r * m) { $0 }
    }
}

// Σ p_n over the positions within `target`'s radius of its (x, y); with a negative
// radius, over the positions outside the disc of |radius| (the probability of avoiding
// it); 1 without a target (radius 0), so its log is 0.
@inline(__always)
func massWithin(_ target: UnsafePointer<Float>, probs p: UnsafePointer<Float>, coords: UnsafePointer<Float>, n: Int) -> Float {
    let (tx, ty, radius) = (target[0], target[1], target[2])
    guard radius != 0 else { return 1 }
    let (r2, outside) = (radius * radius, radius < 0)
    var sum: Float = 0
    for i in 0..<n where inDisc(coords, i, tx, ty, r2) != outside { sum += p[i] }
    return sum
}

// dout (R,2M) → with dl_n = gain · p_n·(gx (cx_n − x̄) + gy (cy_n − ȳ)):
// dx[r,n,k] += Σ_m dl_n q[r,m,k], dq[r,m,k] += Σ_n dl_n x[r,n,k], and likewise for the
// coarse map with positions summed per cell. Rows are independent, so each thread owns
// whole rows and the result does not depend on `threads`. `dout` may be nil when only
// the mass received a gradient. With `dmass` (R·M) and the forward pass's `mass`, the
// log-mass's gradient adds gain · gm·(in_n·p_n / P − p_n) to dl_n (P = e^mass, the
// probability within the target's radius).
func pointerBackward(
    dx: UnsafeMutablePointer<Float>?, dq: UnsafeMutablePointer<Float>?,
    dy: UnsafeMutablePointer<Float>?, dqy: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>?,
    _ out: UnsafePointer<Float>, probs: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ q: UnsafePointer<Float>,
    coarse y: UnsafePointer<Float>?, coarseQueries qy: UnsafePointer<Float>?,
    coords: UnsafePointer<Float>, gain: Float, shape: PointerShape,
    targets: UnsafePointer<Float>? = nil, mass: UnsafePointer<Float>? = nil, dmass: UnsafePointer<Float>? = nil,
    inhibition: PointerInhibition? = nil, dgates: UnsafeMutablePointer<Float>? = nil, threads: Int
) {
    let (r, n, k, m, c, rep) = (shape.r, shape.n, shape.k, shape.m, shape.c, shape.rep)
    parallelRanges(r, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * k * m))) { range in
        var cellGrad = [Float](repeating: 0, count: Swift.max(1, n / rep))
        for row in range {
            let src = x + row * n * k
            for j in 0..<m {
                let item = row * m + j
                let (gx, gy) = dout.map { ($0[2 * item], $0[2 * item + 1]) } ?? (0, 0)
                let (mx, my) = (out[2 * item], out[2 * item + 1])
                let p = probs + item * n, query = q + item * k
                // The log-mass term: −gm·p_n everywhere, + gm·p_n / P inside the radius (outside
                // it for a negative radius).
                var (gm, inside, tx, ty, r2, outside): (Float, Float, Float, Float, Float, Bool) = (0, 0, 0, 0, -1, false)
                if let targets, let mass, let dmass, targets[3 * item + 2] != 0, dmass[item] != 0 {
                    gm = dmass[item]
                    inside = gm / exp(mass[item])  // the forward pass clamps P to ≥ the least normal float
                    (tx, ty, r2) = (targets[3 * item], targets[3 * item + 1], targets[3 * item + 2] * targets[3 * item + 2])
                    outside = targets[3 * item + 2] < 0
                }
                if y != nil { for i in cellGrad.indices { cellGrad[i] = 0 } }
                // Pointer 0's inhibited disc: its logits' gradient, summed, is the amount's.
                var (disc, cx, cy, inhibited): (Float, Float, Float, Float) = (-1, 0, 0, 0)
                if let inhibition, m >= 2, j == 0 {
                    (disc, cx, cy) = (inhibition.radius(row), out[2 * item + 2], out[2 * item + 3])
                    disc *= disc
                }
                for i in 0..<n {
                    var g = gx * (coords[2 * i] - mx) + gy * (coords[2 * i + 1] - my) - gm
                    if r2 > 0, inDisc(coords, i, tx, ty, r2) != outside { g += inside }
                    if disc > 0, inDisc(coords, i, cx, cy, disc) { inhibited += p[i] * g }
                    let dl = gain * p[i] * g
                    if let dx { axpy(dl, query, dx + row * n * k + i * k, k) }
                    if let dq { axpy(dl, src + i * k, dq + item * k, k) }
                    if y != nil { cellGrad[i / rep] += dl }
                }
                // logits −= softplus(gate)·scale inside the disc.
                if disc > 0, let inhibition, let dgates { dgates[row] -= inhibition.scale * sigmoid(inhibition.gates[row]) * inhibited }
                guard let y, let qy else { continue }
                let cells = n / rep
                for cell in 0..<cells where cellGrad[cell] != 0 {
                    let g = cellGrad[cell]
                    if let dy { axpy(g, qy + item * c, dy + (row * cells + cell) * c, c) }
                    if let dqy { axpy(g, y + (row * cells + cell) * c, dqy + item * c, c) }
                }
            }
        }
    }
}
