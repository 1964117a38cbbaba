import Testing
@testable import CotrainCore

@Suite struct SafetensorsHalfTests {
    @Test func everyF16PatternDecodesExactlyAndRoundTrips() {
        for raw in 0...UInt16.max {
            let value = HalfFloat.f16.float(raw)
            let reference = Float(Float16(bitPattern: raw))
            if value.isNaN {
                #expect(reference.isNaN)
                let back = HalfFloat.f16.bits(value)
                #expect(back & 0x8000 == raw & 0x8000 && back & 0x7E00 == 0x7E00, "NaN \(raw) → \(back)")
            } else {
                #expect(value.bitPattern == reference.bitPattern, "F16 \(raw)")
                #expect(HalfFloat.f16.bits(value) == raw, "F16 \(raw)")
            }
        }
    }

    @Test func everyBF16PatternRoundTrips() {
        for raw in 0...UInt16.max {
            let value = HalfFloat.bf16.float(raw)
            #expect(value.bitPattern == UInt32(raw) << 16)
            let back = HalfFloat.bf16.bits(value)
            #expect(value.isNaN ? back == raw | 0x0040 : back == raw, "BF16 \(raw)")
        }
    }

    @Test func f16RoundingMatchesFloat16OnRandomFloats() {
        var rng = TestRNG(seed: 1)
        for _ in 0..<200_000 {
            // Exponents concentrated around F16's range, plus arbitrary patterns.
            let bits = rng.next() & 1 == 0
                ? UInt32(truncatingIfNeeded: rng.next())
                : (UInt32.random(in: 0x3000_0000...0x4800_0000, using: &rng) | (UInt32(rng.next() & 1) << 31))
            let value = Float(bitPattern: bits)
            guard !value.isNaN else { continue }
            #expect(HalfFloat.f16.bits(value) == Float16(value).bitPattern, "Float bits \(bits)")
        }
    }

    @Test(arguments: [
        (Float(1) + 0x1p-11, UInt16(0x3C00)),  // tie → even (down)
        (Float(1) + 3 * 0x1p-11, 0x3C02),  // tie → even (up)
        (65504, 0x7BFF), (65519.99, 0x7BFF), (65520, 0x7C00), (-1e10, 0xFC00),
        (0x1p-24, 0x0001), (0x1p-25, 0x0000), (3 * 0x1p-25, 0x0002), (0x1p-14, 0x0400),
        (-0.0, 0x8000), (.infinity, 0x7C00), (Float(bitPattern: 0x7FC0_0000), 0x7E00),
        (Float(bitPattern: 0xFF80_0001), 0xFE00),
    ] as [(Float, UInt16)])
    func f16EdgeCases(value: Float, expected: UInt16) {
        #expect(HalfFloat.f16.bits(value) == expected)
    }

    @Test(arguments: [
        (Float(1), UInt16(0x3F80)), (Float(bitPattern: 0x3F80_8000), 0x3F80), (Float(bitPattern: 0x3F81_8000), 0x3F82),
        (Float(bitPattern: 0x3F80_8001), 0x3F81), (.greatestFiniteMagnitude, 0x7F80), (-.infinity, 0xFF80),
        (Float(bitPattern: 0x7FC0_0001), 0x7FC0), (Float(bitPattern: 0xFF80_0001), 0xFFC0), (-0.0, 0x8000),
    ] as [(Float, UInt16)])
    func bf16EdgeCases(value: Float, expected: UInt16) {
        #expect(HalfFloat.bf16.bits(value) == expected)
    }

    @Test(arguments: [HalfFloat.f16, .bf16])
    func bulkConversionsHandleUnalignedLittleEndianBuffers(format: HalfFloat) {
        let values: [Float] = [0, 1, -2.5, 1000, 0.1, -.infinity]
        var bytes = [UInt8](repeating: 0xAA, count: 2 * values.count + 1)
        bytes.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { format.encode($0, into: UnsafeMutableRawBufferPointer(rebasing: raw[1...])) }
        }
        #expect(bytes[0] == 0xAA)
        for (index, value) in values.enumerated() {
            let bits = UInt16(bytes[1 + 2 * index]) | UInt16(bytes[2 + 2 * index]) << 8
            #expect(bits == format.bits(value))
        }
        var decoded = [Float](repeating: 0, count: values.count)
        bytes.withUnsafeBytes { raw in
            decoded.withUnsafeMutableBufferPointer { format.decode(UnsafeRawBufferPointer(rebasing: raw[1...]), into: $0) }
        }
        #expect(decoded == values.map { format.float(format.bits($0)) })
    }
}
