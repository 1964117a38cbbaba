// Errors from building, combining and loading parameter sets.
import CotrainCore

/// Why a parameter set could not be built, combined, loaded or saved.
public enum ParameterError: CotrainError, Equatable {
    /// A tensor name is empty, too long, or uses a character outside `A-Z a-z 0-9 . _ -`.
    case invalidName(String)
    /// Two tensors share a name.
    case duplicateName(String)
    /// A shape has a negative dimension, or its element count overflows.
    case invalidShape(name: String, shape: [Int])
    /// A tensor's value count differs from the product of its shape.
    case countMismatch(name: String, count: Int, expected: Int)
    /// Two sets that must have the same names and shapes do not; `detail` says where.
    case schemaMismatch(String)
    /// A checkpoint tensor is not F32 (or F16/BF16, converted on load).
    case unsupportedDType(name: String, dtype: String)
    /// The underlying safetensors file could not be read or written.
    case safetensors(SafetensorsError)
    /// Writing the file failed.
    case io(String)

    public var description: String {
        switch self {
        case let .invalidName(name):
            return "parameter name \"\(name)\" is invalid (1–256 characters from A-Z a-z 0-9 . _ -)"
        case let .duplicateName(name): return "parameter \"\(name)\" appears twice"
        case let .invalidShape(name, shape): return "parameter \"\(name)\" has an invalid shape \(shape)"
        case let .countMismatch(name, count, expected):
            return "parameter \"\(name)\" has \(count) values but its shape needs \(expected)"
        case let .schemaMismatch(detail): return "parameter sets do not match: \(detail)"
        case let .unsupportedDType(name, dtype):
            return "checkpoint tensor \"\(name)\" is \(dtype); parameters must be F32, F16 or BF16"
        case let .safetensors(error): return "parameters: \(error)"
        case let .io(detail): return "parameters: \(detail)"
        }
    }
}
