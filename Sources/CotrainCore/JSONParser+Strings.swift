// JSON strings: escapes, surrogate pairs, UTF-8 validation and the length limit.

extension JSONParser {
    /// Parses a string starting at the opening quote. Strings without escapes are
    /// validated and decoded straight from the input; others go through `scratch`.
    mutating func parseString() throws(JSONError) -> String {
        let start = position
        position += 1  // "
        let contentStart = position
        // Fast scan to the closing quote or the first escape.
        while position < input.count {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else {
                throw .unexpectedByte(byte, offset: position, expected: "a string character (control characters must be escaped)")
            }
            position += 1
        }
        guard position < input.count else { throw .unexpectedEnd(expected: "'\"' closing the string at byte \(start)") }
        if input[position] == UInt8(ascii: "\"") {
            let content = UnsafeRawBufferPointer(rebasing: input[contentStart..<position])
            guard content.count <= limits.maxStringBytes else {
                throw .stringTooLong(offset: start, limit: limits.maxStringBytes)
            }
            position += 1
            guard let text = String(validating: content, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
            return text
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: input[contentStart..<position])
        while true {
            guard position < input.count else { throw .unexpectedEnd(expected: "'\"' closing the string at byte \(start)") }
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                break
            } else if byte == UInt8(ascii: "\\") {
                try parseEscape()
            } else if byte < 0x20 {
                throw .unexpectedByte(byte, offset: position, expected: "a string character (control characters must be escaped)")
            } else {
                scratch.append(byte)
                position += 1
            }
            guard scratch.count <= limits.maxStringBytes else {
                throw .stringTooLong(offset: start, limit: limits.maxStringBytes)
            }
        }
        guard let text = String(validating: scratch, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return text
    }

    /// Decodes one escape at `position` (the backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONError) {
        let escapeStart = position
        guard position + 1 < input.count else { throw .unexpectedEnd(expected: "an escape sequence") }
        let kind = input[position + 1]
        position += 2
        switch kind {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(kind)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by \u and a low surrogate.
                guard position + 1 < input.count, input[position] == UInt8(ascii: "\\"),
                    input[position + 1] == UInt8(ascii: "u")
                else { throw .loneSurrogate(offset: escapeStart) }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate(offset: escapeStart) }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw .loneSurrogate(offset: escapeStart)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else { throw .loneSurrogate(offset: escapeStart) }
            scratch.append(contentsOf: scalar.utf8)
        default:
            throw .invalidEscape(offset: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        guard position + 4 <= input.count else { throw .unexpectedEnd(expected: "four hex digits after \\u") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .unexpectedByte(byte, offset: position, expected: "a hex digit")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }
}
