// Block int8 quantisation of delta tensors: SIMD kernels and the naive references the
// tests hold them to, bit for bit.
//
// Per block of B values along the flattened tensor (the last block may be shorter):
//   m     = max |x|                                  (Float)
//   scale = m / 127                                  (Float division, rounded to nearest)
//   q     = scale > 0 ? clamp(roundEven(x / scale), -127, 127) : 0
//   x̂     = Float(q) · scale
// Rounding is to nearest, ties to even; no stochastic rounding, so encoding is
// deterministic. -128 is never produced (the range stays symmetric).

/// Block int8 quantisation (see the file comment for the exact formulas).
public enum Int8BlockQuantizer {
    /// The number of blocks for `count` values.
    public static func blockCount(_ count: Int, blockSize: Int) -> Int {
        (count + blockSize - 1) / blockSize
    }

    /// Quantises `x` (n) into `q` (n) and `scales` (ceil(n / blockSize)).
    public static func quantize(
        _ x: UnsafeBufferPointer<Float>, blockSize: Int,
        into q: UnsafeMutableBufferPointer<Int8>, scales: UnsafeMutableBufferPointer<Float>
    ) {
        let n = x.count
        precondition(q.count == n && scales.count == blockCount(n, blockSize: blockSize), "quantize: size mismatch")
        guard n > 0 else { return }
        let xp = x.baseAddress!  // values (n)
        let qp = q.baseAddress!  // codes (n)
        let sp = scales.baseAddress!  // scales (blocks)
        var block = 0
        var start = 0
        while start < n {
            let end = min(n, start + blockSize)
            // max |x| over the block
            var vmax = SIMD16<Float>()
            var i = start
            while i + 16 <= end {
                let v = UnsafeRawPointer(xp + i).loadUnaligned(as: SIMD16<Float>.self)
                vmax = lanewiseMax(vmax, lanewiseMax(v, -v))
                i += 16
            }
            var m = vmax.max()
            while i < end { m = Swift.max(m, Swift.abs(xp[i])); i += 1 }
            let scale = m / 127
            sp[block] = scale
            if scale > 0 {
                let vs = SIMD16<Float>(repeating: scale)
                let lo = SIMD16<Float>(repeating: -127)
                let hi = SIMD16<Float>(repeating: 127)
                let magic = SIMD16<Float>(repeating: 0x1.8p23)  // 1.5 · 2^23
                i = start
                while i + 16 <= end {
                    let v = UnsafeRawPointer(xp + i).loadUnaligned(as: SIMD16<Float>.self)
                    let r = lanewiseMin(lanewiseMax(v / vs, lo), hi)
                    // |r| ≤ 127, so r + 1.5·2^23 lands in [2^23, 2^24) where the float
                    // grid is the integers: the addition rounds r to nearest even, and
                    // the low byte of the bit pattern is that integer (two's complement).
                    let bits = unsafeBitCast(r + magic, to: SIMD16<Int32>.self)
                    let codes = SIMD16<Int8>(truncatingIfNeeded: bits)
                    UnsafeMutableRawPointer(qp + i).storeBytes(of: codes, as: SIMD16<Int8>.self)
                    i += 16
                }
                while i < end { qp[i] = code(xp[i], scale: scale); i += 1 }
            } else {
                (qp + start).update(repeating: 0, count: end - start)
            }
            block += 1
            start = end
        }
    }

    /// Decodes `q` (n) with `scales` (ceil(n / blockSize)) into `x` (n): `x̂ = Float(q) · scale`.
    public static func dequantize(
        _ q: UnsafeBufferPointer<Int8>, scales: UnsafeBufferPointer<Float>, blockSize: Int,
        into x: UnsafeMutableBufferPointer<Float>
    ) {
        let n = q.count
        precondition(x.count == n && scales.count == blockCount(n, blockSize: blockSize), "dequantize: size mismatch")
        guard n > 0 else { return }
        let qp = q.baseAddress!  // codes (n)
        let sp = scales.baseAddress!  // scales (blocks)
        let xp = x.baseAddress!  // values (n)
        var block = 0
        var start = 0
        while start < n {
            let end = min(n, start + blockSize)
            let scale = sp[block]
            let vs = SIMD16<Float>(repeating: scale)
            var i = start
            while i + 16 <= end {
                let codes = UnsafeRawPointer(qp + i).loadUnaligned(as: SIMD16<Int8>.self)
                let v = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: codes)) * vs
                UnsafeMutableRawPointer(xp + i).storeBytes(of: v, as: SIMD16<Float>.self)
                i += 16
            }
            while i < end { xp[i] = Float(qp[i]) * scale; i += 1 }
            block += 1
            start = end
        }
    }

    /// One value's code (the scalar form of the kernel; also the tail loop).
    @inline(__always)
    static func code(_ x: Float, scale: Float) -> Int8 {
        Int8(Swift.min(Swift.max(x / scale, -127), 127).rounded(.toNearestOrEven))
    }

    /// Naive reference: arrays in, arrays out, one value at a time.
    static func referenceQuantize(_ x: [Float], blockSize: Int) -> (codes: [Int8], scales: [Float]) {
        var codes: [Int8] = []
        var scales: [Float] = []
        for start in stride(from: 0, to: x.count, by: blockSize) {
            let block = x[start..<min(x.count, start + blockSize)]
            let scale = block.map(Swift.abs).max()! / 127
            scales.append(scale)
            codes += block.map { scale > 0 ? code($0, scale: scale) : 0 }
        }
        return (codes, scales)
    }
}

// Lane-wise min and max written as compare + select: the generic `pointwiseMin`/`Max`
// measured ~6× slower here (they do not lower to vminps/vmaxps). For equal lanes
// (and for -0 vs +0) the first argument is returned.
@inline(__always)
func lanewiseMin(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .< a) }

@inline(__always)
func lanewiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: a .< b) }
