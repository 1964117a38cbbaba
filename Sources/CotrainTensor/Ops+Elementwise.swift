// Element-wise kernels: add, mul, scale, broadcast add, GELU. Forward/backward pairs on
// raw buffers; backward kernels add into gradient buffers (`+=`).

/// Elements per thread below which element-wise kernels stay on one thread.
let elementwiseGrain = 1 << 15

// out (n) = a (n) + b (n)
func addForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain) { r in
        mapPair(a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count) { $0 + $1 }
    }
}

// out (n) = a (n) ⊙ b (n)
func mulForward(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain) { r in
        mapPair(a + r.lowerBound, b + r.lowerBound, out + r.lowerBound, r.count) { $0 * $1 }
    }
}

// da (n) += dout ⊙ b, db (n) += dout ⊙ a (either may be nil: no gradient wanted)
func mulBackward(
    _ da: UnsafeMutablePointer<Float>?, _ db: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int, threads: Int
) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain) { r in
        for i in r {
            if let da { da[i] += dout[i] * b[i] }
            if let db { db[i] += dout[i] * a[i] }
        }
    }
}

// out (n) = s · x (n)   (backward: dx += s · dout, the same kernel with accumulation)
func scaleForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ s: Float, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain) { r in
        mapF16(x + r.lowerBound, out + r.lowerBound, r.count) { $0 * s }
    }
}

// dx (n) += s · dout (n); also the backward of add with s = 1
func scaleBackward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ s: Float, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain) { r in
        axpy(s, dout + r.lowerBound, dx + r.lowerBound, r.count)
    }
}

// a (P,Q,R), b (P,R) -> out (P,Q,R): out[p,q,r] = a[p,q,r] + b[p,r]
// Covers bias (1,N,C)+(1,C), positional tables (1,B,T·C)+(1,T·C), per-sample (B,T,C)+(B,C).
func broadcastAddForward(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    p: Int, q: Int, r: Int, threads: Int
) {
    parallelRanges(p * q, threads: threads, grain: Swift.max(1, elementwiseGrain / Swift.max(r, 1))) { rows in
        for row in rows {
            let (pi, off) = (row / q, row * r)
            mapPair(a + off, b + pi * r, out + off, r) { $0 + $1 }
        }
    }
}

// db (P,R) += Σ_q dout[p,q,r]; threads own disjoint (p, r-range) outputs and sum q in order.
func broadcastAddBackwardB(
    _ db: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, p: Int, q: Int, r: Int, threads: Int
) {
    let chunk = 64  // a bias of 128 still splits over two threads
    let chunksPerP = (r + chunk - 1) / chunk
    parallelRanges(p * chunksPerP, threads: threads, grain: Swift.max(1, elementwiseGrain / Swift.max(q * chunk, 1))) { tasks in
        for t in tasks {
            let pi = t / chunksPerP, r0 = (t % chunksPerP) * chunk
            let len = Swift.min(chunk, r - r0)
            let dst = db + pi * r + r0
            for qi in 0..<q { addInPlace(dout + (pi * q + qi) * r + r0, dst, len) }
        }
    }
}

/// √(2/π), the GELU tanh-approximation constant.
let geluScale: Float = 0.797_884_56

// out (n) = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
func geluForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain / 4) { r in
        mapF16(x + r.lowerBound, out + r.lowerBound, r.count) { v in
            let u = geluScale * (v + 0.044_715 * v * v * v)
            return 0.5 * v * (1 + tanhF16(u))
        }
    }
}

// dx (n) += dout · gelu'(x)
func geluBackward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: elementwiseGrain / 4) { r in
        let lo = r.lowerBound
        mapTriple(x + lo, dout + lo, dx + lo, r.count) { v, g, acc in
            let u = geluScale * (v + 0.044_715 * v * v * v)
            let t = tanhF16(u)
            let du = geluScale * (1 + 3 * 0.044_715 * v * v)
            return acc + g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
        }
    }
}

/// dst[i] = f(a[i], b[i]) in 16-lane chunks with a padded tail.
@inline(__always)
func mapPair(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
    _ f: (F16, F16) -> F16
) {
    var i = 0
    while i + 16 <= n {
        storeF16(f(loadF16(a + i), loadF16(b + i)), dst + i)
        i += 16
    }
    if i < n {
        var va = F16(), vb = F16()
        for j in 0..<(n - i) { (va[j], vb[j]) = (a[i + j], b[i + j]) }
        let y = f(va, vb)
        for j in 0..<(n - i) { dst[i + j] = y[j] }
    }
}

/// dst[i] = f(a[i], b[i], dst[i]) in 16-lane chunks with a padded tail.
@inline(__always)
func mapTriple(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
    _ f: (F16, F16, F16) -> F16
) {
    var i = 0
    while i + 16 <= n {
        storeF16(f(loadF16(a + i), loadF16(b + i), loadF16(dst + i)), dst + i)
        i += 16
    }
    if i < n {
        var va = F16(), vb = F16(), vc = F16()
        for j in 0..<(n - i) { (va[j], vb[j], vc[j]) = (a[i + j], b[i + j], dst[i + j]) }
        let y = f(va, vb, vc)
        for j in 0..<(n - i) { dst[i + j] = y[j] }
    }
}
