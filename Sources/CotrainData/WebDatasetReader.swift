// Reading WebDataset tars sample by sample: adjacent entries with the same key form
// one sample (`dir/000123.ppm`, `dir/000123.txt` → key `dir/000123`). Streaming: one
// sample in memory at a time.
import CotrainCore

/// Reads the samples of a WebDataset tar from a ``TarReader``.
public struct WebDatasetReader {
    /// The members of one sample by extension ("ppm", "txt", "json", …).
    public struct Group: Sendable {
        /// The key (path without the extension) and the members by extension.
        public var key: String
        public var members: [String: [UInt8]]
    }

    private var tar: TarReader
    private var pending: TarEntry?
    private var seenKeys: Set<String> = []
    /// Names the input in errors.
    public let source: String

    /// A reader over `tar`; `source` names the input in errors.
    public init(tar: TarReader, source: String) {
        self.tar = tar
        self.source = source
    }

    /// Splits `dir/name.ext.more` into key `dir/name` and extension `ext.more`.
    static func split(_ name: String) -> (key: String, ext: String) {
        let slash = name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
        guard let dot = name[slash...].firstIndex(of: ".") else { return (name, "") }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]).lowercased())
    }

    /// The next sample, or nil at the end of the archive. Throws ``DataError`` for an
    /// unsafe archive (absolute or `..` names, links, devices), a member without an
    /// extension, a repeated member, or a key that reappears after other keys.
    public mutating func next() throws -> Group? {
        var group: Group? = nil
        while true {
            let entry: TarEntry?
            if let held = pending { entry = held; pending = nil } else { entry = try readEntry() }
            guard let entry else { return group }
            let (key, ext) = Self.split(entry.name)
            guard !ext.isEmpty, !key.isEmpty, !key.hasSuffix("/") else {
                throw DataError.badSample(source: source, key: entry.name, reason: "member name has no KEY.EXTENSION form")
            }
            if var current = group {
                guard current.key == key else { pending = entry; return current }
                guard current.members[ext] == nil else {
                    throw DataError.badSample(source: source, key: key, reason: "member .\(ext) appears twice")
                }
                current.members[ext] = entry.contents
                group = current
            } else {
                guard seenKeys.insert(key).inserted else {
                    throw DataError.badSample(source: source, key: key, reason: "its members are not adjacent in the tar (WebDataset requires that)")
                }
                group = Group(key: key, members: [ext: entry.contents])
            }
        }
    }

    private mutating func readEntry() throws -> TarEntry? {
        do {
            return try tar.next()
        } catch let error as TarError {
            switch error {
            case .invalidName, .unsupportedEntry: throw DataError.unsafeArchive(source: source, reason: error.description)
            default: throw error
            }
        }
    }
}

extension VLSample {
    /// Extensions of image formats cotrain recognises but does not decode.
    static let foreignImageExtensions: Set<String> = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "avif", "heic"]

    /// Decodes a WebDataset group: an image (.ppm or .pgm, required), a caption (.txt,
    /// UTF-8) and metadata (.json); other members are rejected with a message saying
    /// what is supported.
    public init(group: WebDatasetReader.Group, source: String) throws(DataError) {
        let key = group.key
        var imageBytes: [UInt8]? = nil
        for ext in group.members.keys.sorted() {
            switch ext {
            case "ppm", "pgm":
                guard imageBytes == nil else { throw .badSample(source: source, key: key, reason: "has both .ppm and .pgm images") }
                imageBytes = group.members[ext]
            case "txt", "json": break
            default:
                if Self.foreignImageExtensions.contains(ext) { throw .unsupportedImageFormat(source: source, key: key, format: ext) }
                throw .badSample(source: source, key: key, reason: "member .\(ext) is not supported; a sample has .ppm or .pgm, .txt and .json")
            }
        }
        guard let imageBytes else { throw .badSample(source: source, key: key, reason: "has no image (.ppm or .pgm)") }
        let image: RGBImage
        do { image = try RGBImage(pnm: imageBytes) } catch { throw .badSample(source: source, key: key, reason: error.description) }
        var caption = ""
        if let text = group.members["txt"] {
            guard let decoded = String(validating: text, as: UTF8.self) else {
                throw .badSample(source: source, key: key, reason: ".txt is not valid UTF-8")
            }
            caption = decoded.trimmingTrailingNewlines
        }
        var parsed: (kind: String, qa: [QAPair], referring: [ReferringExpression], concepts: [String]) = ("caption", [], [], [])
        if let json = group.members["json"] {
            do { parsed = try VLSample.parseMetadata(json) } catch { throw .badSample(source: source, key: key, reason: error.description) }
        }
        guard !caption.isEmpty || !parsed.qa.isEmpty else {
            throw .badSample(source: source, key: key, reason: "has neither a caption (.txt) nor question/answer pairs (.json)")
        }
        self.init(key: key, image: image, caption: caption, kind: parsed.kind, qa: parsed.qa, referring: parsed.referring, concepts: parsed.concepts)
    }
}

extension String {
    /// The string without trailing "\n" / "\r\n".
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == "\r\n" { s = s.dropLast() }
        return String(s)
    }
}
