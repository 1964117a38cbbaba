// Element types of safetensors tensors and the Swift types that match them.

/// A tensor element type, spelled as in the safetensors header.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case i64 = "I64"
    case u64 = "U64"
    case f64 = "F64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .i64, .u64, .f64: return 8
        }
    }
}

/// A Swift type stored bit for bit as one safetensors dtype (little-endian in the file).
///
/// `Bool` is deliberately absent: a byte other than 0 or 1 in a file would be an
/// invalid Swift `Bool`; read `BOOL` tensors as bytes.
public protocol SafetensorsScalar: BitwiseCopyable, Sendable {
    /// The dtype this type is stored as.
    static var safetensorsDType: SafetensorsDType { get }
}

extension Float: SafetensorsScalar {
    /// `F32`.
    public static var safetensorsDType: SafetensorsDType { .f32 }
}
extension Double: SafetensorsScalar {
    /// `F64`.
    public static var safetensorsDType: SafetensorsDType { .f64 }
}
extension Int8: SafetensorsScalar {
    /// `I8`.
    public static var safetensorsDType: SafetensorsDType { .i8 }
}
extension UInt8: SafetensorsScalar {
    /// `U8`.
    public static var safetensorsDType: SafetensorsDType { .u8 }
}
extension Int16: SafetensorsScalar {
    /// `I16`.
    public static var safetensorsDType: SafetensorsDType { .i16 }
}
extension UInt16: SafetensorsScalar {
    /// `U16`.
    public static var safetensorsDType: SafetensorsDType { .u16 }
}
extension Int32: SafetensorsScalar {
    /// `I32`.
    public static var safetensorsDType: SafetensorsDType { .i32 }
}
extension UInt32: SafetensorsScalar {
    /// `U32`.
    public static var safetensorsDType: SafetensorsDType { .u32 }
}
extension Int64: SafetensorsScalar {
    /// `I64`.
    public static var safetensorsDType: SafetensorsDType { .i64 }
}
extension UInt64: SafetensorsScalar {
    /// `U64`.
    public static var safetensorsDType: SafetensorsDType { .u64 }
}

/// Reverses the bytes of each `elementSize`-byte element: converts between the file's
/// little-endian order and the host's on big-endian hosts (a no-op call on little-endian).
@inline(__always)
func swapToOrFromLittleEndian(_ bytes: UnsafeMutableRawBufferPointer, elementSize: Int) {
    #if _endian(big)
    reverseElementBytes(bytes, elementSize: elementSize)
    #endif
}

func reverseElementBytes(_ bytes: UnsafeMutableRawBufferPointer, elementSize: Int) {
    guard elementSize > 1 else { return }
    for start in stride(from: 0, to: bytes.count - elementSize + 1, by: elementSize) {
        var low = start
        var high = start + elementSize - 1
        while low < high {
            bytes.swapAt(low, high)
            low += 1
            high -= 1
        }
    }
}
