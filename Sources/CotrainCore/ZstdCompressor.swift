// A reusable zstd compression context: one-shot frames, or a frame streamed chunk by
// chunk (multi-hundred-MB deltas never need to sit in memory twice).
import CZstd

/// A zstd compressor owning a `ZSTD_CCtx`, reusable across frames.
///
/// One-shot: ``compress(_:)`` or ``compress(_:into:)``. Streaming: ``feed(_:)`` chunks,
/// then ``finish()`` ends the frame; the next `feed` starts a new one. Call
/// ``reset(pledgedSize:)`` first to record the total size in the frame header.
/// Not thread-safe: one compressor per task.
public final class ZstdCompressor {
    private let context: OpaquePointer  // ZSTD_CCtx*, owned
    private let scratch: UnsafeMutableRawBufferPointer  // streaming output staging
    /// The compression level.
    public let level: Int

    /// A compressor at `level` (see ``Zstd/levels``), with `workers` extra threads
    /// (0 = compress on the calling thread; needs ``Zstd/supportsMultithreading``).
    /// Every frame carries a content checksum.
    public init(level: Int = Zstd.defaultLevel, workers: Int = 0) throws(ZstdError) {
        guard Zstd.levels.contains(level) else {
            throw ZstdError.invalidParameter("level \(level) is outside \(Zstd.levels)")
        }
        guard workers == 0 || (workers > 0 && workers <= 256 && Zstd.supportsMultithreading) else {
            throw ZstdError.invalidParameter("\(workers) workers (0...256; threads need a multithreaded libzstd)")
        }
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError.library(operation: "ZSTD_createCCtx", reason: "out of memory")
        }
        self.context = context
        self.level = level
        scratch = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        // All properties are set: if a call below throws, deinit runs and frees both.
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)), "set level")
        try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "set checksum")
        if workers > 0 {
            try ZstdError.check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(workers)), "set workers")
        }
    }

    deinit {
        ZSTD_freeCCtx(context)
        scratch.deallocate()
    }

    /// Compresses `source` into `destination` as one frame; returns the bytes written.
    /// ``Zstd/compressBound(_:)`` of the input always fits. Abandons any streamed frame.
    public func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        let written = ZSTD_compress2(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZstdError.isError(written, ZSTD_error_dstSize_tooSmall) {
            throw ZstdError.destinationTooSmall(capacity: destination.count)
        }
        return try ZstdError.check(written, "ZSTD_compress2")
    }

    /// `source` as one frame. Abandons any streamed frame.
    public func compress(_ source: [UInt8]) throws(ZstdError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Zstd.compressBound(source.count))
        let count = try source.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                Result { () throws(ZstdError) in try compress(input, into: output) }
            }
        }.get()
        out.removeSubrange(count...)
        return out
    }

    /// Abandons any frame in progress. With `pledgedSize`, the next streamed frame
    /// records that size in its header, and ``finish()`` fails unless exactly that
    /// many bytes were fed.
    public func reset(pledgedSize: UInt64? = nil) throws(ZstdError) {
        try ZstdError.check(ZSTD_CCtx_reset(context, ZSTD_reset_session_only), "ZSTD_CCtx_reset")
        if let pledgedSize {
            try ZstdError.check(ZSTD_CCtx_setPledgedSrcSize(context, pledgedSize), "ZSTD_CCtx_setPledgedSrcSize")
        }
    }

    /// Compresses `chunk` as the next part of the current frame, passing any output to
    /// `sink` (valid only during the call). zstd buffers input: output may lag.
    public func feed(_ chunk: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(chunk, ZSTD_e_continue, sink)
    }

    /// Compresses `chunk` as the next part of the current frame; returns the output so far.
    public func feed(_ chunk: [UInt8]) throws(ZstdError) -> [UInt8] {
        var out: [UInt8] = []
        try rethrowingZstdError { try chunk.withUnsafeBytes { try stream($0, ZSTD_e_continue) { out += $0 } } }
        return out
    }

    /// Ends the current frame, passing the remaining output to `sink`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end, sink)
    }

    /// Ends the current frame; returns the remaining output.
    public func finish() throws(ZstdError) -> [UInt8] {
        var out: [UInt8] = []
        try rethrowingZstdError { try stream(UnsafeRawBufferPointer(start: nil, count: 0), ZSTD_e_end) { out += $0 } }
        return out
    }

    /// Drives `ZSTD_compressStream2` until `chunk` is consumed (and, for `ZSTD_e_end`,
    /// the frame is flushed). Any failure abandons the frame.
    private func stream(
        _ chunk: UnsafeRawBufferPointer, _ mode: ZSTD_EndDirective, _ sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        while true {
            var output = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
            let remaining = ZSTD_compressStream2(context, &output, &input, mode)
            if ZSTD_isError(remaining) != 0 {
                _ = ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
                throw ZstdError.library(operation: "ZSTD_compressStream2", reason: ZstdError.reason(remaining))
            }
            if output.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: scratch[..<output.pos])) }
            let done = mode == ZSTD_e_end ? remaining == 0 : input.pos == input.size
            if done { return }
        }
    }
}
