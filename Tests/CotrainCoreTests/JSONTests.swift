import Foundation
import Testing
@testable import CotrainCore

@Suite struct JSONTests {
    private func canonical(_ text: String) throws -> String {
        try JSONValue.parse(text).canonicalString
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" { "a" : [1, -2.5, true, false, null, "x"], "b": {} } "#)
        #expect(value == ["a": [1, -2.5, true, false, nil, "x"], "b": .object([])])
        #expect(value["a"]?[0]?.int == 1)
        #expect(value["a"]?[1]?.double == -2.5)
        #expect(value["a"]?[2]?.bool == true)
        #expect(value["a"]?[4]?.isNull == true)
        #expect(value["a"]?[5]?.string == "x")
        #expect(value["a"]?[6] == nil)
        #expect(value["missing"] == nil)
        #expect(value["b"]?.object?.isEmpty == true)
    }

    @Test func integersAreExactInt64() throws {
        #expect(try JSONValue.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONValue.parse("-0") == .int(0))
        // Beyond Int64 a literal becomes the nearest Double.
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue.parse("1.0") == .double(1))
        #expect(try JSONValue.parse("1e2").int64 == 100)
        #expect(JSONValue.double(0.5).int64 == nil)
    }

    @Test func decodesEscapesAndUnicode() throws {
        let value = try JSONValue.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é""#)
        #expect(value == .string("a\"\\/\u{8}\u{C}\n\r\té😀é"))
    }

    @Test func canonicalFormSortsKeysByUTF8Bytes() throws {
        let text = #"{"b":1,"a":{"z":null,"y":[]},"B":2,"é":3,"aa":4," ":5}"#
        #expect(try canonical(text) == #"{" ":5,"B":2,"a":{"y":[],"z":null},"aa":4,"b":1,"é":3}"#)
    }

    @Test(arguments: [
        (JSONValue.double(1), "1"), (.double(-0.0), "0"), (.double(0.1), "0.1"), (.double(1e-7), "1e-07"),
        (.double(1.5e300), "1.5e+300"), (.double(1e20), "1e+20"), (.double(1e18), "1000000000000000000"), (.int(-5), "-5"),
        (.double(.nan), "null"), (.double(-.infinity), "null"), (.double(123.456), "123.456"),
    ])
    func canonicalNumbers(value: JSONValue, expected: String) {
        #expect(value.canonicalString == expected)
    }

    @Test func canonicalStringsEscapeOnlyWhatTheyMust() {
        let value = JSONValue.string("q\"b\\s/\u{1}\u{1F}\n\t\u{7F}é\u{2028}")
        #expect(value.canonicalString == #""q\"b\\s/\u0001\u001f\n\t"# + "\u{7F}é\u{2028}\"")
    }

    @Test func canonicalFormIsStableUnderReparsing() throws {
        let text = #"{"n":[0,-1,2.5,1e-300,12345678901234567890,1E400000000000000000000], "s":"\u0000"}"#
        // 1E400… overflows a Double: rejected, so test without it first.
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
        let valid = text.replacingOccurrences(of: ",1E400000000000000000000", with: "")
        let once = try canonical(valid)
        #expect(try canonical(once) == once)
        #expect(once == #"{"n":[0,-1,2.5,1e-300,1.2345678901234567e+19],"s":"\u0000"}"#)
    }

    @Test func prettyFormIsSortedAndIndented() {
        let value: JSONValue = ["b": [1, ["c": .object([])]], "a": "x", "e": []]
        let expected = """
            {
              "a": "x",
              "b": [
                1,
                {
                  "c": {}
                }
              ],
              "e": []
            }

            """
        #expect(String(decoding: value.prettyBytes, as: UTF8.self) == expected)
    }

    @Test func objectEqualityIgnoresMemberOrder() {
        #expect(JSONValue.object([("a", 1), ("b", 2)]) == .object([("b", 2), ("a", 1)]))
        #expect(JSONValue.object([("a", 1)]) != .object([("a", 2)]))
        #expect(JSONValue.int(1) != .double(1))
        // A hand-built object with a repeated key: the last value wins everywhere.
        let repeated = JSONValue.object([("a", 1), ("a", 2)])
        #expect(repeated["a"] == 2)
        #expect(repeated.canonicalString == #"{"a":2}"#)
    }

    private struct Record: Codable, Equatable {
        var name: String
        var step: Int64
        var loss: Double
        var tags: [String]
    }

    @Test func codableValuesHaveCanonicalBytes() throws {
        let record = Record(name: "r/1", step: 9_007_199_254_740_993, loss: 0.25, tags: ["b", "a"])
        let bytes = try canonicalJSON(record)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"loss":0.25,"name":"r/1","step":9007199254740993,"tags":["b","a"]}"#)
        #expect(try JSONValue.parse(bytes).decode(as: Record.self) == record)
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JSONValue.parse(deep).array != nil)
    }

    @Test func limitsAreEnforced() {
        let tight = JSONLimits(maxInputBytes: 100, maxDepth: 3, maxStringBytes: 4, maxValues: 5)
        #expect(throws: JSONError.inputTooLarge(size: 101, limit: 100)) {
            try JSONValue.parse(Array(repeating: UInt8(ascii: " "), count: 101), limits: tight)
        }
        #expect(throws: JSONError.tooDeep(offset: 3, limit: 3)) { try JSONValue.parse("[[[[]]]]", limits: tight) }
        #expect(throws: JSONError.stringTooLong(offset: 0, limit: 4)) { try JSONValue.parse(#""abcde""#, limits: tight) }
        #expect(throws: JSONError.stringTooLong(offset: 0, limit: 4)) { try JSONValue.parse(#""ab\ncd""#, limits: tight) }
        #expect(throws: JSONError.tooManyValues(offset: 9, limit: 5)) { try JSONValue.parse("[1,2,3,4,5]", limits: tight) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONError.tooDeep(offset: 64, limit: 64)) { try JSONValue.parse(deep) }
    }

    @Test(arguments: [
        ("", JSONError.unexpectedEnd(expected: "a value")),
        ("   ", .unexpectedEnd(expected: "a value")),
        ("[1,2", .unexpectedEnd(expected: "',' or ']'")),
        (#"{"a":1"#, .unexpectedEnd(expected: "',' or '}'")),
        (#""abc"#, .unexpectedEnd(expected: "'\"' closing the string at byte 0")),
        ("[1,]", .unexpectedByte(UInt8(ascii: "]"), offset: 3, expected: "a value")),
        (#"{"a":1,}"#, .unexpectedByte(UInt8(ascii: "}"), offset: 7, expected: "a string key")),
        ("{'a':1}", .unexpectedByte(UInt8(ascii: "'"), offset: 1, expected: "a string key")),
        (#"{"a" 1}"#, .unexpectedByte(UInt8(ascii: "1"), offset: 5, expected: "':'")),
        ("[1 2]", .unexpectedByte(UInt8(ascii: "2"), offset: 3, expected: "',' or ']'")),
        ("01", .invalidNumber(offset: 0, reason: "leading zeros are not allowed")),
        ("-01", .invalidNumber(offset: 0, reason: "leading zeros are not allowed")),
        ("-", .invalidNumber(offset: 0, reason: "'-' must be followed by a digit")),
        ("1.", .invalidNumber(offset: 0, reason: "'.' must be followed by a digit")),
        ("1e", .invalidNumber(offset: 0, reason: "exponent must have digits")),
        ("1e400", .invalidNumber(offset: 0, reason: "out of the range of a Double")),
        (".5", .unexpectedByte(UInt8(ascii: "."), offset: 0, expected: "a value")),
        ("+1", .unexpectedByte(UInt8(ascii: "+"), offset: 0, expected: "a value")),
        ("NaN", .unexpectedByte(UInt8(ascii: "N"), offset: 0, expected: "a value")),
        ("Infinity", .unexpectedByte(UInt8(ascii: "I"), offset: 0, expected: "a value")),
        ("nul", .unexpectedEnd(expected: "\"null\"")),
        ("tru e", .unexpectedByte(UInt8(ascii: " "), offset: 3, expected: "\"true\"")),
        ("1 2", .trailingData(offset: 2)),
        ("{} x", .trailingData(offset: 3)),
        (#"{"a":1,"a":2}"#, .duplicateKey("a", offset: 7)),
        (#"{"é":1,"e\u0301":2}"#, .duplicateKey("e\u{301}", offset: 8)),
        (#""\x""#, .invalidEscape(offset: 1)),
        (#""\u12zz""#, .unexpectedByte(UInt8(ascii: "z"), offset: 5, expected: "a hex digit")),
        (#""\u12""#, .unexpectedEnd(expected: "four hex digits after \\u")),
        (#""\ud800""#, .loneSurrogate(offset: 1)),
        (#""\udc00\ud800""#, .loneSurrogate(offset: 1)),
        (#""\ud800\u0041""#, .loneSurrogate(offset: 1)),
        ("\"a\tb\"", .unexpectedByte(0x09, offset: 2, expected: "a string character (control characters must be escaped)")),
        ("/* c */ 1", .unexpectedByte(UInt8(ascii: "/"), offset: 0, expected: "a value")),
    ])
    func rejectsMalformedText(text: String, expected: JSONError) {
        #expect(throws: expected) { try JSONValue.parse(text) }
    }

    @Test(arguments: [
        [0x22, 0xFF, 0x22],  // invalid byte
        [0x22, 0xC3, 0x22],  // truncated sequence
        [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // invalid byte after an escape
    ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.invalidUTF8(offset: 0)) { try JSONValue.parse(bytes) }
    }

    @Test func rejectsByteOrderMark() {
        #expect(throws: JSONError.unexpectedByte(0xEF, offset: 0, expected: "a value")) {
            try JSONValue.parse([0xEF, 0xBB, 0xBF, UInt8(ascii: "1")])
        }
    }

    @Test func errorsSayWhereAndWhat() {
        #expect(JSONError.duplicateKey("lr", offset: 17).description == #"JSON: duplicate key "lr" at byte 17"#)
        #expect(JSONError.unexpectedByte(0x01, offset: 3, expected: "a value").description
            == "JSON: unexpected byte 0x01 at byte 3, expected a value")
    }
}
