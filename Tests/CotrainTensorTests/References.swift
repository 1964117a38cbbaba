import Foundation
@testable import CotrainTensor

/// Naive Double-precision references for the fast kernels' forward passes.
enum Reference {
    // q (B,Tq,C), k, v (B,Tk,C) -> (B,Tq,C); mask as in AttentionMask
    static func attention(
        q: [Float], k: [Float], v: [Float], batch: Int, tq: Int, tk: Int, c: Int, heads: Int,
        causal: Bool, keyMask: [Float]?, additive: [Float]?
    ) -> [Float] {
        let hs = c / heads
        var out = [Float](repeating: 0, count: batch * tq * c)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<tq {
                    var scores = [Double](repeating: -.infinity, count: tk)
                    for j in 0..<tk {
                        if causal && j > i + tk - tq { continue }
                        if let keyMask, keyMask[b * tk + j] == 0 { continue }
                        var s = 0.0
                        for d in 0..<hs {
                            s += Double(q[(b * tq + i) * c + h * hs + d]) * Double(k[(b * tk + j) * c + h * hs + d])
                        }
                        s /= Double(hs).squareRoot()
                        if let additive {
                            let stride = additive.count == tq * tk ? 0 : tq * tk
                            s += Double(additive[b * stride + i * tk + j])
                        }
                        scores[j] = s
                    }
                    let m = scores.max()!
                    guard m > -.infinity else { continue }
                    let e = scores.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for d in 0..<hs {
                        var o = 0.0
                        for j in 0..<tk { o += e[j] / z * Double(v[(b * tk + j) * c + h * hs + d]) }
                        out[(b * tq + i) * c + h * hs + d] = Float(o)
                    }
                }
            }
        }
        return out
    }

    // x (N,C) -> (N,C)
    static func layerNorm(_ x: [Float], gamma: [Float], beta: [Float], c: Int, eps: Double = 1e-5) -> [Float] {
        var out = x
        for row in 0..<(x.count / c) {
            let r = x[(row * c)..<(row * c + c)].map(Double.init)
            let m = r.reduce(0, +) / Double(c)
            let v = r.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(c)
            for i in 0..<c { out[row * c + i] = Float((r[i] - m) / (v + eps).squareRoot() * Double(gamma[i]) + Double(beta[i])) }
        }
        return out
    }

    // logits (N,V), targets (N), weights (N) -> Σ w·nll / Σ w
    static func crossEntropy(_ logits: [Float], targets: [Int32], weights: [Float]?, v: Int) -> Double {
        var loss = 0.0, total = 0.0
        for (i, t) in targets.enumerated() where t >= 0 {
            let row = logits[(i * v)..<(i * v + v)].map(Double.init)
            let m = row.max()!
            let logZ = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            let w = Double(weights?[i] ?? 1)
            loss += w * (logZ - row[Int(t)])
            total += w
        }
        return total > 0 ? loss / total : 0
    }

    // tanh-approximated GELU
    static func gelu(_ x: Float) -> Float {
        let d = Double(x)
        return Float(0.5 * d * (1 + Foundation.tanh(0.7978845608028654 * (d + 0.044715 * d * d * d))))
    }
}
