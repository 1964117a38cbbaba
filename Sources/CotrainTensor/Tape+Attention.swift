// Attention on the tape: separate q/k/v or one fused qkv tensor.

/// Which (query, key) pairs attention may use.
public struct AttentionMask {
    /// Query i sees only keys j ≤ i + (Tk − Tq) (autoregressive text, action chunks).
    public var causal: Bool
    /// `(B,Tk)`: 0 hides key j of sample b (padding, absent modalities).
    public var keyMask: Tensor?
    /// `(Tq,Tk)` shared by the batch or `(B,Tq,Tk)` per sample, added to the scaled
    /// scores; `-infinity` hides a pair exactly (block masks).
    public var additive: Tensor?

    /// A mask from its parts (all optional).
    public init(causal: Bool = false, keyMask: Tensor? = nil, additive: Tensor? = nil) {
        self.causal = causal
        self.keyMask = keyMask
        self.additive = additive
    }

    /// Every query sees every key.
    public static var none: AttentionMask { AttentionMask() }
}

extension Tape {
    /// Multi-head scaled dot-product attention: `q (B,Tq,C)`, `k, v (B,Tk,C)` → `(B,Tq,C)`
    /// with `C = heads · headSize`. A query row with no visible key outputs zeros.
    public func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, mask: AttentionMask = .none) -> Tensor {
        precondition(q.shape.rank == 3 && k.shape == v.shape && k.shape.rank == 3
                     && q.shape[0] == k.shape[0] && q.shape[2] == k.shape[2],
                     "attention: q \(q.shape), k \(k.shape), v \(v.shape)")
        let c = q.shape[2]
        return attention(q: q, k: k, v: v, offsets: (0, 0, 0), strides: (c, c, c),
                         batch: q.shape[0], tq: q.shape[1], tk: k.shape[1], width: c, heads: heads, mask: mask)
    }

    /// Self-attention on a fused projection `qkv (B,T,3C)` (q, k, v side by side, as one
    /// linear layer produces them) → `(B,T,C)`, without splitting copies.
    public func selfAttention(qkv: Tensor, heads: Int, mask: AttentionMask = .none) -> Tensor {
        precondition(qkv.shape.rank == 3 && qkv.shape[2] % 3 == 0, "selfAttention: qkv \(qkv.shape)")
        let (batch, t, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let c = c3 / 3
        return attention(q: qkv, k: qkv, v: qkv, offsets: (0, c, 2 * c), strides: (c3, c3, c3),
                         batch: batch, tq: t, tk: t, width: c, heads: heads, mask: mask)
    }

    func attention(
        q: Tensor, k: Tensor, v: Tensor, offsets: (Int, Int, Int), strides: (Int, Int, Int),
        batch: Int, tq: Int, tk: Int, width: Int, heads: Int, mask: AttentionMask
    ) -> Tensor {
        precondition(heads > 0 && width % heads == 0, "attention: width \(width) not divisible by \(heads) heads")
        if let km = mask.keyMask {
            precondition(km.count == batch * tk, "attention: keyMask \(km.shape) is not (\(batch),\(tk))")
        }
        var additiveStride = 0
        if let add = mask.additive {
            precondition(add.count == tq * tk || add.count == batch * tq * tk,
                         "attention: additive mask \(add.shape) is not (\(tq),\(tk)) or (\(batch),\(tq),\(tk))")
            additiveStride = add.count == tq * tk ? 0 : tq * tk
        }
        let geometry = AttentionGeometry(
            batch: batch, tq: tq, tk: tk, heads: heads, headSize: width / heads,
            ldq: strides.0, ldk: strides.1, ldv: strides.2, causal: mask.causal,
            keyMask: mask.keyMask.map { UnsafePointer($0.data) },
            additive: mask.additive.map { UnsafePointer($0.data) }, additiveBatchStride: additiveStride)
        let out = make(Shape(batch, tq, width), requiresGrad: needsGrad(q, k, v))
        let att = make(Shape(batch, heads, tq, tk))
        attentionForward(
            out.data, att: att.data, q: q.data + offsets.0, k: k.data + offsets.1, v: v.data + offsets.2,
            geometry, workspaces: workerGemms)
        if out.requiresGrad {
            let scratch = make(Shape(workerGemms.count, tq * tk))
            record(.attention(AttentionRecord(
                q: q, k: k, v: v, qOffset: offsets.0, kOffset: offsets.1, vOffset: offsets.2,
                keyMask: mask.keyMask, additive: mask.additive, geometry: geometry,
                att: att, scratch: scratch, out: out)))
        }
        return out
    }
}
