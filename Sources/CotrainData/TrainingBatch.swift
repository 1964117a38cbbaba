// Training samples and the preallocated batch the sampler writes them into. Numeric
// fields are flat row-major buffers sized once (capacity B), so the hot loop copies
// each sample's bytes exactly once: from the mapped episode file into the batch.
import CotrainSim

/// One training sample, materialised (for inspection and tests; the hot loop uses
/// ``TrainingBatch`` directly).
public struct TrainingSample: Sendable, Equatable {
    /// Where it came from and which embodiment's stem/head it uses (nil for VL).
    public var source: DataSource
    public var embodiment: EmbodimentKind?
    /// (S, S, 3) RGB8.
    public var image: [UInt8]
    /// Normalised proprio (P) — empty for VL samples.
    public var proprio: [Float]
    /// Normalised action chunk (H, A), zero-padded past the episode's end; `actionMask[h]`
    /// is 1 for real steps, 0 for padding. Empty for VL samples.
    public var actions: [Float]
    public var actionMask: [Float]
    /// Discrete action tokens (H, A) when `.discreteAction` is in `losses`, else empty.
    public var actionTokens: [Int32]
    /// Input text: the instruction (robot, human video) or the question (VL).
    public var prompt: String
    /// Dense annotation target, chain-of-thought reasoning, and text target (VL answer,
    /// caption, or human-video sub-step), each present only when a loss uses it.
    public var annotation: String?
    public var reasoning: String?
    public var textTarget: String?
    /// The losses this sample contributes to.
    public var losses: LossSet
}

/// B samples in flat buffers, allocated once and refilled every step by
/// ``MixtureSampler/fill(_:step:)``.
public struct TrainingBatch: Sendable {
    /// Rows allocated, image side S, chunk length H, row widths P and A.
    public let capacity: Int
    public let imageSize: Int
    public let chunk: Int
    public let proprioWidth: Int
    public let actionWidth: Int
    /// Rows filled by the last `fill` (the phase's batch size).
    public internal(set) var count = 0
    /// The global step and phase index the batch was drawn for.
    public internal(set) var step = 0
    public internal(set) var phase = 0

    /// (B, S, S, 3) RGB8.
    public internal(set) var images: [UInt8]
    /// (B, S, S, 3) wrist-camera RGB8 (only written for rows with `hasWrist`); empty
    /// when the recipe's model has no wrist camera.
    public internal(set) var wristImages: [UInt8]
    /// Per row: whether `wristImages` holds this row's wrist image.
    public internal(set) var hasWrist: [Bool]
    /// (B, cameras, 2, 3) labelled points of the named objects (see `EpisodeRecord.points`),
    /// zero (weight 0) for rows without labels; `pointWidth` floats per row.
    public internal(set) var points: [Float]
    public let pointWidth: Int
    /// (B, 3) orientation labels of the object to move (cos ψ, sin ψ, valid; see
    /// `SimEnvironment.namedOrientation`), zero for rows without a valid label.
    public internal(set) var orientation: [Float]
    /// (B, P) normalised proprio, zero beyond the sample's own width.
    public internal(set) var proprio: [Float]
    /// (B, H, A) normalised actions, zero-padded; (B, H) mask, 1 = real step.
    public internal(set) var actions: [Float]
    public internal(set) var actionMask: [Float]
    /// (B, H, A) discrete action tokens in 0..<bins, −1 where unused.
    public internal(set) var actionTokens: [Int32]
    /// Per row: proprio and action widths (0 for VL), embodiment (nil for VL), source, losses.
    public internal(set) var proprioDims: [Int]
    public internal(set) var actionDims: [Int]
    public internal(set) var embodiments: [EmbodimentKind?]
    public internal(set) var sources: [DataSource]
    public internal(set) var losses: [LossSet]
    /// Per row texts (see ``TrainingSample``); strings are shared with the data, not copied.
    public internal(set) var prompts: [String]
    public internal(set) var annotations: [String?]
    public internal(set) var reasonings: [String?]
    public internal(set) var textTargets: [String?]

    /// A batch of `capacity` rows for images of side `imageSize`, chunks of `chunk`
    /// steps and vectors up to `proprioWidth` / `actionWidth` wide.
    public init(capacity: Int, imageSize: Int, chunk: Int, proprioWidth: Int, actionWidth: Int, wristCamera: Bool = false) {
        precondition(capacity > 0 && imageSize > 0 && chunk > 0 && proprioWidth > 0 && actionWidth > 0, "batch dimensions must be positive")
        self.capacity = capacity; self.imageSize = imageSize; self.chunk = chunk
        self.proprioWidth = proprioWidth; self.actionWidth = actionWidth
        images = [UInt8](repeating: 0, count: capacity * imageSize * imageSize * 3)
        wristImages = wristCamera ? images : []
        pointWidth = EpisodeRecord.pointWidth(cameras: wristCamera ? 2 : 1)
        points = [Float](repeating: 0, count: capacity * pointWidth)
        orientation = [Float](repeating: 0, count: capacity * SimEnvironment.orientationWidth)
        hasWrist = [Bool](repeating: false, count: capacity)
        proprio = [Float](repeating: 0, count: capacity * proprioWidth)
        actions = [Float](repeating: 0, count: capacity * chunk * actionWidth)
        actionMask = [Float](repeating: 0, count: capacity * chunk)
        actionTokens = [Int32](repeating: -1, count: capacity * chunk * actionWidth)
        proprioDims = [Int](repeating: 0, count: capacity); actionDims = proprioDims
        embodiments = [EmbodimentKind?](repeating: nil, count: capacity)
        sources = [DataSource](repeating: .vl, count: capacity)
        losses = [LossSet](repeating: [], count: capacity)
        prompts = [String](repeating: "", count: capacity)
        annotations = [String?](repeating: nil, count: capacity); reasonings = annotations; textTargets = annotations
    }

    /// Row `i` as a value (copies; for tests, logs and debugging).
    public func sample(_ i: Int) -> TrainingSample {
        precondition(i >= 0 && i < count, "row \(i) outside 0..<\(count)")
        let pixels = imageSize * imageSize * 3
        let p = proprioDims[i], a = actionDims[i]
        var acts: [Float] = [], tokens: [Int32] = [], mask: [Float] = []
        if a > 0 {
            for h in 0..<chunk {
                let row = (i * chunk + h) * actionWidth
                acts += actions[row..<(row + a)]
                if losses[i].contains(.discreteAction) { tokens += actionTokens[row..<(row + a)] }
            }
            mask = Array(actionMask[(i * chunk)..<((i + 1) * chunk)])
        }
        return TrainingSample(
            source: sources[i], embodiment: embodiments[i], image: Array(images[(i * pixels)..<((i + 1) * pixels)]),
            proprio: Array(proprio[(i * proprioWidth)..<(i * proprioWidth + p)]), actions: acts, actionMask: mask,
            actionTokens: tokens, prompt: prompts[i], annotation: annotations[i], reasoning: reasonings[i],
            textTarget: textTargets[i], losses: losses[i])
    }
}
