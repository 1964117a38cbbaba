// FedAvg weights: sample counts, capped per delta in samples and in share of the total.
import CotrainCore

/// FedAvg weight computation (deterministic: Double arithmetic in a fixed order).
enum AggregationWeights {
    /// Normalised weights (summing to 1, up to rounding) for deltas in node-id order.
    ///
    /// 1. w_i = min(sampleCount_i, maxSamples).
    /// 2. With `maxShare` s: the largest weights are lowered to a common cap c so that
    ///    each capped weight is exactly s of the new total (water-filling over weights
    ///    sorted descending, ties by node id); if s · n ≤ 1 every weight becomes equal.
    /// 3. p_i = w_i / Σ w (sum in node-id order). All zero counts give equal weights.
    static func fedAvg(sampleCounts: [Int], nodes: [NodeID], maxShare: Double?, maxSamples: Int?) -> [Double] {
        let n = sampleCounts.count
        var w = sampleCounts.map { Double(min($0, maxSamples ?? Int.max)) }
        if let s = maxShare, s < 1, n > 0 {
            if s * Double(n) <= 1 {
                w = [Double](repeating: 1, count: n)
            } else {
                let order = (0..<n).sorted { w[$0] != w[$1] ? w[$0] > w[$1] : nodes[$0] < nodes[$1] }
                var k = 0
                var cap = 0.0
                while k < n {
                    var rest = 0.0
                    for i in order[k...] { rest += w[i] }
                    cap = s * rest / (1 - Double(k) * s)
                    if w[order[k]] <= cap { break }
                    k += 1
                }
                for i in order[..<k] { w[i] = cap }
            }
        }
        var total = 0.0
        for x in w { total += x }
        guard total > 0 else { return [Double](repeating: 1 / Double(n), count: n) }
        return w.map { $0 / total }
    }
}
