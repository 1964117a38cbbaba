// Canonical and pretty JSON output, and the bridge to Codable types.
import Foundation

extension JSONValue {
    /// The canonical encoding: keys sorted by UTF-8 bytes, no insignificant whitespace,
    /// one spelling per number, minimal string escapes. Equal values give equal bytes,
    /// so hashes of records are reproducible.
    ///
    /// Numbers: an integer value that Int64 holds (whether `.int` or an integral
    /// `.double`, including -0) is written as plain digits; any other Double uses
    /// Swift's shortest round-trip form (e.g. `0.1`, `1e-07`, `1.5e+300`). Strings escape
    /// only `"`, `\` and control characters (`\b \f \n \r \t`, else `\u00xx`); all
    /// other characters are written as UTF-8. Objects with a repeated key keep the last
    /// value. NaN and infinity, which JSON cannot express, are written as `null` (as
    /// JavaScript does); values from the parser or from ``init(encoding:limits:)``
    /// never hold them.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        JSONWriter(indent: nil).write(self, into: &out, level: 0)
        return out
    }

    /// ``canonicalBytes`` as a string, e.g. for a JSON-lines log.
    public var canonicalString: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// A reviewable encoding: like ``canonicalBytes`` but with two-space indentation,
    /// `": "` after keys and a final newline. Also deterministic.
    public var prettyBytes: [UInt8] {
        var out: [UInt8] = []
        JSONWriter(indent: 2).write(self, into: &out, level: 0)
        out.append(0x0A)
        return out
    }

    /// The value a Codable type encodes to (via `JSONEncoder`, then the strict parser).
    public init<T: Encodable>(encoding value: T, limits: JSONLimits = .default) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self = try JSONValue.parse(Array(try encoder.encode(value)), limits: limits)
    }

    /// Decodes a Codable type from this value (via its canonical bytes and `JSONDecoder`).
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(canonicalBytes))
    }
}

/// The canonical bytes of a Codable value: `JSONEncoder` output re-serialized by
/// ``JSONValue/canonicalBytes``, so the result does not depend on Foundation's
/// formatting choices.
public func canonicalJSON<T: Encodable>(_ value: T) throws -> [UInt8] {
    try JSONValue(encoding: value).canonicalBytes
}

/// Writes values; `indent == nil` is the canonical form.
private struct JSONWriter {
    let indent: Int?

    func write(_ value: JSONValue, into out: inout [UInt8], level: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case let .int(number): out.append(contentsOf: String(number).utf8)
        case let .double(number): writeDouble(number, into: &out)
        case let .string(text): writeString(text, into: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, level: level + 1)
                write(element, into: &out, level: level + 1)
            }
            if !elements.isEmpty { newline(into: &out, level: level) }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            let sorted = JSONValue.uniqueMembers(members).sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, level: level + 1)
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(member.value, into: &out, level: level + 1)
            }
            if !sorted.isEmpty { newline(into: &out, level: level) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private func newline(into out: inout [UInt8], level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    private func writeDouble(_ number: Double, into out: inout [UInt8]) {
        if !number.isFinite {
            out.append(contentsOf: "null".utf8)
        } else if let exact = Int64(exactly: number) {  // also maps -0.0 to "0"
            out.append(contentsOf: String(exact).utf8)
        } else {
            out.append(contentsOf: number.description.utf8)
        }
    }

    private func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
