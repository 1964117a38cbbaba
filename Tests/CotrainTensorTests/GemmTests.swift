import Testing
@testable import CotrainTensor

/// Random matrices for GEMM checks, stored as each variant needs.
struct GemmCase: CustomTestStringConvertible {
    let m: Int, n: Int, k: Int, transA: Bool, transB: Bool
    var testDescription: String { "\(transA ? "T" : "N")\(transB ? "T" : "N") \(m)×\(n)×\(k)" }

    /// Runs the packed GEMM and the reference on the same random operands (with padded
    /// leading dimensions, to catch stride bugs) and returns the largest relative error.
    func maxError(threads: Int, accumulate: Bool) -> Float {
        var rng = Xoshiro256(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        let (ar, ac) = transA ? (k, m) : (m, k)
        let (br, bc) = transB ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (ac + 3, bc + 1, n + 2)
        let a = (0..<(ar * lda)).map { _ in rng.uniform(-1, 1) }
        let b = (0..<(br * ldb)).map { _ in rng.uniform(-1, 1) }
        let c0 = (0..<(m * ldc)).map { _ in rng.uniform(-1, 1) }
        var fast = c0, slow = c0
        let ws = GemmWorkspace()
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                fast.withUnsafeMutableBufferPointer { pc in
                    Gemm.multiply(transA: transA, transB: transB, m: m, n: n, k: k,
                                  a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                  c: pc.baseAddress!, ldc: ldc, accumulate: accumulate, threads: threads, workspace: ws)
                }
                slow.withUnsafeMutableBufferPointer { pc in
                    Gemm.reference(transA: transA, transB: transB, m: m, n: n, k: k,
                                   a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                   c: pc.baseAddress!, ldc: ldc, accumulate: accumulate)
                }
            }
        }
        var err: Float = 0
        for i in 0..<m {
            for j in 0..<ldc {
                let (f, s) = (fast[i * ldc + j], slow[i * ldc + j])
                if j >= n {
                    // Padding columns must be untouched.
                    if f != c0[i * ldc + j] { return .infinity }
                    continue
                }
                err = max(err, abs(f - s) / (1 + abs(s)))
            }
        }
        return err
    }
}

@Suite struct GemmTests {
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 77, 5), (77, 1, 5), (5, 3, 1), (6, 32, 8), (7, 33, 9), (17, 33, 65),
        (12, 64, 300), (100, 31, 129), (97, 130, 257), (1, 1000, 40), (300, 2, 70), (193, 97, 1),
    ]
    static let cases: [GemmCase] = shapes.flatMap { (m, n, k) in
        [(false, false), (false, true), (true, false), (true, true)].map {
            GemmCase(m: m, n: n, k: k, transA: $0.0, transB: $0.1)
        }
    }

    @Test("packed GEMM equals the naive reference", arguments: cases)
    func matchesReference(_ c: GemmCase) {
        for threads in [1, 2, 3] {
            for accumulate in [false, true] {
                let err = c.maxError(threads: threads, accumulate: accumulate)
                #expect(err < 1e-5, "threads \(threads), accumulate \(accumulate): error \(err)")
            }
        }
    }

    @Test("large GEMM crosses every blocking boundary and stays exact across thread counts")
    func largeDeterministic() {
        let (m, n, k) = (203, 1601, 300)  // > MC, > NC, > KC, odd edges
        var rng = Xoshiro256(seed: 7)
        let a = Tensor(zeros: Shape(m, k)), b = Tensor(zeros: Shape(n, k))
        rng.fillUniform(a, -1, 1)
        rng.fillUniform(b, -1, 1)
        let ws = GemmWorkspace()
        var results: [[Float]] = []
        for threads in [1, 2, 4] {
            let c = Tensor(zeros: Shape(m, n))
            Gemm.multiply(transA: false, transB: true, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k,
                          c: c.data, ldc: n, accumulate: false, threads: threads, workspace: ws)
            results.append(c.values)
        }
        #expect(results[0] == results[1] && results[1] == results[2])
        let r = Tensor(zeros: Shape(m, n))
        Gemm.reference(transA: false, transB: true, m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: k,
                       c: r.data, ldc: n, accumulate: false)
        let err = zip(r.values, results[0]).map { abs($0 - $1) / (1 + abs($0)) }.max()!
        #expect(err < 1e-5)
    }

    @Test("k = 0 clears C or leaves it, m = 0 and n = 0 do nothing")
    func degenerate() {
        let ws = GemmWorkspace()
        let a = Tensor(zeros: Shape(4)), b = Tensor(zeros: Shape(4))
        let c = Tensor(shape: Shape(2, 2), values: [1, 2, 3, 4])
        Gemm.multiply(transA: false, transB: false, m: 2, n: 2, k: 0, a: a.data, lda: 1, b: b.data, ldb: 2,
                      c: c.data, ldc: 2, accumulate: true, threads: 2, workspace: ws)
        #expect(c.values == [1, 2, 3, 4])
        Gemm.multiply(transA: false, transB: false, m: 2, n: 2, k: 0, a: a.data, lda: 1, b: b.data, ldb: 2,
                      c: c.data, ldc: 2, accumulate: false, threads: 2, workspace: ws)
        #expect(c.values == [0, 0, 0, 0])
    }

    @Test("the partition never gives a worker an empty rectangle and prefers splitting rows")
    func partition() {
        #expect(Gemm.partition(m: 5120, n: 384, workers: 2) == (2, 1))
        #expect(Gemm.partition(m: 3, n: 4096, workers: 2) == (1, 2))
        #expect(Gemm.partition(m: 6, n: 32, workers: 4) == (1, 1))
    }

    @Test("the benchmark API measures and verifies a small shape")
    func benchmark() {
        let shape = GemmShape("small", m: 64, n: 48, k: 40, transB: true)
        let results = GemmBenchmark.run(shapes: [shape], threads: 2, minSeconds: 0.001, verify: true)
        #expect(results.count == 1)
        #expect(results[0].gflops > 0 && results[0].relativeError < 1e-5)
        #expect(GemmBenchmark.modelShapes().map(\.variant).contains("TN"))
    }
}
