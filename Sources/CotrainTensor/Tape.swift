// Reverse-mode autodiff on a tape of ops, with an arena of step-position-keyed buffers.
//
// A training step records ops (each keeps references to the buffers its backward needs),
// `backward(loss)` walks the tape in reverse, and `reset()` rewinds the arena so the next
// step reuses the same buffers in the same order: after the first (warm-up) step, a step
// that records the same op sequence allocates nothing (`allocations` stops growing).

/// A recorded op: the buffers its backward pass reads and writes.
enum TapeEntry {
    case linear(x: Tensor, weight: Tensor, bias: Tensor?, out: Tensor)
    case add(Tensor, Tensor, out: Tensor)
    case mul(Tensor, Tensor, out: Tensor)
    case scale(Tensor, Float, out: Tensor)
    case broadcastAdd(Tensor, Tensor, out: Tensor, p: Int, q: Int, r: Int)
    case gelu(Tensor, out: Tensor)
    case layerNorm(Tensor, gamma: Tensor, beta: Tensor, out: Tensor, stats: Tensor)
    case rmsNorm(Tensor, weight: Tensor, out: Tensor, rstd: Tensor)
    case softmax(Tensor, out: Tensor)
    case spatialSoftmax(Tensor, coordinates: Tensor, beta: Tensor, out: Tensor, probs: Tensor)
    case pointer(PointerRecord)
    case surround(SurroundRecord)
    case attention(AttentionRecord)
    case embedding(table: Tensor, indices: IndexTensor, out: Tensor)
    case concat(Tensor, Tensor, out: Tensor)
    case slice(Tensor, start: Int, out: Tensor)
    case meanTokens(Tensor, out: Tensor)
    case sum(Tensor, scale: Float, out: Tensor)
    case crossEntropy(
        logits: Tensor, targets: IndexTensor, weights: Tensor?, probs: Tensor, totalWeight: Float, out: Tensor)
    case regression(
        RegressionLoss, pred: Tensor, target: Tensor, weights: Tensor?, totalWeight: Float, out: Tensor)
}

/// What the pointer's backward pass needs.
struct PointerRecord {
    let x: Tensor, queries: Tensor, coarse: Tensor?, coarseQueries: Tensor?, coordinates: Tensor
    let gain: Float, shape: PointerShape, out: Tensor, probs: Tensor
    /// Labelled points and the log-mass output (`Tape.pointer(…, targets:)`), or nil.
    let targets: Tensor?, mass: Tensor?
    /// Pointer 0's inhibition (`Tape.pointer(…, inhibition:)`): nil gates without.
    var gates: Tensor? = nil, radii: [Float] = [], inhibitionScale: Float = 0
}

/// What attention's backward pass needs.
struct AttentionRecord {
    let q: Tensor, k: Tensor, v: Tensor
    /// Column offsets of q, k, v inside their tensors (fused qkv uses 0, C, 2C).
    let qOffset: Int, kOffset: Int, vOffset: Int
    let keyMask: Tensor?, additive: Tensor?
    let geometry: AttentionGeometry
    let att: Tensor, scratch: Tensor, out: Tensor
}

/// Records ops for reverse-mode differentiation and owns their intermediate buffers.
///
/// Tensors returned by ops live in the tape's arena: they stay valid until the next
/// `reset()`, after which the same objects are handed out again. Not thread-safe; one
/// tape per training loop (kernels inside use `threads` cores).
public final class Tape {
    /// Threads each kernel may use. Results are bit-identical for any value.
    public let threads: Int
    /// When false, ops compute forward values only and record nothing (evaluation).
    public var isRecording = true
    /// Buffers allocated so far (arena tensors, gradient buffers, GEMM workspaces);
    /// constant across steps once warmed up.
    public var allocations: Int {
        ownAllocations + gemm.allocations + workerGemms.reduce(0) { $0 + $1.allocations }
    }
    private var ownAllocations = 0

    var entries: [TapeEntry] = []
    private var arena: [Tensor] = []
    private var cursor = 0
    let gemm = GemmWorkspace()
    /// One GEMM workspace per worker for kernels that run many small GEMMs in parallel.
    let workerGemms: [GemmWorkspace]

    /// A tape whose kernels use up to `threads` threads.
    public init(threads: Int = Compute.availableCores) {
        precondition(threads >= 1, "threads must be ≥ 1")
        self.threads = threads
        workerGemms = (0..<threads).map { _ in GemmWorkspace() }
        entries.reserveCapacity(256)
    }

    /// Number of ops recorded since the last reset.
    public var recordedOps: Int { entries.count }

    /// Forgets the recorded ops and rewinds the arena; intermediate gradients become
    /// invalid. Parameter gradients are kept (gradient accumulation across micro-batches).
    public func reset() {
        for i in 0..<cursor { arena[i].gradValid = false }
        cursor = 0
        entries.removeAll(keepingCapacity: true)
    }

    /// A zero-gradient-state arena tensor for the next step position, reused if its shape
    /// matches what was there last step. Values are left as they were (ops overwrite them).
    func make(_ shape: Shape, requiresGrad: Bool = false) -> Tensor {
        let t: Tensor
        if cursor < arena.count, arena[cursor].shape == shape {
            t = arena[cursor]
        } else {
            t = Tensor(zeros: shape)
            ownAllocations += 1
            if cursor < arena.count { arena[cursor] = t } else { arena.append(t) }
        }
        cursor += 1
        t.requiresGrad = requiresGrad && isRecording
        t.gradValid = false
        return t
    }

    /// An arena tensor for inputs the caller fills each step (noise, masks, batch data);
    /// it never receives a gradient. Its contents are unspecified until written.
    public func constant(_ shape: Shape) -> Tensor { make(shape) }

    func record(_ entry: TapeEntry) {
        if isRecording { entries.append(entry) }
    }

    /// Seeds d`loss`/d`loss` = 1 (loss must hold one element) and runs every recorded op's
    /// backward pass in reverse order. Parameter gradients add to what they held.
    public func backward(_ loss: Tensor) {
        precondition(loss.count == 1, "backward needs a scalar loss, got shape \(loss.shape)")
        backward(from: loss) { $0[0] = 1 }
    }

    /// Seeds the gradient of `output` with `seed` (which fills `output.count` floats) and
    /// runs the recorded ops backward: a vector-Jacobian product (gradient checks use it).
    func backward(from output: Tensor, seed: (UnsafeMutablePointer<Float>) -> Void) {
        guard output.requiresGrad else { return }
        seed(gradBuffer(output))
        output.gradValid = true
        for entry in entries.reversed() { backward(entry) }
    }

    /// The gradient buffer of `t`, counting its one-time allocation.
    func gradBuffer(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        if t.gradStorage == nil { ownAllocations += 1 }
        return t.grad
    }

    /// The gradient of `t` ready for `+=` (zeroed if nothing has flowed in yet), or nil
    /// if `t` needs no gradient.
    func addGrad(_ t: Tensor) -> UnsafeMutablePointer<Float>? {
        guard t.requiresGrad else { return nil }
        let g = gradBuffer(t)
        if !t.gradValid {
            g.update(repeating: 0, count: t.count)
            t.gradValid = true
        }
        return g
    }

    /// The gradient of `t` for kernels that can either overwrite or accumulate (GEMM),
    /// which saves zeroing it first; nil if `t` needs no gradient.
    func writeGrad(_ t: Tensor) -> GradTarget? {
        guard t.requiresGrad else { return nil }
        let target = GradTarget(pointer: gradBuffer(t), accumulate: t.gradValid)
        t.gradValid = true
        return target
    }
}
