// The bridge between the data layer and the policy: which policy a recipe asks for
// (its configuration and per-embodiment normalisation), and how a `TrainingBatch` row
// becomes a `PolicySample` with the recipe's modality → loss mapping.
//
// Normalisation convention (one for training and inference): the policy sees every
// value normalised with the statistics of the sample's OWN source, as the data layer
// writes it (sources are never pooled). The model holds, per embodiment, the
// deployment statistics (`TrainingData.deploymentStats(for:)`: the source with the
// most steps) and normalises raw inputs with them at inference. The adapter hands the
// model each row re-expressed in deployment units (`deployment⁻¹(y)`), so the model's
// own normalisation gives back `y` exactly up to float rounding. For the deployment
// source, train-time and inference-time normalisation are therefore the same mapping.
import CotrainPolicy
import CotrainSim

/// Turns a recipe's batches into the policy's batches.
public struct PolicyAdapter: Sendable {
    /// The recipe (loss weights and per-phase switches).
    public let recipe: Recipe
    /// The policy configuration the recipe and data call for.
    public let config: PolicyConfig
    /// Deployment normalisation per embodiment name (what the checkpoint carries).
    public let normalization: [String: EmbodimentStats]

    /// An adapter for `recipe` over `data`: one embodiment per robot the recipe trains
    /// (the own robot always; others when a phase draws cross-embodiment data; `hand`
    /// when a phase trains human video as actions).
    public init(recipe: Recipe, data: TrainingData) throws(TrainerError) {
        self.recipe = recipe
        var kinds: [EmbodimentKind] = [data.ownEmbodiment]
        for phase in recipe.phases {
            if (phase.mixture[.crossEmbodiment] ?? 0) > 0 {
                kinds += data.pools[.crossEmbodiment]?.episodes.map(\.metadata.embodiment) ?? []
            }
            if (phase.mixture[.humanVideo] ?? 0) > 0, phase.switches.humanVideo == .actions { kinds.append(.hand) }
        }
        var specs: [EmbodimentSpec] = [], stats: [String: EmbodimentStats] = [:]
        for kind in Set(kinds).sorted(by: { $0.rawValue < $1.rawValue }) {
            // The data were loaded in the recipe's frame (`TrainingData.load(frame:)`).
            let tool = recipe.model.actionFrame == .tool ? ToolFrame(.make(kind), motionWindow: recipe.model.motionWindow) : nil
            if let source = data.deploymentStats(for: kind) {
                var s = Self.embodimentStats(source)
                if recipe.model.actionPower != 1 { s.action.power = Float(recipe.model.actionPower) }
                if let tool, s.action.dimension != tool.actionDimension || s.state.dimension != tool.proprioDimension {
                    throw .policy("the recipe acts in the tool frame but the \(kind.rawValue) data have \(s.state.dimension) state and \(s.action.dimension) action values, not \(tool.proprioDimension) and \(tool.actionDimension) (load them with frame: .tool and the recipe's motion window)")
                }
                stats[kind.rawValue] = s
                specs.append(EmbodimentSpec(
                    name: kind.rawValue, stateDimension: s.state.dimension, actionDimension: s.action.dimension,
                    toolFrame: tool != nil ? true : nil))
            } else if let tool {
                specs.append(EmbodimentSpec(
                    name: kind.rawValue, stateDimension: tool.proprioDimension, actionDimension: tool.actionDimension, toolFrame: true))
            } else {
                // The own robot without episodes (a VL-only recipe): unit statistics.
                let e = Embodiment.make(kind)
                specs.append(EmbodimentSpec(name: kind.rawValue, stateDimension: e.proprioNames.count, actionDimension: e.action.dimension))
            }
        }
        var c = PolicyConfig(embodiments: specs)
        let m = recipe.model
        c.imageSize = m.imageSize; c.patchSize = m.patchSize
        c.stemChannels = m.stemChannels > 0 ? m.stemChannels : nil
        c.wristCamera = m.wristCamera ? true : nil
        // Recorded with the data (validated to be one); the default stays implicit so
        // the configs of policies trained before the field existed do not change.
        if m.wristCamera, let fov = data.available.ownWristFieldsOfView.first, fov != Camera.defaultWristFieldOfView { c.wristFieldOfView = fov }
        c.patchDropout = m.patchDropout > 0 ? Float(m.patchDropout) : nil
        c.proprioDropout = m.proprioDropout > 0 ? Float(m.proprioDropout) : nil
        c.pointers = m.pointers > 0 ? m.pointers : nil
        c.glimpse = m.glimpse > 0 ? m.glimpse : nil
        c.pointerSurround = m.pointerSurround > 0 ? m.pointerSurround : nil
        c.pointerInhibit = m.pointerInhibit > 0 ? Float(m.pointerInhibit) : nil
        if m.tablePoints { c.tablePoints = TablePoints.simulator(wristFieldOfView: m.wristCamera ? c.wristFieldOfView ?? Camera.defaultWristFieldOfView : nil) }
        c.orientation = recipe.lossWeights.orientation > 0 ? true : nil
        c.samplingNoise = m.samplingNoise != 1 ? Float(m.samplingNoise) : nil
        c.ensembleDecay = m.temporalEnsemble.map(Float.init)
        c.width = m.width; c.layers = m.layers; c.heads = m.heads
        c.expertLayers = m.expertLayers; c.expertWidth = m.expertWidth
        c.chunkLength = m.chunk; c.executeSteps = max(1, m.chunk / 2)
        c.motionWindow = m.toolMotion ? m.motionWindow : nil
        c.flowSteps = m.flowSteps; c.textTokens = m.textTokens
        c.actionHead = ActionHead(rawValue: m.actionHead) ?? .flowMatching
        c.discreteBins = recipe.phases.contains { $0.switches.discreteActions } ? m.actionBins : 0
        c.reasoning = recipe.phases.contains { $0.switches.chainOfThought }
        do { try c.validate() } catch { throw .policy(error.description) }
        config = c
        normalization = stats
    }

    /// A source's statistics as the policy's (Float) normalisation. A dimension the data
    /// layer treats as constant (range ≤ 1e-6) gets `high == low`, so the policy maps it
    /// to 0 as the data layer does.
    public static func embodimentStats(_ source: SourceStats) -> EmbodimentStats {
        func convert(_ d: DimensionStats) -> NormalizationStats {
            let low = (0..<d.count).map { Float(d.low($0)) }
            let high = (0..<d.count).map { j in Float(d.high(j) - d.low(j)) > 1e-6 ? Float(d.high(j)) : low[j] }
            return NormalizationStats(low: low, high: high)
        }
        return EmbodimentStats(state: convert(source.proprio), action: convert(source.actions))
    }

    /// The policy batch of the filled rows of `batch`, and the loss weights for it.
    ///
    /// Losses per row (docs/recipes.md): VL → text; robot and cross-embodiment →
    /// action, plus the dense annotation or chain-of-thought reasoning as target text,
    /// plus discrete tokens; human video → its sub-step as text, or actions on the
    /// `hand` head. Text weights are per sample (VL `text`, `annotation`, `reasoning`);
    /// the batch's text weight is their mean, so each text sample counts in proportion
    /// to its recipe weight.
    public func policyBatch(_ batch: TrainingBatch) throws(TrainerError) -> (PolicyBatch, LossWeights) {
        let w = recipe.lossWeights
        var samples: [PolicySample] = []
        samples.reserveCapacity(batch.count)
        var textMass: Float = 0, textCount = 0
        for row in 0..<batch.count {
            var s = try sample(batch, row: row)
            if s.target != nil {
                let losses = batch.losses[row]
                s.textWeight = Float(losses.contains(.reasoning) ? w.reasoning
                    : losses.contains(.annotation) ? w.annotation : w.text)
                textMass += s.textWeight
                textCount += 1
            }
            samples.append(s)
        }
        let weights = LossWeights(
            flow: Float(w.action), text: textCount > 0 ? textMass / Float(textCount) : 0, tokens: Float(w.discreteAction),
            pointing: Float(w.pointing), orientation: Float(w.orientation), pointingMass: Float(w.pointingMass),
            pointingAvoid: Float(w.pointingAvoid))
        return (PolicyBatch(samples), weights)
    }

    /// One row as a policy sample (text weight 1; `policyBatch` sets it).
    func sample(_ batch: TrainingBatch, row: Int) throws(TrainerError) -> PolicySample {
        let pixels = batch.imageSize * batch.imageSize * 3
        let image = Array(batch.images[(row * pixels)..<((row + 1) * pixels)])
        let wrist = batch.hasWrist[row] ? Array(batch.wristImages[(row * pixels)..<((row + 1) * pixels)]) : nil
        let losses = batch.losses[row], prompt = batch.prompts[row]
        guard losses.contains(.action) || losses.contains(.discreteAction), let kind = batch.embodiments[row] else {
            // VL, or human video as text: image + prompt → target, no robot parts.
            var sample = PolicySample(image: image, prompt: prompt, target: batch.textTargets[row], flowWeight: 0, tokenWeight: 0)
            sample.points = labelledPoints(batch, row: row)
            return sample
        }
        guard let stats = normalization[kind.rawValue] else {
            throw .policy("batch row \(row) is a \(kind.rawValue) sample but the policy has no \(kind.rawValue) embodiment")
        }
        let p = batch.proprioDims[row], a = batch.actionDims[row]
        let pBase = row * batch.proprioWidth
        let proprio = stats.state.denormalize(Array(batch.proprio[pBase..<(pBase + p)]))
        var actions: [[Float]] = []
        for h in 0..<batch.chunk where batch.actionMask[row * batch.chunk + h] > 0 {
            let base = (row * batch.chunk + h) * batch.actionWidth
            // The batch holds the data layer's linear normalisation; the model companding
            // its targets (`action_power`) applies its own map to these raw actions.
            actions.append(stats.action.linear.denormalize(Array(batch.actions[base..<(base + a)])))
        }
        guard !actions.isEmpty else { throw .policy("batch row \(row) carries actions but no valid chunk step") }
        let target = (batch.reasonings[row] ?? batch.annotations[row]).flatMap { $0.isEmpty ? nil : $0 }
        var sample = PolicySample(
            image: image, embodiment: kind.rawValue, proprio: proprio, actions: actions, prompt: prompt, target: target,
            flowWeight: losses.contains(.action) ? 1 : 0, tokenWeight: losses.contains(.discreteAction) ? 1 : 0)
        sample.wristImage = wrist
        sample.points = labelledPoints(batch, row: row)
        let o = row * SimEnvironment.orientationWidth
        if batch.orientation[o + 2] > 0 { sample.orientation = [batch.orientation[o], batch.orientation[o + 1]] }
        return sample
    }

    /// The row's labelled points (the batch lays them out per camera the policy reads),
    /// or nil when none is labelled.
    func labelledPoints(_ batch: TrainingBatch, row: Int) -> [Float]? {
        let pw = batch.pointWidth
        let labels = Array(batch.points[(row * pw)..<((row + 1) * pw)])
        return stride(from: 2, to: pw, by: 3).contains { labels[$0] > 0 } ? labels : nil
    }
}
