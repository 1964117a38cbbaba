// A deterministic word-level tokenizer with byte fallback, built from a corpus and
// stored in checkpoint metadata, so a checkpoint needs no external vocabulary file.
import CotrainCore

/// Word-level tokenizer: frequent words (and punctuation) get one id each; anything
/// else is spelled with one token per UTF-8 byte, so every text round-trips.
///
/// Text is normalised first: lowercased, whitespace runs collapsed to one space,
/// leading and trailing whitespace dropped. Pieces are runs of letters/digits and
/// single other characters; a piece that followed a space is stored with a leading
/// `▁` (as in SentencePiece), so decoding is plain concatenation and
/// `decode(encode(s)) == Tokenizer.normalize(s)` exactly.
///
/// Ids: 0 `<pad>`, 1 `<bos>`, 2 `<eos>`, 3 `<sep>`, 4…259 the bytes 0x00…0xFF, then the
/// words in order of decreasing corpus frequency (ties by UTF-8 order).
public struct Tokenizer: Sendable, Equatable {
    /// Padding (never predicted, hidden from attention).
    public static let pad: Int32 = 0
    /// Start of the text.
    public static let bos: Int32 = 1
    /// End of the target text.
    public static let eos: Int32 = 2
    /// Separates the prompt from the target text.
    public static let sep: Int32 = 3
    /// The first byte-fallback id (byte `b` is `byteBase + b`).
    public static let byteBase: Int32 = 4
    /// The first word id.
    public static let wordBase: Int32 = 260
    /// The word-boundary marker (U+2581) stored in front of pieces that followed a space.
    public static let space = "\u{2581}"

    /// The word pieces, id `wordBase + i` for `words[i]`.
    public let words: [String]
    private let ids: [String: Int32]

    /// A tokenizer with the given word pieces (e.g. from a checkpoint).
    public init(words: [String]) {
        self.words = words
        var ids: [String: Int32] = [:]
        for (i, w) in words.enumerated() { ids[w] = Tokenizer.wordBase + Int32(i) }
        self.ids = ids
    }

    /// Vocabulary size: specials, 256 bytes and the words.
    public var count: Int { Int(Tokenizer.wordBase) + words.count }

    /// Builds the vocabulary from `corpus`: the most frequent pieces until the vocabulary
    /// holds `maxSize` ids (at least 260: specials and bytes).
    public static func build(from corpus: [String], maxSize: Int = 1024) throws(PolicyError) -> Tokenizer {
        guard maxSize >= Int(wordBase) else { throw .invalidConfig("tokenizer maxSize \(maxSize) must be ≥ \(wordBase)") }
        var counts: [String: Int] = [:]
        for text in corpus {
            for piece in pieces(of: text) { counts[piece, default: 0] += 1 }
        }
        let ranked = counts.sorted { a, b in
            a.value != b.value ? a.value > b.value : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }
        return Tokenizer(words: ranked.prefix(maxSize - Int(wordBase)).map(\.key))
    }

    /// `text` lowercased, with whitespace runs collapsed and trimmed.
    public static func normalize(_ text: String) -> String {
        pieces(of: text).joined().replacingSpaceMarkers()
    }

    /// The pieces of normalised `text`, each with a leading `▁` if a space preceded it.
    static func pieces(of text: String) -> [String] {
        var result: [String] = [], word = "", spaced = false
        func flush() {
            if !word.isEmpty { result.append((spaced ? space : "") + word); word = ""; spaced = false }
        }
        for ch in text.lowercased() {
            if ch.isWhitespace {
                flush()
                spaced = !result.isEmpty
            } else if ch.isLetter || ch.isNumber {
                word.append(ch)
            } else {
                flush()
                result.append((spaced ? space : "") + String(ch))
                spaced = false
            }
        }
        flush()
        return result
    }

    /// Token ids of `text` (no special tokens).
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        for piece in Tokenizer.pieces(of: text) {
            if let id = ids[piece] {
                out.append(id)
            } else {
                out += piece.replacingSpaceMarkers().utf8.map { Tokenizer.byteBase + Int32($0) }
            }
        }
        return out
    }

    /// The text of `tokens`; special tokens are skipped, invalid UTF-8 is replaced.
    public func decode(_ tokens: [Int32]) -> String {
        var bytes: [UInt8] = []
        for t in tokens {
            if t >= Tokenizer.wordBase, Int(t - Tokenizer.wordBase) < words.count {
                bytes += words[Int(t - Tokenizer.wordBase)].replacingSpaceMarkers().utf8
            } else if t >= Tokenizer.byteBase && t < Tokenizer.wordBase {
                bytes.append(UInt8(t - Tokenizer.byteBase))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The tokenizer as JSON (`{"version":1,"words":[…]}`), as stored in checkpoints.
    public var json: JSONValue {
        .object([("version", 1), ("words", .array(words.map { .string($0) }))])
    }

    /// A tokenizer from its JSON form.
    public init(json: JSONValue) throws(PolicyError) {
        guard json["version"]?.int == 1, let list = json["words"]?.array else {
            throw .invalidConfig("tokenizer JSON needs version 1 and a words array")
        }
        var words: [String] = []
        for item in list {
            guard let w = item.string, !w.isEmpty else { throw .invalidConfig("tokenizer word is not a non-empty string") }
            words.append(w)
        }
        guard Set(words).count == words.count else { throw .invalidConfig("tokenizer has a repeated word") }
        self.init(words: words)
    }

    /// Equal vocabularies.
    public static func == (a: Tokenizer, b: Tokenizer) -> Bool { a.words == b.words }
}

extension String {
    /// The `▁` markers turned back into spaces.
    func replacingSpaceMarkers() -> String {
        var out = ""
        for ch in self { out.append(ch == "\u{2581}" ? " " : ch) }
        return out
    }
}
