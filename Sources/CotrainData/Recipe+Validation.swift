// Recipe checks: structural ones at parse time (`validate()`), and the ones that need
// to know the node's data at train time (`validate(against:)`).
import CotrainPolicy
import CotrainSim

/// What training data a node has, for ``Recipe/validate(against:)``.
public struct AvailableData: Sendable, Equatable {
    /// The node's own embodiment.
    public var ownEmbodiment: EmbodimentKind
    /// Episode counts per embodiment (`hand` = human video).
    public var episodes: [EmbodimentKind: Int]
    /// Whether robot episodes carry dense (per-step) annotations.
    public var hasAnnotations: Bool
    /// VL training samples (probe samples excluded).
    public var vlSamples: Int
    /// Image sizes found in the data (square side in pixels).
    public var imageSizes: Set<Int>
    /// Own-robot episodes recorded without the wrist camera, and without labelled points.
    public var ownEpisodesWithoutWrist = 0
    public var ownEpisodesWithoutPoints = 0
    /// Own-embodiment episodes without orientation labels (collected before them).
    public var ownEpisodesWithoutOrientation = 0
    /// The wrist cameras' fields of view (degrees) of the own episodes with wrist images.
    public var ownWristFieldsOfView = Set<Float>()

    /// A description of the data at hand.
    public init(ownEmbodiment: EmbodimentKind, episodes: [EmbodimentKind: Int], hasAnnotations: Bool = true, vlSamples: Int, imageSizes: Set<Int>) {
        self.ownEmbodiment = ownEmbodiment; self.episodes = episodes; self.hasAnnotations = hasAnnotations
        self.vlSamples = vlSamples; self.imageSizes = imageSizes
    }

    /// Episodes of robot embodiments other than the own one (not `hand`).
    public var crossEmbodimentEpisodes: Int {
        episodes.filter { $0.key != ownEmbodiment && $0.key != .hand }.values.reduce(0, +)
    }
}

extension Recipe {
    /// Structural checks (run by the parser): each failure is a distinct ``RecipeError``.
    public func validate() throws(RecipeError) {
        guard !name.isEmpty else { throw .invalidValue(path: "name", reason: "must not be empty") }
        let m = model
        func positive(_ value: Int, _ key: String, max: Int) throws(RecipeError) {
            guard (1...max).contains(value) else { throw .invalidValue(path: "model.\(key)", reason: "must be within 1...\(max), got \(value)") }
        }
        try positive(m.imageSize, "image_size", max: 512); try positive(m.patchSize, "patch_size", max: 64)
        guard m.patchDropout.isFinite, (0...0.95).contains(m.patchDropout) else {
            throw .invalidValue(path: "model.patch_dropout", reason: "must be within 0...0.95, got \(m.patchDropout)")
        }
        guard m.samplingNoise.isFinite, PolicyConfig.samplingNoiseRange.contains(Float(m.samplingNoise)) else {
            throw .invalidValue(path: "model.sampling_noise", reason: "must be within \(PolicyConfig.samplingNoiseRange), got \(m.samplingNoise)")
        }
        if let decay = m.temporalEnsemble {
            guard decay.isFinite, PolicyConfig.ensembleDecayRange.contains(Float(decay)) else {
                throw .invalidValue(path: "model.temporal_ensemble", reason: "must be within \(PolicyConfig.ensembleDecayRange) (the weight of a plan a steps old is exp(-value·a)), got \(decay)")
            }
        }
        guard m.actionPower.isFinite, NormalizationStats.powerRange.contains(Float(m.actionPower)) else {
            throw .invalidValue(path: "model.action_power", reason: "must be within \(NormalizationStats.powerRange) (1: linear), got \(m.actionPower)")
        }
        guard m.proprioDropout.isFinite, (0...0.9).contains(m.proprioDropout) else {
            throw .invalidValue(path: "model.proprio_dropout", reason: "must be within 0...0.9, got \(m.proprioDropout)")
        }
        guard (0...64).contains(m.stemChannels) else { throw .invalidValue(path: "model.stem_channels", reason: "must be within 0...64 (0: no stem), got \(m.stemChannels)") }
        guard (0...4).contains(m.pointers) else { throw .invalidValue(path: "model.pointers", reason: "must be within 0...4 (0: off), got \(m.pointers)") }
        guard m.pointers == 0 || m.stemChannels > 0 else {
            throw .invalidValue(path: "model.pointers", reason: "pointers read the stem's channels: set model.stem_channels too")
        }
        guard m.pointerSurround == 0 || PolicyConfig.pointerSurroundRange.contains(m.pointerSurround) else {
            throw .invalidValue(path: "model.pointer_surround", reason: "must be 0 (off) or within \(PolicyConfig.pointerSurroundRange), got \(m.pointerSurround)")
        }
        guard m.pointerSurround == 0 || m.pointers > 0 else {
            throw .invalidValue(path: "model.pointer_surround", reason: "the surround is what the pointers weigh: set model.pointers too")
        }
        let inhibitRange = Double(PolicyConfig.pointerInhibitRange.lowerBound)...Double(PolicyConfig.pointerInhibitRange.upperBound)
        guard m.pointerInhibit == 0 || inhibitRange.contains(m.pointerInhibit) else {
            throw .invalidValue(path: "model.pointer_inhibit", reason: "must be 0 (off) or within \(inhibitRange) pixels, got \(m.pointerInhibit)")
        }
        guard m.pointerInhibit == 0 || m.pointers >= 2 else {
            throw .invalidValue(path: "model.pointer_inhibit", reason: "the object pointer avoids the destination pointer: set model.pointers to 2 too")
        }
        guard m.glimpse == 0 || PolicyConfig.glimpseRange.contains(m.glimpse) else {
            throw .invalidValue(path: "model.glimpse", reason: "must be 0 (off) or within \(PolicyConfig.glimpseRange), got \(m.glimpse)")
        }
        guard m.glimpse == 0 || (m.pointers > 0 && m.wristCamera) else {
            throw .invalidValue(path: "model.glimpse", reason: "the glimpse is centred by the object pointer in the wrist image: set model.pointers and model.wrist_camera too")
        }
        guard !m.tablePoints || (m.pointers > 0 && m.actionFrame == .tool) else {
            throw .invalidValue(path: "model.table_points", reason: "the pointers' points are lifted to offsets from the tool: set model.pointers and model.action_frame \"tool\" too")
        }
        guard !m.toolMotion || m.actionFrame == .tool else {
            throw .invalidValue(path: "model.tool_motion", reason: "the motion is the tool's, in the tool frame: set model.action_frame \"tool\" too")
        }
        guard m.glimpse <= m.imageSize else {
            throw .invalidValue(path: "model.glimpse", reason: "\(m.glimpse) is larger than image_size \(m.imageSize)")
        }
        try positive(m.width, "width", max: 4096); try positive(m.layers, "layers", max: 64); try positive(m.heads, "heads", max: 64)
        try positive(m.chunk, "chunk", max: 256); try positive(m.flowSteps, "flow_steps", max: 1000)
        try positive(m.textTokens, "text_tokens", max: 4096)
        try positive(m.expertLayers, "expert_layers", max: 64); try positive(m.expertWidth, "expert_width", max: 4096)
        guard m.imageSize % m.patchSize == 0 else { throw .invalidValue(path: "model.patch_size", reason: "\(m.patchSize) does not divide image_size \(m.imageSize)") }
        guard m.width % m.heads == 0 else { throw .invalidValue(path: "model.heads", reason: "\(m.heads) does not divide width \(m.width)") }
        guard ModelConfig.actionHeads.contains(m.actionHead) else {
            throw .invalidValue(path: "model.action_head", reason: "must be one of \(ModelConfig.actionHeads.joined(separator: ", ")), not \"\(m.actionHead)\"")
        }
        guard (2...4096).contains(m.actionBins) else { throw .invalidValue(path: "model.action_bins", reason: "must be within 2...4096, got \(m.actionBins)") }
        let w = lossWeights
        for (key, value) in [("action", w.action), ("text", w.text), ("annotation", w.annotation), ("discrete_action", w.discreteAction), ("reasoning", w.reasoning), ("pointing", w.pointing), ("orientation", w.orientation), ("pointing_mass", w.pointingMass), ("pointing_avoid", w.pointingAvoid)] {
            guard value.isFinite, value >= 0 else { throw .invalidValue(path: "loss_weights.\(key)", reason: "must be finite and ≥ 0, got \(value)") }
        }
        guard w.pointingMass == 0 || m.pointers > 0 else {
            throw .invalidValue(path: "loss_weights.pointing_mass", reason: "it trains the pointers: set model.pointers too")
        }
        guard w.pointingAvoid == 0 || m.pointers >= 2 else {
            throw .invalidValue(path: "loss_weights.pointing_avoid", reason: "it keeps the object pointer off its destination: set model.pointers to 2 too")
        }
        guard w.pointingAvoid == 0 || w.pointingMass == 0 else {
            throw .invalidValue(path: "loss_weights.pointing_avoid", reason: "it cannot be combined with pointing_mass (both use the pointer's one target per row); set one of them to 0")
        }
        guard w.orientation == 0 || m.wristCamera else {
            throw .invalidValue(path: "loss_weights.orientation", reason: "the orientation is labelled as the wrist camera sees it: set model.wrist_camera too")
        }
        guard emaDecay.isFinite, emaDecay == 0 || (0.5..<1).contains(emaDecay) else {
            throw .invalidValue(path: "ema_decay", reason: "must be 0 (off) or within [0.5, 1), got \(emaDecay)")
        }
        guard !phases.isEmpty else { throw .noPhases }
        var names = Set<String>()
        for phase in phases {
            guard !phase.name.isEmpty else { throw .invalidValue(path: "phases", reason: "a phase has an empty name") }
            guard names.insert(phase.name).inserted else { throw .duplicatePhase(phase.name) }
            guard phase.steps > 0 else { throw .nonPositiveSteps(phase: phase.name, steps: phase.steps) }
            guard phase.learningRate.isFinite, phase.learningRate > 0, phase.learningRate < 1 else {
                throw .invalidValue(path: "phase \"\(phase.name)\".learning_rate", reason: "must be within (0, 1), got \(phase.learningRate)")
            }
            guard phase.episodeStartFraction.isFinite, (0...1).contains(phase.episodeStartFraction) else {
                throw .invalidValue(path: "phase \"\(phase.name)\".episode_start_fraction", reason: "must be within 0...1, got \(phase.episodeStartFraction)")
            }
            guard (0...phase.steps).contains(phase.warmup) else {
                throw .invalidValue(path: "phase \"\(phase.name)\".warmup", reason: "must be within 0...steps (\(phase.steps)), got \(phase.warmup)")
            }
            guard (1...4096).contains(phase.batchSize) else {
                throw .invalidValue(path: "phase \"\(phase.name)\".batch_size", reason: "must be within 1...4096, got \(phase.batchSize)")
            }
            for source in DataSource.allCases {
                if let weight = phase.mixture[source], !(weight.isFinite && weight >= 0) {
                    throw .negativeWeight(phase: phase.name, source: source.rawValue, weight: weight)
                }
            }
            guard phase.mixture.values.reduce(0, +) > 0 else { throw .weightsNotPositive(phase: phase.name) }
        }
    }

    /// Checks that every phase's data exists at the node: own-embodiment episodes for
    /// `robot`, other embodiments for `cross_embodiment`, VL samples for `vl`, `hand`
    /// episodes for `human_video`, annotated episodes for dense annotations or
    /// chain-of-thought, and images of the model's input size.
    public func validate(against data: AvailableData) throws(RecipeError) {
        let own = data.ownEmbodiment.rawValue
        for phase in phases {
            func weight(_ s: DataSource) -> Double { phase.mixture[s] ?? 0 }
            if weight(.robot) > 0, (data.episodes[data.ownEmbodiment] ?? 0) == 0 {
                throw .missingData(phase: phase.name, modality: "robot", hint: "collect episodes of \(own) (`cotrain data collect --embodiment \(own)`)")
            }
            if weight(.crossEmbodiment) > 0, data.crossEmbodimentEpisodes == 0 {
                throw .missingData(phase: phase.name, modality: "cross_embodiment", hint: "add episodes of another embodiment than \(own) (e.g. `cotrain data collect --embodiment panda`) or set its weight to 0")
            }
            if weight(.vl) > 0, data.vlSamples == 0 {
                throw .missingData(phase: phase.name, modality: "vl", hint: "generate or import VL shards (`cotrain data vl-generate`) or set its weight to 0")
            }
            if weight(.humanVideo) > 0, (data.episodes[.hand] ?? 0) == 0 {
                throw .missingData(phase: phase.name, modality: "human_video", hint: "collect hand episodes (`cotrain data collect --embodiment hand`) or set its weight to 0")
            }
            let needsText = phase.switches.denseAnnotations || phase.switches.chainOfThought
                || (weight(.humanVideo) > 0 && phase.switches.humanVideo == .text)
            if needsText, !data.hasAnnotations {
                throw .missingData(phase: phase.name, modality: "dense annotations", hint: "the episodes carry no per-step annotations; switch dense_annotations/chain_of_thought off")
            }
        }
        if model.wristCamera, data.ownEpisodesWithoutWrist > 0 {
            throw .missingData(
                phase: phases.first?.name ?? "", modality: "wrist camera",
                hint: "\(data.ownEpisodesWithoutWrist) \(own) episodes have no wrist images; collect them with `cotrain data collect --wrist` or set model.wrist_camera to false")
        }
        if model.wristCamera, data.ownWristFieldsOfView.count > 1 {
            let views = data.ownWristFieldsOfView.sorted().map { "\(Int($0.rounded()))°" }.joined(separator: ", ")
            throw .invalidValue(
                path: "model.wrist_camera",
                reason: "the \(own) episodes were recorded with wrist cameras of different fields of view (\(views)); a policy reads one camera: train on episodes of one --wrist-fov")
        }
        // The pointing loss needs labels: the own episodes' points, or VL pointing answers.
        let ownEpisodes = data.episodes[data.ownEmbodiment] ?? 0
        let usesVL = phases.contains { ($0.mixture[.vl] ?? 0) > 0 } && data.vlSamples > 0
        if model.pointers > 0, lossWeights.pointing > 0 || lossWeights.pointingMass > 0 || lossWeights.pointingAvoid > 0, ownEpisodes > 0, data.ownEpisodesWithoutPoints == ownEpisodes, !usesVL {
            throw .missingData(
                phase: phases.first?.name ?? "", modality: "pointing labels",
                hint: "no \(own) episode has labelled points (`cotrain data collect` records them) and no phase mixes in VL data; collect the episodes again or set loss_weights.pointing and pointing_mass to 0")
        }
        if lossWeights.orientation > 0, ownEpisodes > 0, data.ownEpisodesWithoutOrientation == ownEpisodes {
            throw .missingData(
                phase: phases.first?.name ?? "", modality: "orientation labels",
                hint: "no \(own) episode has orientation labels (`cotrain data collect --wrist` records them); collect the episodes again or set loss_weights.orientation to 0")
        }
        let sizes = data.imageSizes.subtracting([model.imageSize])
        guard sizes.isEmpty else { throw .imageSizeMismatch(model: model.imageSize, data: data.imageSizes.sorted()) }
    }
}
