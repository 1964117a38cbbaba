// CotrainPolicy: the vision-language-action policy, its losses, tokenizer,
// normalisation and checkpoints. The architecture is described in docs/model.md.

/// How the action expert is trained and sampled.
public enum ActionHead: String, Codable, Sendable, Equatable {
    /// Flow matching: predict the velocity `noise − action`, sample by Euler steps.
    case flowMatching = "flow_matching"
    /// Predict the normalised chunk directly with an L1 loss (one pass at inference).
    case l1Regression = "l1_regression"
}

/// How flow-matching times `t` are drawn in training (`t = 1` is pure noise).
public enum TimeSampling: String, Codable, Sendable, Equatable {
    /// `t ~ Beta(1.5, 1)`: density ∝ √t, more weight near the noisy end (as π0).
    case beta = "beta_1.5_1"
    /// `t ~ U(0, 1)`.
    case uniform
}

/// One robot the model can act for: its name and vector sizes.
public struct EmbodimentSpec: Codable, Sendable, Equatable {
    /// The name used in tensor names (`embodiment.<name>.*`): lowercase letters, digits,
    /// `_` and `-`.
    public var name: String
    /// Length of the proprioception vector.
    public var stateDimension: Int
    /// Length of one action.
    public var actionDimension: Int
    /// The model acts for this arm in the tool frame: its actions are tool motions and
    /// its state ends with the tool pose; the runtime converts (CotrainSim `ToolFrame`).
    /// nil: the robot's own joint deltas.
    public var toolFrame: Bool?
    /// Values of the tool pose that ends a tool-frame robot's state: x, y, z (m, world
    /// frame), sin yaw, cos yaw (CotrainSim `ToolFrame.poseNames`).
    public static let toolPoseWidth = 5

    /// A robot description.
    public init(name: String, stateDimension: Int, actionDimension: Int, toolFrame: Bool? = nil) {
        (self.name, self.stateDimension, self.actionDimension) = (name, stateDimension, actionDimension)
        self.toolFrame = toolFrame
    }
}

/// The model's hyper-parameters. Stored as JSON in every checkpoint; a checkpoint loads
/// only into the same configuration.
public struct PolicyConfig: Codable, Sendable, Equatable {
    /// Image side in pixels (square RGB8 input).
    public var imageSize = 64
    /// Patch side in pixels (`(imageSize / patchSize)²` image tokens).
    public var patchSize = 8
    /// Convolutional stem: a 3×3 convolution (stride 1, zero padding) with this many
    /// output channels and a GELU before the image is cut into patches; nil: patches of
    /// raw pixels. A linear map of raw 8×8 patches must learn "a red blob" separately at
    /// each of the 64 places in a patch; the stem's shared 3×3 filters see it anywhere,
    /// which is what lets the policy find 2–3-pixel objects from a few hundred scenes.
    /// The stem's channels also give one keypoint token each (see `imageTokens`).
    public var stemChannels: Int?
    /// A second camera on the wrist (same size and stem as the main one; its tokens
    /// follow the main camera's). The third-person view shows where the object is to
    /// within a centimetre or two; the wrist view, close to the fingers, shows the last
    /// centimetres and the object's yaw that a parallel gripper needs. nil/false: off.
    public var wristCamera: Bool?
    /// The wrist camera's vertical field of view in degrees that the policy was trained
    /// on (nil: 70, the simulator's default); `cotrain eval` renders the same.
    public var wristFieldOfView: Float?
    /// Training only: the fraction of image *patch* tokens hidden from attention in each
    /// training sample (drawn per step; keypoint tokens are never dropped). With a few
    /// hundred demonstrations a model can memorise each scene from its patches instead of
    /// reading the object's position; dropping patches pushes it to the keypoints.
    /// nil/0: off. Inference always sees every token.
    public var patchDropout: Float?
    /// Training only: the chance that a robot sample's proprioception token is hidden.
    /// Along a demonstration the arm's position already says which way it is going, so
    /// a policy can learn "keep going" from proprioception and never learn to read the
    /// scene (the copycat problem, Wen et al. 2020); its first, image-only decision is
    /// then a guess. Hiding the state now and then makes the image route pay. nil/0: off.
    public var proprioDropout: Float?
    /// Language-conditioned pointers (needs a stem): this many points per camera that
    /// the policy locates from the instruction, fed straight to every action token.
    /// The trunk's state token, which has read the instruction, makes one query per
    /// pointer over the stem's channels ("red, cube-like"); a soft-argmax over the
    /// query-weighted stem map gives the point. Keypoint tokens make the trunk route
    /// "which channel is the named object" through attention and the action expert read
    /// it back through another; a pointer is that selection as one multiply, so the
    /// expert sees "the named object is here" as two numbers. Training data with
    /// labelled points (simulator episodes, VL pointing answers) can supervise it
    /// directly (the `pointing` loss). nil: off.
    public var pointers: Int?
    /// A glimpse of the object to move (needs pointers and the wrist camera): the stem's
    /// features in a `glimpse`×`glimpse` window of the wrist image centred on the object
    /// pointer's point, through a small MLP into every action token. The trunk sees a
    /// cube through 16-pixel patches wherever it falls in them, so its yaw (a few pixels
    /// of edge at hover height) was at chance; centred, the same edges are always in the
    /// same place of the window, and a linear map can read them. With `orientation`,
    /// the orientation head reads the glimpse and the action tokens get only the head's
    /// (cos ψ, sin ψ): the yaw, without a second copy of the scene to memorise. nil: off.
    public var glimpse: Int?
    /// The window sides `glimpse` may take.
    public static let glimpseRange = 4...32
    /// Table points (needs pointers): each pointer's point lifted onto the table through
    /// the cameras' calibration, as its offset from the tool, added to every action token
    /// through `shared.pointer.table` (`TablePoints`). Robots that act in the tool frame
    /// only (their state ends with the tool pose); others get zeros. nil: off.
    public var tablePoints: TablePoints?
    /// The pointers also weigh the stem's channels averaged over each pixel's
    /// (2R+1)² neighbourhood, R = `pointerSurround`: at its centre a 2-pixel red cube
    /// looks like a 15-pixel red bowl to a 3×3 filter, and the pointer for "the red
    /// cube" landed on the bowl; around it, the cube has table and the bowl more red.
    /// nil: off.
    public var pointerSurround: Int?
    /// The radii `pointerSurround` may take.
    public static let pointerSurroundRange = 1...8
    /// The object pointer (pointer 0) avoids where the destination pointer (pointer 1)
    /// points: within this many pixels of its point in the main camera (twice as many in
    /// the wrist camera, which sees the bowl from closer) its logits drop by
    /// softplus(g)·`pointerInhibitScale`, the gate g per camera learned from the state
    /// token (so a pick, whose destination pointer has no label and may rest on the
    /// object itself, can switch it off). In scenes where the cube and the bowl share a
    /// colour the object pointer landed on the bowl, which the destination pointer finds
    /// reliably (docs/study.md, eleventh round). nil: off.
    public var pointerInhibit: Float?
    /// The radii `pointerInhibit` may take (main-camera pixels).
    public static let pointerInhibitRange: ClosedRange<Float> = 1...16
    /// Logit units of the inhibition per unit of softplus(g): 6.9 at the gate's start (g = 0).
    public static let pointerInhibitScale: Float = 10
    /// The inhibition's radius per camera in coordinate units (2 per image side).
    public var pointerInhibitRadii: [Float] {
        guard let pixels = pointerInhibit else { return [] }
        return (0..<cameras).map { pixels * 2 / Float(imageSize) * ($0 == 0 ? 1 : 2) }
    }
    /// Stem features per pixel the pointers weigh: the channels, and with a surround
    /// their neighbourhood means too.
    public var pointerFeatures: Int { (stemChannels ?? 0) * (pointerSurround == nil ? 1 : 2) }
    /// An orientation head on the trunk's state token: how the object to move is turned
    /// against the fingers, as `(cos ψ, sin ψ)` (see `PolicySample.orientation`),
    /// supervised by labelled episodes (the `orientation` loss). It is a training signal
    /// only: it makes the trunk carry what the wrist camera shows of a cube's yaw into
    /// the state token that every action token reads. nil/false: off.
    public var orientation: Bool?
    /// Scale of the flow-matching start noise when the runtime samples a chunk (the
    /// default of `cotrain eval --noise`): nil or 1 samples the learned distribution, 0
    /// integrates from the noise's mean, one deterministic chunk per observation.
    public var samplingNoise: Float?
    /// The scales `samplingNoise` (and `cotrain eval --noise`) may take.
    public static let samplingNoiseRange: ClosedRange<Float> = 0...2
    /// Temporal ensembling when deployed (recipe `model.temporal_ensemble`, the default
    /// of `cotrain eval --ensemble`; CotrainRuntime's `TemporalEnsemble`): nil executes
    /// each chunk's first `executeSteps` actions; m re-plans every step and executes the
    /// mean of the chunks covering it, weighted exp(−m·age).
    public var ensembleDecay: Float?
    /// The values `ensembleDecay` (and `cotrain eval --ensemble`) may take.
    public static let ensembleDecayRange: ClosedRange<Float> = 0...10
    /// Tool-frame states carry the tool's motion over the last `motionWindow` steps
    /// (before the tool pose; CotrainSim `ToolFrame.motionWindow`): the runtime gives
    /// the motion since it last asked for a chunk, so it must execute exactly this many
    /// actions of each. nil: off.
    public var motionWindow: Int?
    /// Model width of the trunk and the action expert.
    public var width = 128
    /// Attention heads (width must divide evenly).
    public var heads = 4
    /// Trunk transformer layers.
    public var layers = 4
    /// Action-expert transformer layers.
    public var expertLayers = 2
    /// Width of the action expert (narrower than the trunk, as π0's expert): each
    /// Euler step runs only the expert, so its width sets inference latency.
    public var expertWidth = 64
    /// MLP hidden size as a multiple of the width.
    public var mlpRatio = 4
    /// Text tokens per sample: `[bos] prompt [sep] target [eos]`, padded.
    public var textTokens = 24
    /// Actions per predicted chunk (H).
    public var chunkLength = 16
    /// Actions of a chunk the runtime executes before asking again.
    public var executeSteps = 8
    /// Euler steps from t = 1 to t = 0 when sampling a chunk.
    public var flowSteps = 10
    /// The action objective.
    public var actionHead = ActionHead.flowMatching
    /// The training distribution of flow-matching times.
    public var timeSampling = TimeSampling.beta
    /// Bins per action dimension of the discrete-token ablation head; 0 disables it.
    public var discreteBins = 0
    /// Chain-of-thought ablation: generate the reasoning text before acting.
    public var reasoning = false
    /// The robots, in any order (stored sorted by name).
    public var embodiments: [EmbodimentSpec] = []

    /// The default configuration (4 × 128 trunk, 2 × 64 expert, H = 16) for `embodiments`.
    public init(embodiments: [EmbodimentSpec] = []) {
        self.embodiments = embodiments.sorted { $0.name < $1.name }
    }

    /// Patch tokens per image.
    public var patchTokens: Int { (imageSize / patchSize) * (imageSize / patchSize) }
    /// Image tokens per sample, per camera: the patches, and with a stem one token per stem channel
    /// built from the channels' spatial soft-argmax keypoints (where each channel fires).
    /// One token per channel lets attention pick "the red blob's position" by token,
    /// where a single token holding every channel's coordinates had to be unmixed by
    /// the MLPs.
    public var imageTokens: Int { cameras * cameraTokens }
    /// Image tokens of one camera: its patches, then its keypoint tokens.
    public var cameraTokens: Int { patchTokens + (stemChannels ?? 0) }
    /// Cameras the model reads: the main one, and the wrist one if on.
    public var cameras: Int { wristCamera == true ? 2 : 1 }
    /// Floats per flattened patch (pixels, or stem channels, per patch position).
    public var patchFeatures: Int { patchSize * patchSize * (stemChannels ?? 3) }
    /// Point values the pointers give per sample: (x, y) per pointer and camera.
    public var pointerOutputs: Int { 2 * (pointers ?? 0) * cameras }
    /// Values `tablePoints` gives per sample: an (x, y) offset per pointer and camera.
    public var tablePointOutputs: Int { tablePoints == nil ? 0 : pointerOutputs }
    /// Inputs of one stem filter: a 3×3 neighbourhood of RGB values.
    public static let stemInputs = 27
    /// Trunk sequence length: image tokens, one proprioception token, text tokens.
    public var sequenceLength: Int { imageTokens + 1 + textTokens }
    /// Index of the proprioception token.
    public var proprioToken: Int { imageTokens }
    /// Index of the first text token.
    public var textStart: Int { imageTokens + 1 }

    /// The spec of embodiment `name`, if the model has it.
    public func embodiment(_ name: String) -> EmbodimentSpec? { embodiments.first { $0.name == name } }

    /// Throws if the configuration cannot build a model.
    public func validate() throws(PolicyError) {
        func check(_ ok: Bool, _ why: String) throws(PolicyError) {
            if !ok { throw .invalidConfig(why) }
        }
        try check(patchSize > 0 && imageSize > 0 && imageSize % patchSize == 0, "imageSize \(imageSize) must be a multiple of patchSize \(patchSize)")
        try check(stemChannels.map { (1...64).contains($0) } ?? true, "stemChannels \(stemChannels ?? 0) must be in 1...64 (or absent)")
        try check(width > 0 && heads > 0 && width % heads == 0 && width % 2 == 0, "width \(width) must be even and divisible by heads \(heads)")
        try check(expertWidth > 0 && expertWidth % heads == 0 && expertWidth % 2 == 0, "expertWidth \(expertWidth) must be even and divisible by heads \(heads)")
        try check(layers >= 1 && expertLayers >= 1 && mlpRatio >= 1, "layers, expertLayers and mlpRatio must be ≥ 1")
        try check(textTokens >= 4, "textTokens \(textTokens) must be ≥ 4")
        try check(chunkLength >= 1 && (1...chunkLength).contains(executeSteps), "need 1 ≤ executeSteps ≤ chunkLength")
        try check(flowSteps >= 1, "flowSteps must be ≥ 1")
        try check(discreteBins == 0 || discreteBins >= 2, "discreteBins must be 0 (off) or ≥ 2")
        try check(patchDropout.map { $0.isFinite && (0...1).contains($0) } ?? true, "patchDropout must be within 0...1")
        try check(pointers.map { (1...4).contains($0) } ?? true, "pointers \(pointers ?? 0) must be in 1...4 (or absent)")
        try check(pointers == nil || stemChannels != nil, "pointers need a stem (stemChannels)")
        try check(glimpse.map { Self.glimpseRange.contains($0) && $0 <= imageSize } ?? true, "glimpse \(glimpse ?? 0) must be in \(Self.glimpseRange) and at most imageSize (or absent)")
        try check(glimpse == nil || (pointers != nil && wristCamera == true), "a glimpse needs pointers and the wrist camera")
        try check(pointerSurround.map { Self.pointerSurroundRange.contains($0) } ?? true, "pointerSurround \(pointerSurround ?? 0) must be in \(Self.pointerSurroundRange) (or absent)")
        try check(pointerSurround == nil || pointers != nil, "pointerSurround needs pointers")
        try check(pointerInhibit.map { Self.pointerInhibitRange.contains($0) } ?? true, "pointerInhibit \(pointerInhibit ?? 0) must be in \(Self.pointerInhibitRange) pixels (or absent)")
        try check(pointerInhibit == nil || (pointers ?? 0) >= 2, "pointerInhibit needs two pointers (the object and its destination)")
        try check(proprioDropout.map { $0.isFinite && (0...1).contains($0) } ?? true, "proprioDropout must be within 0...1")
        if let tablePoints {
            try check(pointers != nil, "tablePoints need pointers")
            try tablePoints.validate(cameras: cameras)
        }
        // Deployment settings: a checkpoint carries them to the runtime.
        try check(samplingNoise.map { Self.samplingNoiseRange.contains($0) } ?? true, "samplingNoise must be within \(Self.samplingNoiseRange)")
        try check(ensembleDecay.map { Self.ensembleDecayRange.contains($0) } ?? true, "ensembleDecay must be within \(Self.ensembleDecayRange)")
        if let motionWindow {
            try check((1...chunkLength).contains(motionWindow), "motionWindow must be within 1…chunkLength (\(chunkLength)), got \(motionWindow)")
            try check(embodiments.contains { $0.toolFrame == true }, "motionWindow needs an embodiment that acts in the tool frame")
        }
        var seen = Set<String>()
        for e in embodiments {
            let allowed = e.name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
            try check(!e.name.isEmpty && allowed, "embodiment name \"\(e.name)\" must use a-z, 0-9, _ and -")
            try check(seen.insert(e.name).inserted, "embodiment \"\(e.name)\" is listed twice")
            try check(e.stateDimension >= 1 && e.actionDimension >= 1, "embodiment \"\(e.name)\" needs state and action sizes ≥ 1")
            try check(e.toolFrame != true || e.stateDimension >= EmbodimentSpec.toolPoseWidth, "embodiment \"\(e.name)\" acts in the tool frame, so its state must end with the \(EmbodimentSpec.toolPoseWidth)-value tool pose")
        }
    }
}
