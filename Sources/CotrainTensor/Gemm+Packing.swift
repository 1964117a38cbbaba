// Packing of A and B blocks into the micro-panel layouts the micro-kernel streams.
//
// Packing turns every transposition variant into the same contiguous layout, so one
// micro-kernel serves NN, NT and TN; edges are zero-padded to full panels so the kernel
// never branches on size.

extension GemmOperands {
    /// Packs rows `i0..<i0+mc`, k `k0..<k0+kc` of op(A) into MR-row panels (the driver
    /// uses it for the partial last panel only; full panels are read in place).
    // dst: ceil(mc/MR) panels, each (kc, MR): dst[panel][p*MR + r] = op(A)[i0+panel*MR+r, k0+p]
    @inline(__always)
    func packA(into dst: UnsafeMutablePointer<Float>, i0: Int, mc: Int, k0: Int, kc: Int) {
        let mr = GemmBlocking.mr
        let panels = (mc + mr - 1) / mr
        if transA {
            // A stored (k,m): each k row holds all mc values contiguously; walk it once
            // and deal the values out to the panels (one cache line feeds ~3 panels).
            for p in 0..<kc {
                let src = a + (k0 + p) * lda + i0
                var out = dst + p * mr
                var i = 0
                while i + mr <= mc {
                    out[0] = src[i]; out[1] = src[i + 1]; out[2] = src[i + 2]
                    out[3] = src[i + 3]; out[4] = src[i + 4]; out[5] = src[i + 5]
                    out += mr * kc
                    i += mr
                }
                if i < mc {
                    for r in 0..<mr { out[r] = i + r < mc ? src[i + r] : 0 }
                }
            }
            return
        }
        for panel in 0..<panels {
            let rows = Swift.min(mr, mc - panel * mr)
            let out = dst + panel * mr * kc
            // A (m,k): six read streams, one contiguous write stream.
            let src = a + (i0 + panel * mr) * lda + k0
            if rows == mr {
                let (r1, r2, r3, r4, r5) = (src + lda, src + 2 * lda, src + 3 * lda, src + 4 * lda, src + 5 * lda)
                for p in 0..<kc {
                    let o = out + p * mr
                    o[0] = src[p]; o[1] = r1[p]; o[2] = r2[p]
                    o[3] = r3[p]; o[4] = r4[p]; o[5] = r5[p]
                }
            } else {
                for p in 0..<kc {
                    for r in 0..<mr { out[p * mr + r] = r < rows ? src[r * lda + p] : 0 }
                }
            }
        }
    }

    /// Packs k `k0..<k0+kc`, columns `j0..<j0+nc` of op(B) into NR-column panels.
    // dst: ceil(nc/NR) panels, each (kc, NR): dst[panel][p*NR + j] = op(B)[k0+p, j0+panel*NR+j]
    @inline(__always)
    func packB(into dst: UnsafeMutablePointer<Float>, k0: Int, kc: Int, j0: Int, nc: Int) {
        let nr = GemmBlocking.nr
        var panel = 0
        while panel * nr < nc {
            let cols = Swift.min(nr, nc - panel * nr)
            let out = dst + panel * nr * kc
            let firstCol = j0 + panel * nr
            if !transB {
                // B (k,n): each k row of the panel is a contiguous run of NR floats.
                if cols == nr {
                    for p in 0..<kc {
                        let src = b + (k0 + p) * ldb + firstCol
                        storeF16(loadF16(src), out + p * nr)
                        storeF16(loadF16(src + 16), out + p * nr + 16)
                    }
                } else {
                    for p in 0..<kc {
                        let src = b + (k0 + p) * ldb + firstCol
                        for j in 0..<cols { out[p * nr + j] = src[j] }
                        for j in cols..<nr { out[p * nr + j] = 0 }
                    }
                }
            } else {
                // B stored (n,k): a transpose. Four columns at a time: four contiguous
                // read streams, one 16-byte run written per k (measured 2× faster than
                // one column at a time, which dominated small NT products in attention).
                var j = 0
                while j + 4 <= cols {
                    let s0 = b + (firstCol + j) * ldb + k0
                    let (s1, s2, s3) = (s0 + ldb, s0 + 2 * ldb, s0 + 3 * ldb)
                    var o = out + j
                    for p in 0..<kc {
                        o[0] = s0[p]; o[1] = s1[p]; o[2] = s2[p]; o[3] = s3[p]
                        o += nr
                    }
                    j += 4
                }
                while j < cols {
                    let src = b + (firstCol + j) * ldb + k0
                    var o = out + j
                    for p in 0..<kc {
                        o[0] = src[p]
                        o += nr
                    }
                    j += 1
                }
                if cols < nr {
                    for p in 0..<kc { for j in cols..<nr { out[p * nr + j] = 0 } }
                }
            }
            panel += 1
        }
    }
}
