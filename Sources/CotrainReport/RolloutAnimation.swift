// Rollout GIFs embedded in the report as base64 data URIs, with captions.
import Foundation

/// One animated GIF of a rollout and its caption.
public struct RolloutAnimation: Sendable, Equatable {
    /// Shown under the animation and as its alt text.
    public var caption: String
    /// The GIF file's bytes.
    public let gif: [UInt8]
    /// Logical screen size from the GIF header, in pixels.
    public let width: Int, height: Int

    /// The largest GIF embedded (32 MiB): a report stays a file one can mail.
    public static let maxBytes = 32 << 20

    /// An animation from GIF bytes; `file` names the source in errors. Checks the
    /// GIF87a/GIF89a signature and reads the size from the header.
    public init(caption: String, gif: [UInt8], file: String = "(in memory)") throws(ReportError) {
        guard gif.count >= 13, gif.starts(with: Array("GIF87a".utf8)) || gif.starts(with: Array("GIF89a".utf8)) else {
            throw .invalidInput(file: file, reason: "not a GIF file (no GIF87a/GIF89a signature)")
        }
        guard gif.count <= Self.maxBytes else { throw .invalidInput(file: file, reason: "GIF is \(gif.count) bytes, over the \(Self.maxBytes)-byte limit") }
        width = Int(gif[6]) | Int(gif[7]) << 8
        height = Int(gif[8]) | Int(gif[9]) << 8
        guard width > 0, height > 0 else { throw .invalidInput(file: file, reason: "GIF has a zero width or height") }
        self.caption = caption
        self.gif = gif
    }

    /// Reads a GIF file; the caption defaults to one derived from the file name.
    public static func load(path: String, caption: String? = nil) throws(ReportError) -> RolloutAnimation {
        let bytes = try readInput(path, limit: maxBytes)
        return try RolloutAnimation(caption: caption ?? Self.caption(fileName: path), gif: bytes, file: path)
    }

    /// A caption from `cotrain eval --gif` names (`POLICY-TASK-CONDITION-seedN.gif`):
    /// "POLICY · TASK · CONDITION · seed N", taking the two parts before the seed as task
    /// and condition (policy names may contain dashes; built-in task and condition names
    /// do not). Other names are kept as they are.
    public static func caption(fileName path: String) -> String {
        var name = String(path.split(separator: "/").last ?? "")
        if name.lowercased().hasSuffix(".gif") { name.removeLast(4) }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4, let last = parts.last, last.hasPrefix("seed"), Int(last.dropFirst(4)) != nil else { return name }
        let policy = parts.dropLast(3).joined(separator: "-")
        return [policy, parts[parts.count - 3], parts[parts.count - 2], "seed \(last.dropFirst(4))"].joined(separator: " · ")
    }

    /// The `src` of an `<img>`: `data:image/gif;base64,…`.
    public var dataURI: String { "data:image/gif;base64," + Data(gif).base64EncodedString() }
}
