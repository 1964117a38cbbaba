// The strict JSON parser (RFC 8259 grammar, no extensions) with size and depth limits.

/// Bounds the parser enforces before and while it allocates.
public struct JSONLimits: Sendable, Equatable {
    /// Largest accepted input, in bytes.
    public var maxInputBytes: Int
    /// Deepest nesting of arrays and objects (the top-level container is depth 1).
    public var maxDepth: Int
    /// Longest decoded string or key, in UTF-8 bytes.
    public var maxStringBytes: Int
    /// Most values (scalars plus containers) in one document; bounds memory, since a
    /// parsed value takes more memory than its text.
    public var maxValues: Int

    /// Limits with explicit values.
    public init(maxInputBytes: Int, maxDepth: Int, maxStringBytes: Int, maxValues: Int) {
        self.maxInputBytes = maxInputBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxValues = maxValues
    }

    /// 16 MiB input, depth 64, 1 MiB strings, one million values: enough for configs,
    /// records and manifests.
    public static let `default` = JSONLimits(
        maxInputBytes: 16 << 20, maxDepth: 64, maxStringBytes: 1 << 20, maxValues: 1_000_000)
}

extension JSONValue {
    /// Parses one JSON document from UTF-8 bytes.
    ///
    /// Strict: no comments, no trailing commas, no NaN/Infinity, no leading zeros, no
    /// byte-order mark, no duplicate keys, no invalid UTF-8 or unpaired surrogates, and
    /// nothing but whitespace after the value.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default
    ) throws(JSONError) -> JSONValue {
        guard bytes.count <= limits.maxInputBytes else {
            throw .inputTooLarge(size: bytes.count, limit: limits.maxInputBytes)
        }
        var parser = JSONParser(input: bytes, limits: limits)
        return try parser.parseDocument()
    }

    /// Parses one JSON document from UTF-8 bytes; see ``parse(_:limits:)-(UnsafeRawBufferPointer,_)``.
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(JSONError) in try parse(raw, limits: limits) } }
        return try result.get()
    }

    /// Parses one JSON document from a string's UTF-8.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}

/// Recursive-descent parser over a byte buffer. Depth is bounded, so recursion is too.
struct JSONParser {
    let input: UnsafeRawBufferPointer
    let limits: JSONLimits
    var position = 0
    var valueCount = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(input: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.input = input
        self.limits = limits
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == input.count else { throw .trailingData(offset: position) }
        return value
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func peek(expected: @autoclosure () -> String) throws(JSONError) -> UInt8 {
        guard position < input.count else { throw .unexpectedEnd(expected: expected()) }
        return input[position]
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        valueCount += 1
        guard valueCount <= limits.maxValues else {
            throw .tooManyValues(offset: position, limit: limits.maxValues)
        }
        let byte = try peek(expected: "a value")
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw .unexpectedByte(byte, offset: position, expected: "a value")
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let text = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expectedByte in text {
            let byte = try peek(expected: "\"\(word)\"")
            guard byte == expectedByte else {
                throw .unexpectedByte(byte, offset: position, expected: "\"\(word)\"")
            }
            position += 1
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw .tooDeep(offset: position, limit: limits.maxDepth) }
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek(expected: "a value or ']'") == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            let byte = try peek(expected: "',' or ']'")
            position += 1
            if byte == UInt8(ascii: "]") { return .array(elements) }
            guard byte == UInt8(ascii: ",") else {
                throw .unexpectedByte(byte, offset: position - 1, expected: "',' or ']'")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw .tooDeep(offset: position, limit: limits.maxDepth) }
        position += 1  // {
        var members: [(String, JSONValue)] = []
        var keys = Set<String>()  // used once the object outgrows a linear duplicate scan
        skipWhitespace()
        if try peek(expected: "a key or '}'") == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = position
            let byte = try peek(expected: "a string key")
            guard byte == UInt8(ascii: "\"") else {
                throw .unexpectedByte(byte, offset: position, expected: "a string key")
            }
            let key = try parseString()
            skipWhitespace()
            let colon = try peek(expected: "':'")
            guard colon == UInt8(ascii: ":") else {
                throw .unexpectedByte(colon, offset: position, expected: "':'")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            if members.count < 16 {
                guard !members.contains(where: { $0.0 == key }) else { throw .duplicateKey(key, offset: keyOffset) }
                if members.count == 15 { keys = Set(members.map(\.0) + [key]) }
            } else {
                guard keys.insert(key).inserted else { throw .duplicateKey(key, offset: keyOffset) }
            }
            members.append((key, value))
            skipWhitespace()
            let next = try peek(expected: "',' or '}'")
            position += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else {
                throw .unexpectedByte(next, offset: position - 1, expected: "',' or '}'")
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; integers that fit Int64
    /// become `.int`, everything else a finite `.double`.
    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = position
        let negative = input[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let intStart = position
        guard position < input.count, isDigit(input[position]) else {
            throw .invalidNumber(offset: start, reason: "'-' must be followed by a digit")
        }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count, isDigit(input[position]) {
                throw .invalidNumber(offset: start, reason: "leading zeros are not allowed")
            }
        } else {
            skipDigits()
        }
        let intEnd = position
        var integral = true
        if position < input.count, input[position] == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard position < input.count, isDigit(input[position]) else {
                throw .invalidNumber(offset: start, reason: "'.' must be followed by a digit")
            }
            skipDigits()
        }
        if position < input.count, input[position] == UInt8(ascii: "e") || input[position] == UInt8(ascii: "E") {
            integral = false
            position += 1
            if position < input.count, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < input.count, isDigit(input[position]) else {
                throw .invalidNumber(offset: start, reason: "exponent must have digits")
            }
            skipDigits()
        }
        if integral, let exact = exactInt64(input[intStart..<intEnd], negative: negative) {
            return .int(exact)
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw .invalidNumber(offset: start, reason: "out of the range of a Double")
        }
        return .double(value)
    }

    private mutating func skipDigits() {
        while position < input.count, isDigit(input[position]) { position += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The digits as Int64, or nil if they overflow (then the number becomes a Double).
    private func exactInt64(_ digits: Slice<UnsafeRawBufferPointer>, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for byte in digits {
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }
}
