// A reusable zstd decompression context with a hard output cap, for untrusted input.
//
// How the cap is enforced:
// - a frame header declaring more than the cap is refused before anything is decoded
//   or allocated (one-shot: every call; streaming: the stream's first chunk);
// - otherwise output is counted as it is produced, into buffers never larger than
//   the cap + 1 byte, and the call fails as soon as the count passes the cap;
// - the decoder's window is capped too (`ZSTD_d_windowLogMax`), so a hostile header
//   cannot make it reserve more history memory than the cap needs (at least 8 MiB,
//   which every standard level up to 19 fits; at most zstd's default 128 MiB).
import CZstd

/// A zstd decompressor owning a `ZSTD_DCtx`, refusing output over ``limit`` bytes.
///
/// One-shot: ``decompress(_:)`` or ``decompress(_:into:)``. Streaming: ``feed(_:)`` the
/// compressed chunks as they arrive, then ``finish()``; the cap applies to the whole
/// stream. Any error abandons the stream (the next call starts afresh).
/// Not thread-safe: one decompressor per task.
public final class ZstdDecompressor {
    private let context: OpaquePointer  // ZSTD_DCtx*, owned
    private let scratch: UnsafeMutableRawBufferPointer  // streaming output staging
    /// The most bytes one call (one-shot) or one stream may produce.
    public let limit: Int
    private var produced = 0  // output of the current stream
    private var started = false  // any input fed to the current stream
    private var inFrame = false  // the decoder stopped inside a frame

    /// A decompressor that refuses output larger than `limit` bytes.
    public init(limit: Int) throws(ZstdError) {
        guard limit >= 0 else { throw ZstdError.invalidParameter("negative limit \(limit)") }
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError.library(operation: "ZSTD_createDCtx", reason: "out of memory")
        }
        self.context = context
        self.limit = limit
        scratch = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
        let neededLog = Int.bitWidth - max(limit, 1).leadingZeroBitCount
        let windowLog = Int32(min(max(neededLog, 23), 27))
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, windowLog)
    }

    deinit {
        ZSTD_freeDCtx(context)
        scratch.deallocate()
    }

    /// Decompresses all frames in `source` into `destination`; returns the bytes
    /// written. Output beyond `min(limit, destination.count)` is an error.
    public func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        guard source.count > 0 else { throw ZstdError.truncated }
        if let declared = try checkDeclaredSize(source, cap: limit), declared > UInt64(destination.count) {
            throw ZstdError.destinationTooSmall(capacity: destination.count)
        }
        reset()
        let written = ZSTD_decompressDCtx(context, destination.baseAddress, min(limit, destination.count), source.baseAddress, source.count)
        if ZstdError.isError(written, ZSTD_error_dstSize_tooSmall) {
            throw limit <= destination.count ? .exceedsLimit(limit: limit, declared: nil) : .destinationTooSmall(capacity: destination.count)
        }
        if ZstdError.isError(written, ZSTD_error_srcSize_wrong) { throw ZstdError.truncated }
        guard ZSTD_isError(written) == 0 else { throw ZstdError.corrupt(reason: ZstdError.reason(written)) }
        return written
    }

    /// Decompresses all frames in `source` (see ``limit``).
    public func decompress(_ source: [UInt8]) throws(ZstdError) -> [UInt8] {
        try source.withUnsafeBytes { input in Result { () throws(ZstdError) in try decompress(input) } }.get()
    }

    /// Decompresses all frames in `source` (see ``limit``).
    public func decompress(_ source: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        let declared = try checkDeclaredSize(source, cap: limit)
        if let declared {
            // The usual case: one frame that states its size. Decode it in one pass.
            var out = [UInt8](repeating: 0, count: Int(declared))
            reset()
            let written = out.withUnsafeMutableBytes {
                ZSTD_decompressDCtx(context, $0.baseAddress, $0.count, source.baseAddress, source.count)
            }
            if ZSTD_isError(written) == 0 {
                out.removeSubrange(written...)
                return out
            }
            // More frames follow (or a header lied): decode the stream, counting output.
            guard ZstdError.isError(written, ZSTD_error_dstSize_tooSmall) else {
                throw ZstdError.isError(written, ZSTD_error_srcSize_wrong) ? .truncated : .corrupt(reason: ZstdError.reason(written))
            }
        }
        reset()
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, max(source.count * 4, 1 << 16)))
        try rethrowingZstdError { try stream(source) { out += $0 } }
        try finish()
        return out
    }

    /// Decompresses `chunk` as the next part of the stream, passing output to `sink`
    /// (valid only during the call).
    public func feed(_ chunk: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !started { try checkDeclaredSize(chunk, cap: limit) }
        try stream(chunk, sink)
    }

    /// Decompresses `chunk` as the next part of the stream; returns its output.
    public func feed(_ chunk: [UInt8]) throws(ZstdError) -> [UInt8] {
        var out: [UInt8] = []
        try rethrowingZstdError { try chunk.withUnsafeBytes { try feed($0) { out += $0 } } }
        return out
    }

    /// Ends the stream: throws ``ZstdError/truncated`` if it stopped inside a frame
    /// or held no frame. The decompressor is then ready for a new stream.
    public func finish() throws(ZstdError) {
        let complete = started && !inFrame
        reset()
        guard complete else { throw ZstdError.truncated }
    }

    /// Abandons the current stream.
    public func reset() {
        _ = ZSTD_DCtx_reset(context, ZSTD_reset_session_only)
        produced = 0
        started = false
        inFrame = false
    }

    /// If `source` starts with a frame header that declares its size, refuses sizes
    /// over `cap` and returns the size (nil when undeclared or not yet readable).
    @discardableResult
    private func checkDeclaredSize(_ source: UnsafeRawBufferPointer, cap: Int) throws(ZstdError) -> UInt64? {
        guard let base = source.baseAddress else { return nil }
        let declared = ZSTD_getFrameContentSize(base, source.count)
        guard declared != cotrain_zstd_contentsize_unknown(), declared != cotrain_zstd_contentsize_error() else { return nil }
        guard declared <= UInt64(cap) else {
            reset()
            throw ZstdError.exceedsLimit(limit: cap, declared: declared)
        }
        return declared
    }

    /// Drives `ZSTD_decompressStream` over `chunk`, counting output against the cap.
    private func stream(_ chunk: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        started = started || chunk.count > 0
        do {
            while true {
                var output = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &output, &input)
                guard ZSTD_isError(hint) == 0 else { throw ZstdError.corrupt(reason: ZstdError.reason(hint)) }
                inFrame = hint != 0
                produced += output.pos
                guard produced <= limit else { throw ZstdError.exceedsLimit(limit: limit, declared: nil) }
                if output.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: scratch[..<output.pos])) }
                // Done when all input is consumed and the decoder has nothing left to flush.
                if input.pos == input.size && output.pos < output.size { return }
            }
        } catch {
            reset()
            throw error
        }
    }
}
