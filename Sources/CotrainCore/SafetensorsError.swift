// Errors from reading and writing safetensors files.

/// Why a safetensors file was rejected, or could not be read or written.
public enum SafetensorsError: CotrainError, Equatable {
    /// The input is shorter than its 8-byte length prefix or the header it declares.
    case truncated(size: Int, needed: Int)
    /// The declared header length is above the limit (100 MB, as in the Python package).
    case headerTooLarge(declared: UInt64, limit: Int)
    /// The header is not valid JSON (or breaks the JSON limits).
    case invalidJSON(JSONError)
    /// The header is valid JSON but not a safetensors header.
    case invalidHeader(String)
    /// A tensor entry is malformed; `reason` says how.
    case invalidTensor(name: String, reason: String)
    /// A tensor's dtype is not one this reader knows.
    case unknownDType(tensor: String, dtype: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(String)
    /// A tensor's byte count does not equal dtype size × product(shape).
    case byteCountMismatch(tensor: String, bytes: Int, expected: Int)
    /// Sorted by offset, a tensor does not start where the previous one ended.
    case notContiguous(tensor: String, begin: Int, expected: Int)
    /// The input's size is not exactly 8 + header length + data length.
    case sizeMismatch(size: Int, expected: Int)
    /// No tensor has this name.
    case tensorNotFound(String)
    /// The tensor's dtype is not the one the accessor needs.
    case dtypeMismatch(tensor: String, dtype: SafetensorsDType, requested: String)
    /// The writer was given two tensors with the same name.
    case duplicateTensor(String)
    /// A writer's data producer wrote a different number of bytes than it declared.
    case producerSizeMismatch(tensor: String, wrote: Int, expected: Int)
    /// The path is not a regular file (e.g. a directory).
    case notRegularFile
    /// A system call failed.
    case io(SystemError)
    /// An error about the file at `path`.
    indirect case inFile(path: String, SafetensorsError)

    /// One line saying what was wrong and where.
    public var description: String {
        switch self {
        case let .truncated(size, needed):
            return "safetensors input is \(size) bytes but needs at least \(needed) (truncated?)"
        case let .headerTooLarge(declared, limit):
            return "safetensors header length \(declared) is over the \(limit)-byte limit (corrupt or not a safetensors file)"
        case let .invalidJSON(error):
            return "safetensors header: \(error)"
        case let .invalidHeader(reason):
            return "safetensors header: \(reason)"
        case let .invalidTensor(name, reason):
            return "safetensors tensor \"\(name)\": \(reason)"
        case let .unknownDType(tensor, dtype):
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "safetensors tensor \"\(tensor)\": unknown dtype \"\(dtype)\" (known: \(known))"
        case let .invalidMetadata(reason):
            return "safetensors __metadata__: \(reason)"
        case let .byteCountMismatch(tensor, bytes, expected):
            return "safetensors tensor \"\(tensor)\": data is \(bytes) bytes but dtype × shape needs \(expected)"
        case let .notContiguous(tensor, begin, expected):
            let what = begin > expected ? "a gap" : "an overlap"
            return "safetensors tensor \"\(tensor)\": data starts at \(begin) but the previous tensor ends at \(expected) (\(what); offsets must be contiguous from 0)"
        case let .sizeMismatch(size, expected):
            return "safetensors input is \(size) bytes but its header describes \(expected) (truncated or trailing data)"
        case let .tensorNotFound(name):
            return "safetensors: no tensor named \"\(name)\""
        case let .dtypeMismatch(tensor, dtype, requested):
            return "safetensors tensor \"\(tensor)\" is \(dtype.rawValue), not \(requested)"
        case let .duplicateTensor(name):
            return "safetensors writer: tensor \"\(name)\" was added twice"
        case let .producerSizeMismatch(tensor, wrote, expected):
            return "safetensors writer: producer of \"\(tensor)\" wrote \(wrote) bytes, expected \(expected)"
        case .notRegularFile:
            return "not a regular file"
        case let .io(error):
            return "safetensors: \(error)"
        case let .inFile(path, error):
            return "\(path): \(error)"
        }
    }
}
