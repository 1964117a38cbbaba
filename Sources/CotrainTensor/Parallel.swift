// Parallel loops over disjoint ranges: the one place that hands work to Dispatch.
import Dispatch
import Foundation

/// Thread-count defaults for kernels.
public enum Compute {
    /// The number of cores the process may use (the default thread count).
    public static var availableCores: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Runs `body(worker)` for `worker` in `0..<workers`, in parallel when `workers > 1`.
///
/// Determinism contract for every caller: each worker writes only outputs it owns
/// (disjoint ranges), and any reduction runs in a fixed order inside one worker, so the
/// result never depends on scheduling.
@inline(__always)
func parallelWorkers(_ workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        // Audited: `body` is only called for distinct worker indices, and callers
        // partition their outputs by worker (see the contract above).
        nonisolated(unsafe) let work = body
        DispatchQueue.concurrentPerform(iterations: workers) { work($0) }
    }
}

/// Splits `0..<count` into at most `threads` contiguous chunks of at least `grain`
/// items and runs `body` on each chunk, in parallel when there is more than one.
@inline(__always)
func parallelRanges(_ count: Int, threads: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    let workers = Swift.max(1, Swift.min(threads, count / Swift.max(grain, 1)))
    if workers == 1 {
        if count > 0 { body(0..<count) }
        return
    }
    parallelWorkers(workers) { w in
        let lo = count * w / workers, hi = count * (w + 1) / workers
        if lo < hi { body(lo..<hi) }
    }
}
