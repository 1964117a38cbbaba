// Element-wise arithmetic on parameter sets: the delta (trained − base), applying an
// aggregate to a base, and the global L2 norm, with fixed operation order.
import CotrainCore

extension ParameterSet {
    /// `self − base`, element by element (Float subtraction): the delta a node sends.
    /// Both sets must have the same schema (filter the checkpoint to the shared tensors first).
    public func subtracting(_ base: ParameterSet) throws(ParameterError) -> ParameterSet {
        try requireSameSchema(base)
        return ParameterSet.build(schema: schema) { out in
            withExtendedLifetime((storage, base.storage)) {
                let a = storage.base  // trained (N)
                let b = base.storage.base  // base (N)
                let o = out.baseAddress!  // delta (N)
                let n = schema.elementCount
                var i = 0
                while i + 16 <= n {
                    let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
                    let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(o + i).storeBytes(of: va - vb, as: SIMD16<Float>.self)
                    i += 16
                }
                while i < n { o[i] = a[i] - b[i]; i += 1 }
            }
        }
    }

    /// `self + rate · delta` per element, as one fused multiply-add rounded once
    /// (`fma(rate, delta, self)` in Float): the new round base from an aggregate.
    public func applying(_ delta: ParameterSet, rate: Float, threads: Int = 1) throws(ParameterError) -> ParameterSet {
        try requireSameSchema(delta)
        return ParameterSet.build(schema: schema) { out in
            withExtendedLifetime((storage, delta.storage)) {
                nonisolated(unsafe) let b = storage.base  // base (N)
                nonisolated(unsafe) let d = delta.storage.base  // aggregate delta (N)
                nonisolated(unsafe) let o = out.baseAddress!  // new base (N)
                let lr = SIMD16<Float>(repeating: rate)
                parallelRanges(count: schema.elementCount, threads: threads) { range in
                    var i = range.lowerBound
                    while i + 16 <= range.upperBound {
                        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
                        let vd = UnsafeRawPointer(d + i).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(o + i).storeBytes(of: vb.addingProduct(lr, vd), as: SIMD16<Float>.self)
                        i += 16
                    }
                    while i < range.upperBound { o[i] = b[i].addingProduct(rate, d[i]); i += 1 }
                }
            }
        }
    }

    /// The global L2 norm over all elements, computed the same way on every machine:
    /// squares summed in Double over fixed 4096-element blocks (16 lanes, then lanes in
    /// order), block sums added in order.
    public var l2Norm: Double {
        withFlatValues { values in parameterL2Norm(values.baseAddress!, count: values.count, threads: 1) }
    }

    /// Every element is finite (no NaN or infinity).
    public var isFinite: Bool {
        withFlatValues { values in
            var bad: UInt32 = 0
            for v in values { bad |= (~v.bitPattern & 0x7F80_0000) == 0 ? 1 : 0 }
            return bad == 0
        }
    }

    func requireSameSchema(_ other: ParameterSet) throws(ParameterError) {
        guard schema == other.schema else {
            let mine = Set(schema.specs.map { "\($0.name)\($0.shape)" })
            let theirs = Set(other.schema.specs.map { "\($0.name)\($0.shape)" })
            let differing = mine.symmetricDifference(theirs).sorted().prefix(3).joined(separator: ", ")
            throw .schemaMismatch("names or shapes differ (e.g. \(differing))")
        }
    }
}

/// The deterministic L2 norm of `count` Floats at `values` (see ``ParameterSet/l2Norm``).
/// Blocks are fixed, so the result does not depend on `threads`.
func parameterL2Norm(_ values: UnsafePointer<Float>, count: Int, threads: Int) -> Double {
    let block = 4096
    let blocks = (count + block - 1) / block
    guard blocks > 0 else { return 0 }
    let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: blocks)
    defer { partial.deallocate() }
    nonisolated(unsafe) let sums = partial.baseAddress!
    nonisolated(unsafe) let x = values
    parallelRanges(count: blocks, threads: threads, minimumChunk: 16) { range in
        for b in range {
            let start = b * block
            let end = min(count, start + block)
            var acc = SIMD16<Double>()
            var i = start
            while i + 16 <= end {
                let v = SIMD16<Double>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self))
                acc = acc.addingProduct(v, v)
                i += 16
            }
            var tail = 0.0
            while i < end { tail = tail.addingProduct(Double(x[i]), Double(x[i])); i += 1 }
            var s = 0.0
            for lane in 0..<16 { s += acc[lane] }
            sums[b] = s + tail
        }
    }
    var total = 0.0
    for b in 0..<blocks { total += sums[b] }
    return total.squareRoot()
}
