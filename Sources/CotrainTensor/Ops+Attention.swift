// Scaled dot-product attention with causal, key-padding and additive masks.
//
// Work is split over (sample, head) pairs; each pair runs small single-threaded GEMMs
// on strided views of q, k, v (no head-split copies) and writes only its own sample's
// head columns, so gradients need no reduction across threads.
import Foundation

/// Geometry and masks of one attention call.
struct AttentionGeometry {
    let batch: Int, tq: Int, tk: Int, heads: Int, headSize: Int
    /// Row strides of q, k, v (q, k, v may be column slices of one fused tensor).
    let ldq: Int, ldk: Int, ldv: Int
    /// Query i sees keys j ≤ i + (tk − tq) (the ends are aligned).
    let causal: Bool
    /// (B,Tk): 0 hides key j of sample b.
    let keyMask: UnsafePointer<Float>?
    /// (Tq,Tk) or (B,Tq,Tk) added to the scores; −∞ hides a pair exactly.
    let additive: UnsafePointer<Float>?
    /// 0 for a (Tq,Tk) additive mask shared by the batch, Tq·Tk for a per-sample one.
    let additiveBatchStride: Int

    var scale: Float { 1 / Float(headSize).squareRoot() }
    var width: Int { heads * headSize }
    var tasks: Int { batch * heads }
}

// q (B,Tq,·ldq), k (B,Tk,·ldk), v (B,Tk,·ldv) -> out (B,Tq,H·hs); saves att (B,H,Tq,Tk)
func attentionForward(
    _ out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    _ g: AttentionGeometry, workspaces: [GemmWorkspace]
) {
    let workers = Swift.min(workspaces.count, g.tasks)
    parallelWorkers(workers) { w in
        let ws = workspaces[w]
        var task = w
        while task < g.tasks {
            let (b, h) = (task / g.heads, task % g.heads)
            let qh = q + b * g.tq * g.ldq + h * g.headSize
            let kh = k + b * g.tk * g.ldk + h * g.headSize
            let vh = v + b * g.tk * g.ldv + h * g.headSize
            let p = att + task * g.tq * g.tk
            // scores (Tq,Tk) = q_h (Tq,hs) · k_hᵀ
            Gemm.multiply(
                transA: false, transB: true, m: g.tq, n: g.tk, k: g.headSize, a: qh, lda: g.ldq,
                b: kh, ldb: g.ldk, c: p, ldc: g.tk, accumulate: false, threads: 1, workspace: ws)
            maskedSoftmaxRows(p, sample: b, g)
            // out_h (Tq,hs) = P (Tq,Tk) · v_h (Tk,hs)
            Gemm.multiply(
                transA: false, transB: false, m: g.tq, n: g.headSize, k: g.tk, a: p, lda: g.tk,
                b: vh, ldb: g.ldv, c: out + b * g.tq * g.width + h * g.headSize, ldc: g.width,
                accumulate: false, threads: 1, workspace: ws)
            task += workers
        }
    }
}

/// Scales, masks and softmaxes the (Tq,Tk) scores of one (sample, head) in place.
@inline(__always)
func maskedSoftmaxRows(_ p: UnsafeMutablePointer<Float>, sample b: Int, _ g: AttentionGeometry) {
    let scale = g.scale
    for i in 0..<g.tq {
        let row = p + i * g.tk
        let visible = g.causal ? Swift.min(g.tk, Swift.max(0, i + g.tk - g.tq + 1)) : g.tk
        for j in 0..<visible { row[j] *= scale }
        for j in visible..<g.tk { row[j] = -.infinity }
        if let add = g.additive {
            let a = add + b * g.additiveBatchStride + i * g.tk
            for j in 0..<visible { row[j] += a[j] }
        }
        if let km = g.keyMask {
            let m = km + b * g.tk
            for j in 0..<visible where m[j] == 0 { row[j] = -.infinity }
        }
        softmaxRow(row, row, g.tk)
    }
}

// dout (B,Tq,H·hs), att (B,H,Tq,Tk), q, k, v as forward ->
//   dq, dk, dv (same strides as q, k, v) += ...; scratch: (workers, Tq·Tk)
func attentionBackward(
    dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
    _ dout: UnsafePointer<Float>, att: UnsafePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    _ g: AttentionGeometry, scratch: UnsafeMutablePointer<Float>, workspaces: [GemmWorkspace]
) {
    let workers = Swift.min(workspaces.count, g.tasks)
    let scale = g.scale
    parallelWorkers(workers) { w in
        let ws = workspaces[w]
        let dp = scratch + w * g.tq * g.tk
        var task = w
        while task < g.tasks {
            let (b, h) = (task / g.heads, task % g.heads)
            let (qo, ko, vo) = (b * g.tq * g.ldq + h * g.headSize, b * g.tk * g.ldk + h * g.headSize, b * g.tk * g.ldv + h * g.headSize)
            let p = att + task * g.tq * g.tk
            let doh = dout + b * g.tq * g.width + h * g.headSize
            if let dv {
                // dv_h (Tk,hs) += Pᵀ (Tk,Tq) · dout_h (Tq,hs)
                Gemm.multiply(
                    transA: true, transB: false, m: g.tk, n: g.headSize, k: g.tq, a: p, lda: g.tk,
                    b: doh, ldb: g.width, c: dv + vo, ldc: g.ldv, accumulate: true, threads: 1, workspace: ws)
            }
            if dq == nil && dk == nil {
                task += workers
                continue
            }
            // dP (Tq,Tk) = dout_h · v_hᵀ, then dS = P ⊙ (dP − Σ_j dP·P) · scale
            Gemm.multiply(
                transA: false, transB: true, m: g.tq, n: g.tk, k: g.headSize, a: doh, lda: g.width,
                b: v + vo, ldb: g.ldv, c: dp, ldc: g.tk, accumulate: false, threads: 1, workspace: ws)
            for i in 0..<g.tq {
                let pr = p + i * g.tk, dr = dp + i * g.tk
                let s = dot(pr, dr, g.tk)
                for j in 0..<g.tk { dr[j] = pr[j] * (dr[j] - s) * scale }
            }
            if let dq {
                // dq_h (Tq,hs) += dS (Tq,Tk) · k_h (Tk,hs)
                Gemm.multiply(
                    transA: false, transB: false, m: g.tq, n: g.headSize, k: g.tk, a: dp, lda: g.tk,
                    b: k + ko, ldb: g.ldk, c: dq + qo, ldc: g.ldq, accumulate: true, threads: 1, workspace: ws)
            }
            if let dk {
                // dk_h (Tk,hs) += dSᵀ (Tk,Tq) · q_h (Tq,hs)
                Gemm.multiply(
                    transA: true, transB: false, m: g.tk, n: g.headSize, k: g.tq, a: dp, lda: g.tk,
                    b: q + qo, ldb: g.ldq, c: dk + ko, ldc: g.ldk, accumulate: true, threads: 1, workspace: ws)
            }
            task += workers
        }
    }
}
