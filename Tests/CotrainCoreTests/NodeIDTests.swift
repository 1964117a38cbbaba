import Foundation
import Testing

@testable import CotrainCore

@Suite struct NodeIDTests {
    @Test func base32MatchesRFC4648Vectors() {
        // RFC 4648 section 10, without padding.
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI"]
        for (plain, encoded) in vectors {
            let out = Array(plain.utf8).withUnsafeBytes { Base32.encode($0) }
            #expect(String(decoding: out, as: UTF8.self) == encoded)
        }
    }

    @Test func groupedFormShape() throws {
        let id = NodeID(digest: try SHA256.hash(Array("node".utf8)))
        let text = id.description
        let groups = text.split(separator: "-")
        #expect(groups.count == 13)
        #expect(groups.allSatisfy { $0.count == 4 })
        #expect(text.allSatisfy { $0 == "-" || ($0.isUppercase && $0.isLetter) || ("2"..."7").contains($0) })
        #expect(id.short == groups.prefix(3).joined(separator: "-"))
    }

    @Test func parsingIsForgivingAboutCaseAndSeparators() throws {
        let id = NodeID(digest: try SHA256.hash(Array("node".utf8)))
        let text = id.description
        #expect(try NodeID(parsing: text) == id)
        #expect(try NodeID(parsing: text.lowercased()) == id)
        #expect(try NodeID(parsing: text.replacingOccurrences(of: "-", with: " ")) == id)
        #expect(try NodeID(parsing: "  " + text.replacingOccurrences(of: "-", with: "")) == id)
        #expect(try NodeID(parsing: text.replacingOccurrences(of: "-", with: "\t")) == id)
    }

    @Test func parsingRejectsBadInput() throws {
        let text = NodeID(digest: try SHA256.hash(Array("node".utf8))).description
        let short = #expect(throws: DigestFormatError.self) { try NodeID(parsing: String(text.dropLast())) }
        #expect(short?.problem == .length(expected: 52, found: 51))
        #expect(throws: DigestFormatError.self) { try NodeID(parsing: text + "A") }
        #expect(throws: DigestFormatError.self) { try NodeID(parsing: "") }
        for bad: Character in ["0", "1", "8", "9", "=", "_", "é", "\n"] {
            let mutated = String(bad) + text.dropFirst()
            let error = #expect(throws: DigestFormatError.self) { try NodeID(parsing: mutated) }
            #expect(error?.problem == .character(bad, offset: 0))
            #expect(error?.description.contains("node id") == true)
        }
        // The last character carries 1 data bit and 4 zero bits: only A and Q are canonical.
        var chars = Array(text)
        chars[chars.count - 1] = chars.last == "A" ? "B" : "R"
        let last = #expect(throws: DigestFormatError.self) { try NodeID(parsing: String(chars)) }
        #expect(last?.problem == .nonCanonical)
    }

    @Test func orderIsByDigestBytes() throws {
        let low = NodeID(digest: try SHA256Digest(bytes: [0] + [UInt8](repeating: 0xff, count: 31)))
        let high = NodeID(digest: try SHA256Digest(bytes: [1] + [UInt8](repeating: 0, count: 31)))
        #expect(low < high)
        #expect([high, low].sorted() == [low, high])
        #expect(low.description.hasPrefix("AD77"))
    }
}
