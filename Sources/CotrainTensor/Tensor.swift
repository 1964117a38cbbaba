// CotrainTensor: CPU float32 tensors, SIMD kernels, tape autodiff, optimizers.
//
// Storage is a raw `UnsafeMutablePointer<Float>` owned by a final class: kernels hoist
// `data` into a local and never touch Swift arrays in hot loops.

/// The shape of a tensor: up to four dimensions stored inline, so building one never
/// allocates (training steps build shapes in their inner loop).
public struct Shape: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Number of dimensions (1...4).
    public let rank: Int
    private let d0: Int, d1: Int, d2: Int, d3: Int

    /// A vector of `a` elements.
    public init(_ a: Int) { self.init(rank: 1, a, 1, 1, 1) }
    /// A matrix `(a, b)`.
    public init(_ a: Int, _ b: Int) { self.init(rank: 2, a, b, 1, 1) }
    /// A rank-3 shape `(a, b, c)`, e.g. `(B, T, C)`.
    public init(_ a: Int, _ b: Int, _ c: Int) { self.init(rank: 3, a, b, c, 1) }
    /// A rank-4 shape `(a, b, c, d)`.
    public init(_ a: Int, _ b: Int, _ c: Int, _ d: Int) { self.init(rank: 4, a, b, c, d) }

    /// A shape from an array of 1...4 non-negative dimensions.
    public init(_ dims: [Int]) {
        precondition((1...4).contains(dims.count), "Shape supports rank 1...4, got \(dims)")
        let d = dims + Array(repeating: 1, count: 4 - dims.count)
        self.init(rank: dims.count, d[0], d[1], d[2], d[3])
    }

    private init(rank: Int, _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        precondition(a >= 0 && b >= 0 && c >= 0 && d >= 0, "negative dimension")
        self.rank = rank
        (d0, d1, d2, d3) = (a, b, c, d)
    }

    /// Dimension `i` (0-based, `i < rank`).
    public subscript(i: Int) -> Int {
        precondition(i >= 0 && i < rank, "dimension \(i) out of range for rank \(rank)")
        switch i {
        case 0: return d0
        case 1: return d1
        case 2: return d2
        default: return d3
        }
    }

    /// Total number of elements.
    public var count: Int { d0 * d1 * d2 * d3 }
    /// The innermost (contiguous) dimension.
    public var last: Int { self[rank - 1] }
    /// Product of all dimensions but the last: the row count of the tensor viewed as a matrix.
    public var rows: Int { count / Swift.max(last, 1) }
    /// The dimensions as an array (allocates; not for hot paths).
    public var dims: [Int] { (0..<rank).map { self[$0] } }
    /// `(2, 3, 4)`.
    public var description: String { "(" + dims.map(String.init).joined(separator: ", ") + ")" }
}

/// A dense row-major float32 tensor owning its storage, with an optional gradient buffer.
///
/// `data` stays at the same address for the tensor's lifetime, so kernels may hoist it.
/// The gradient buffer is allocated the first time a gradient flows into the tensor and
/// then reused; `gradValid` says whether it holds a gradient (it is cleared by
/// `Tape.reset()` for intermediates and by `zeroGrad()` for parameters, without a memset).
public final class Tensor {
    /// The tensor's shape.
    public let shape: Shape
    /// Number of elements (`shape.count`).
    public let count: Int
    /// The values, row-major, `count` floats, 64-byte aligned.
    public let data: UnsafeMutablePointer<Float>
    /// Whether gradients are computed for this tensor (parameters, and op outputs that
    /// depend on one).
    public var requiresGrad: Bool
    /// The gradient buffer once allocated (`count` floats); valid only if `gradValid`.
    public private(set) var gradStorage: UnsafeMutablePointer<Float>?
    /// Whether `gradStorage` holds an accumulated gradient.
    public internal(set) var gradValid = false

    /// A zero-filled tensor.
    public init(zeros shape: Shape, requiresGrad: Bool = false) {
        self.shape = shape
        self.count = shape.count
        self.requiresGrad = requiresGrad
        data = Tensor.allocateAligned(Swift.max(count, 1))
        data.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    /// A tensor holding `values` (which must have `shape.count` elements).
    public convenience init(shape: Shape, values: [Float], requiresGrad: Bool = false) {
        precondition(values.count == shape.count, "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit {
        data.deallocate()
        gradStorage?.deallocate()
    }

    static func allocateAligned(_ n: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: n * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: n)
    }

    /// The gradient buffer, allocating it (zeroed) on first use. Does not change `gradValid`.
    public var grad: UnsafeMutablePointer<Float> {
        if let g = gradStorage { return g }
        let g = Tensor.allocateAligned(Swift.max(count, 1))
        g.initialize(repeating: 0, count: Swift.max(count, 1))
        gradStorage = g
        return g
    }

    /// Marks the gradient as absent (the next backward pass overwrites instead of adding).
    public func zeroGrad() { gradValid = false }

    /// A copy of the values (allocates; for tests and IO).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// A copy of the gradient, zeros if none has flowed in (allocates; for tests and IO).
    public var gradient: [Float] {
        guard gradValid, let g = gradStorage else { return Array(repeating: 0, count: count) }
        return Array(UnsafeBufferPointer(start: g, count: count))
    }

    /// Overwrites the values from `source` (`count` elements).
    public func copy(from source: [Float]) {
        precondition(source.count == count, "\(source.count) values for \(count) elements")
        source.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Element `i` of the flat storage.
    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }
}

/// A tensor of int32 indices (token ids, class targets) owned by the caller and refilled
/// each step, so ops that need indices in backward can keep a reference without copying.
public final class IndexTensor {
    /// Number of indices.
    public let count: Int
    /// The indices.
    public let data: UnsafeMutablePointer<Int32>

    /// `count` zero indices.
    public init(count: Int) {
        self.count = count
        data = .allocate(capacity: Swift.max(count, 1))
        data.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    /// Indices copied from `values`.
    public convenience init(_ values: [Int32]) {
        self.init(count: values.count)
        copy(from: values)
    }

    deinit { data.deallocate() }

    /// Overwrites the indices from `source` (`count` elements).
    public func copy(from source: [Int32]) {
        precondition(source.count == count, "\(source.count) indices for \(count)")
        for i in 0..<count { data[i] = source[i] }
    }

    /// A copy of the indices (allocates; for tests and IO).
    public var values: [Int32] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Index `i`.
    public subscript(i: Int) -> Int32 {
        get { data[i] }
        set { data[i] = newValue }
    }
}
