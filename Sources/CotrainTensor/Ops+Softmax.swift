// Softmax over the last axis (also the core of attention and cross-entropy).
import Foundation

// inp (N,V) -> out (N,V) = softmax over the last axis
func softmaxForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, n: Int, v: Int, threads: Int) {
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / v)) { rows in
        for row in rows { softmaxRow(out + row * v, inp + row * v, v) }
    }
}

// dout (N,V), out (N,V) -> dinp (N,V) += out ⊙ (dout − Σ dout·out)
func softmaxBackward(
    _ dinp: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ out: UnsafePointer<Float>,
    n: Int, v: Int, threads: Int
) {
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / v)) { rows in
        for row in rows {
            let y = out + row * v, g = dout + row * v, dx = dinp + row * v
            let s = dot(g, y, v)
            for i in 0..<v { dx[i] += y[i] * (g[i] - s) }
        }
    }
}

/// Softmax of one row of `n` scores; `-∞` entries get probability exactly 0, and a row
/// with no finite score becomes all zeros (a fully masked attention row).
/// Returns log Σ exp(x − max) + max (the log-partition) for losses.
@discardableResult @inline(__always)
func softmaxRow(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) -> Float {
    let m = rowMax(src, n)
    if m == -Float.infinity {
        dst.update(repeating: 0, count: n)
        return -Float.infinity
    }
    let vm = F16(repeating: m), ninf = F16(repeating: -.infinity)
    mapF16(src, dst, n) { x in expF16(x - vm).replacing(with: 0, where: x .== ninf) }
    let s = rowSum(dst, n)
    let inv = 1 / s
    for i in 0..<n { dst[i] *= inv }
    return m + Foundation.log(s)
}
