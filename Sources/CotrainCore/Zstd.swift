// zstd compression for deltas and shards, with a hard cap on decompressed size:
// compressed input from peers is untrusted, and a few KiB can declare (or produce)
// gigabytes.
//
// Frames carry their content size (when known) and a 32-bit content checksum.
// Concatenated frames decompress to the concatenation of their contents, as with the
// `zstd` tool; skippable frames are skipped; bytes after the last frame that do not
// form a frame are an error. The cap applies to the total.
import CZstd

/// A zstd failure: bad parameters, corrupt or truncated input, or output over the cap.
public enum ZstdError: CotrainError, Equatable {
    /// The decompressed data would exceed `limit` bytes. `declared` is the size a frame
    /// header announced, when the refusal came from it (before decoding anything).
    case exceedsLimit(limit: Int, declared: UInt64?)
    /// The input is not valid zstd data (`reason` is zstd's message).
    case corrupt(reason: String)
    /// The input ended inside a frame (or held no frame at all).
    case truncated
    /// A caller-provided output buffer of `capacity` bytes was too small.
    case destinationTooSmall(capacity: Int)
    /// A compression level, worker count or size zstd does not accept.
    case invalidParameter(String)
    /// Any other zstd failure (e.g. out of memory).
    case library(operation: String, reason: String)

    public var description: String {
        switch self {
        case .exceedsLimit(let limit, let declared?):
            return "zstd data declares \(declared) bytes of content, more than the \(limit)-byte limit; refused before decoding"
        case .exceedsLimit(let limit, nil):
            return "zstd data decompresses to more than the \(limit)-byte limit; refused"
        case .corrupt(let reason): return "zstd data is corrupt: \(reason)"
        case .truncated: return "zstd data is truncated: the input ends inside a frame (or holds no frame)"
        case .destinationTooSmall(let capacity):
            return "zstd output does not fit the \(capacity)-byte buffer (size it with Zstd.compressBound)"
        case .invalidParameter(let what): return "invalid zstd parameter: \(what)"
        case .library(let operation, let reason): return "zstd \(operation) failed: \(reason)"
        }
    }
}

/// One-shot helpers and limits; ``ZstdCompressor`` and ``ZstdDecompressor`` hold
/// reusable contexts for repeated or streaming work.
public enum Zstd {
    /// The default compression level (zstd's own default: fast, good ratio).
    public static let defaultLevel = 3

    /// The accepted compression levels (negative levels are faster, weaker).
    public static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    /// Whether this libzstd can compress with worker threads (`workers` > 0).
    public static var supportsMultithreading: Bool {
        let bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers)
        return ZSTD_isError(bounds.error) == 0 && bounds.upperBound > 0
    }

    /// The largest compressed size of `count` input bytes in one frame: a buffer this
    /// large always suffices for ``ZstdCompressor/compress(_:into:)``.
    public static func compressBound(_ count: Int) -> Int {
        ZSTD_compressBound(count)
    }

    /// `bytes` as one zstd frame at `level`.
    public static func compress(_ bytes: [UInt8], level: Int = defaultLevel) throws(ZstdError) -> [UInt8] {
        try ZstdCompressor(level: level).compress(bytes)
    }

    /// Decompresses `bytes`, refusing output larger than `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws(ZstdError) -> [UInt8] {
        try ZstdDecompressor(limit: limit).decompress(bytes)
    }
}

/// Error plumbing shared by the compressor and decompressor.
extension ZstdError {
    /// zstd's message for an error result.
    static func reason(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }

    /// Whether a zstd result is an error with this code.
    static func isError(_ code: Int, _ kind: ZSTD_ErrorCode) -> Bool {
        ZSTD_isError(code) != 0 && ZSTD_getErrorCode(code) == kind
    }

    /// Throws `.library` if a zstd result is an error; returns the result otherwise.
    @discardableResult
    static func check(_ code: Int, _ operation: String) throws(ZstdError) -> Int {
        guard ZSTD_isError(code) != 0 else { return code }
        throw ZstdError.library(operation: operation, reason: reason(code))
    }
}

/// Runs `body`, whose only errors are ``ZstdError`` values thrown through untyped
/// (sink-taking) helpers, and rethrows them typed.
func rethrowingZstdError(_ body: () throws -> Void) throws(ZstdError) {
    do {
        try body()
    } catch let error as ZstdError {
        throw error
    } catch {
        throw ZstdError.library(operation: "stream", reason: "\(error)")
    }
}
