// Surround: every position's features beside their mean over its (2r+1)² neighbourhood,
// on maps whose rows are not in raster order (the stem's run patch by patch). A
// 2-pixel red cube and a 15-pixel red bowl have the same colour at their centres; only
// the surround (table around the cube, more red around a bowl's interior) tells them
// apart. The box mean uses zero padding and a fixed 1/(2r+1)² scale, so it is its own
// adjoint and the backward pass is the same filter on the gradient.

/// What the surround's backward pass needs.
struct SurroundRecord {
    let x: Tensor, out: Tensor
    /// `order[y·side + x]`: the row of raster position (x, y).
    let order: IndexTensor
    let side: Int, radius: Int
}

/// Box mean of one map into `result` (raster order, `side²·k`): the input value of
/// raster position p, channel c is `input[order[p]·stride + c]`. `scratch` holds the
/// horizontal sums. Running sums: two adds per value whatever the radius.
func boxMeanRaster(
    _ input: UnsafePointer<Float>, stride: Int, order: UnsafePointer<Int32>, side: Int, k: Int, radius: Int,
    scratch: UnsafeMutablePointer<Float>, result: UnsafeMutablePointer<Float>
) {
    let scale = 1 / Float((2 * radius + 1) * (2 * radius + 1))
    // Horizontal: scratch[y, x] = Σ_{|d| ≤ r} in[y, x + d].
    for y in 0..<side {
        let row = scratch + y * side * k
        for c in 0..<k { row[c] = 0 }
        for x in 0...Swift.min(radius, side - 1) {
            let src = input + Int(order[y * side + x]) * stride
            for c in 0..<k { row[c] += src[c] }
        }
        for x in 1..<side {
            let (cell, previous) = (row + x * k, row + (x - 1) * k)
            for c in 0..<k { cell[c] = previous[c] }
            if x + radius < side {
                let add = input + Int(order[y * side + x + radius]) * stride
                for c in 0..<k { cell[c] += add[c] }
            }
            if x - radius - 1 >= 0 {
                let drop = input + Int(order[y * side + x - radius - 1]) * stride
                for c in 0..<k { cell[c] -= drop[c] }
            }
        }
    }
    // Vertical over the horizontal sums, a row of running sums at a time (contiguous,
    // so it vectorises), scaled into `result`.
    let rowWidth = side * k, sum = result + (side - 1) * rowWidth
    // The last output row doubles as the running sum until it is written itself.
    for i in 0..<rowWidth { sum[i] = 0 }
    for y in 0...Swift.min(radius, side - 1) { for i in 0..<rowWidth { sum[i] += scratch[y * rowWidth + i] } }
    for y in 0..<side {
        if y > 0 {
            if y + radius < side { for i in 0..<rowWidth { sum[i] += scratch[(y + radius) * rowWidth + i] } }
            if y - radius - 1 >= 0 { for i in 0..<rowWidth { sum[i] -= scratch[(y - radius - 1) * rowWidth + i] } }
        }
        let dst = result + y * rowWidth
        for i in 0..<rowWidth { dst[i] = sum[i] * scale }
    }
}

/// `out (R, N, 2K)`: each row's `x (N, K)` features, then their box means.
func surroundForward(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, order: UnsafePointer<Int32>,
    rows: Int, side: Int, k: Int, radius: Int, threads: Int
) {
    let n = side * side
    forEachRow(rows, scratch: 2 * n * k, threads: threads) { r, scratch in
        let src = x + r * n * k, dst = out + r * n * 2 * k
        boxMeanRaster(src, stride: k, order: order, side: side, k: k, radius: radius, scratch: scratch, result: scratch + n * k)
        for p in 0..<n {
            let row = Int(order[p])
            (dst + row * 2 * k).update(from: src + row * k, count: k)
            (dst + row * 2 * k + k).update(from: scratch + n * k + p * k, count: k)
        }
    }
}

/// `body(row, scratch)` for each of `rows` rows, in parallel; each worker has its own
/// scratch of `scratch` floats.
private func forEachRow(_ rows: Int, scratch count: Int, threads: Int, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
    parallelRanges(rows, threads: threads, grain: 1) { range in
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { scratch.deallocate() }
        for r in range { body(r, scratch) }
    }
}

/// `dx += dout[…, :K] + box(dout[…, K:])`.
func surroundBackward(
    _ dx: UnsafeMutablePointer<Float>, _ dout: UnsafePointer<Float>, order: UnsafePointer<Int32>,
    rows: Int, side: Int, k: Int, radius: Int, threads: Int
) {
    let n = side * side
    forEachRow(rows, scratch: 2 * n * k, threads: threads) { r, scratch in
        let g = dout + r * n * 2 * k, d = dx + r * n * k
        boxMeanRaster(g + k, stride: 2 * k, order: order, side: side, k: k, radius: radius, scratch: scratch, result: scratch + n * k)
        for p in 0..<n {
            let row = Int(order[p])
            let (own, mean, target) = (g + row * 2 * k, scratch + n * k + p * k, d + row * k)
            for c in 0..<k { target[c] += own[c] + mean[c] }
        }
    }
}
