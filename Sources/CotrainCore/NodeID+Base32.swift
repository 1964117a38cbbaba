// The person-comparable text form of a digest: RFC 4648 base32 (A–Z, 2–7, no padding),
// upper case, in dash-separated groups of four, like Syncthing device ids.
//
// 32 bytes = 256 bits = 52 base32 characters (the last one carries 1 bit and 4 zero
// bits) = 13 groups of 4: "MFRG-GZDF-MZTW-….". Base32 has no 0/1/8/9, so nothing
// reads as O/I/B/g, and it survives being read aloud or retyped.

/// Base32 (RFC 4648 alphabet, no padding) for fixed-size binary ids.
enum Base32 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let alphabetDescription = "letters A-Z and digits 2-7; '-' and spaces are ignored"

    /// `bytes` as upper-case base32 without padding.
    static func encode(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int(buffer >> UInt32(bits) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return out
    }

    /// Decodes base32 text into exactly `byteCount` bytes: case-insensitive, skipping
    /// '-', spaces and tabs; rejects other characters, wrong lengths and non-zero
    /// padding bits (so each id has exactly one spelling).
    static func decode(_ text: String, byteCount: Int, what: String) throws(DigestFormatError) -> [UInt8] {
        let expected = (byteCount * 8 + 4) / 5
        var values: [UInt8] = []
        values.reserveCapacity(expected)
        for (offset, character) in text.enumerated() {
            if character == "-" || character == " " || character == "\t" { continue }
            guard let value = value(of: character) else {
                throw DigestFormatError(what: what, problem: .character(character, offset: offset), alphabet: alphabetDescription)
            }
            values.append(value)
        }
        guard values.count == expected else {
            throw DigestFormatError(what: what, problem: .length(expected: expected, found: values.count), alphabet: alphabetDescription)
        }
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        var buffer: UInt32 = 0
        var bits = 0
        for value in values {
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else {
            throw DigestFormatError(what: what, problem: .nonCanonical, alphabet: alphabetDescription)
        }
        return out
    }

    private static func value(of character: Character) -> UInt8? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return ascii - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return ascii - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): return ascii - UInt8(ascii: "2") + 26
        default: return nil
        }
    }
}

extension SHA256Digest {
    /// Characters per group in ``grouped``.
    static let groupLength = 4

    /// The digest for people: 52 base32 characters in 13 dash-separated groups of 4,
    /// e.g. `MFRG-GZDF-…-A`. Read it aloud or compare it by eye.
    public var grouped: String {
        let characters = withUnsafeBytes { Base32.encode($0) }
        var out: [UInt8] = []
        out.reserveCapacity(characters.count + characters.count / Self.groupLength)
        for (i, c) in characters.enumerated() {
            if i > 0 && i % Self.groupLength == 0 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first three groups of ``grouped`` (60 bits), for tables and log lines.
    /// Enough to tell peers apart at a glance; never use it to pin trust.
    public var groupedShort: String {
        String(grouped.prefix(3 * Self.groupLength + 2))
    }

    /// Parses the grouped form: case-insensitive; '-', spaces and tabs are ignored;
    /// anything else, a wrong count or a wrong last character is an error.
    public init(grouped text: String, what: String = "SHA-256 digest") throws(DigestFormatError) {
        let bytes = try Base32.decode(text, byteCount: Self.byteCount, what: what)
        self = bytes.withUnsafeBytes { SHA256Digest(prefixOf: $0) }
    }
}
