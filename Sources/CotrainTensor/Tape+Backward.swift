// The backward pass of every recorded op: reads the output gradient, adds into the
// input gradients (only for inputs with `requiresGrad`).

extension Tape {
    func backward(_ entry: TapeEntry) {
        switch entry {
        case let .linear(x, weight, bias, out):
            guard let dout = outGrad(out) else { return }
            let (c, oc) = (x.shape.last, weight.shape[0])
            linearBackward(
                dinp: writeGrad(x), dweight: writeGrad(weight), dbias: bias.flatMap { addGrad($0) },
                dout, x.data, weight.data, n: x.shape.rows, c: c, oc: oc, threads: threads, workspace: gemm)
        case let .add(a, b, out):
            guard let dout = outGrad(out) else { return }
            if let da = addGrad(a) { scaleBackward(da, dout, 1, a.count, threads: threads) }
            if let db = addGrad(b) { scaleBackward(db, dout, 1, b.count, threads: threads) }
        case let .mul(a, b, out):
            guard let dout = outGrad(out) else { return }
            mulBackward(addGrad(a), addGrad(b), dout, a.data, b.data, a.count, threads: threads)
        case let .scale(x, s, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            scaleBackward(dx, dout, s, x.count, threads: threads)
        case let .broadcastAdd(a, b, out, p, q, r):
            guard let dout = outGrad(out) else { return }
            if let da = addGrad(a) { scaleBackward(da, dout, 1, a.count, threads: threads) }
            if let db = addGrad(b) { broadcastAddBackwardB(db, dout, p: p, q: q, r: r, threads: threads) }
        case let .gelu(x, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            geluBackward(dx, dout, x.data, x.count, threads: threads)
        case let .layerNorm(x, gamma, beta, out, stats):
            guard let dout = outGrad(out) else { return }
            let n = x.shape.rows
            layerNormBackward(
                dinp: addGrad(x), dgamma: addGrad(gamma), dbeta: addGrad(beta), dout, x.data, gamma.data,
                mean: stats.data, rstd: stats.data + n, n: n, c: x.shape.last, threads: threads)
        case let .rmsNorm(x, weight, out, rstd):
            guard let dout = outGrad(out) else { return }
            rmsNormBackward(
                dinp: addGrad(x), dweight: addGrad(weight), dout, x.data, weight.data, rstd: rstd.data,
                n: x.shape.rows, c: x.shape.last, threads: threads)
        case let .softmax(x, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            softmaxBackward(dx, dout, out.data, n: x.shape.rows, v: x.shape.last, threads: threads)
        case let .spatialSoftmax(x, coordinates, beta, out, probs):
            guard let dout = outGrad(out) else { return }
            let (b, k) = (x.shape[0], x.shape.last)
            let n = x.count / b / k
            spatialSoftmaxBackward(
                dx: addGrad(x), dbeta: addGrad(beta), dout, out.data, probs: probs.data, x.data,
                coords: coordinates.data, beta: beta.data, b: b, n: n, k: k, threads: threads)
        case let .pointer(rec):
            let dout = outGrad(rec.out), dmass = rec.mass.flatMap { outGrad($0) }
            guard dout != nil || dmass != nil else { return }
            pointerBackward(
                dx: addGrad(rec.x), dq: addGrad(rec.queries), dy: rec.coarse.flatMap { addGrad($0) },
                dqy: rec.coarseQueries.flatMap { addGrad($0) }, dout, rec.out.data, probs: rec.probs.data, rec.x.data,
                rec.queries.data, coarse: rec.coarse?.data, coarseQueries: rec.coarseQueries?.data,
                coords: rec.coordinates.data, gain: rec.gain, shape: rec.shape, targets: rec.targets?.data, mass: rec.mass?.data, dmass: dmass,
                inhibition: rec.gates.map { PointerInhibition(gates: $0.data, radii: rec.radii, scale: rec.inhibitionScale) },
                dgates: rec.gates.flatMap { addGrad($0) }, threads: threads)
        case let .surround(rec):
            guard let dout = outGrad(rec.out), let dx = addGrad(rec.x) else { return }
            surroundBackward(
                dx, dout, order: rec.order.data, rows: rec.x.shape[0], side: rec.side, k: rec.x.shape.last, radius: rec.radius,
                threads: threads)
        case let .attention(rec):
            guard let dout = outGrad(rec.out) else { return }
            // Fused qkv: one gradient buffer, three column offsets; zeroed once.
            let dq = addGrad(rec.q).map { $0 + rec.qOffset }
            let dk = addGrad(rec.k).map { $0 + rec.kOffset }
            let dv = addGrad(rec.v).map { $0 + rec.vOffset }
            attentionBackward(
                dq: dq, dk: dk, dv: dv, dout, att: rec.att.data,
                q: rec.q.data + rec.qOffset, k: rec.k.data + rec.kOffset, v: rec.v.data + rec.vOffset,
                rec.geometry, scratch: rec.scratch.data, workspaces: workerGemms)
        case let .embedding(table, indices, out):
            guard let dout = outGrad(out), let dt = addGrad(table) else { return }
            embeddingBackward(dt, dout, indices.data, n: indices.count, c: table.shape.last, threads: threads)
        case let .concat(a, b, out):
            guard let dout = outGrad(out) else { return }
            concatTokensBackward(
                da: addGrad(a), db: addGrad(b), dout, batch: a.shape[0], ta: a.shape[1], tb: b.shape[1], c: a.shape[2])
        case let .slice(x, start, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            sliceTokensBackward(dx, dout, batch: x.shape[0], t: x.shape[1], start: start, len: out.shape[1], c: x.shape[2])
        case let .meanTokens(x, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            meanTokensBackward(dx, dout, batch: x.shape[0], t: x.shape[1], c: x.shape[2])
        case let .sum(x, s, out):
            guard let dout = outGrad(out), let dx = addGrad(x) else { return }
            let g = dout[0] * s
            parallelRanges(x.count, threads: threads, grain: elementwiseGrain) { r in
                for i in r { dx[i] += g }
            }
        case let .crossEntropy(logits, targets, weights, probs, totalWeight, out):
            guard let dout = outGrad(out), let dl = addGrad(logits) else { return }
            crossEntropyBackward(
                dl, dloss: dout[0], totalWeight: totalWeight, probs: probs.data, targets.data, weights?.data,
                n: logits.shape.rows, v: logits.shape.last, threads: threads)
        case let .regression(kind, pred, target, weights, totalWeight, out):
            guard let dout = outGrad(out), let dp = addGrad(pred) else { return }
            regressionBackward(
                kind, dp, dloss: dout[0], totalWeight: totalWeight, pred.data, target.data, weights?.data,
                perElementWeights: weights?.count == pred.count && pred.shape.last > 1,
                n: pred.shape.rows, d: pred.shape.last, threads: threads)
        }
    }

    /// The gradient flowing into `out`, or nil if none did (the op is skipped).
    @inline(__always)
    private func outGrad(_ out: Tensor) -> UnsafePointer<Float>? {
        guard out.gradValid, let g = out.gradStorage else { return nil }
        return UnsafePointer(g)
    }
}
