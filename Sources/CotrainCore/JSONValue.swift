// A JSON document as a value: what the strict parser returns and the canonical
// serializer writes. Configs, records, manifests and safetensors headers use it.

/// A JSON value.
///
/// Numbers keep their kind: a literal without fraction or exponent that fits Int64 is
/// ``int(_:)`` (exact, so safetensors offsets above 2^53 survive); every other number
/// is ``double(_:)``. Objects keep their members in input (or construction) order, but
/// the order carries no meaning: equality ignores it and the serializers write keys
/// sorted by their UTF-8 bytes. Keys are compared as Swift strings, so canonically
/// equivalent spellings (precomposed "é" and "e" + U+0301) are the same key: the
/// parser rejects them as duplicates; in a value built by hand, the last one wins.
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer literal that fits Int64, kept exactly.
    case int(Int64)
    /// Any other number. The parser never produces NaN or infinity; the serializers
    /// write them as `null`.
    case double(Double)
    /// A string (always valid Unicode).
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object: (key, value) members.
    case object([(String, JSONValue)])
}

extension JSONValue: Equatable {
    /// Structural equality; object member order is ignored, and `.int(1)` differs from
    /// `.double(1)` (both serialize as `1`).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            let left = uniqueMembers(a)
            let right = uniqueMembers(b)
            guard left.count == right.count else { return false }
            for (key, value) in left where right[key] != value { return false }
            return true
        default: return false
        }
    }

    /// Members by key; a repeated key keeps its last value.
    static func uniqueMembers(_ members: [(String, JSONValue)]) -> [String: JSONValue] {
        Dictionary(members, uniquingKeysWith: { _, last in last })
    }
}

extension JSONValue {
    /// The member named `key` if this is an object, else nil.
    /// (Linear search, from the end so that a repeated key's last value wins.)
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self { return members.last(where: { $0.0 == key })?.1 }
        return nil
    }

    /// The element at `index` if this is an array and the index is in range, else nil.
    public subscript(index: Int) -> JSONValue? {
        if case let .array(elements) = self, elements.indices.contains(index) {
            return elements[index]
        }
        return nil
    }

    /// The string, if this is a string.
    public var string: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// The Boolean, if this is `true` or `false`.
    public var bool: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    /// The number as Int64 if it is an integer that Int64 holds exactly
    /// (`.int`, or a `.double` with no fractional part inside Int64's range).
    public var int64: Int64? {
        switch self {
        case let .int(value): return value
        case let .double(value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// The number as Int if it is an integer that Int holds exactly.
    public var int: Int? { int64.flatMap { Int(exactly: $0) } }

    /// The number as Double (an `.int` above 2^53 is rounded to the nearest Double).
    public var double: Double? {
        switch self {
        case let .int(value): return Double(value)
        case let .double(value): return value
        default: return nil
        }
    }

    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case let .array(value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var object: [(String, JSONValue)]? {
        if case let .object(value) = self { return value }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool { self == .null }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `.int`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `.array`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// `.object`, members in literal order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}
