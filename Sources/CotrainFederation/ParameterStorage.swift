// The flat float buffer behind a parameter set: one 64-byte-aligned allocation, so
import Dispatch
// kernels run on raw pointers with no array bounds, exclusivity or copy-on-write checks.

/// An owned, 64-byte-aligned buffer of Floats.
///
/// Written only while its parameter set is being built (``ParameterSet/build(schema:_:)``);
/// after that it is never mutated, which is what makes sharing it across threads and
/// between `ParameterSet` copies safe.
final class ParameterStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int

    /// A zero-filled buffer of `count` Floats.
    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
        base = raw.assumingMemoryBound(to: Float.self)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: base, count: count) }
    var mutableBuffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
}

/// Runs `body` over `count` elements split into contiguous ranges, on up to `threads`
/// threads. Ranges are disjoint, so a kernel that writes only its own range gives the
/// same bytes for any thread count.
func parallelRanges(count: Int, threads: Int, minimumChunk: Int = 1 << 16, _ body: (Range<Int>) -> Void) {
    let chunks = max(1, min(threads, count / max(minimumChunk, 1)))
    if chunks == 1 {
        body(0..<count)
        return
    }
    // Chunk edges on 64-element boundaries keep SIMD loops whole and stores aligned.
    let per = ((count + chunks - 1) / chunks + 63) & ~63
    withoutActuallyEscaping(body) { body in
        // Audited: callers write only inside the range they are given.
        nonisolated(unsafe) let run = body
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            let start = min(count, index * per)
            let end = min(count, start + per)
            if start < end { run(start..<end) }
        }
    }
}
