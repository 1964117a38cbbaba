// How a delta's values are stored in its safetensors payload.
import CotrainCore

/// A delta encoding: exact float32, 16-bit floats, or block-quantised int8.
///
/// Tensor naming in the payload (docs/aggregation.md): each delta tensor keeps its
/// name; for `int8` it is an `I8` tensor of the same shape plus `NAME.__scales`, an
/// `F32` vector of one scale per block of `blockSize` values along the flattened tensor.
public enum DeltaCodec: Hashable, Sendable, CustomStringConvertible {
    /// Raw IEEE float32 (`F32`): exact.
    case fp32
    /// IEEE binary16 (`F16`), rounded to nearest even: ~3 significant digits, |x| ≤ 65504.
    case fp16
    /// bfloat16 (`BF16`), rounded to nearest even: ~2–3 significant digits, float32 range.
    case bf16
    /// int8 with one float32 scale per block: `scale = max|x| / 127`,
    /// `q = clamp(roundEven(x / scale), -127, 127)`, decoded as `Float(q) · scale`.
    case int8(blockSize: Int)

    /// The default int8 codec: blocks of 128 values (relative error ≈ 0.65 % on Gaussian
    /// deltas; 4/128 bytes of scale per value, so the wire is ≥ 4× smaller than fp32).
    public static let int8Default = DeltaCodec.int8(blockSize: 128)

    /// Block sizes the int8 codec accepts.
    public static let blockSizes = 8...4096

    /// The suffix of an int8 tensor's scales tensor.
    public static let scalesSuffix = ".__scales"

    /// The name used in headers and metadata: `fp32`, `fp16`, `bf16` or `int8`.
    public var name: String {
        switch self {
        case .fp32: return "fp32"
        case .fp16: return "fp16"
        case .bf16: return "bf16"
        case .int8: return "int8"
        }
    }

    /// The int8 block size, 0 for the other codecs.
    public var blockSize: Int {
        if case let .int8(size) = self { return size }
        return 0
    }

    /// The codec named `name` with `blockSize` (which must be 0 unless `name` is int8).
    public init?(name: String, blockSize: Int) {
        switch (name, blockSize) {
        case ("fp32", 0): self = .fp32
        case ("fp16", 0): self = .fp16
        case ("bf16", 0): self = .bf16
        case ("int8", let size) where DeltaCodec.blockSizes.contains(size): self = .int8(blockSize: size)
        default: return nil
        }
    }

    /// The dtype of the value tensors.
    public var dtype: SafetensorsDType {
        switch self {
        case .fp32: return .f32
        case .fp16: return .f16
        case .bf16: return .bf16
        case .int8: return .i8
        }
    }

    /// The exact size of the payload's tensor data for `schema` (header excluded).
    public func dataBytes(for schema: ParameterSchema) -> Int {
        schema.specs.reduce(0) { total, spec in
            var bytes = spec.count * dtype.byteSize
            if case let .int8(size) = self { bytes += 4 * ((spec.count + size - 1) / size) }
            return total + bytes
        }
    }

    public var description: String {
        if case let .int8(size) = self { return "int8/\(size)" }
        return name
    }
}
