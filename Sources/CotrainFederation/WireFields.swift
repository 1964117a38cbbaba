// Strict reading of JSON objects from the wire: every field is taken once with its
// type and limits checked, and any field left over is an error.
import CotrainCore

/// The members of one JSON object from a message body, consumed field by field.
struct WireFields {
    let type: MessageType
    /// Path prefix for nested objects in error messages, e.g. "shards[3].".
    let path: String
    private var members: [String: JSONValue]

    /// The object `value`, or ``WireError/notAnObject(_:field:)``.
    init(_ type: MessageType, _ value: JSONValue, path: String = "") throws(WireError) {
        guard case .object(let list) = value else { throw .notAnObject(type, field: String(path.dropLast())) }
        self.type = type
        self.path = path
        // The strict parser already refused duplicate keys.
        members = Dictionary(list, uniquingKeysWith: { _, last in last })
    }

    /// Parses `body` as one JSON object under `limits`.
    init(_ type: MessageType, body: [UInt8], limits: JSONLimits) throws(WireError) {
        let value: JSONValue
        do { value = try JSONValue.parse(body, limits: limits) } catch { throw .invalidJSON(type, error) }
        try self.init(type, value)
    }

    private func invalid(_ key: String, _ reason: String) -> WireError { .invalidField(type, path + key, reason: reason) }

    /// Removes and returns the field `key`; missing is an error.
    mutating func take(_ key: String) throws(WireError) -> JSONValue {
        guard let value = members.removeValue(forKey: key) else { throw .missingField(type, path + key) }
        return value
    }

    /// Throws ``WireError/unknownField(_:_:)`` for the first (sorted) field not taken.
    func finish() throws(WireError) {
        if let extra = members.keys.min() { throw .unknownField(type, path + extra) }
    }

    /// An integer in `range`.
    mutating func int(_ key: String, _ range: ClosedRange<Int> = 0...WireProtocol.maxInteger) throws(WireError) -> Int {
        guard case .int(let value) = try take(key), let int = Int(exactly: value) else {
            throw invalid(key, "must be an integer")
        }
        guard range.contains(int) else { throw invalid(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(int)") }
        return int
    }

    /// A boolean.
    mutating func bool(_ key: String) throws(WireError) -> Bool {
        guard case .bool(let value) = try take(key) else { throw invalid(key, "must be true or false") }
        return value
    }

    /// A SHA-256 digest as 64 lower-case hex digits (one spelling per digest).
    mutating func digest(_ key: String) throws(WireError) -> SHA256Digest {
        guard case .string(let text) = try take(key), text.utf8.count == 64,
            text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }),
            let digest = try? SHA256Digest(hex: text)
        else { throw invalid(key, "must be 64 lower-case hex digits") }
        return digest
    }

    /// A string of at most `maxBytes` UTF-8 bytes with no control characters (tab and
    /// newline allowed when `multiline`); empty only when `allowEmpty`.
    mutating func text(_ key: String, maxBytes: Int, allowEmpty: Bool = false, multiline: Bool = false) throws(WireError) -> String {
        guard case .string(let text) = try take(key) else { throw invalid(key, "must be a string") }
        try Self.check(text, maxBytes: maxBytes, allowEmpty: allowEmpty, multiline: multiline) { reason in invalid(key, reason) }
        return text
    }

    /// An array of at most `maxCount` elements.
    mutating func array(_ key: String, maxCount: Int) throws(WireError) -> [JSONValue] {
        guard case .array(let elements) = try take(key) else { throw invalid(key, "must be an array") }
        guard elements.count <= maxCount else { throw invalid(key, "has \(elements.count) entries, at most \(maxCount) allowed") }
        return elements
    }

    /// An object of string values, at most `maxCount` entries, keys 1–64 bytes, values
    /// at most 1 KiB.
    mutating func stringMap(_ key: String, maxCount: Int) throws(WireError) -> [String: String] {
        guard case .object(let list) = try take(key) else { throw invalid(key, "must be an object") }
        guard list.count <= maxCount else { throw invalid(key, "has \(list.count) entries, at most \(maxCount) allowed") }
        var map: [String: String] = [:]
        for (name, value) in list {
            try Self.check(name, maxBytes: WireProtocol.maxNameBytes, allowEmpty: false, multiline: false) { reason in
                invalid("\(key) key", reason)
            }
            guard case .string(let text) = value else { throw invalid("\(key).\(name)", "must be a string") }
            try Self.check(text, maxBytes: WireProtocol.maxTextBytes, allowEmpty: true, multiline: false) { reason in
                invalid("\(key).\(name)", reason)
            }
            map[name] = text
        }
        return map
    }

    /// The text rules of ``text(_:maxBytes:allowEmpty:multiline:)``; `fail` makes the error.
    static func check(_ text: String, maxBytes: Int, allowEmpty: Bool, multiline: Bool,
                      _ fail: (String) -> WireError) throws(WireError) {
        let count = text.utf8.count
        guard count <= maxBytes else { throw fail("is \(count) bytes, at most \(maxBytes) allowed") }
        guard allowEmpty || count > 0 else { throw fail("must not be empty") }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
            if multiline && (scalar == "\n" || scalar == "\t") { continue }
            throw fail("must not hold control characters")
        }
    }
}
