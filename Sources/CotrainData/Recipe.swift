// A training recipe (policies/*.json): model size, phases with mixture weights over
// data sources and modality switches, loss weights, what is shared with peers, seed.
// Parsed strictly (Recipe+Parsing), validated (Recipe+Validation), hashed canonically.
import CotrainCore

/// What an arm's actions and proprioception are to the policy.
public enum ActionFrame: String, Sendable, Equatable, CaseIterable {
    /// Joint deltas and joint positions, as the robot takes and reports them.
    case joint
    /// Tool motions (dx, dy, dz, dyaw, gripper) in the robot's base frame, with the tool
    /// pose appended to the proprioception; the runtime turns the policy's tool motions
    /// back into joint deltas by inverse kinematics. Gantry and hand actions are tool
    /// motions already and stay as they are.
    case tool
}

/// Model configuration a recipe asks the policy for.
public struct ModelConfig: Sendable, Equatable {
    /// Square input image size and patch size (image_size % patch_size == 0).
    public var imageSize = 64
    public var patchSize = 8
    /// Channels of the 3×3 convolutional stem before patching (0: raw-pixel patches);
    /// see `PolicyConfig.stemChannels`.
    public var stemChannels = 0
    /// Also feed the wrist camera (the episodes must hold wrist images: `data collect
    /// --wrist`); see `PolicyConfig.wristCamera`.
    public var wristCamera = false
    /// Fraction of patch tokens hidden in each training sample (`PolicyConfig.patchDropout`).
    public var patchDropout = 0.0
    /// Chance a robot sample's proprioception is hidden in training (`PolicyConfig.proprioDropout`).
    public var proprioDropout = 0.0
    /// Scale of the start noise when the policy samples a chunk (`PolicyConfig.samplingNoise`;
    /// 1: sample the learned distribution, 0: deterministic).
    public var samplingNoise = 1.0
    /// Temporal ensembling when the policy is deployed (`PolicyConfig.ensembleDecay`,
    /// `TemporalEnsemble`): nil executes chunks as sampled.
    public var temporalEnsemble: Double? = nil
    /// Companding exponent of the action normalisation (`NormalizationStats.power`): 1
    /// linear; below 1, small actions get more of the normalised range.
    public var actionPower = 1.0
    /// Language-conditioned pointers per camera (0: off; needs a stem); see
    /// `PolicyConfig.pointers`.
    public var pointers = 0
    /// Side in pixels of the glimpse: the stem's features in a window of the wrist
    /// image centred where the object pointer points (0: off; needs pointers and the
    /// wrist camera); see `PolicyConfig.glimpse`.
    public var glimpse = 0
    /// Radius of the neighbourhood whose mean stem features the pointers also weigh
    /// (0: off; needs pointers); see `PolicyConfig.pointerSurround`.
    public var pointerSurround = 0
    /// Radius in main-camera pixels within which the object pointer avoids the
    /// destination pointer's point, behind a learned gate (0: off; needs two pointers);
    /// see `PolicyConfig.pointerInhibit`.
    public var pointerInhibit = 0.0
    /// Lift the pointers' points onto the table through the simulator's camera
    /// calibration, as offsets from the tool that every action token reads (needs
    /// pointers and the tool frame); see `PolicyConfig.tablePoints`.
    public var tablePoints = false
    /// What an arm's actions are to the policy: joint deltas as recorded, or tool motions
    /// (`ActionFrame.tool`, converted at load; docs/model.md).
    public var actionFrame = ActionFrame.joint
    /// Give the policy the tool's motion since it last chose actions (over the half
    /// chunk it executes) in its state, so that lifting and lowering differ (needs the
    /// tool frame); see `ToolFrame.motionWindow` and `PolicyConfig.motionWindow`.
    public var toolMotion = false
    /// Steps the tool's motion spans: the executed half chunk, or 0 without `toolMotion`.
    public var motionWindow: Int { toolMotion ? max(1, chunk / 2) : 0 }
    /// Transformer width, depth and attention heads (width % heads == 0).
    public var width = 64
    public var layers = 2
    public var heads = 4
    /// Depth and width of the flow-matching action expert.
    public var expertLayers = 2
    public var expertWidth = 64
    /// Action chunk length H and flow-matching integration steps at inference.
    public var chunk = 8
    public var flowSteps = 10
    /// "flow_matching" (action expert) or "l1_regression" (direct L1 baseline) — the
    /// policy's `ActionHead` raw values.
    public var actionHead = "flow_matching"
    /// Bins per action dimension for discrete action tokens (used when switched on).
    public var actionBins = 32
    /// Text tokens (prompt + target) the model sees.
    public var textTokens = 32

    /// Accepted `action_head` values.
    public static let actionHeads = ["flow_matching", "l1_regression"]

    /// The defaults above.
    public init() {}
}

/// Relative weights of the loss terms.
public struct RecipeLossWeights: Sendable, Equatable {
    /// Continuous actions, VL/human-video text, dense annotations, discrete action tokens,
    /// chain-of-thought reasoning.
    public var action = 1.0
    public var text = 1.0
    public var annotation = 0.5
    public var discreteAction = 0.5
    public var reasoning = 0.5
    /// The pointers' error against labelled points (episodes collected by `data
    /// collect` carry them); 0: the pointers learn from the action loss alone.
    public var pointing = 0.0
    /// The orientation head's error against labelled orientations of the object to move
    /// (episodes collected with `--wrist` carry them); > 0 adds the head
    /// (`PolicyConfig.orientation`) and needs `model.wrist_camera`. 0: no head.
    public var orientation = 0.0
    /// Minus the log of the probability each pointer puts near its labelled point (2
    /// pixels in the main camera, 4 in the wrist camera; needs `model.pointers`): pulls
    /// the whole map onto the object, where the squared error on the map's mean point
    /// leaves mass on a look-alike of the object's colour. 0: off.
    public var pointingMass = 0.0
    /// Weight of minus the log of the probability the object pointer puts outside a disc
    /// around its destination's labelled point (5 pixels in the main camera, 10 in the
    /// wrist camera), where object and destination are apart: pushes the map off a bowl
    /// of the object's colour (needs `model.pointers` 2; not with `pointingMass`). 0: off.
    public var pointingAvoid = 0.0

    /// The defaults above.
    public init() {}

    /// The weight of one loss.
    public func weight(_ loss: LossSet) -> Double {
        switch loss {
        case .action: action
        case .text: text
        case .annotation: annotation
        case .discreteAction: discreteAction
        case .reasoning: reasoning
        default: 0
        }
    }
}

/// What a node sends to peers each round.
public enum SharingScope: String, Sendable, CaseIterable {
    /// Only `shared.*` parameters.
    case shared
    /// `shared.*` plus the own embodiment's `embodiment.<name>.*` (to same-embodiment peers).
    case sharedAndEmbodiment = "shared+embodiment"
}

/// One training phase.
public struct RecipePhase: Sendable, Equatable {
    /// Unique name, e.g. "pretrain".
    public var name: String
    /// Optimiser steps, peak learning rate, linear warm-up steps, samples per batch.
    public var steps: Int
    public var learningRate: Double
    public var warmup: Int
    public var batchSize: Int
    /// Mixture weights over data sources (not necessarily normalised; zero = unused).
    public var mixture: [DataSource: Double]
    /// Modality switches for robot and human-video samples.
    public var switches: ModalitySwitches
    /// Fraction of episode samples drawn from the first chunk of steps of a uniformly
    /// chosen episode instead of uniformly over all steps. The first chunk is the only
    /// one decided by the scene alone (the arm has not moved yet) and is a few per cent
    /// of all steps; 0: uniform over steps.
    public var episodeStartFraction = 0.0

    /// A phase; see docs/recipes.md for each field's range.
    public init(name: String, steps: Int, learningRate: Double, warmup: Int, batchSize: Int, mixture: [DataSource: Double], switches: ModalitySwitches = ModalitySwitches()) {
        self.name = name; self.steps = steps; self.learningRate = learningRate; self.warmup = warmup
        self.batchSize = batchSize; self.mixture = mixture; self.switches = switches
    }

    /// Sources with positive weight, in `DataSource.allCases` order, with probabilities.
    public var probabilities: [(source: DataSource, probability: Double)] {
        let total = mixture.values.reduce(0, +)
        return DataSource.allCases.compactMap { s in
            guard let w = mixture[s], w > 0 else { return nil }
            return (s, w / total)
        }
    }

    /// The learning rate at `step` within this phase: linear warm-up then constant.
    public func learningRate(atPhaseStep step: Int) -> Double {
        warmup > 0 && step < warmup ? learningRate * Double(step + 1) / Double(warmup) : learningRate
    }
}

/// A parsed, validated recipe.
public struct Recipe: Sendable, Equatable {
    /// The format tag every recipe file starts with.
    public static let format = "cotrain.recipe.v1"
    /// Name, one-line description, and the study question it answers.
    public var name: String
    public var description: String
    public var question: String
    /// Seed for sampling and initialisation.
    public var seed: UInt64
    public var model: ModelConfig
    public var lossWeights: RecipeLossWeights
    public var sharing: SharingScope
    /// Phases, run in order.
    public var phases: [RecipePhase]
    /// Decay of the exponential moving average of the weights that `cotrain train`
    /// saves as the policy (`ema_decay`; 0: the last step's weights). Federated rounds
    /// train without it: the average across labs takes its place.
    public var emaDecay = 0.0

    /// Total optimiser steps over all phases.
    public var totalSteps: Int { phases.reduce(0) { $0 + $1.steps } }

    /// The phase index that step `step` (0-based, over the whole run) belongs to, and
    /// the step within it; nil at or past ``totalSteps``.
    public func phase(at step: Int) -> (index: Int, step: Int)? {
        guard step >= 0 else { return nil }
        var start = 0
        for (i, phase) in phases.enumerated() {
            if step < start + phase.steps { return (i, step - start) }
            start += phase.steps
        }
        return nil
    }

    /// SHA-256 (hex) of the canonical JSON of the recipe with defaults filled in: two
    /// files that differ only in formatting, key order or spelled-out defaults hash alike.
    public var hash: String { (try? SHA256.hash(json.canonicalBytes).hex) ?? "" }
}
