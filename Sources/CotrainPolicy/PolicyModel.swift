// The policy's parameters: an HPT-style split into shared trunk/encoders/expert core
// (`shared.*`) and per-robot stems and heads (`embodiment.<name>.*`).
import CotrainTensor

/// A linear layer `y = x·Wᵀ + b` (PyTorch `nn.Linear` layout: weight `(out, in)`).
struct LinearLayer {
    let weight: Parameter
    let bias: Parameter?
}

/// A layer norm's scale and shift.
struct NormLayer {
    let gamma: Parameter, beta: Parameter
}

/// A pre-norm transformer block of the trunk (self-attention over the prefix).
struct TrunkBlock {
    let norm1: NormLayer, qkv: LinearLayer, proj: LinearLayer
    let norm2: NormLayer, fc: LinearLayer, out: LinearLayer
}

/// A block of the action expert: action tokens attend to themselves and to the trunk
/// output, whose keys and values (`context`) are computed once per observation.
struct ExpertBlock {
    let norm1: NormLayer, q: LinearLayer, kv: LinearLayer, context: LinearLayer, proj: LinearLayer
    let norm2: NormLayer, fc: LinearLayer, out: LinearLayer
}

/// The layers of one robot.
struct EmbodimentLayers {
    let spec: EmbodimentSpec
    /// Proprioception (S) → one token (C).
    let proprio: LinearLayer
    /// Noisy action (A) → action token (expert width E).
    let actionIn: LinearLayer
    /// Action token (E) → velocity or action (A).
    let actionOut: LinearLayer
    /// Discrete-token ablation head: query (C) → A × bins logits.
    let discrete: LinearLayer?
}

/// The vision-language-action policy.
///
/// Holds the configuration, the tokenizer, each robot's normalisation and every
/// parameter (in a fixed creation order, which is also the optimizer order). Not
/// thread-safe: one thread trains or runs a model at a time.
public final class PolicyModel {
    /// The hyper-parameters.
    public let config: PolicyConfig
    /// The text tokenizer (its size sets the embedding and head shapes).
    public let tokenizer: Tokenizer
    /// Normalisation per embodiment name (every embodiment has an entry).
    public internal(set) var normalization: [String: EmbodimentStats]
    /// Every parameter, in creation order.
    public let parameters: [Parameter]

    let patch: LinearLayer, imagePositions: Parameter
    /// The convolutional stem (`config.stemChannels`), as a linear map of 3×3×3 pixel
    /// neighbourhoods.
    let stem: LinearLayer?
    /// Keypoint token: the stem channels' soft-argmax coordinates → width, the channels'
    /// inverse temperatures, and the `(pixels, 2)` coordinates of the stem's rows.
    let keypoints: LinearLayer?, keypointBeta: Parameter?
    let keypointCoordinates: Tensor?
    /// Maps every camera's keypoints into the state token (beside proprioception).
    let keypointState: LinearLayer?
    /// Pointers: state token → one query over the stem channels per pointer, and one
    /// over the trunk's patch outputs (`pointerContext`); the points and the state token
    /// → the conditioning added to every action token.
    let pointerQuery: LinearLayer?, pointerContext: LinearLayer?, pointerCondition: LinearLayer?, pointerState: LinearLayer?
    /// State token (the glimpse, in models with one) → (cos ψ, sin ψ) of the object to
    /// move (`PolicyConfig.orientation`).
    let orientationHead: LinearLayer?
    /// The glimpse's MLP: the stem's window → expert width → expert width, added to every
    /// action token (`PolicyConfig.glimpse`).
    let glimpseIn: LinearLayer?, glimpseOut: LinearLayer?
    /// With an orientation head too: its (cos ψ, sin ψ) → the vector added to every
    /// action token, in place of the glimpse's features (`PolicyConfig.glimpse`).
    let glimpseCondition: LinearLayer?
    /// Table points → the vector added to every action token (`PolicyConfig.tablePoints`).
    let tablePointCondition: LinearLayer?
    /// State token → per camera the raw gate of the object pointer's inhibition around
    /// the destination pointer's point (`PolicyConfig.pointerInhibit`).
    let pointerInhibitGate: LinearLayer?
    /// Raster position → stem row, for the pointers' surround (`PolicyConfig.pointerSurround`).
    let surroundOrder: IndexTensor?
    let textEmbedding: Parameter, textPositions: Parameter, textHead: LinearLayer
    let trunk: [TrunkBlock], trunkNorm: NormLayer
    let time1: LinearLayer, time2: LinearLayer, actionPositions: Parameter
    let expert: [ExpertBlock], expertNorm: NormLayer
    let discreteSteps: Parameter?, discreteNorm: NormLayer?
    let embodiments: [String: EmbodimentLayers]
    /// Reused index buffers for token ids and class targets (see `indexBuffer`).
    var indexBuffers: [String: IndexTensor] = [:]
    var inferenceTapeStorage: Tape?
    /// Transposed expert weights while `act` runs (nil otherwise).
    var transposedWeights: TransposedWeights?
    let transposedStorage = TransposedWeights()
    /// Threads used by `act` and text generation.
    public var inferenceThreads = Compute.availableCores {
        didSet { inferenceTapeStorage = nil }
    }

    /// A freshly initialised model (GPT-2-style N(0, 0.02) weights, residual outputs
    /// scaled by 1/√(2·layers), zero biases, unit norms), deterministic in `seed`.
    /// Embodiments without `normalization` entries get the identity-like unit stats.
    public init(
        config: PolicyConfig, tokenizer: Tokenizer, normalization: [String: EmbodimentStats] = [:], seed: UInt64 = 0
    ) throws(PolicyError) {
        try config.validate()
        var stats: [String: EmbodimentStats] = [:]
        for e in config.embodiments {
            let s = normalization[e.name] ?? EmbodimentStats(
                state: .unit(dimension: e.stateDimension), action: .unit(dimension: e.actionDimension))
            guard s.state.dimension == e.stateDimension, s.action.dimension == e.actionDimension else {
                throw .invalidConfig("normalisation of \"\(e.name)\" has \(s.state.dimension)/\(s.action.dimension) dimensions, expected \(e.stateDimension)/\(e.actionDimension)")
            }
            stats[e.name] = s
        }
        if let extra = normalization.keys.sorted().first(where: { config.embodiment($0) == nil }) {
            throw .invalidConfig("normalisation given for unknown embodiment \"\(extra)\"")
        }
        self.config = config
        self.tokenizer = tokenizer
        self.normalization = stats

        var b = ParameterBuilder(seed: seed)
        let (c, v, m) = (config.width, tokenizer.count, config.width * config.mlpRatio)
        let residualStd = 0.02 / Float(2 * (config.layers + config.expertLayers)).squareRoot()
        patch = b.linear("shared.image.patch", c, config.patchFeatures)
        imagePositions = b.table("shared.image.positions", config.imageTokens, c, group: Parameter.noDecay)
        textEmbedding = b.table("shared.text.embedding", v, c)
        textPositions = b.table("shared.text.positions", config.textTokens, c, group: Parameter.noDecay)
        trunk = (0..<config.layers).map { l in
            let n = "shared.trunk.\(l)."
            return TrunkBlock(
                norm1: b.norm(n + "norm1", c), qkv: b.linear(n + "attn.qkv", 3 * c, c),
                proj: b.linear(n + "attn.proj", c, c, std: residualStd),
                norm2: b.norm(n + "norm2", c), fc: b.linear(n + "mlp.fc", m, c),
                out: b.linear(n + "mlp.proj", c, m, std: residualStd))
        }
        trunkNorm = b.norm("shared.trunk.norm", c)
        textHead = b.linear("shared.text.head", v, c, bias: false)
        let (e, me) = (config.expertWidth, config.expertWidth * config.mlpRatio)
        time1 = b.linear("shared.expert.time.fc1", e, e)
        time2 = b.linear("shared.expert.time.fc2", e, e)
        actionPositions = b.table("shared.expert.positions", config.chunkLength, e, group: Parameter.noDecay)
        expert = (0..<config.expertLayers).map { l in
            let n = "shared.expert.\(l)."
            return ExpertBlock(
                norm1: b.norm(n + "norm1", e), q: b.linear(n + "attn.q", e, e), kv: b.linear(n + "attn.kv", 2 * e, e),
                context: b.linear(n + "attn.context_kv", 2 * e, c), proj: b.linear(n + "attn.proj", e, e, std: residualStd),
                norm2: b.norm(n + "norm2", e), fc: b.linear(n + "mlp.fc", me, e),
                out: b.linear(n + "mlp.proj", e, me, std: residualStd))
        }
        expertNorm = b.norm("shared.expert.norm", e)
        if config.discreteBins > 0 {
            discreteSteps = b.table("shared.discrete.steps", config.chunkLength, c, group: Parameter.noDecay)
            discreteNorm = b.norm("shared.discrete.norm", c)
        } else {
            (discreteSteps, discreteNorm) = (nil, nil)
        }
        var layers: [String: EmbodimentLayers] = [:]
        for spec in config.embodiments {
            let n = "embodiment.\(spec.name)."
            layers[spec.name] = EmbodimentLayers(
                spec: spec, proprio: b.linear(n + "proprio", c, spec.stateDimension),
                actionIn: b.linear(n + "action_in", e, spec.actionDimension),
                actionOut: b.linear(n + "action_out", spec.actionDimension, e),
                discrete: config.discreteBins > 0 ? b.linear(n + "discrete", spec.actionDimension * config.discreteBins, c) : nil)
        }
        embodiments = layers
        // Created last, so models without a stem draw exactly the values they always did.
        // He initialisation: the GELU that follows needs unit-scale inputs to be non-linear.
        stem = config.stemChannels.map { b.linear("shared.image.stem", $0, PolicyConfig.stemInputs, std: (2 / Float(PolicyConfig.stemInputs)).squareRoot()) }
        keypoints = config.stemChannels.map { b.linear("shared.image.keypoints", $0 * c, 2 * $0) }
        // β = 40: a channel only 0.2 stronger on a 9-pixel object than on the table puts
        // most of the softmax mass of a 64×64 image on the object (at β = 10 most channels
        // stayed spread over the whole image after 2000 steps).
        keypointBeta = config.stemChannels.map { b.make("shared.image.keypoint_beta", Shape($0), std: nil, fill: 40, group: Parameter.noDecay) }
        keypointCoordinates = config.stemChannels == nil ? nil : Self.stemCoordinates(config)
        keypointState = config.stemChannels.map { b.linear("shared.image.keypoint_state", c, 2 * $0 * config.cameras) }
        if let m = config.pointers, config.stemChannels != nil {
            pointerQuery = b.linear("shared.pointer.query", m * config.pointerFeatures, c)
            pointerContext = b.linear("shared.pointer.context", m * c, c)
            pointerCondition = b.linear("shared.pointer.condition", e, config.pointerOutputs)
            pointerState = b.linear("shared.pointer.state", e, c)
        } else {
            (pointerQuery, pointerContext, pointerCondition, pointerState) = (nil, nil, nil, nil)
        }
        // With a glimpse the head reads it: the features every action token reads then
        // carry the yaw the head is trained on.
        orientationHead = config.orientation == true ? b.linear("shared.orientation.head", 2, config.glimpse == nil ? c : e) : nil
        surroundOrder = config.pointerSurround == nil ? nil : IndexTensor((0..<(config.imageSize * config.imageSize)).map {
            Int32(Self.stemRow(x: $0 % config.imageSize, y: $0 / config.imageSize, config))
        })
        // Last again: models without a glimpse draw exactly the values they always did.
        if let g = config.glimpse, let k = config.stemChannels {
            glimpseIn = b.linear("shared.glimpse.in", e, g * g * k)
            glimpseOut = b.linear("shared.glimpse.out", e, e)
            glimpseCondition = config.orientation == true ? b.linear("shared.glimpse.condition", e, 2) : nil
        } else {
            (glimpseIn, glimpseOut, glimpseCondition) = (nil, nil, nil)
        }
        // Last again, for the same reason.
        tablePointCondition = config.tablePoints == nil ? nil : b.linear("shared.pointer.table", e, config.tablePointOutputs)
        // And again.
        pointerInhibitGate = config.pointerInhibit == nil ? nil : b.linear("shared.pointer.inhibit", config.cameras, c)
        parameters = b.parameters
    }

    /// Image coordinates in [−1, 1] (x right, y down, pixel centres) of the stem's rows,
    /// which run patch by patch (see `fillNeighbourhoods`).
    static func stemCoordinates(_ config: PolicyConfig) -> Tensor {
        let side = config.imageSize
        var values = [Float](repeating: 0, count: 2 * side * side)
        for y in 0..<side {
            for x in 0..<side {
                let row = stemRow(x: x, y: y, config)
                (values[2 * row], values[2 * row + 1]) = ((Float(x) + 0.5) / Float(side) * 2 - 1, (Float(y) + 0.5) / Float(side) * 2 - 1)
            }
        }
        return Tensor(shape: Shape(side * side, 2), values: values)
    }

    /// The parameter called `name`, if any.
    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// Parameters whose names start with `shared.` (federated across all labs).
    public var sharedParameters: [Parameter] { parameters.filter { $0.name.hasPrefix("shared.") } }

    /// Parameters of one embodiment (`embodiment.<name>.*`).
    public func embodimentParameters(_ name: String) -> [Parameter] {
        parameters.filter { $0.name.hasPrefix("embodiment.\(name).") }
    }

    /// Number of trainable floats.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.tensor.count } }

    /// A reusable index buffer of `count` ids for `slot` (refilled each step; ops that
    /// read indices in backward keep a reference, so buffers must outlive the step).
    func indexBuffer(_ slot: String, count: Int) -> IndexTensor {
        if let t = indexBuffers[slot], t.count == count { return t }
        let t = IndexTensor(count: count)
        indexBuffers[slot] = t
        return t
    }
}

/// Creates named parameters in order, drawing initial values from one generator.
struct ParameterBuilder {
    var rng: Xoshiro256
    var parameters: [Parameter] = []

    init(seed: UInt64) { rng = Xoshiro256(seed: seed) }

    mutating func make(_ name: String, _ shape: Shape, std: Float?, fill: Float = 0, group: String) -> Parameter {
        let p = Parameter(name: name, shape: shape, group: group)
        if let std { rng.fillNormal(p.tensor, std: std) } else { p.tensor.fill(fill) }
        parameters.append(p)
        return p
    }

    mutating func linear(_ name: String, _ out: Int, _ inp: Int, std: Float = 0.02, bias: Bool = true) -> LinearLayer {
        let w = make(name + ".weight", Shape(out, inp), std: std, group: Parameter.decay)
        let b = bias ? make(name + ".bias", Shape(out), std: nil, group: Parameter.noDecay) : nil
        return LinearLayer(weight: w, bias: b)
    }

    mutating func norm(_ name: String, _ c: Int) -> NormLayer {
        NormLayer(gamma: make(name + ".weight", Shape(c), std: nil, fill: 1, group: Parameter.noDecay),
                  beta: make(name + ".bias", Shape(c), std: nil, group: Parameter.noDecay))
    }

    mutating func table(_ name: String, _ rows: Int, _ c: Int, group: String = Parameter.decay) -> Parameter {
        make(name, Shape(rows, c), std: 0.02, group: group)
    }
}
