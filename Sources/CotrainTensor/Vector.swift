// Small SIMD building blocks shared by the op kernels: dot, axpy, row sums/max, exp, tanh.
//
// Reductions here run in a fixed order (16 lanes, then lanes summed left to right), so
// a kernel built from them is deterministic as long as it owns its outputs.

/// Σ a[i]·b[i] for i < n.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16()
    var i = 0
    while i + 16 <= n {
        acc = acc.addingProduct(loadF16(a + i), loadF16(b + i))
        i += 16
    }
    var s = acc.sum()
    while i < n {
        s += a[i] * b[i]
        i += 1
    }
    return s
}

/// y[i] += alpha·x[i] for i < n.
@inline(__always)
func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let va = F16(repeating: alpha)
    var i = 0
    while i + 16 <= n {
        storeF16(loadF16(y + i).addingProduct(va, loadF16(x + i)), y + i)
        i += 16
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// y[i] += x[i] for i < n.
@inline(__always)
func addInPlace(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 16 <= n {
        storeF16(loadF16(y + i) + loadF16(x + i), y + i)
        i += 16
    }
    while i < n {
        y[i] += x[i]
        i += 1
    }
}

/// Mean of n floats.
@inline(__always)
func rowMean(_ x: UnsafePointer<Float>, _ n: Int) -> Float { rowSum(x, n) / Float(n) }

/// Sum of n floats (16-lane partial sums, then lanes in order: deterministic).
@inline(__always)
func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16()
    var i = 0
    while i + 16 <= n {
        acc += loadF16(x + i)
        i += 16
    }
    var s = acc.sum()
    while i < n {
        s += x[i]
        i += 1
    }
    return s
}

/// Largest of n floats (−∞ for n = 0). Lane-wise selects: a scalar `max` loop is a
/// serial compare-and-branch chain (measured ~20% of attention's forward pass).
@inline(__always)
func rowMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = F16(repeating: -.infinity)
    var i = 0
    while i + 16 <= n {
        let v = loadF16(x + i)
        acc = acc.replacing(with: v, where: v .> acc)
        i += 16
    }
    var m = acc[0]
    for lane in 1..<16 where acc[lane] > m { m = acc[lane] }
    while i < n {
        if x[i] > m { m = x[i] }
        i += 1
    }
    return m
}

/// e^x lane-wise, relative error ~2e-7: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6
/// Taylor polynomial for e^r, and 2^n built in the exponent bits. Inputs are clamped to
/// the finite float range (so e^-∞ = tiny but finite, never NaN).
///
/// Rounding uses the 1.5·2²³ trick (adding it leaves round-to-nearest n in the low
/// mantissa bits) because the stdlib's SIMD rounding and float→int conversions fall back
/// to per-lane generic code (measured: ~10× slower than this whole function).
@inline(__always)
func expF16(_ x: F16) -> F16 {
    let magic = F16(repeating: 12_582_912)  // 1.5·2²³
    // Masked selects rather than `clamped(lowerBound:upperBound:)`, which compiles to a
    // per-lane loop with branches.
    let low = F16(repeating: -87.3), high = F16(repeating: 88.3)
    var clamped = x.replacing(with: low, where: x .< low)
    clamped = clamped.replacing(with: high, where: clamped .> high)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-6
    var p = F16(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    return p * unsafeBitCast((nBits &+ 127) &<< 23, to: F16.self)
}

/// e^x for one float, through the same polynomial as `expF16` so scalar tails and
/// vector bodies agree.
@inline(__always)
func expScalar(_ x: Float) -> Float { expF16(F16(repeating: x))[0] }

/// tanh lane-wise as 1 − 2/(e^{2x}+1): saturates cleanly to ±1 for large |x|.
@inline(__always)
func tanhF16(_ x: F16) -> F16 { 1 - 2 / (expF16(x + x) + 1) }

/// Applies `f` to 16-lane chunks of `src` (n floats) into `dst`; the tail goes through a
/// zero-padded register so every element uses the same arithmetic.
@inline(__always)
func mapF16(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int, _ f: (F16) -> F16
) {
    var i = 0
    while i + 16 <= n {
        storeF16(f(loadF16(src + i)), dst + i)
        i += 16
    }
    if i < n {
        var v = F16()
        for j in 0..<(n - i) { v[j] = src[i + j] }
        let y = f(v)
        for j in 0..<(n - i) { dst[i + j] = y[j] }
    }
}
