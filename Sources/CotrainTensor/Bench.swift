// GEMM benchmark API (wired into `cotrain bench train` by the CLI).
import Foundation

/// One GEMM problem: `C (m,n) = op(A) (m,k) · op(B) (k,n)`.
public struct GemmShape: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A label such as `"qkv.forward"`.
    public var name: String
    /// Rows of C.
    public var m: Int
    /// Columns of C.
    public var n: Int
    /// Reduction length.
    public var k: Int
    /// A stored `(k,m)` rather than `(m,k)`.
    public var transA: Bool
    /// B stored `(n,k)` rather than `(k,n)`.
    public var transB: Bool

    /// A named problem.
    public init(_ name: String, m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
        (self.name, self.m, self.n, self.k, self.transA, self.transB) = (name, m, n, k, transA, transB)
    }

    /// `"NT"`, `"TN"`, ...: how A and B are stored.
    public var variant: String { (transA ? "T" : "N") + (transB ? "T" : "N") }
    /// Floating-point operations of one multiply.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    /// `qkv.forward NT 5120×384×128`.
    public var description: String { "\(name) \(variant) \(m)×\(n)×\(k)" }
}

/// The measured speed of one GEMM problem.
public struct GemmBenchmarkResult: Sendable, Codable {
    /// The problem.
    public var shape: GemmShape
    /// Threads the kernel was allowed to use.
    public var threads: Int
    /// Best time of one multiply, seconds.
    public var seconds: Double
    /// `shape.flops / seconds / 1e9`.
    public var gflops: Double
    /// Largest |fast − reference| relative to the largest |reference| (0 if not checked).
    public var relativeError: Double
}

/// Measures `Gemm.multiply` throughput.
public enum GemmBenchmark {
    /// The GEMMs of one linear layer pair of the policy trunk (batch 64 × 80 tokens,
    /// width 128, MLP 512, fused qkv 384) — forward (NT) and both backward variants (NN
    /// for the input gradient, TN for the weight gradient) — plus the classic 1024³.
    public static func modelShapes(rows: Int = 64 * 80, width: Int = 128) -> [GemmShape] {
        let (bt, c) = (rows, width)
        return [
            GemmShape("qkv.forward", m: bt, n: 3 * c, k: c, transB: true),
            GemmShape("qkv.backward.input", m: bt, n: c, k: 3 * c),
            GemmShape("qkv.backward.weight", m: 3 * c, n: c, k: bt, transA: true),
            GemmShape("mlp.up.forward", m: bt, n: 4 * c, k: c, transB: true),
            GemmShape("mlp.down.forward", m: bt, n: c, k: 4 * c, transB: true),
            GemmShape("mlp.down.backward.input", m: bt, n: 4 * c, k: c),
            GemmShape("mlp.up.backward.weight", m: 4 * c, n: c, k: bt, transA: true),
            GemmShape("square.1024", m: 1024, n: 1024, k: 1024),
        ]
    }

    /// Times each shape on `threads` threads for at least `minSeconds`, keeping the best
    /// single-call time (robust to other processes sharing the machine). With `verify`,
    /// also compares one result against `Gemm.reference` (slow for 1024³).
    public static func run(
        shapes: [GemmShape], threads: Int, minSeconds: Double = 0.3, verify: Bool = false
    ) -> [GemmBenchmarkResult] {
        let workspace = GemmWorkspace()
        var rng = Xoshiro256(seed: 42)
        return shapes.map { s in
            let a = Tensor(zeros: Shape(s.m * s.k)), b = Tensor(zeros: Shape(s.k * s.n))
            let c = Tensor(zeros: Shape(s.m * s.n))
            for i in 0..<a.count { a[i] = rng.uniform(-1, 1) }
            for i in 0..<b.count { b[i] = rng.uniform(-1, 1) }
            let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
            let call = {
                Gemm.multiply(
                    transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                    a: a.data, lda: lda, b: b.data, ldb: ldb, c: c.data, ldc: s.n,
                    accumulate: false, threads: threads, workspace: workspace)
            }
            call()
            var best = Double.infinity, total = 0.0, calls = 0
            while total < minSeconds || calls < 3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                call()
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
                best = min(best, dt)
                total += dt
                calls += 1
            }
            var error = 0.0
            if verify {
                let r = Tensor(zeros: Shape(s.m * s.n))
                Gemm.reference(
                    transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                    a: a.data, lda: lda, b: b.data, ldb: ldb, c: r.data, ldc: s.n, accumulate: false)
                var scale = 0.0
                for i in 0..<r.count {
                    error = max(error, Double(abs(r[i] - c[i])))
                    scale = max(scale, Double(abs(r[i])))
                }
                error /= max(scale, 1e-30)
            }
            return GemmBenchmarkResult(
                shape: s, threads: threads, seconds: best, gflops: s.flops / best / 1e9,
                relativeError: error)
        }
    }
}
