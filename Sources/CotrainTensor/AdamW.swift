// AdamW (Loshchilov & Hutter: weight decay decoupled from the adaptive step) with
// global-norm gradient clipping and per-group learning-rate multipliers.
import Foundation

/// The AdamW optimizer over a fixed list of parameters.
///
/// A step reads each parameter's accumulated gradient (parameters without one are
/// skipped, like PyTorch's `grad is None`), updates the moments and values in place and
/// clears the gradients. Reductions (the global norm) run in parameter order in Double,
/// updates are element-wise on disjoint ranges: the result is bit-identical for any
/// thread count.
public final class AdamW {
    /// Settings of one parameter group.
    public struct Group: Sendable {
        /// Multiplies the scheduled learning rate (e.g. 0.1 for a pretrained backbone).
        public var learningRateScale: Float
        /// Whether decoupled weight decay applies (false for norms and biases).
        public var weightDecay: Bool

        /// A group setting.
        public init(learningRateScale: Float = 1, weightDecay: Bool = true) {
            self.learningRateScale = learningRateScale
            self.weightDecay = weightDecay
        }
    }

    /// Hyper-parameters.
    public struct Configuration: Sendable {
        /// First-moment decay.
        public var beta1: Float = 0.9
        /// Second-moment decay.
        public var beta2: Float = 0.95
        /// Added to √v̂ to keep the step finite.
        public var epsilon: Float = 1e-8
        /// Decoupled decay coefficient λ: θ ← θ − lr·λ·θ.
        public var weightDecay: Float = 0.01
        /// Clip the global gradient L2 norm to this value (nil: no clipping).
        public var maxGradNorm: Float? = 1.0
        /// Settings by group name; unknown groups use `defaultGroup`.
        public var groups: [String: Group] = [
            Parameter.decay: Group(), Parameter.noDecay: Group(weightDecay: false),
        ]
        /// Settings for groups not in `groups`.
        public var defaultGroup = Group()

        /// Defaults: β = (0.9, 0.95), ε = 1e-8, λ = 0.01, clip at 1, `no_decay` undecayed.
        public init() {}
    }

    /// What one step did.
    public struct StepReport: Sendable {
        /// Global L2 norm of the gradients before clipping.
        public var gradNorm: Float
        /// Factor the gradients were multiplied by (1 if not clipped).
        public var clipScale: Float
        /// The base learning rate used (before group multipliers).
        public var learningRate: Float
    }

    /// The optimized parameters, in update order.
    public let parameters: [Parameter]
    /// The hyper-parameters.
    public let configuration: Configuration
    /// Steps taken so far (bias correction uses it).
    public internal(set) var stepCount = 0
    /// Threads for the element-wise update.
    public let threads: Int

    private let groups: [Group]
    let moments: [(m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>)]

    /// An optimizer with zeroed moments for `parameters`.
    public init(parameters: [Parameter], configuration: Configuration = Configuration(),
                threads: Int = Compute.availableCores) {
        self.parameters = parameters
        self.configuration = configuration
        self.threads = threads
        groups = parameters.map { configuration.groups[$0.group] ?? configuration.defaultGroup }
        moments = parameters.map { p in
            let m = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(p.tensor.count, 1))
            let v = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(p.tensor.count, 1))
            m.initialize(repeating: 0, count: Swift.max(p.tensor.count, 1))
            v.initialize(repeating: 0, count: Swift.max(p.tensor.count, 1))
            return (m, v)
        }
    }

    deinit {
        for (m, v) in moments {
            m.deallocate()
            v.deallocate()
        }
    }

    /// Global L2 norm of all present gradients (Double accumulation in parameter order).
    public func gradientNorm() -> Float {
        var total = 0.0
        for p in parameters where p.tensor.gradValid {
            let g = p.tensor.grad
            var i = 0
            let n = p.tensor.count
            while i < n {
                let len = Swift.min(4096, n - i)
                total += Double(dot(g + i, g + i, len))
                i += len
            }
        }
        return Float(total.squareRoot())
    }

    /// One update with base learning rate `learningRate`; clears the gradients.
    @discardableResult
    public func step(learningRate: Float) -> StepReport {
        stepCount += 1
        let norm = gradientNorm()
        var clip: Float = 1
        if let maxNorm = configuration.maxGradNorm, norm.isFinite, norm > maxNorm {
            clip = maxNorm / (norm + 1e-6)
        }
        let (beta1, beta2, epsilon) = (configuration.beta1, configuration.beta2, configuration.epsilon)
        let t = Float(stepCount)
        let bc1 = 1 - pow(beta1, t), bc2 = 1 - pow(beta2, t)
        for (index, p) in parameters.enumerated() where p.tensor.gradValid {
            let group = groups[index]
            let lr = learningRate * group.learningRateScale
            let decay: Float = group.weightDecay ? 1 - lr * configuration.weightDecay : 1
            let (m, v) = moments[index]
            let theta = p.tensor.data, g = p.tensor.grad
            parallelRanges(p.tensor.count, threads: threads, grain: elementwiseGrain) { r in
                for i in r {
                    let gi = g[i] * clip
                    m[i] = beta1 * m[i] + (1 - beta1) * gi
                    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                    let update = (m[i] / bc1) / ((v[i] / bc2).squareRoot() + epsilon)
                    theta[i] = theta[i] * decay - lr * update
                }
            }
            p.zeroGrad()
        }
        return StepReport(gradNorm: norm, clipScale: clip, learningRate: learningRate)
    }

    /// Clears every parameter's gradient (cheap: no memset).
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}
