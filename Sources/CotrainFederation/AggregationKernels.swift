// The per-coordinate kernels: weighted sum (FedAvg) and order statistics (median,
// trimmed mean) over deltas in node-id order, on raw buffers, SIMD16 across
// coordinates, parallel over disjoint coordinate ranges only — never across deltas,
// so every coordinate sees the same operations in the same order on any thread count.

/// Aggregation kernels; naive references live in the tests.
enum AggregationKernels {
    /// out[j] = fma(c[n-1], x[n-1][j], … fma(c[1], x[1][j], fma(c[0], x[0][j], +0)))  (Float)
    ///
    /// - Parameters: sources (n pointers to N floats), coefficients (n), out (N).
    static func weightedSum(
        _ sources: UnsafeBufferPointer<UnsafePointer<Float>>, coefficients: [Float],
        into out: UnsafeMutableBufferPointer<Float>, threads: Int
    ) {
        let n = sources.count
        let count = out.count
        let xs = sources.baseAddress!  // n deltas, each N floats
        let o = out.baseAddress!  // aggregate (N)
        coefficients.withUnsafeBufferPointer { cbuf in
            let c = cbuf.baseAddress!  // coefficients (n)
            parallelRanges(count: count, threads: threads) { range in
                var j = range.lowerBound
                while j + 32 <= range.upperBound {
                    var a0 = SIMD16<Float>()
                    var a1 = SIMD16<Float>()
                    for i in 0..<n {
                        let ci = SIMD16<Float>(repeating: c[i])
                        let p = UnsafeRawPointer(xs[i] + j)
                        a0 = a0.addingProduct(ci, p.loadUnaligned(as: SIMD16<Float>.self))
                        a1 = a1.addingProduct(ci, p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self))
                    }
                    UnsafeMutableRawPointer(o + j).storeBytes(of: a0, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(o + j).storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
                    j += 32
                }
                while j < range.upperBound {
                    var acc: Float = 0
                    for i in 0..<n { acc = acc.addingProduct(c[i], xs[i][j]) }
                    o[j] = acc
                    j += 1
                }
            }
        }
    }

    /// Which order statistic to take per coordinate.
    enum Statistic {
        /// The middle value (mean of the two middle values for even n, as (a + b) · 0.5).
        case median
        /// Σ sorted[k..<n-k] in ascending order, divided by Float(n - 2k).
        case trimmedMean(Int)
    }

    /// Per coordinate: v_i = x_i[j] · s_i + 0 (the +0 turns -0 into +0, so the sorted
    /// values depend only on the multiset), sorted by a fixed network, then `statistic`.
    ///
    /// - Parameters: sources (n pointers to N floats), scales (n), out (N).
    static func orderStatistic(
        _ sources: UnsafeBufferPointer<UnsafePointer<Float>>, scales: [Float], statistic: Statistic,
        into out: UnsafeMutableBufferPointer<Float>, threads: Int
    ) {
        let n = sources.count
        let count = out.count
        let network = SortingNetwork.comparators(n)
        let xs = sources.baseAddress!  // n deltas, each N floats
        let o = out.baseAddress!  // aggregate (N)
        let (first, last): (Int, Int)
        switch statistic {
        case .median: (first, last) = ((n - 1) / 2, n / 2)
        case let .trimmedMean(k): (first, last) = (k, n - 1 - k)
        }
        let isMedian = if case .median = statistic { true } else { false }
        scales.withUnsafeBufferPointer { sbuf in
            network.withUnsafeBufferPointer { nbuf in
                let s = sbuf.baseAddress!  // clip scales (n)
                let pairs = nbuf.baseAddress!  // comparators (m)
                let m = nbuf.count
                parallelRanges(count: count, threads: threads, minimumChunk: 1 << 14) { range in
                    let v = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: n)  // one vector per delta
                    defer { v.deallocate() }
                    var j = range.lowerBound
                    while j < range.upperBound {
                        let lanes = min(16, range.upperBound - j)
                        for i in 0..<n {
                            var x = SIMD16<Float>()
                            if lanes == 16 {
                                x = UnsafeRawPointer(xs[i] + j).loadUnaligned(as: SIMD16<Float>.self)
                            } else {
                                for lane in 0..<lanes { x[lane] = xs[i][j + lane] }
                            }
                            v[i] = x * SIMD16<Float>(repeating: s[i]) + SIMD16<Float>()
                        }
                        for p in 0..<m {
                            let (a, b) = (Int(pairs[p].0), Int(pairs[p].1))
                            let (x, y) = (v[a], v[b])
                            let swap = y .< x
                            v[a] = x.replacing(with: y, where: swap)
                            v[b] = y.replacing(with: x, where: swap)
                        }
                        var r: SIMD16<Float>
                        if isMedian {
                            r = first == last ? v[first] : (v[first] + v[last]) * 0.5
                        } else {
                            r = v[first]
                            var i = first + 1
                            while i <= last { r += v[i]; i += 1 }
                            r /= SIMD16<Float>(repeating: Float(last - first + 1))
                        }
                        if lanes == 16 {
                            UnsafeMutableRawPointer(o + j).storeBytes(of: r, as: SIMD16<Float>.self)
                        } else {
                            for lane in 0..<lanes { o[j + lane] = r[lane] }
                        }
                        j += lanes
                    }
                }
            }
        }
    }
}

/// Batcher's odd–even merge sorting networks.
enum SortingNetwork {
    /// The comparators (low index, high index) that sort n values ascending: Batcher's
    /// network for the next power of two, without comparators touching index ≥ n
    /// (padding with +∞ at the end makes those no-ops).
    static func comparators(_ n: Int) -> [(Int32, Int32)] {
        var size = 1
        while size < n { size *= 2 }
        var pairs: [(Int32, Int32)] = []
        var p = 1
        while p < size {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < size {
                    for i in 0..<min(k, size - j - k) where (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        if i + j + k < n { pairs.append((Int32(i + j), Int32(i + j + k))) }
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        return pairs
    }
}
