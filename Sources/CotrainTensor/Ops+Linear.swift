// Linear layer (PyTorch layout: weight (OC,C), so checkpoints load as nn.Linear).

// inp (N,C), weight (OC,C), bias (OC)? -> out (N,OC) = inp·weightᵀ + bias
func linearForward(
    _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    _ bias: UnsafePointer<Float>?, n: Int, c: Int, oc: Int, threads: Int, workspace: GemmWorkspace
) {
    if let bias {
        // Seed every row with the bias and let the GEMM accumulate onto it.
        for row in 0..<n { (out + row * oc).update(from: bias, count: oc) }
    }
    Gemm.multiply(
        transA: false, transB: true, m: n, n: oc, k: c, a: inp, lda: c, b: weight, ldb: c,
        c: out, ldc: oc, accumulate: bias != nil, threads: threads, workspace: workspace)
}

/// A gradient destination: the buffer and whether it already holds a gradient to add to.
struct GradTarget {
    let pointer: UnsafeMutablePointer<Float>
    let accumulate: Bool
}

// dout (N,OC), inp (N,C), weight (OC,C) ->
//   dinp (N,C) [+]= dout·weight, dweight (OC,C) [+]= doutᵀ·inp, dbias (OC) += Σ_n dout
func linearBackward(
    dinp: GradTarget?, dweight: GradTarget?, dbias: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
    n: Int, c: Int, oc: Int, threads: Int, workspace: GemmWorkspace
) {
    if let dinp {
        Gemm.multiply(
            transA: false, transB: false, m: n, n: c, k: oc, a: dout, lda: oc, b: weight, ldb: c,
            c: dinp.pointer, ldc: c, accumulate: dinp.accumulate, threads: threads, workspace: workspace)
    }
    if let dweight {
        Gemm.multiply(
            transA: true, transB: false, m: oc, n: c, k: n, a: dout, lda: oc, b: inp, ldb: c,
            c: dweight.pointer, ldc: c, accumulate: dweight.accumulate, threads: threads, workspace: workspace)
    }
    if let dbias {
        broadcastAddBackwardB(dbias, dout, p: 1, q: n, r: oc, threads: threads)
    }
}
