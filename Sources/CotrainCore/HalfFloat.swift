// Float <-> 16-bit floats (IEEE binary16 "F16" and bfloat16 "BF16"), done with integer
// bit manipulation so every platform produces the same bits, NaNs included.

/// A 16-bit floating-point storage format, as used by safetensors `F16` and `BF16`.
///
/// Conversions from Float round to nearest, ties to even; values too large for the
/// format become infinity. A NaN stays a NaN with the same sign, made quiet, keeping
/// the top bits of its payload (so F16 NaN from Float NaN 0x7FC00000 is 0x7E00, as in
/// NumPy and hardware). Conversions to Float are exact.
public enum HalfFloat: Sendable, Equatable {
    /// IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits.
    case f16
    /// bfloat16: the top 16 bits of a Float (1 sign, 8 exponent, 7 mantissa bits).
    case bf16

    /// The 16-bit pattern nearest to `value`.
    @inlinable
    public func bits(_ value: Float) -> UInt16 {
        switch self {
        case .f16: return HalfFloat.f16Bits(value)
        case .bf16: return HalfFloat.bf16Bits(value)
        }
    }

    /// The Float equal to the 16-bit pattern `bits`.
    @inlinable
    public func float(_ bits: UInt16) -> Float {
        switch self {
        case .f16: return HalfFloat.floatFromF16(bits)
        case .bf16: return Float(bitPattern: UInt32(bits) << 16)
        }
    }

    /// Converts little-endian 16-bit values to Floats.
    ///
    /// - Precondition: `source.count == 2 * destination.count`. `source` may be unaligned.
    public func decode(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(source.count == 2 * destination.count, "HalfFloat.decode: size mismatch")
        switch self {
        case .f16:
            for index in 0..<destination.count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                destination[index] = HalfFloat.floatFromF16(bits)
            }
        case .bf16:
            for index in 0..<destination.count {
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
                destination[index] = Float(bitPattern: UInt32(bits) << 16)
            }
        }
    }

    /// Converts Floats to little-endian 16-bit values.
    ///
    /// - Precondition: `destination.count == 2 * source.count`. `destination` may be unaligned.
    public func encode(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count == 2 * source.count, "HalfFloat.encode: size mismatch")
        switch self {
        case .f16:
            for index in 0..<source.count {
                destination.storeBytes(of: HalfFloat.f16Bits(source[index]).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
            }
        case .bf16:
            for index in 0..<source.count {
                destination.storeBytes(of: HalfFloat.bf16Bits(source[index]).littleEndian, toByteOffset: 2 * index, as: UInt16.self)
            }
        }
    }

    @usableFromInline
    static func f16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {  // NaN: quiet, keep the payload's top 9 bits
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: magnitude >> 13) & 0x01FF
        }
        if magnitude >= 0x477F_F000 {  // >= 65520 (halfway past 65504) or infinity
            return sign | 0x7C00
        }
        if magnitude < 0x3880_0000 {  // below 2^-14: subnormal F16 in units of 2^-24
            let units = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(units)
        }
        // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to even.
        let rounded = (magnitude &- 0x3800_0000) &+ 0x0FFF &+ ((magnitude >> 13) & 1)
        return sign | UInt16(truncatingIfNeeded: rounded >> 13)
    }

    @usableFromInline
    static func floatFromF16(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:  // zero or subnormal: mantissa × 2^-24, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 0x1F:  // infinity or NaN
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }

    @usableFromInline
    static func bf16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {  // NaN: keep sign and top payload, set quiet bit
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
