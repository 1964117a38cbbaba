// Training samples: any mix of robot samples (image, proprioception, actions,
// instruction), vision-language samples (image, prompt, answer) and annotated samples.

/// One training sample. Which objectives it feeds follows from what it carries:
///
/// - `actions` (with `embodiment` and `proprio`): the action loss (flow matching or
///   L1), weighted by `flowWeight`, and the discrete-token loss if enabled
///   (`tokenWeight`);
/// - `target` text: next-token cross-entropy on the target given the image, the
///   proprioception and the prompt (prefix-LM), weighted by `textWeight`.
///
/// A weight of 0 masks the objective for this sample.
public struct PolicySample: Sendable {
    /// RGB8 image, `imageSize × imageSize × 3`, row-major, top row first; nil: none.
    public var image: [UInt8]?
    /// Wrist-camera RGB8 of the same size, for models with `wristCamera`; nil: none
    /// (its tokens are then hidden from attention).
    public var wristImage: [UInt8]?
    /// The robot (`PolicyConfig.embodiments`), required with `proprio` or `actions`.
    public var embodiment: String?
    /// Proprioception in the robot's units; nil: none.
    public var proprio: [Float]?
    /// The action chunk in the robot's units: 1…H rows of the action dimension. Rows
    /// missing at the end (episode end) are padded with the last row and masked out.
    public var actions: [[Float]]?
    /// The instruction or question (visible to every token).
    public var prompt: String?
    /// The text to predict: an answer, caption or reasoning annotation.
    public var target: String?
    /// Labelled points for the `pointing` loss (models with `pointers`): per camera
    /// (main, then wrist) and per slot (`PolicySample.pointSlots`: the named object,
    /// then the destination), `(x, y, weight)` with x, y in the image's [−1, 1]
    /// coordinates (x right, y down) and weight 0 where the slot is unused or out of
    /// view. nil: no labels.
    public var points: [Float]?
    /// Label for the `orientation` loss (models with `orientation`): how the object to
    /// move is turned against the fingers, `(cos ψ, sin ψ)` with ψ the relative yaw
    /// scaled to a full turn per grasp symmetry (`SimEnvironment.namedOrientation`).
    /// nil: no label.
    public var orientation: [Float]?
    /// Weight of the action loss (M_flow).
    public var flowWeight: Float
    /// Weight of the text loss (M_text).
    public var textWeight: Float
    /// Weight of the discrete action-token loss (M_tok).
    public var tokenWeight: Float

    /// A sample; every weight defaults to 1.
    public init(
        image: [UInt8]? = nil, embodiment: String? = nil, proprio: [Float]? = nil, actions: [[Float]]? = nil,
        prompt: String? = nil, target: String? = nil, flowWeight: Float = 1, textWeight: Float = 1, tokenWeight: Float = 1
    ) {
        (self.image, self.embodiment, self.proprio, self.actions) = (image, embodiment, proprio, actions)
        (self.prompt, self.target) = (prompt, target)
        (self.flowWeight, self.textWeight, self.tokenWeight) = (flowWeight, textWeight, tokenWeight)
    }

    /// Point slots per camera in `points`: the named object, the destination.
    public static let pointSlots = 2

    /// True if the sample feeds the action loss.
    var hasActions: Bool { actions != nil && flowWeight > 0 }
    /// True if the sample feeds the discrete-token loss.
    var hasTokens: Bool { actions != nil && tokenWeight > 0 }
    /// True if the sample feeds the text loss.
    var hasText: Bool { target != nil && textWeight > 0 }
}

/// A batch of samples; embodiments may be mixed.
public struct PolicyBatch: Sendable {
    /// The samples.
    public var samples: [PolicySample]

    /// A batch of `samples`.
    public init(_ samples: [PolicySample]) { self.samples = samples }

    /// Number of samples.
    public var count: Int { samples.count }
}

/// Relative weights of the objectives: L = flow·L_flow + text·L_text + tokens·L_tok.
public struct LossWeights: Sendable, Equatable {
    /// Weight of the action loss.
    public var flow: Float
    /// Weight of the text loss (w_text).
    public var text: Float
    /// Weight of the discrete action-token loss (w_tok).
    public var tokens: Float
    /// Weight of the pointing loss: the pointers' squared error against labelled points.
    public var pointing: Float
    /// Weight of the orientation loss: the orientation head's squared error against
    /// labelled orientations.
    public var orientation: Float
    /// Weight of the pointing-mass loss: minus the log of the probability each pointer
    /// puts within `PolicyModel.pointingMassRadius` of its labelled point.
    public var pointingMass: Float
    /// Weight of the pointing-avoid loss: minus the log of the probability the object
    /// pointer puts outside `PolicyModel.pointingAvoidRadius` of its destination's
    /// labelled point, where the two are apart (not with `pointingMass`).
    public var pointingAvoid: Float

    /// Weights; defaults 1, 1, 0.1, 0, 0, 0, 0.
    public init(
        flow: Float = 1, text: Float = 1, tokens: Float = 0.1, pointing: Float = 0, orientation: Float = 0,
        pointingMass: Float = 0, pointingAvoid: Float = 0
    ) {
        (self.flow, self.text, self.tokens, self.pointing, self.orientation) = (flow, text, tokens, pointing, orientation)
        (self.pointingMass, self.pointingAvoid) = (pointingMass, pointingAvoid)
    }
}

/// The losses of one batch (each a weighted mean over the samples it applies to; 0
/// when no sample has that target).
public struct PolicyLosses: Sendable, Equatable {
    /// The weighted total that was differentiated.
    public var total: Float = 0
    /// Flow-matching MSE (or L1 regression) on normalised actions.
    public var action: Float = 0
    /// Text next-token cross-entropy (nats per token).
    public var text: Float = 0
    /// Discrete action-token cross-entropy (nats per token).
    public var tokens: Float = 0
    /// Pointing MSE in image coordinates ([−1, 1] across the image).
    public var pointing: Float = 0
    /// Orientation MSE on (cos ψ, sin ψ).
    public var orientation: Float = 0
    /// Pointing mass: mean −log of the probability within the radius of the labelled
    /// point (over the same samples as `pointing`).
    public var pointingMass: Float = 0
    /// Pointing avoid: mean −log of the object pointer's probability outside its
    /// destination's disc (over the rows it applies to, `pointingAvoidRows`).
    public var pointingAvoid: Float = 0
    public var pointingAvoidRows = 0
    /// Samples that fed each objective.
    public var actionSamples = 0, textSamples = 0, tokenSamples = 0, pointingSamples = 0, orientationSamples = 0
}

/// The token ids of one sample's text segment.
struct TextLayout {
    /// `textTokens` ids: `[bos] prompt [sep] target [eos]` then padding.
    var ids: [Int32]
    /// Index of the first target token, or nil if there is no target part.
    var targetStart: Int?
    /// Positions `targetStart−1 ..< targetStart−1+predicted` predict the next id.
    var predicted: Int

    /// Lays out `prompt` and `target` ids in `length` slots. The prompt keeps at most
    /// `length − 2` tokens; the target (and its `eos` if `closed`) gets what is left.
    init(prompt: [Int32], target: [Int32]?, closed: Bool = true, length: Int) {
        let p = Array(prompt.prefix(length - 2))
        ids = [Tokenizer.bos] + p + [Tokenizer.sep]
        if let target {
            targetStart = ids.count
            let tail = Array((target + (closed ? [Tokenizer.eos] : [])).prefix(length - ids.count))
            ids += tail
            predicted = tail.count
        } else {
            (targetStart, predicted) = (nil, 0)
        }
        ids += Array(repeating: Tokenizer.pad, count: length - ids.count)
    }

    /// Number of non-padding tokens.
    var used: Int { ids.firstIndex(of: Tokenizer.pad) ?? ids.count }
}
