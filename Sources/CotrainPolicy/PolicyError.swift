// Typed errors of the policy module.
import CotrainCore

/// A configuration or input the policy cannot use.
public enum PolicyError: CotrainError, Equatable {
    /// The configuration is inconsistent; the message says which field.
    case invalidConfig(String)
    /// A sample or observation does not fit the model (wrong image size, vector length,
    /// unknown embodiment…); the message names the input.
    case invalidInput(String)
    /// A training batch has nothing to learn from (no sample with a positive weight).
    case emptyBatch

    /// One line saying what was wrong.
    public var description: String {
        switch self {
        case let .invalidConfig(why): return "policy config: \(why)"
        case let .invalidInput(why): return "policy input: \(why)"
        case .emptyBatch: return "policy batch: no sample carries a target with a positive weight"
        }
    }
}

/// Why a checkpoint could not be loaded or applied. Every case names the tensor or
/// metadata key at fault.
public enum CheckpointError: CotrainError, Equatable {
    /// The file is not a valid safetensors file.
    case file(SafetensorsError)
    /// A required metadata key is absent or unreadable.
    case invalidMetadata(key: String, reason: String)
    /// The stored configuration differs from the expected one in `field`.
    case configMismatch(field: String, expected: String, found: String)
    /// A tensor the model needs is not in the checkpoint.
    case missingTensor(String)
    /// The checkpoint holds a tensor the model does not have.
    case unexpectedTensor(String)
    /// A tensor has the wrong shape.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A tensor is not float32.
    case dtypeMismatch(tensor: String, found: String)
    /// The shared parameters do not hash to the recorded `shared_sha256`.
    case sharedHashMismatch(expected: String, found: String)

    /// One line saying what was wrong and with which tensor or key.
    public var description: String {
        switch self {
        case let .file(error): return "checkpoint: \(error)"
        case let .invalidMetadata(key, reason): return "checkpoint metadata \"\(key)\": \(reason)"
        case let .configMismatch(field, expected, found):
            return "checkpoint config field \"\(field)\" is \(found), expected \(expected) (train a new model or use the matching config)"
        case let .missingTensor(name): return "checkpoint has no tensor \"\(name)\""
        case let .unexpectedTensor(name): return "checkpoint tensor \"\(name)\" is not part of this model"
        case let .shapeMismatch(name, expected, found):
            return "checkpoint tensor \"\(name)\" has shape \(found), expected \(expected)"
        case let .dtypeMismatch(name, found): return "checkpoint tensor \"\(name)\" is \(found), expected F32"
        case let .sharedHashMismatch(expected, found):
            return "checkpoint shared parameters hash to \(found), but metadata records \(expected) (corrupt file?)"
        }
    }
}
