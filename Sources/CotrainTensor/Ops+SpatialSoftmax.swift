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
