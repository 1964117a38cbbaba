// The differentiable ops: each computes its forward value into an arena tensor and
// records what its backward pass needs. Shapes are checked up front (a wrong shape is a
// programming error, so it traps with a message naming both shapes).

extension Tape {
    /// Whether an op over these inputs records itself (fixed arity: variadics allocate).
    @inline(__always)
    func needsGrad(_ a: Tensor?, _ b: Tensor? = nil, _ c: Tensor? = nil) -> Bool {
        isRecording && (a?.requiresGrad == true || b?.requiresGrad == true || c?.requiresGrad == true)
    }

    /// `x (…,C) · weightᵀ + bias` with `weight (OC,C)`, `bias (OC)` → `(…,OC)`.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let (c, oc) = (x.shape.last, weight.shape[0])
        precondition(weight.shape == Shape(oc, c), "linear: x \(x.shape) vs weight \(weight.shape)")
        precondition(bias == nil || bias!.count == oc, "linear: bias \(bias!.shape) for \(oc) outputs")
        let n = x.shape.rows
        let out = make(x.shape.replacingLast(oc), requiresGrad: needsGrad(x, weight, bias))
        linearForward(
            out.data, x.data, weight.data, bias?.data, n: n, c: c, oc: oc, threads: threads, workspace: gemm)
        if out.requiresGrad { record(.linear(x: x, weight: weight, bias: bias, out: out)) }
        return out
    }

    /// Element-wise `a + b` (same shape).
    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "add: \(a.shape) vs \(b.shape)")
        let out = make(a.shape, requiresGrad: needsGrad(a, b))
        addForward(out.data, a.data, b.data, a.count, threads: threads)
        if out.requiresGrad { record(.add(a, b, out: out)) }
        return out
    }

    /// Element-wise `a ⊙ b` (same shape).
    public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "mul: \(a.shape) vs \(b.shape)")
        let out = make(a.shape, requiresGrad: needsGrad(a, b))
        mulForward(out.data, a.data, b.data, a.count, threads: threads)
        if out.requiresGrad { record(.mul(a, b, out: out)) }
        return out
    }

    /// `s · x`.
    public func scale(_ x: Tensor, _ s: Float) -> Tensor {
        let out = make(x.shape, requiresGrad: needsGrad(x))
        scaleForward(out.data, x.data, s, x.count, threads: threads)
        if out.requiresGrad { record(.scale(x, s, out: out)) }
        return out
    }

    /// `a + b` with `b` repeated along one axis of `a`: `a` viewed as `(P,Q,R)` and `b` as
    /// `(P,R)`, `axis` naming Q. Examples: a bias `(C)` over `(N,C)` (`repeats: N`), a
    /// positional table `(T,C)` over `(B,T,C)` (`repeats: B`), a per-sample vector `(B,C)`
    /// over `(B,T,C)` (`outer: B, repeats: T`).
    public func broadcastAdd(_ a: Tensor, _ b: Tensor, outer: Int = 1, repeats: Int) -> Tensor {
        precondition(outer > 0 && repeats > 0 && a.count % (outer * repeats) == 0, "broadcastAdd: bad split of \(a.shape)")
        let r = a.count / (outer * repeats)
        precondition(b.count == outer * r, "broadcastAdd: b \(b.shape) is not (\(outer),\(r)) for a \(a.shape)")
        let out = make(a.shape, requiresGrad: needsGrad(a, b))
        broadcastAddForward(out.data, a.data, b.data, p: outer, q: repeats, r: r, threads: threads)
        if out.requiresGrad { record(.broadcastAdd(a, b, out: out, p: outer, q: repeats, r: r)) }
        return out
    }

    /// GELU with the tanh approximation (as GPT-2 and HPT use).
    public func gelu(_ x: Tensor) -> Tensor {
        let out = make(x.shape, requiresGrad: needsGrad(x))
        geluForward(out.data, x.data, x.count, threads: threads)
        if out.requiresGrad { record(.gelu(x, out: out)) }
        return out
    }

    /// Layer norm over the last axis: `(x − mean)/√(var + eps) · gamma + beta`.
    public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float = 1e-5) -> Tensor {
        let (n, c) = (x.shape.rows, x.shape.last)
        precondition(gamma.count == c && beta.count == c, "layerNorm: gamma/beta vs width \(c)")
        let out = make(x.shape, requiresGrad: needsGrad(x, gamma, beta))
        let stats = make(Shape(2, n))
        layerNormForward(
            out.data, mean: stats.data, rstd: stats.data + n, x.data, gamma.data, beta.data,
            n: n, c: c, eps: eps, threads: threads)
        if out.requiresGrad { record(.layerNorm(x, gamma: gamma, beta: beta, out: out, stats: stats)) }
        return out
    }

    /// RMS norm over the last axis: `x / √(mean(x²) + eps) · weight`.
    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float = 1e-6) -> Tensor {
        let (n, c) = (x.shape.rows, x.shape.last)
        precondition(weight.count == c, "rmsNorm: weight \(weight.shape) vs width \(c)")
        let out = make(x.shape, requiresGrad: needsGrad(x, weight))
        let rstd = make(Shape(n))
        rmsNormForward(out.data, rstd: rstd.data, x.data, weight.data, n: n, c: c, eps: eps, threads: threads)
        if out.requiresGrad { record(.rmsNorm(x, weight: weight, out: out, rstd: rstd)) }
        return out
    }

    /// Softmax over the last axis.
    public func softmax(_ x: Tensor) -> Tensor {
        let out = make(x.shape, requiresGrad: needsGrad(x))
        softmaxForward(out.data, x.data, n: x.shape.rows, v: x.shape.last, threads: threads)
        if out.requiresGrad { record(.softmax(x, out: out)) }
        return out
    }

    /// Spatial soft-argmax of `x (B,N,K)` (K channels at N positions): per sample and
    /// channel, the softmax over positions of `beta[k]·x` and the expected coordinates
    /// under it, from `coordinates (N,2)` → `(B,1,2K)` as (x̄₁, ȳ₁, x̄₂, ȳ₂, …).
    public func spatialSoftmax(_ x: Tensor, coordinates: Tensor, beta: Tensor) -> Tensor {
        let (b, n, k) = (x.shape[0], x.shape.count / x.shape[0] / x.shape.last, x.shape.last)
        precondition(coordinates.count == 2 * n && beta.count == k, "spatialSoftmax: \(x.shape) with \(coordinates.shape) coordinates and \(beta.count) temperatures")
        let out = make(Shape(b, 1, 2 * k), requiresGrad: needsGrad(x, beta))
        let probs = make(Shape(b, n, k))
        spatialSoftmaxForward(out.data, probs: probs.data, x.data, coords: coordinates.data, beta: beta.data, b: b, n: n, k: k, threads: threads)
        if out.requiresGrad { record(.spatialSoftmax(x, coordinates: coordinates, beta: beta, out: out, probs: probs)) }
        return out
    }

    /// Query-weighted soft-argmax: for each row of `x (R,N,K)` (K features at N
    /// positions) and each of its M queries in `queries (R,M·K)`, the softmax over
    /// positions of `gain · x[n]·query` and the expected coordinates under it, from
    /// `coordinates (N,2)` → `(R,1,2M)`. A query that weights the "red" features points
    /// at the red object, so which object is meant can come from elsewhere (the text).
    /// With `coarse (R,N/rep,C)` and `coarseQueries (R,M·C)`, each position's logit also
    /// gets `coarse[n / rep]·coarseQuery`: context from a coarser map (e.g. one feature
    /// vector per image patch, `rep` pixels each) that the fine features lack.
    public func pointer(
        _ x: Tensor, queries: Tensor, coarse: Tensor? = nil, coarseQueries: Tensor? = nil, coordinates: Tensor, gain: Float
    ) -> Tensor {
        pointer(x, queries: queries, coarse: coarse, coarseQueries: coarseQueries, coordinates: coordinates, gain: gain,
                targets: nil).points
    }

    /// As `pointer`, and with `targets (R·M, 3)` — per row and pointer a labelled point
    /// (x, y) and a radius, all in coordinate units (radius 0: unlabelled) — also each
    /// pointer's log-probability of landing within the radius of its point, `(R·M)`
    /// (0 where unlabelled): a loss on it pulls the whole map onto the object, where a
    /// squared error on the mean barely notices a little mass left on a look-alike. A
    /// negative radius gives the log-probability of landing outside the disc of |radius|
    /// (a loss on it pushes the map off a look-alike).
    ///
    /// With `inhibition`, pointer 0 of each row (the object to move) avoids where pointer 1
    /// (its destination) points: its logits drop by softplus(gates[row])·scale within
    /// radii[row mod radii.count] (coordinate units; one radius per camera of a sample's
    /// consecutive rows) of pointer 1's point. `gates (R)` is learned; the disc counts as
    /// fixed in backward.
    public func pointer(
        _ x: Tensor, queries: Tensor, coarse: Tensor? = nil, coarseQueries: Tensor? = nil, coordinates: Tensor, gain: Float,
        targets: Tensor?, inhibition: (gates: Tensor, radii: [Float], scale: Float)? = nil
    ) -> (points: Tensor, logMass: Tensor?) {
        let (r, k) = (x.shape[0], x.shape.last)
        let (n, m) = (x.count / r / k, queries.count / r / k)
        precondition(coordinates.count == 2 * n && queries.count == r * m * k && m >= 1,
                     "pointer: \(x.shape) with \(queries.shape) queries and \(coordinates.shape) coordinates")
        precondition(targets == nil || targets!.count == r * m * 3, "pointer: targets \(targets!.shape) for \(r)×\(m) pointers")
        var shape = PointerShape(r: r, n: n, k: k, m: m, c: 0, rep: 1)
        if let coarse {
            let c = coarse.shape.last, cells = coarse.count / r / c
            precondition(coarse.shape[0] == r && cells > 0 && n % cells == 0 && coarseQueries?.count == r * m * c,
                         "pointer: coarse map \(coarse.shape) for \(x.shape), queries \(coarseQueries?.shape.dims ?? [])")
            shape = PointerShape(r: r, n: n, k: k, m: m, c: c, rep: n / cells)
        }
        precondition(inhibition.map { $0.gates.count == r && !$0.radii.isEmpty } ?? true, "pointer: inhibition gates for \(r) rows")
        let grad = needsGrad(x, queries) || coarse.map { needsGrad($0, coarseQueries!) } == true
            || inhibition.map { needsGrad($0.gates) } == true
        let out = make(Shape(r, 1, 2 * m), requiresGrad: grad)
        let probs = make(Shape(r, m, n))
        let mass = targets.map { _ in make(Shape(r * m), requiresGrad: grad) }
        let inhibit = inhibition.map { PointerInhibition(gates: $0.gates.data, radii: $0.radii, scale: $0.scale) }
        pointerForward(out.data, probs: probs.data, x.data, queries.data, coarse: coarse?.data, coarseQueries: coarseQueries?.data,
                       coords: coordinates.data, gain: gain, shape: shape, targets: targets?.data, mass: mass?.data,
                       inhibition: inhibit, threads: threads)
        if out.requiresGrad {
            record(.pointer(PointerRecord(
                x: x, queries: queries, coarse: coarse, coarseQueries: coarseQueries, coordinates: coordinates,
                gain: gain, shape: shape, out: out, probs: probs, targets: targets, mass: mass,
                gates: inhibition?.gates, radii: inhibition?.radii ?? [], inhibitionScale: inhibition?.scale ?? 0)))
        }
        return (out, mass)
    }

    /// Each position's features and their mean over its `(2·radius+1)²` neighbourhood
    /// (zero outside the image, fixed scale): `x (R,N,K)` holding `N = side²` positions
    /// per row, position `(x, y)` at row `order[y·side + x]` → `(R,N,2K)`, the K features
    /// then the K means. `order` must stay unchanged until `backward` has run.
    public func surround(_ x: Tensor, order: IndexTensor, side: Int, radius: Int) -> Tensor {
        let (r, k) = (x.shape[0], x.shape.last)
        precondition(side > 0 && order.count == side * side && x.count == r * side * side * k && radius >= 0,
                     "surround: \(x.shape) is not rows of \(side)×\(side) positions (order \(order.count), radius \(radius))")
        let out = make(Shape(r, side * side, 2 * k), requiresGrad: needsGrad(x))
        surroundForward(out.data, x.data, order: order.data, rows: r, side: side, k: k, radius: radius, threads: threads)
        if out.requiresGrad { record(.surround(SurroundRecord(x: x, out: out, order: order, side: side, radius: radius))) }
        return out
    }

    /// Rows of `table (V,C)` picked by `indices (N)` → `(N,C)`; pass `shape` to get e.g.
    /// `(B,T,C)`. `indices` must stay unchanged until `backward` has run.
    public func embedding(_ table: Tensor, indices: IndexTensor, shape: Shape? = nil) -> Tensor {
        let c = table.shape.last
        let outShape = shape ?? Shape(indices.count, c)
        precondition(outShape.count == indices.count * c, "embedding: \(outShape) for \(indices.count) ids of width \(c)")
        let out = make(outShape, requiresGrad: needsGrad(table))
        embeddingForward(out.data, table.data, indices.data, n: indices.count, c: c, vocab: table.shape.rows)
        if out.requiresGrad { record(.embedding(table: table, indices: indices, out: out)) }
        return out
    }

    /// Concatenation along the token axis: `a (B,Ta,C)`, `b (B,Tb,C)` → `(B,Ta+Tb,C)`.
    public func concatTokens(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape.rank == 3 && b.shape.rank == 3 && a.shape[0] == b.shape[0] && a.shape[2] == b.shape[2],
                     "concatTokens: \(a.shape) vs \(b.shape)")
        let (batch, ta, tb, c) = (a.shape[0], a.shape[1], b.shape[1], a.shape[2])
        let out = make(Shape(batch, ta + tb, c), requiresGrad: needsGrad(a, b))
        concatTokensForward(out.data, a.data, b.data, batch: batch, ta: ta, tb: tb, c: c)
        if out.requiresGrad { record(.concat(a, b, out: out)) }
        return out
    }

    /// Tokens `start..<start+count` of `x (B,T,C)` → `(B,count,C)`.
    public func sliceTokens(_ x: Tensor, start: Int, count: Int) -> Tensor {
        precondition(x.shape.rank == 3 && start >= 0 && count >= 0 && start + count <= x.shape[1],
                     "sliceTokens: \(start)..<\(start + count) of \(x.shape)")
        let (batch, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let out = make(Shape(batch, count, c), requiresGrad: needsGrad(x))
        sliceTokensForward(out.data, x.data, batch: batch, t: t, start: start, len: count, c: c)
        if out.requiresGrad { record(.slice(x, start: start, out: out)) }
        return out
    }

    /// Mean over the token axis: `x (B,T,C)` → `(B,C)`.
    public func meanTokens(_ x: Tensor) -> Tensor {
        precondition(x.shape.rank == 3 && x.shape[1] > 0, "meanTokens: \(x.shape)")
        let (batch, t, c) = (x.shape[0], x.shape[1], x.shape[2])
        let out = make(Shape(batch, c), requiresGrad: needsGrad(x))
        meanTokensForward(out.data, x.data, batch: batch, t: t, c: c)
        if out.requiresGrad { record(.meanTokens(x, out: out)) }
        return out
    }

    /// Σ of all elements → a scalar `(1)`.
    public func sum(_ x: Tensor) -> Tensor { reduce(x, scale: 1) }

    /// Mean of all elements → a scalar `(1)`.
    public func mean(_ x: Tensor) -> Tensor { reduce(x, scale: 1 / Float(Swift.max(x.count, 1))) }

    private func reduce(_ x: Tensor, scale: Float) -> Tensor {
        let out = make(Shape(1), requiresGrad: needsGrad(x))
        out[0] = Float(sumAll(x.data, x.count)) * scale
        if out.requiresGrad { record(.sum(x, scale: scale, out: out)) }
        return out
    }

    /// Masked mean cross-entropy: `logits (…,V)`, `targets` one class per row (negative:
    /// ignored), `weights` one per row (nil: all 1) → scalar Σ w·nll / Σ w (0 if Σ w = 0).
    public func crossEntropy(_ logits: Tensor, targets: IndexTensor, weights: Tensor? = nil) -> Tensor {
        let (n, v) = (logits.shape.rows, logits.shape.last)
        precondition(targets.count == n, "crossEntropy: \(targets.count) targets for \(n) rows")
        precondition(weights == nil || weights!.count == n, "crossEntropy: weights for \(n) rows")
        let out = make(Shape(1), requiresGrad: needsGrad(logits))
        let probs = make(logits.shape), nll = make(Shape(n))
        let (loss, weight) = crossEntropyForward(
            probs: probs.data, nll: nll.data, logits.data, targets.data, weights?.data, n: n, v: v, threads: threads)
        out[0] = weight > 0 ? Float(loss / weight) : 0
        if out.requiresGrad {
            record(.crossEntropy(
                logits: logits, targets: targets, weights: weights, probs: probs, totalWeight: Float(weight), out: out))
        }
        return out
    }

    /// Masked L1 or MSE: `pred` and `target` of one shape `(…,D)`; `weights` per row
    /// (`count` = rows) or per element (`count` = pred.count), nil for all 1 → scalar
    /// Σ w·ℓ / Σ w over elements (0 if Σ w = 0). `target` receives no gradient.
    public func regression(
        _ kind: RegressionLoss, _ pred: Tensor, target: Tensor, weights: Tensor? = nil
    ) -> Tensor {
        precondition(pred.count == target.count, "regression: pred \(pred.shape) vs target \(target.shape)")
        let (n, d) = (pred.shape.rows, pred.shape.last)
        let perElement = weights?.count == pred.count && d > 1
        precondition(weights == nil || weights!.count == n || perElement, "regression: weights \(weights!.shape) for \(pred.shape)")
        let out = make(Shape(1), requiresGrad: needsGrad(pred))
        let (loss, weight) = regressionForward(
            kind, pred.data, target.data, weights?.data, perElementWeights: perElement, n: n, d: d)
        out[0] = weight > 0 ? Float(loss / weight) : 0
        if out.requiresGrad {
            record(.regression(kind, pred: pred, target: target, weights: weights, totalWeight: Float(weight), out: out))
        }
        return out
    }

    /// Masked mean absolute error (see `regression`).
    public func l1Loss(_ pred: Tensor, target: Tensor, weights: Tensor? = nil) -> Tensor {
        regression(.l1, pred, target: target, weights: weights)
    }

    /// Masked mean squared error (see `regression`).
    public func mseLoss(_ pred: Tensor, target: Tensor, weights: Tensor? = nil) -> Tensor {
        regression(.mse, pred, target: target, weights: weights)
    }
}

extension Shape {
    /// The same shape with the last dimension replaced.
    func replacingLast(_ d: Int) -> Shape {
        switch rank {
        case 1: return Shape(d)
        case 2: return Shape(self[0], d)
        case 3: return Shape(self[0], self[1], d)
        default: return Shape(self[0], self[1], self[2], d)
        }
    }
}
