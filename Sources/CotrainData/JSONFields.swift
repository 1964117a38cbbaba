// Strict reading of JSON objects with known keys: every file this module parses
// (recipes, manifests, episode metadata, sample metadata) goes through it, so an
// unknown or misspelt key is an error that names the key and the keys allowed.
import CotrainCore

/// What is wrong with one field of a JSON document; `path` is a dotted location such
/// as `phases[1].mixture`.
public enum FieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key the format does not define.
    case unknownKey(path: String, key: String, allowed: [String])
    /// A required key is absent.
    case missing(path: String, key: String)
    /// The value has the wrong JSON type.
    case wrongType(path: String, expected: String)
    /// The value has the right type but is not acceptable.
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownKey(path, key, allowed):
            return "\(path): unknown key \"\(key)\"; allowed keys are \(allowed.sorted().joined(separator: ", "))"
        case let .missing(path, key):
            return "\(path): missing required key \"\(key)\""
        case let .wrongType(path, expected):
            return "\(path): expected \(expected)"
        case let .invalid(path, reason):
            return "\(path): \(reason)"
        }
    }
}

/// Reads the members of one JSON object, tracking which keys were used so that
/// ``finish()`` can reject the rest.
struct JSONFields {
    let path: String
    private let members: [String: JSONValue]
    private var used: Set<String> = []

    /// Fails unless `value` is an object.
    init(_ value: JSONValue, path: String) throws(FieldProblem) {
        guard let object = value.object else { throw .wrongType(path: path, expected: "a JSON object") }
        self.path = path
        members = Dictionary(object, uniquingKeysWith: { _, last in last })
    }

    /// The keys present, sorted.
    var keys: [String] { members.keys.sorted() }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func value(_ key: String) -> JSONValue? {
        used.insert(key)
        guard let value = members[key], !value.isNull else { return nil }
        return value
    }

    mutating func required(_ key: String) throws(FieldProblem) -> JSONValue {
        guard let value = value(key) else { throw .missing(path: path.isEmpty ? "(top level)" : path, key: key) }
        return value
    }

    mutating func string(_ key: String) throws(FieldProblem) -> String {
        guard let text = try required(key).string else { throw .wrongType(path: child(key), expected: "a string") }
        return text
    }

    mutating func optionalString(_ key: String) throws(FieldProblem) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else { throw .wrongType(path: child(key), expected: "a string") }
        return text
    }

    mutating func int(_ key: String) throws(FieldProblem) -> Int {
        guard let number = try required(key).int else { throw .wrongType(path: child(key), expected: "an integer") }
        return number
    }

    mutating func optionalInt(_ key: String) throws(FieldProblem) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.int else { throw .wrongType(path: child(key), expected: "an integer") }
        return number
    }

    mutating func double(_ key: String) throws(FieldProblem) -> Double {
        guard let number = try required(key).double else { throw .wrongType(path: child(key), expected: "a number") }
        return number
    }

    mutating func optionalDouble(_ key: String) throws(FieldProblem) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.double else { throw .wrongType(path: child(key), expected: "a number") }
        return number
    }

    mutating func bool(_ key: String) throws(FieldProblem) -> Bool {
        guard let flag = try required(key).bool else { throw .wrongType(path: child(key), expected: "true or false") }
        return flag
    }

    mutating func optionalBool(_ key: String) throws(FieldProblem) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.bool else { throw .wrongType(path: child(key), expected: "true or false") }
        return flag
    }

    mutating func array(_ key: String) throws(FieldProblem) -> [JSONValue] {
        guard let items = try required(key).array else { throw .wrongType(path: child(key), expected: "an array") }
        return items
    }

    mutating func optionalArray(_ key: String) throws(FieldProblem) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard let items = value.array else { throw .wrongType(path: child(key), expected: "an array") }
        return items
    }

    mutating func strings(_ key: String) throws(FieldProblem) -> [String] {
        try Self.strings(try array(key), path: child(key))
    }

    mutating func optionalStrings(_ key: String) throws(FieldProblem) -> [String]? {
        guard let items = try optionalArray(key) else { return nil }
        return try Self.strings(items, path: child(key))
    }

    static func strings(_ items: [JSONValue], path: String) throws(FieldProblem) -> [String] {
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = item.string else { throw .wrongType(path: "\(path)[\(i)]", expected: "a string") }
            result.append(text)
        }
        return result
    }

    /// Throws for the first key (in sorted order) that was never read.
    func finish() throws(FieldProblem) {
        if let extra = members.keys.sorted().first(where: { !used.contains($0) }) {
            throw .unknownKey(path: path.isEmpty ? "(top level)" : path, key: extra, allowed: Array(used))
        }
    }
}

extension JSONValue {
    /// An array of strings.
    static func strings(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
}
