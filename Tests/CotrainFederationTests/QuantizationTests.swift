// Int8 block quantisation: the SIMD kernel equals the naive reference bit for bit,
// and the error on Gaussian deltas stays under 1 %.
import CotrainCore
import Testing

@testable import CotrainFederation

@Suite struct QuantizationTests {
    static func quantize(_ x: [Float], blockSize: Int) -> (codes: [Int8], scales: [Float]) {
        var codes = [Int8](repeating: 0, count: x.count)
        var scales = [Float](repeating: -1, count: Int8BlockQuantizer.blockCount(x.count, blockSize: blockSize))
        x.withUnsafeBufferPointer { xs in
            codes.withUnsafeMutableBufferPointer { q in
                scales.withUnsafeMutableBufferPointer { s in Int8BlockQuantizer.quantize(xs, blockSize: blockSize, into: q, scales: s) }
            }
        }
        return (codes, scales)
    }

    static func dequantize(_ codes: [Int8], _ scales: [Float], blockSize: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: codes.count)
        codes.withUnsafeBufferPointer { q in
            scales.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { Int8BlockQuantizer.dequantize(q, scales: s, blockSize: blockSize, into: $0) }
            }
        }
        return out
    }

    @Test(arguments: [(1, 8), (15, 8), (100, 64), (1000, 64), (1000, 100), (4097, 128), (300, 4096)])
    func kernelMatchesReference(count: Int, blockSize: Int) {
        var rng = DeltaRNG(seed: UInt64(count * 31 + blockSize))
        var x = rng.gaussians(count, sigma: 0.02)
        if count > 40 {
            x.replaceSubrange(0..<min(count, blockSize), with: repeatElement(0, count: min(count, blockSize)))  // an all-zero block
            x[count - 1] = Float.leastNormalMagnitude / 64  // subnormal
            x[count / 2] = -x[count / 2] * 1000  // an outlier
        }
        let fast = Self.quantize(x, blockSize: blockSize)
        let reference = Int8BlockQuantizer.referenceQuantize(x, blockSize: blockSize)
        #expect(fast.codes == reference.codes)
        #expect(fast.scales.map(\.bitPattern) == reference.scales.map(\.bitPattern))
        #expect(fast.codes.allSatisfy { $0 != -128 })
        let decoded = Self.dequantize(fast.codes, fast.scales, blockSize: blockSize)
        let expected = zip(fast.codes.indices, fast.codes).map { i, q in Float(q) * fast.scales[i / blockSize] }
        #expect(decoded.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test(arguments: [64, 128])
    func gaussianRelativeErrorIsUnderOnePercent(blockSize: Int) {
        var rng = DeltaRNG(seed: 99)
        let x = rng.gaussians(200_000, sigma: 1e-3)
        let q = Self.quantize(x, blockSize: blockSize)
        let error = DeltaFixtures.relativeError(Self.dequantize(q.codes, q.scales, blockSize: blockSize), x)
        #expect(error <= 0.01, "relative error \(error)")
        #expect(error > 0.001, "suspiciously exact: \(error)")
    }

    @Test func roundingIsToNearestEven() {
        // max 127 ⇒ scale 1: codes are the values rounded half to even.
        let x: [Float] = [127, 0.5, 1.5, 2.5, -0.5, -1.5, 3.49, -126.6]
        #expect(Self.quantize(x, blockSize: 8).codes == [127, 0, 2, 2, 0, -2, 3, -127])
    }
}
