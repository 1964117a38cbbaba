// Ops that change how a tensor is viewed, and attention over a fused key/value tensor.

extension Tape {
    /// The same values with another shape of equal element count (a copy: tensors own
    /// their storage). Backward passes the gradient through unchanged.
    public func reshape(_ x: Tensor, _ shape: Shape) -> Tensor {
        precondition(shape.count == x.count, "reshape: \(x.shape) has \(x.count) elements, \(shape) needs \(shape.count)")
        let out = make(shape, requiresGrad: needsGrad(x))
        out.data.update(from: x.data, count: x.count)
        // d/dx of a copy is the identity: the scale-by-1 backward, which ignores shapes.
        if out.requiresGrad { record(.scale(x, 1, out: out)) }
        return out
    }

    /// Attention of `q (B,Tq,C)` over a fused key/value tensor `kv (B,Tk,2C)` (keys in
    /// columns `0..<C`, values in `C..<2C`, as one linear layer produces them) →
    /// `(B,Tq,C)`. Cross-attention from a few query tokens to a cached prefix uses it.
    public func attention(q: Tensor, kv: Tensor, heads: Int, mask: AttentionMask = .none) -> Tensor {
        precondition(q.shape.rank == 3 && kv.shape.rank == 3 && kv.shape[0] == q.shape[0] && kv.shape[2] == 2 * q.shape[2],
                     "attention: q \(q.shape) vs kv \(kv.shape)")
        let c = q.shape[2]
        return attention(q: q, k: kv, v: kv, offsets: (0, 0, c), strides: (c, 2 * c, 2 * c),
                         batch: q.shape[0], tq: q.shape[1], tk: kv.shape[1], width: c, heads: heads, mask: mask)
    }
}
