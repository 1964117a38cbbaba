import CotrainCore
import Testing
@testable import CotrainPolicy

@Suite struct TokenizerTests {
    let tokenizer = Fixture.tokenizer

    @Test("decode(encode(s)) is the normalised text", arguments: [
        "Pick up the RED cube", "what   color is\tthe cube?", "put the blue ball in the bowl.",
        "", "  leading and trailing  ", "zebra-crossing at 5 o'clock!", "café déjà vu ✓",
    ])
    func roundTrip(text: String) {
        #expect(tokenizer.decode(tokenizer.encode(text)) == Tokenizer.normalize(text))
    }

    @Test("unknown words fall back to one token per UTF-8 byte")
    func byteFallback() {
        let known = tokenizer.encode("the cube")
        #expect(known.count == 2 && known.allSatisfy { $0 >= Tokenizer.wordBase })
        let unknown = tokenizer.encode("zebra")
        #expect(unknown == Array("zebra".utf8).map { Tokenizer.byteBase + Int32($0) })
        let spaced = tokenizer.encode("the zebra")
        #expect(spaced.count == 1 + 6)  // "▁zebra" is spelled with its leading space byte
        #expect(tokenizer.decode(tokenizer.encode("é")) == "é")
    }

    @Test("the vocabulary is deterministic, frequency-ranked and capped")
    func build() throws {
        let a = try Tokenizer.build(from: Fixture.corpus, maxSize: 300)
        let b = try Tokenizer.build(from: Fixture.corpus.reversed(), maxSize: 300)
        #expect(a == b)
        #expect(a.words.first == "\u{2581}the")
        let capped = try Tokenizer.build(from: Fixture.corpus, maxSize: 263)
        #expect(capped.count == 263 && capped.words == Array(a.words.prefix(3)))
        #expect(throws: PolicyError.self) { try Tokenizer.build(from: [], maxSize: 100) }
    }

    @Test("the JSON form round-trips and rejects a repeated word")
    func json() throws {
        #expect(try Tokenizer(json: tokenizer.json) == tokenizer)
        let bad: JSONValue = .object([("version", 1), ("words", .array([.string("a"), .string("a")]))])
        #expect(throws: PolicyError.self) { try Tokenizer(json: bad) }
    }
}
