// Naive GEMM, the reference the packed kernel is tested against.

extension Gemm {
    /// The textbook triple loop with the same operand conventions as `multiply`,
    /// accumulating each dot product in Double. Slow; for tests and benchmark checks.
    public static func reference(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * lda + i] : a[i * lda + p]
                    let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(x) * Double(y)
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + Float(s) : Float(s)
            }
        }
    }
}
