// Errors from the strict JSON parser and the canonical serializer.

/// Why the strict parser rejected a JSON document.
///
/// Offsets are byte offsets into the input, counted from 0, so a person can find the
/// spot with `xxd -s OFFSET`.
public enum JSONError: CotrainError, Equatable {
    /// The input is larger than ``JSONLimits/maxInputBytes``.
    case inputTooLarge(size: Int, limit: Int)
    /// Arrays and objects are nested deeper than ``JSONLimits/maxDepth``.
    case tooDeep(offset: Int, limit: Int)
    /// The document holds more values than ``JSONLimits/maxValues``.
    case tooManyValues(offset: Int, limit: Int)
    /// A decoded string or key is longer (in UTF-8 bytes) than ``JSONLimits/maxStringBytes``.
    case stringTooLong(offset: Int, limit: Int)
    /// The input ended inside a value; `expected` says what was still missing.
    case unexpectedEnd(expected: String)
    /// A byte that is not allowed at this point; `expected` says what would have been.
    case unexpectedByte(UInt8, offset: Int, expected: String)
    /// A string holds bytes that are not valid UTF-8 (the offset is the string's start).
    case invalidUTF8(offset: Int)
    /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
    case invalidEscape(offset: Int)
    /// A `\uD800`–`\uDFFF` escape that is not part of a high+low surrogate pair.
    case loneSurrogate(offset: Int)
    /// A number that breaks the JSON grammar or does not fit a Double (e.g. `1e400`).
    case invalidNumber(offset: Int, reason: String)
    /// An object has the same key twice.
    case duplicateKey(String, offset: Int)
    /// Something other than whitespace follows the top-level value.
    case trailingData(offset: Int)

    /// One line saying what was wrong and where.
    public var description: String {
        switch self {
        case let .inputTooLarge(size, limit):
            return "JSON input is \(size) bytes, over the \(limit)-byte limit"
        case let .tooDeep(offset, limit):
            return "JSON nests deeper than \(limit) levels at byte \(offset)"
        case let .tooManyValues(offset, limit):
            return "JSON holds more than \(limit) values (at byte \(offset))"
        case let .stringTooLong(offset, limit):
            return "JSON string at byte \(offset) is longer than the \(limit)-byte limit"
        case let .unexpectedEnd(expected):
            return "JSON input ends early: expected \(expected)"
        case let .unexpectedByte(byte, offset, expected):
            return "JSON: unexpected \(Self.show(byte)) at byte \(offset), expected \(expected)"
        case let .invalidUTF8(offset):
            return "JSON string at byte \(offset) is not valid UTF-8"
        case let .invalidEscape(offset):
            return "JSON: invalid escape sequence at byte \(offset)"
        case let .loneSurrogate(offset):
            return "JSON: \\u escape at byte \(offset) is an unpaired UTF-16 surrogate"
        case let .invalidNumber(offset, reason):
            return "JSON: invalid number at byte \(offset): \(reason)"
        case let .duplicateKey(key, offset):
            return "JSON: duplicate key \"\(key)\" at byte \(offset)"
        case let .trailingData(offset):
            return "JSON: unexpected data after the value at byte \(offset)"
        }
    }

    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
