// Masked losses: cross-entropy over classes, L1 and MSE regression.
//
// Every loss takes optional weights (a per-row or per-element mask: 0 drops an item,
// other values weight it) and returns Σ w·ℓ / Σ w, so a batch mixing samples with and
// without a target averages over the samples that have one. All weights 0 ⇒ loss 0.
import Foundation

// logits (N,V), targets (N) (< 0: ignored), weights (N)? ->
//   probs (N,V) saved, nll (N) scratch, returns (Σ w·nll, Σ w)
func crossEntropyForward(
    probs: UnsafeMutablePointer<Float>, nll: UnsafeMutablePointer<Float>,
    _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>, _ weights: UnsafePointer<Float>?,
    n: Int, v: Int, threads: Int
) -> (loss: Double, weight: Double) {
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / v)) { rows in
        for i in rows {
            let logZ = softmaxRow(probs + i * v, logits + i * v, v)
            let t = Int(targets[i])
            precondition(t < v, "target \(t) outside 0..<\(v)")
            nll[i] = t >= 0 ? logZ - logits[i * v + t] : 0
        }
    }
    var loss = 0.0, weight = 0.0
    for i in 0..<n where targets[i] >= 0 {
        let w = Double(weights?[i] ?? 1)
        loss += w * Double(nll[i])
        weight += w
    }
    return (loss, weight)
}

// dlogits (N,V) += dloss · w_i / W · (probs − onehot(target))
func crossEntropyBackward(
    _ dlogits: UnsafeMutablePointer<Float>, dloss: Float, totalWeight: Float,
    probs: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>, _ weights: UnsafePointer<Float>?,
    n: Int, v: Int, threads: Int
) {
    guard totalWeight > 0 else { return }
    parallelRanges(n, threads: threads, grain: Swift.max(1, elementwiseGrain / v)) { rows in
        for i in rows {
            let t = Int(targets[i])
            guard t >= 0 else { continue }
            let s = dloss * (weights?[i] ?? 1) / totalWeight
            if s == 0 { continue }
            axpy(s, probs + i * v, dlogits + i * v, v)
            dlogits[i * v + t] -= s
        }
    }
}

/// The per-element penalty of a regression loss.
public enum RegressionLoss: Sendable {
    /// |pred − target|
    case l1
    /// (pred − target)²
    case mse
}

// pred (N,D), target (N,D), weights (N) or (N,D) or nil -> (Σ w·ℓ, Σ w) with per-row
// weights counted once per element (so the loss is a mean over weighted elements).
func regressionForward(
    _ kind: RegressionLoss, _ pred: UnsafePointer<Float>, _ target: UnsafePointer<Float>,
    _ weights: UnsafePointer<Float>?, perElementWeights: Bool, n: Int, d: Int
) -> (loss: Double, weight: Double) {
    var loss = 0.0, weight = 0.0
    for i in 0..<n {
        var rowLoss = 0.0, rowWeight = 0.0
        for j in 0..<d {
            let e = i * d + j
            let w = weights.map { Double($0[perElementWeights ? e : i]) } ?? 1
            let diff = Double(pred[e] - target[e])
            rowLoss += w * (kind == .l1 ? abs(diff) : diff * diff)
            rowWeight += w
        }
        loss += rowLoss
        weight += rowWeight
    }
    return (loss, weight)
}

// dpred (N,D) += dloss · w / W · ℓ'(pred − target)
func regressionBackward(
    _ kind: RegressionLoss, _ dpred: UnsafeMutablePointer<Float>, dloss: Float, totalWeight: Float,
    _ pred: UnsafePointer<Float>, _ target: UnsafePointer<Float>,
    _ weights: UnsafePointer<Float>?, perElementWeights: Bool, n: Int, d: Int, threads: Int
) {
    guard totalWeight > 0 else { return }
    let base = dloss / totalWeight
    parallelRanges(n * d, threads: threads, grain: elementwiseGrain) { r in
        for e in r {
            let w = weights.map { $0[perElementWeights ? e : e / d] } ?? 1
            let diff = pred[e] - target[e]
            let slope: Float = kind == .l1 ? (diff > 0 ? 1 : diff < 0 ? -1 : 0) : 2 * diff
            dpred[e] += base * w * slope
        }
    }
}
