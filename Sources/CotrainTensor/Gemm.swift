// GEMM driver: C (m,n) = [C +] op(A) (m,k) · op(B) (k,n), row-major, float32.
//
// Structure after the BLIS papers (Van Zee & van de Geijn): the K dimension is cut into
// KC blocks, B into NC-wide blocks packed into NR-wide micro-panels, A into MC-tall
// blocks packed into MR-tall micro-panels; a register-blocked MR×NR micro-kernel runs
// over the packed panels. Threads own disjoint rectangles of C and never split K, so
// every element of C is summed in the same order whatever the thread count:
// results are bit-identical across thread counts.

/// Blocking parameters of the packed GEMM (floats).
enum GemmBlocking {
    /// Micro-kernel rows (A panel height).
    static let mr = 6
    /// Micro-kernel columns (B panel width): two SIMD16 registers.
    static let nr = 32
    /// K block: a packed B micro-panel (KC×NR) stays in L1.
    static let kc = 128
    /// M block: the A rows one pass over the B block reuses (MC×KC stays in L2).
    static let mc = 96
    /// N block: a packed B block (KC×NC) stays in L2/L3.
    static let nc = 1536
    /// Minimum work (flops) per thread before a GEMM is split across threads:
    /// below this, Dispatch overhead costs more than the second core gives.
    static let minFlopsPerWorker = 1 << 21
}

/// Packing buffers for `Gemm.multiply`, one region per worker thread.
///
/// Not thread-safe: one workspace serves one caller at a time (a `Tape` owns one). It
/// grows on first use and is then reused, so steady-state training never allocates here.
public final class GemmWorkspace {
    private var base: UnsafeMutablePointer<Float>?
    private var workers = 0
    /// Times the buffers were (re)allocated; constant once warmed up.
    public private(set) var allocations = 0

    /// Floats per worker: one packed A edge panel, a packed B block and one edge tile.
    static let perWorker: Int = {
        let b = GemmBlocking.self
        return b.mr * b.kc + b.kc * ((b.nc + b.nr - 1) / b.nr * b.nr) + b.mr * b.nr
    }()

    /// An empty workspace; buffers are allocated by the first multiply.
    public init() {}

    deinit { base?.deallocate() }

    /// Storage for `count` workers, growing (and counting the allocation) if needed.
    func buffers(for count: Int) -> UnsafeMutablePointer<Float> {
        if let base, count <= workers { return base }
        base?.deallocate()
        let n = count * GemmWorkspace.perWorker
        let p = Tensor.allocateAligned(n)
        p.initialize(repeating: 0, count: n)
        base = p
        workers = count
        allocations += 1
        return p
    }
}

/// General matrix multiply on row-major float32 buffers.
public enum Gemm {
    /// `C = op(A)·op(B)` or, with `accumulate`, `C += op(A)·op(B)`.
    ///
    /// - A is stored `(m,k)` with row stride `lda`, or `(k,m)` if `transA`.
    /// - B is stored `(k,n)` with row stride `ldb`, or `(n,k)` if `transB`.
    /// - C is `(m,n)` with row stride `ldc`; it must not alias A or B.
    /// - `threads` is an upper bound; small products run on the calling thread.
    /// The result is bit-identical for any `threads` value.
    public static func multiply(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, threads: Int, workspace: GemmWorkspace
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size \(m)×\(n)×\(k)")
        precondition(lda >= Swift.max(1, transA ? m : k) && ldb >= Swift.max(1, transB ? k : n) && ldc >= Swift.max(1, n),
                     "gemm: leading dimensions \(lda), \(ldb), \(ldc) too small for \(m)×\(n)×\(k)")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        let flops = 2 * m * n * k
        let wanted = Swift.max(1, Swift.min(threads, flops / GemmBlocking.minFlopsPerWorker))
        let grid = partition(m: m, n: n, workers: wanted)
        let workers = grid.rows * grid.cols
        let buffers = workspace.buffers(for: workers)
        let (mr, nr) = (GemmBlocking.mr, GemmBlocking.nr)
        let mPanels = (m + mr - 1) / mr, nPanels = (n + nr - 1) / nr
        parallelWorkers(workers) { w in
            let (wr, wc) = (w / grid.cols, w % grid.cols)
            let m0 = Swift.min(m, mPanels * wr / grid.rows * mr)
            let m1 = Swift.min(m, mPanels * (wr + 1) / grid.rows * mr)
            let n0 = Swift.min(n, nPanels * wc / grid.cols * nr)
            let n1 = Swift.min(n, nPanels * (wc + 1) / grid.cols * nr)
            guard m0 < m1, n0 < n1 else { return }
            let operands = GemmOperands(
                transA: transA, transB: transB, k: k, a: a, lda: lda, b: b, ldb: ldb,
                c: c, ldc: ldc, accumulate: accumulate)
            operands.run(rows: m0..<m1, cols: n0..<n1, buffers: buffers + w * GemmWorkspace.perWorker)
        }
    }

    /// Splits the work into a `rows × cols` grid of at most `workers` rectangles, choosing
    /// the split with the least padded work per worker (ties favour splitting M, which
    /// keeps each worker's B block whole).
    static func partition(m: Int, n: Int, workers: Int) -> (rows: Int, cols: Int) {
        let mPanels = (m + GemmBlocking.mr - 1) / GemmBlocking.mr
        let nPanels = (n + GemmBlocking.nr - 1) / GemmBlocking.nr
        var best = (rows: 1, cols: 1), bestCost = Int.max
        for rows in 1...workers where workers % rows == 0 {
            let cols = workers / rows
            guard rows <= mPanels, cols <= nPanels else { continue }
            let cost = (mPanels + rows - 1) / rows * GemmBlocking.mr * ((nPanels + cols - 1) / cols) * GemmBlocking.nr
            if cost < bestCost || (cost == bestCost && rows > best.rows) {
                best = (rows, cols)
                bestCost = cost
            }
        }
        return best
    }
}

/// The operands of one multiply, passed by value into each worker.
struct GemmOperands {
    let transA: Bool, transB: Bool, k: Int
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let accumulate: Bool

    /// Computes the rectangle `rows × cols` of C with this worker's packing `buffers`.
    @inline(__always)
    func run(rows: Range<Int>, cols: Range<Int>, buffers: UnsafeMutablePointer<Float>) {
        let (mr, nr, kcMax, mcMax, ncMax) = (
            GemmBlocking.mr, GemmBlocking.nr, GemmBlocking.kc, GemmBlocking.mc, GemmBlocking.nc
        )
        let packedA = buffers
        let packedB = buffers + mr * kcMax
        let edge = packedB + kcMax * ((ncMax + nr - 1) / nr * nr)
        var pc = 0
        while pc < k {
            let kc = Swift.min(kcMax, k - pc)
            // Later K blocks add onto what earlier ones stored.
            let load = accumulate || pc > 0
            var jc = cols.lowerBound
            while jc < cols.upperBound {
                let nc = Swift.min(ncMax, cols.upperBound - jc)
                packB(into: packedB, k0: pc, kc: kc, j0: jc, nc: nc)
                var ic = rows.lowerBound
                while ic < rows.upperBound {
                    let mc = Swift.min(mcMax, rows.upperBound - ic)
                    // Full panels read A in place; a partial last panel is packed with
                    // zero rows so the kernel never needs a row count.
                    let fullRows = mc / mr * mr
                    if fullRows < mc {
                        packA(into: packedA, i0: ic + fullRows, mc: mc - fullRows, k0: pc, kc: kc)
                    }
                    var jr = 0
                    while jr < nc {
                        let nn = Swift.min(nr, nc - jr)
                        let bPanel = UnsafePointer(packedB + jr * kc)
                        var ir = 0
                        while ir < mc {
                            let mm = Swift.min(mr, mc - ir)
                            let row = ic + ir
                            let (aPanel, rs, cs) = mm == mr
                                ? (transA ? a + pc * lda + row : a + row * lda + pc, transA ? 1 : lda, transA ? lda : 1)
                                : (UnsafePointer(packedA), 1, mr)
                            let cTile = c + row * ldc + jc + jr
                            if mm == mr && nn == nr {
                                gemmMicroKernel(
                                    kc: kc, a: aPanel, rowStride: rs, colStride: cs, b: bPanel,
                                    c: cTile, ldc: ldc, load: load)
                            } else {
                                gemmMicroKernel(
                                    kc: kc, a: aPanel, rowStride: rs, colStride: cs, b: bPanel,
                                    c: edge, ldc: nr, load: false)
                                for r in 0..<mm {
                                    let dst = cTile + r * ldc, src = edge + r * nr
                                    if load {
                                        for j in 0..<nn { dst[j] += src[j] }
                                    } else {
                                        for j in 0..<nn { dst[j] = src[j] }
                                    }
                                }
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mc
                }
                jc += nc
            }
            pc += kc
        }
    }
}
