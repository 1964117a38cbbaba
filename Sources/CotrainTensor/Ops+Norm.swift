// Layer norm and RMS norm over the last axis, forward/backward pairs.
//
// Parameter gradients (γ, β) are column sums over rows: threads own disjoint column
// chunks and add rows in order, so the sums do not depend on the thread count.

/// Columns per task in column reductions (a multiple of 16).
let columnChunk = 32

// inp (N,C), gamma (C), beta (C) -> out (N,C); saves mean (N), rstd (N)
func layerNormForward(
    _ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>,
    n: Int, c: Int, eps: Float, threads: Int
) {
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / c)) { rows in
        for row in rows {
            let x = inp + row * c, y = out + row * c
            let m = rowMean(x, c)
            var v: Float = 0
            for i in 0..<c { v += (x[i] - m) * (x[i] - m) }
            let s = 1 / (v / Float(c) + eps).squareRoot()
            for i in 0..<c { y[i] = (x[i] - m) * s * gamma[i] + beta[i] }
            mean[row] = m
            rstd[row] = s
        }
    }
}

// dout (N,C), inp (N,C), gamma (C), mean (N), rstd (N) ->
//   dinp (N,C) += ..., dgamma (C) += Σ dout·x̂, dbeta (C) += Σ dout
func layerNormBackward(
    dinp: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ gamma: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, n: Int, c: Int, threads: Int
) {
    if let dinp {
        parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / c)) { rows in
            for row in rows {
                let x = inp + row * c, g = dout + row * c, dx = dinp + row * c
                let (m, s) = (mean[row], rstd[row])
                // dx = s·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with dx̂ = dout·γ
                var sumD: Float = 0, sumDX: Float = 0
                for i in 0..<c {
                    let d = g[i] * gamma[i]
                    sumD += d
                    sumDX += d * (x[i] - m) * s
                }
                let (meanD, meanDX) = (sumD / Float(c), sumDX / Float(c))
                for i in 0..<c {
                    let xhat = (x[i] - m) * s
                    dx[i] += s * (g[i] * gamma[i] - meanD - xhat * meanDX)
                }
            }
        }
    }
    if dgamma == nil && dbeta == nil { return }
    let chunks = (c + columnChunk - 1) / columnChunk
    parallelRanges(chunks, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * columnChunk))) { tasks in
        for t in tasks {
            let c0 = t * columnChunk, c1 = Swift.min(c, c0 + columnChunk)
            for row in 0..<n {
                let x = inp + row * c, g = dout + row * c
                let (m, s) = (mean[row], rstd[row])
                if let dgamma { for i in c0..<c1 { dgamma[i] += g[i] * (x[i] - m) * s } }
                if let dbeta { for i in c0..<c1 { dbeta[i] += g[i] } }
            }
        }
    }
}

// inp (N,C), weight (C) -> out (N,C) = inp · rstd · weight; saves rstd (N)
func rmsNormForward(
    _ out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
    _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, n: Int, c: Int, eps: Float, threads: Int
) {
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / c)) { rows in
        for row in rows {
            let x = inp + row * c, y = out + row * c
            let s = 1 / (dot(x, x, c) / Float(c) + eps).squareRoot()
            for i in 0..<c { y[i] = x[i] * s * weight[i] }
            rstd[row] = s
        }
    }
}

// dout (N,C), inp (N,C), weight (C), rstd (N) -> dinp (N,C) += ..., dweight (C) += Σ dout·x·rstd
func rmsNormBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    rstd: UnsafePointer<Float>, n: Int, c: Int, threads: Int
) {
    if let dinp {
        parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / c)) { rows in
            for row in rows {
                let x = inp + row * c, g = dout + row * c, dx = dinp + row * c
                let s = rstd[row]
                // dx_j = s·g_j·w_j − (s³/C)·x_j·Σ_i g_i·w_i·x_i
                var sumGWX: Float = 0
                for i in 0..<c { sumGWX += g[i] * weight[i] * x[i] }
                let k = s * s * s / Float(c) * sumGWX
                for i in 0..<c { dx[i] += s * g[i] * weight[i] - k * x[i] }
            }
        }
    }
    guard let dweight else { return }
    let chunks = (c + columnChunk - 1) / columnChunk
    parallelRanges(chunks, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * columnChunk))) { tasks in
        for t in tasks {
            let c0 = t * columnChunk, c1 = Swift.min(c, c0 + columnChunk)
            for row in 0..<n {
                let x = inp + row * c, g = dout + row * c, s = rstd[row]
                for i in c0..<c1 { dweight[i] += g[i] * x[i] * s }
            }
        }
    }
}
