// Spatial soft-argmax (the "spatial softmax" keypoints of Levine et al. 2016, used by
// most visuomotor policies trained from a few hundred demonstrations): for every
// channel of a feature map, a softmax over positions and the expected coordinates under
// it. A channel that responds to "red" yields where the red object is, with no attention
// to learn first.
import Foundation

// x (B,N,K), coords (N,2), beta (K) → out (B,2K) = per channel (Σ p·cx, Σ p·cy),
// p = softmax over n of beta_k · x[b,n,k]; probs (B,K,N) kept for backward.
func spatialSoftmaxForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    coords: UnsafePointer<Float>, beta: UnsafePointer<Float>, b: Int, n: Int, k: Int, threads: Int
) {
    parallelRanges(b * k, threads: threads, grain: Swift.max(1, elementwiseGrain / n)) { range in
        var logits = [Float](repeating: 0, count: n)
        for item in range {
            let (s, c) = (item / k, item % k)
            let src = x + s * n * k + c
            for i in 0..<n { logits[i] = beta[c] * src[i * k] }
            let p = probs + item * n
            logits.withUnsafeBufferPointer { softmaxRow(p, $0.baseAddress!, n) }
            var (mx, my) = (Float(0), Float(0))
            for i in 0..<n {
                mx += p[i] * coords[2 * i]
                my += p[i] * coords[2 * i + 1]
            }
            out[s * 2 * k + 2 * c] = mx
            out[s * 2 * k + 2 * c + 1] = my
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
    var partial = [Float](repeating: 0, count: b * k)
    partial.withUnsafeMutableBufferPointer { partialBuffer in
        let part = partialBuffer.baseAddress!
        parallelRanges(b * k, threads: threads, grain: Swift.max(1, elementwiseGrain / n)) { range in
            for item in range {
                let (s, c) = (item / k, item % k)
                let (gx, gy) = (dout[s * 2 * k + 2 * c], dout[s * 2 * k + 2 * c + 1])
                let (mx, my) = (out[s * 2 * k + 2 * c], out[s * 2 * k + 2 * c + 1])
                let p = probs + item * n, src = x + s * n * k + c
                var db: Float = 0
                for i in 0..<n {
                    let dl = p[i] * (gx * (coords[2 * i] - mx) + gy * (coords[2 * i + 1] - my))
                    if let dx { dx[s * n * k + i * k + c] += beta[c] * dl }
                    db += dl * src[i * k]
                }
                part[item] = db
            }
        }
    }
    guard let dbeta else { return }
    for s in 0..<b {
        for c in 0..<k { dbeta[c] += partial[s * k + c] }
    }
}

// Query-weighted soft-argmax (the policy's language-conditioned pointer): x (R,N,K)
// features, q (R,M,K) one query per row and pointer → out (R,2M) = per pointer the
// expected coordinates under p = softmax over n of gain · Σ_k x[r,n,k]·q[r,m,k].
// probs (R,M,N) kept for backward.
func pointerForward(
    _ out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    _ q: UnsafePointer<Float>, coords: UnsafePointer<Float>, gain: Float, r: Int, n: Int, k: Int, m: Int, threads: Int
) {
    parallelRanges(r * m, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * k))) { range in
        var logits = [Float](repeating: 0, count: n)
        for item in range {
            let row = item / m
            let src = x + row * n * k, query = q + item * k
            for i in 0..<n {
                var s: Float = 0
                for c in 0..<k { s += src[i * k + c] * query[c] }
                logits[i] = gain * s
            }
            let p = probs + item * n
            logits.withUnsafeBufferPointer { softmaxRow(p, $0.baseAddress!, n) }
            var (mx, my) = (Float(0), Float(0))
            for i in 0..<n {
                mx += p[i] * coords[2 * i]
                my += p[i] * coords[2 * i + 1]
            }
            out[2 * item] = mx
            out[2 * item + 1] = my
        }
    }
}

// dout (R,2M) → with dl_n = p_n·(gx (cx_n − x̄) + gy (cy_n − ȳ)):
// dx[r,n,k] += gain · Σ_m dl_n q[r,m,k], dq[r,m,k] += gain · Σ_n dl_n x[r,n,k].
// Rows are independent, so each thread owns whole rows and the result does not depend
// on `threads`.
func pointerBackward(
    dx: UnsafeMutablePointer<Float>?, dq: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>,
    _ out: UnsafePointer<Float>, probs: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ q: UnsafePointer<Float>,
    coords: UnsafePointer<Float>, gain: Float, r: Int, n: Int, k: Int, m: Int, threads: Int
) {
    parallelRanges(r, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * k * m))) { range in
        for row in range {
            let src = x + row * n * k
            for j in 0..<m {
                let item = row * m + j
                let (gx, gy) = (dout[2 * item], dout[2 * item + 1])
                let (mx, my) = (out[2 * item], out[2 * item + 1])
                let p = probs + item * n, query = q + item * k
                for i in 0..<n {
                    let dl = gain * p[i] * (gx * (coords[2 * i] - mx) + gy * (coords[2 * i + 1] - my))
                    if let dx { for c in 0..<k { dx[row * n * k + i * k + c] += dl * query[c] } }
                    if let dq { for c in 0..<k { dq[item * k + c] += dl * src[i * k + c] } }
                }
            }
        }
    }
}
