// Strict reading of one JSON object: every member is taken once by name, with its type
// and range checked, and whatever is left over is an unknown key. Used for config.json
// and for the records in peers/ and state/.
import CotrainCore

/// The members of a JSON object, consumed by name; ``finish()`` rejects leftovers.
struct ConfigObject {
    /// Names the input in errors (a file path or "control request").
    let source: String
    /// The dotted path of this object inside the document ("" at the top).
    let path: String
    private var members: [String: JSONValue]

    /// Wraps `value`, which must be an object.
    init(_ value: JSONValue, source: String, path: String = "") throws(ConfigError) {
        guard let object = value.object else {
            throw ConfigError(source, field: path, .wrongType(expected: "a JSON object"))
        }
        self.source = source
        self.path = path
        self.members = Dictionary(object, uniquingKeysWith: { _, last in last })
    }

    /// Parses `bytes` as a JSON object (strict parser); JSON errors name `source`.
    static func parse(_ bytes: [UInt8], source: String, limits: JSONLimits = .records) throws(ConfigError) -> ConfigObject {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, limits: limits)
        } catch {
            throw ConfigError(source, field: "", .invalid(error.description))
        }
        return try ConfigObject(value, source: source)
    }

    /// The dotted name of member `key`.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private mutating func take(_ key: String) throws(ConfigError) -> JSONValue {
        guard let value = members.removeValue(forKey: key) else {
            throw ConfigError(source, field: name(key), .missing)
        }
        return value
    }

    /// A required string member.
    mutating func string(_ key: String) throws(ConfigError) -> String {
        guard let text = try take(key).string else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "a string"))
        }
        return text
    }

    /// A string member that may be absent or null.
    mutating func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = members.removeValue(forKey: key), !value.isNull else { return nil }
        guard let text = value.string else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "a string or null"))
        }
        return text
    }

    /// A Boolean member that may be absent or null.
    mutating func optionalBool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = members.removeValue(forKey: key), !value.isNull else { return nil }
        guard let flag = value.bool else { throw ConfigError(source, field: name(key), .wrongType(expected: "true or false")) }
        return flag
    }

    /// Any member, unchecked, or nil when absent.
    mutating func take(optional key: String) -> JSONValue? {
        members.removeValue(forKey: key)
    }

    /// A required integer member within `range`.
    mutating func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try take(key)
        guard case .int(let wide) = value, let number = Int(exactly: wide) else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "an integer"))
        }
        guard range.contains(number) else {
            throw ConfigError(source, field: name(key), .outOfRange(value: "\(number)", allowed: "\(range.lowerBound)...\(range.upperBound)"))
        }
        return number
    }

    /// A required number member (integer or decimal) accepted by `isAllowed`.
    mutating func double(_ key: String, allowed: String, _ isAllowed: (Double) -> Bool) throws(ConfigError) -> Double {
        guard let number = try take(key).double else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "a number"))
        }
        guard isAllowed(number) else {
            throw ConfigError(source, field: name(key), .outOfRange(value: "\(number)", allowed: allowed))
        }
        return number
    }

    /// A required array of strings.
    mutating func strings(_ key: String) throws(ConfigError) -> [String] {
        guard let items = try take(key).array else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "an array of strings"))
        }
        var out: [String] = []
        for item in items {
            guard let text = item.string else {
                throw ConfigError(source, field: name(key), .wrongType(expected: "an array of strings"))
            }
            out.append(text)
        }
        return out
    }

    /// A required array.
    mutating func array(_ key: String) throws(ConfigError) -> [JSONValue] {
        guard let items = try take(key).array else {
            throw ConfigError(source, field: name(key), .wrongType(expected: "an array"))
        }
        return items
    }

    /// A required nested object.
    mutating func object(_ key: String) throws(ConfigError) -> ConfigObject {
        try ConfigObject(take(key), source: source, path: name(key))
    }

    /// Throws for the first (in sorted order) member nobody asked for.
    func finish() throws(ConfigError) {
        if let key = members.keys.sorted().first {
            throw ConfigError(source, field: name(key), .unknownKey)
        }
    }
}

extension JSONLimits {
    /// Limits for config files and records: 256 KiB, depth 8, 64 KiB strings.
    static let records = JSONLimits(maxInputBytes: 256 << 10, maxDepth: 8, maxStringBytes: 64 << 10, maxValues: 10_000)
}
