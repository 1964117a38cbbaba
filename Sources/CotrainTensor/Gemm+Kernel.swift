// The GEMM micro-kernel: a 6×32 tile of C in twelve SIMD16 accumulators.
//
// Per k step it loads two SIMD16 of packed B, broadcasts six scalars of packed A and
// issues twelve FMAs: 12 accumulators + 2 B registers + 1 broadcast fit the 32 zmm
// registers with room to spare, and twelve independent FMA chains hide FMA latency.
// `addingProduct` lowers to vfmadd only when a target CPU with FMA is set (Package.swift).

typealias F16 = SIMD16<Float>

@inline(__always)
func loadF16(_ p: UnsafePointer<Float>) -> F16 {
    UnsafeRawPointer(p).loadUnaligned(as: F16.self)
}

@inline(__always)
func storeF16(_ v: F16, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: F16.self)
}

/// `C[0..<6, 0..<32] = [C +] A · Bpanel` over `kc` steps.
///
/// A is read in place: element (r, p) at `a[r·rowStride + p·colStride]`. That covers
/// row-major A (`lda, 1`), A stored transposed (`1, lda`) and a packed edge panel
/// (`1, 6`), so A is only packed for partial panels; measured, in-place A reads cost
/// nothing here while scalar A packing took ~8% of a training step.
// a: (6, kc) strided, b: packed (kc, 32), c: (6, ldc)
@inline(__always)
func gemmMicroKernel(
    kc: Int, a: UnsafePointer<Float>, rowStride: Int, colStride: Int, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, load: Bool
) {
    var c00 = F16(), c01 = F16(), c10 = F16(), c11 = F16(), c20 = F16(), c21 = F16()
    var c30 = F16(), c31 = F16(), c40 = F16(), c41 = F16(), c50 = F16(), c51 = F16()
    let rs = rowStride
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0 = loadF16(pb), b1 = loadF16(pb + 16)
        var x = F16(repeating: pa[0])
        c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
        x = F16(repeating: pa[rs])
        c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
        x = F16(repeating: pa[2 &* rs])
        c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
        x = F16(repeating: pa[3 &* rs])
        c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
        x = F16(repeating: pa[4 &* rs])
        c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
        x = F16(repeating: pa[5 &* rs])
        c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        pa += colStride
        pb += 32
    }
    if load {
        c00 += loadF16(c); c01 += loadF16(c + 16)
        c10 += loadF16(c + ldc); c11 += loadF16(c + ldc + 16)
        c20 += loadF16(c + 2 * ldc); c21 += loadF16(c + 2 * ldc + 16)
        c30 += loadF16(c + 3 * ldc); c31 += loadF16(c + 3 * ldc + 16)
        c40 += loadF16(c + 4 * ldc); c41 += loadF16(c + 4 * ldc + 16)
        c50 += loadF16(c + 5 * ldc); c51 += loadF16(c + 5 * ldc + 16)
    }
    storeF16(c00, c); storeF16(c01, c + 16)
    storeF16(c10, c + ldc); storeF16(c11, c + ldc + 16)
    storeF16(c20, c + 2 * ldc); storeF16(c21, c + 2 * ldc + 16)
    storeF16(c30, c + 3 * ldc); storeF16(c31, c + 3 * ldc + 16)
    storeF16(c40, c + 4 * ldc); storeF16(c41, c + 4 * ldc + 16)
    storeF16(c50, c + 5 * ldc); storeF16(c51, c + 5 * ldc + 16)
}
