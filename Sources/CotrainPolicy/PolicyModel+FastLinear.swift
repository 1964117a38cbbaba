// Inference-only linear layers on pre-transposed weights.
//
// `Tape.linear` multiplies by Wᵀ, which makes the GEMM pack W transposed on every call.
// For the 16-row products of the action expert, run 10 times per chunk, that packing
// cost as much as the arithmetic (measured: 42 vs 81 GFLOP/s for 16×256×64 NT vs NN).
// So `act` transposes the expert's weights once per call and the expert's linears run
// as plain NN products. Only used when the tape does not record (no gradients).
import CotrainTensor

/// Transposed copies of weights, valid for one inference call.
final class TransposedWeights {
    private var byWeight: [ObjectIdentifier: Tensor] = [:]
    let workspace = GemmWorkspace()

    /// Refreshes `Wᵀ (in, out)` for every weight in `layers` (values may have changed).
    func refresh(_ layers: [LinearLayer]) {
        for layer in layers {
            let w = layer.weight.tensor
            let (out, inp) = (w.shape[0], w.shape[1])
            let key = ObjectIdentifier(w)
            let t = byWeight[key] ?? Tensor(zeros: Shape(inp, out))
            byWeight[key] = t
            let (src, dst) = (w.data, t.data)
            for o in 0..<out { for i in 0..<inp { dst[i * out + o] = src[o * inp + i] } }
        }
    }

    /// `Wᵀ` of `weight`, if refreshed.
    func transposed(_ weight: Tensor) -> Tensor? { byWeight[ObjectIdentifier(weight)] }
}

extension PolicyModel {
    /// The expert-side layers that run once per Euler step.
    var stepLayers: [LinearLayer] {
        var layers = [time1, time2]
        for block in expert { layers += [block.q, block.kv, block.proj, block.fc, block.out] }
        for e in embodiments.values { layers += [e.actionIn, e.actionOut] }
        return layers
    }

    /// `x·Wᵀ + b` as an NN product with the cached `Wᵀ`, on a non-recording tape; nil if
    /// the layer has no cached transpose (callers then use `Tape.linear`).
    func fastLinear(_ tape: Tape, _ x: Tensor, _ layer: LinearLayer) -> Tensor? {
        guard !tape.isRecording, let cache = transposedWeights, let wt = cache.transposed(layer.weight.tensor) else { return nil }
        let (c, oc, n) = (wt.shape[0], wt.shape[1], x.shape.rows)
        let out = tape.constant(x.shape.replacingLast(oc))
        if let bias = layer.bias?.tensor {
            for row in 0..<n { (out.data + row * oc).update(from: bias.data, count: oc) }
        }
        Gemm.multiply(
            transA: false, transB: false, m: n, n: oc, k: c, a: x.data, lda: c, b: wt.data, ldb: oc,
            c: out.data, ldc: oc, accumulate: layer.bias != nil, threads: tape.threads, workspace: cache.workspace)
        return out
    }
}

extension Shape {
    /// The same shape with the last dimension replaced.
    func replacingLast(_ d: Int) -> Shape {
        var dims = self.dims
        dims[dims.count - 1] = d
        return Shape(dims)
    }
}
