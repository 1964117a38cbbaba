// Named, grouped trainable tensors.

/// A trainable tensor with a stable name and an optimizer group.
///
/// Names follow the checkpoint convention (`shared.trunk.0.attn.qkv.weight`); the group
/// selects per-group optimizer settings (learning-rate multiplier, weight decay), e.g.
/// `"decay"` for matrices and `"no_decay"` for norms and biases.
public final class Parameter {
    /// The checkpoint name.
    public let name: String
    /// The optimizer group (a key of `AdamW.Configuration.groups`).
    public let group: String
    /// The values and the accumulated gradient.
    public let tensor: Tensor

    /// A zero-initialised parameter; fill `tensor` (e.g. with `Xoshiro256.fillNormal`).
    public init(name: String, shape: Shape, group: String = Parameter.decay) {
        self.name = name
        self.group = group
        self.tensor = Tensor(zeros: shape, requiresGrad: true)
    }

    /// The conventional group of weight matrices and embeddings (weight decay applies).
    public static let decay = "decay"
    /// The conventional group of norms and biases (no weight decay).
    public static let noDecay = "no_decay"

    /// The shape of the tensor.
    public var shape: Shape { tensor.shape }

    /// Forgets the accumulated gradient (the next backward pass overwrites it).
    public func zeroGrad() { tensor.zeroGrad() }
}
