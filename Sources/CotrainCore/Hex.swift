// Lower-case hexadecimal, the form content addresses take in file names and manifests,
// and the typed error for digests and node ids written in text.

/// Text that is not a well-formed digest or node id.
public struct DigestFormatError: CotrainError, Equatable {
    /// What went wrong with the text.
    public enum Problem: Sendable, Equatable {
        /// The text had `found` digits (separators not counted) where `expected` were due.
        case length(expected: Int, found: Int)
        /// A character outside the alphabet, at a 0-based character `offset`.
        case character(Character, offset: Int)
        /// The final character encodes bits that must be zero (a mistyped last character).
        case nonCanonical
    }

    /// What the text was meant to be, e.g. "SHA-256 hex digest" or "node id".
    public let what: String
    /// The problem found.
    public let problem: Problem
    /// What the text may contain, printed in the message.
    public let alphabet: String

    public var description: String {
        switch problem {
        case .length(let expected, let found):
            return "not a \(what): expected \(expected) characters (\(alphabet)), found \(found)"
        case .character(let character, let offset):
            return "not a \(what): character \(String(character).debugDescription) at position \(offset + 1) "
                + "is not allowed (\(alphabet))"
        case .nonCanonical:
            return "not a \(what): the last character is wrong (check the end of the id)"
        }
    }
}

/// Lower-case hexadecimal encoding of bytes.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `bytes` as lower-case hex, two digits per byte.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, byte) in bytes.enumerated() {
                out[2 * i] = digits[Int(byte >> 4)]
                out[2 * i + 1] = digits[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }

    /// `bytes` as lower-case hex, two digits per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    /// Decodes exactly `byteCount` bytes from hex text.
    ///
    /// Strict: no prefix, separators or whitespace; upper- and lower-case digits are
    /// both accepted (encoding always produces lower case).
    /// - Parameter what: names the value in the error, e.g. "SHA-256 hex digest".
    public static func decode(_ text: String, byteCount: Int, what: String) throws(DigestFormatError) -> [UInt8] {
        let alphabet = "0-9, a-f"
        let utf8 = Array(text.utf8)
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for (offset, unit) in utf8.enumerated() {
            guard value(unit) != nil else {
                let character = characterAt(utf8Offset: offset, in: text)
                throw DigestFormatError(what: what, problem: .character(character.0, offset: character.1), alphabet: alphabet)
            }
        }
        guard utf8.count == 2 * byteCount else {
            throw DigestFormatError(what: what, problem: .length(expected: 2 * byteCount, found: utf8.count), alphabet: alphabet)
        }
        for i in 0..<byteCount {
            // Both digits were validated above.
            bytes[i] = (value(utf8[2 * i]) ?? 0) << 4 | (value(utf8[2 * i + 1]) ?? 0)
        }
        return bytes
    }

    private static func value(_ unit: UInt8) -> UInt8? {
        switch unit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return unit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return unit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return unit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// The character containing the UTF-8 code unit at `utf8Offset`, and its character
/// offset, for error messages about arbitrary (possibly non-ASCII) text.
func characterAt(utf8Offset: Int, in text: String) -> (Character, Int) {
    var consumed = 0
    for (index, character) in text.enumerated() {
        consumed += character.utf8.count
        if consumed > utf8Offset { return (character, index) }
    }
    return ("?", text.count)
}
