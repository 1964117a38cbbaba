// One vision-language sample: an image, a caption and structured metadata. In a shard
// it is three adjacent tar entries KEY.ppm, KEY.txt and KEY.json (WebDataset).
import CotrainCore

/// A question about an image and its answer.
public struct QAPair: Sendable, Equatable {
    /// The question, its short answer, and what it tests ("colour", "shape", "left_right",
    /// "front_behind", "count", "in_bowl", or anything an importer brings).
    public var question: String
    public var answer: String
    public var type: String

    /// A pair.
    public init(question: String, answer: String, type: String) {
        self.question = question; self.answer = answer; self.type = type
    }
}

/// A phrase that picks out one object, and the object's plain name.
public struct ReferringExpression: Sendable, Equatable {
    /// E.g. "the object furthest to the left" → "the red cube".
    public var expression: String
    public var target: String

    /// An expression and the object it names.
    public init(expression: String, target: String) {
        self.expression = expression; self.target = target
    }
}

/// A VL sample as stored in a shard.
public struct VLSample: Sendable, Equatable {
    /// The WebDataset key: letters, digits, '-' and '_' (no dots).
    public var key: String
    /// The image (stored as binary PPM).
    public var image: RGBImage
    /// One-sentence description (KEY.txt).
    public var caption: String
    /// "scene" (synthetic, fully annotated), "caption", "vqa", … (free-form for imports).
    public var kind: String
    /// Question/answer pairs and referring expressions about the image.
    public var qa: [QAPair]
    public var referring: [ReferringExpression]
    /// Concepts the sample shows, e.g. "colour:purple", "shape:bowl", "relation:left".
    public var concepts: [String]

    /// A sample from its parts.
    public init(
        key: String, image: RGBImage, caption: String, kind: String, qa: [QAPair] = [],
        referring: [ReferringExpression] = [], concepts: [String] = []
    ) {
        self.key = key; self.image = image; self.caption = caption; self.kind = kind
        self.qa = qa; self.referring = referring; self.concepts = concepts
    }

    /// KEY.json: `{"kind", "qa": [{"question","answer","type"}], "referring":
    /// [{"expression","target"}], "concepts": [...]}`.
    public var metadataJSON: JSONValue {
        .object([
            ("kind", .string(kind)),
            ("qa", .array(qa.map { .object([("question", .string($0.question)), ("answer", .string($0.answer)), ("type", .string($0.type))]) })),
            ("referring", .array(referring.map { .object([("expression", .string($0.expression)), ("target", .string($0.target))]) })),
            ("concepts", .strings(concepts)),
        ])
    }

    /// The three tar entries of this sample, in WebDataset order.
    public var tarEntries: [TarEntry] {
        [
            TarEntry(name: "\(key).json", contents: metadataJSON.canonicalBytes),
            TarEntry(name: "\(key).ppm", contents: image.ppm),
            TarEntry(name: "\(key).txt", contents: Array(caption.utf8)),
        ]
    }

    /// Parses KEY.json. Every key is optional (an import may carry only a caption),
    /// but unknown keys and wrong types are errors.
    public static func parseMetadata(_ bytes: [UInt8]) throws(FieldProblem) -> (kind: String, qa: [QAPair], referring: [ReferringExpression], concepts: [String]) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw .invalid(path: "json", reason: error.description) }
        var f = try JSONFields(value, path: "json")
        let kind = try f.optionalString("kind") ?? "caption"
        var qa: [QAPair] = []
        for (i, item) in (try f.optionalArray("qa") ?? []).enumerated() {
            var q = try JSONFields(item, path: "json.qa[\(i)]")
            qa.append(QAPair(question: try q.string("question"), answer: try q.string("answer"), type: try q.optionalString("type") ?? "other"))
            try q.finish()
        }
        var referring: [ReferringExpression] = []
        for (i, item) in (try f.optionalArray("referring") ?? []).enumerated() {
            var r = try JSONFields(item, path: "json.referring[\(i)]")
            referring.append(ReferringExpression(expression: try r.string("expression"), target: try r.string("target")))
            try r.finish()
        }
        let concepts = try f.optionalStrings("concepts") ?? []
        try f.finish()
        return (kind, qa, referring, concepts)
    }

    /// Whether `key` is a valid WebDataset key for cotrain shards.
    public static func isValidKey(_ key: String) -> Bool {
        (1...128).contains(key.utf8.count) && key.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }
}
