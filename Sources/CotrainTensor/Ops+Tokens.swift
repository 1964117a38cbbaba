// Token-axis ops: embedding lookup, concat, slice, mean over tokens.

// table (V,C), idx (N) -> out (N,C) = table[idx]
func embeddingForward(
    _ out: UnsafeMutablePointer<Float>, _ table: UnsafePointer<Float>, _ idx: UnsafePointer<Int32>,
    n: Int, c: Int, vocab: Int
) {
    for i in 0..<n {
        let row = Int(idx[i])
        precondition(row >= 0 && row < vocab, "embedding index \(row) outside 0..<\(vocab)")
        (out + i * c).update(from: table + row * c, count: c)
    }
}

// dout (N,C), idx (N) -> dtable (V,C) += scatter(dout). Threads own column chunks and
// add rows in index order, so repeated ids sum deterministically.
func embeddingBackward(
    _ dtable: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, _ idx: UnsafePointer<Int32>,
    n: Int, c: Int, threads: Int
) {
    let chunks = (c + columnChunk - 1) / columnChunk
    parallelRanges(chunks, threads: threads, grain: Swift.max(1, elementwiseGrain / (n * columnChunk))) { tasks in
        for t in tasks {
            let c0 = t * columnChunk, len = Swift.min(c, c0 + columnChunk) - c0
            for i in 0..<n {
                addInPlace(dout + i * c + c0, dtable + Int(idx[i]) * c + c0, len)
            }
        }
    }
}

// a (B,Ta,C), b (B,Tb,C) -> out (B,Ta+Tb,C)
func concatTokensForward(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    batch: Int, ta: Int, tb: Int, c: Int
) {
    let t = ta + tb
    for s in 0..<batch {
        (out + s * t * c).update(from: a + s * ta * c, count: ta * c)
        (out + (s * t + ta) * c).update(from: b + s * tb * c, count: tb * c)
    }
}

// dout (B,Ta+Tb,C) -> da (B,Ta,C) += first Ta tokens, db (B,Tb,C) += the rest
func concatTokensBackward(
    da: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?, _ dout: UnsafePointer<Float>,
    batch: Int, ta: Int, tb: Int, c: Int
) {
    let t = ta + tb
    for s in 0..<batch {
        if let da { addInPlace(dout + s * t * c, da + s * ta * c, ta * c) }
        if let db { addInPlace(dout + (s * t + ta) * c, db + s * tb * c, tb * c) }
    }
}

// x (B,T,C) -> out (B,len,C) = x[:, start..<start+len, :]
func sliceTokensForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, batch: Int, t: Int, start: Int, len: Int, c: Int
) {
    for s in 0..<batch {
        (out + s * len * c).update(from: x + (s * t + start) * c, count: len * c)
    }
}

// dout (B,len,C) -> dx (B,T,C) += dout placed at tokens start..<start+len
func sliceTokensBackward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, batch: Int, t: Int, start: Int, len: Int, c: Int
) {
    for s in 0..<batch {
        addInPlace(dout + s * len * c, dx + (s * t + start) * c, len * c)
    }
}

// x (B,T,C) -> out (B,C) = mean over T
func meanTokensForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, batch: Int, t: Int, c: Int) {
    let inv = 1 / Float(t)
    for s in 0..<batch {
        let o = out + s * c
        o.update(repeating: 0, count: c)
        for i in 0..<t { addInPlace(x + (s * t + i) * c, o, c) }
        for j in 0..<c { o[j] *= inv }
    }
}

// dout (B,C) -> dx (B,T,C) += dout / T
func meanTokensBackward(_ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, batch: Int, t: Int, c: Int) {
    let inv = 1 / Float(t)
    for s in 0..<batch {
        for i in 0..<t { axpy(inv, dout + s * c, dx + (s * t + i) * c, c) }
    }
}

/// Σ x[i] accumulated in Double in index order (single thread: losses and reductions
/// to a scalar are small, and one order keeps them deterministic).
func sumAll(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var s = 0.0
    var i = 0
    while i + 16 <= n {
        // Lanes are summed in Float inside one chunk, chunks in Double: still one fixed order.
        s += Double(loadF16(x + i).sum())
        i += 16
    }
    while i < n {
        s += Double(x[i])
        i += 1
    }
    return s
}
