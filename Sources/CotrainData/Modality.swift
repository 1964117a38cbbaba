// The data sources a mixture samples from, the switches that add targets to samples,
// and the losses a sample carries. Together they express the study's five modalities
// (VL data, dense annotations, cross-embodiment data, human videos, discrete action
// tokens) and the chain-of-thought ablation.

/// Where a training sample comes from; recipes weight these per phase.
public enum DataSource: String, CaseIterable, Sendable, Hashable {
    /// The node's own embodiment's robot episodes.
    case robot
    /// Robot episodes of other embodiments, trained through their own stems and heads.
    case crossEmbodiment = "cross_embodiment"
    /// Vision-language samples (text objective only).
    case vl
    /// `hand` episodes: human videos with end-effector pseudo-actions.
    case humanVideo = "human_video"
}

/// How human-video samples are used.
public enum HumanVideoMode: String, CaseIterable, Sendable {
    /// Image + instruction → sub-step text (a text objective; no actions).
    case text
    /// End-effector pseudo-actions on the `hand` stem and head (an action objective).
    case actions
}

/// Per-phase switches that change what robot samples carry.
public struct ModalitySwitches: Sendable, Equatable, Hashable {
    /// Dense language annotations: the current sub-step text as an extra text target.
    public var denseAnnotations = false
    /// Discrete action tokens as extra targets (ablation; no benefit in the study).
    public var discreteActions = false
    /// Chain-of-thought: the sub-step text is predicted first and the actions are
    /// conditioned on it (ablation; no benefit in the study).
    public var chainOfThought = false
    /// What human-video samples train.
    public var humanVideo = HumanVideoMode.text

    /// Switches; all off by default (human video as text).
    public init(denseAnnotations: Bool = false, discreteActions: Bool = false, chainOfThought: Bool = false, humanVideo: HumanVideoMode = .text) {
        self.denseAnnotations = denseAnnotations; self.discreteActions = discreteActions
        self.chainOfThought = chainOfThought; self.humanVideo = humanVideo
    }

    /// The keys of the `modalities` object in a recipe phase.
    public static let keys = ["dense_annotations", "discrete_actions", "chain_of_thought", "human_video"]
}

/// The losses one training sample contributes to (a per-sample loss mask).
public struct LossSet: OptionSet, Sendable, Hashable {
    /// One bit per loss.
    public let rawValue: UInt8
    /// A set from its bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Continuous action chunk (flow matching / regression) through the sample's embodiment head.
    public static let action = LossSet(rawValue: 1 << 0)
    /// Text cross-entropy on `textTarget` (VL answers and captions, human-video sub-steps).
    public static let text = LossSet(rawValue: 1 << 1)
    /// Text cross-entropy on the dense annotation (`annotation`).
    public static let annotation = LossSet(rawValue: 1 << 2)
    /// Cross-entropy on discrete action tokens (`actionTokens`).
    public static let discreteAction = LossSet(rawValue: 1 << 3)
    /// Text cross-entropy on the chain-of-thought `reasoning` the actions are conditioned on.
    public static let reasoning = LossSet(rawValue: 1 << 4)

    /// Names for logs and docs.
    public var names: [String] {
        [(LossSet.action, "action"), (.text, "text"), (.annotation, "annotation"), (.discreteAction, "discrete_action"), (.reasoning, "reasoning")]
            .filter { contains($0.0) }.map(\.1)
    }
}

/// What a phase's mixture can draw, given the switches: the losses a sample of
/// `source` gets. Robot and cross-embodiment samples are treated alike.
extension ModalitySwitches {
    /// The losses of a sample from `source` under these switches.
    public func losses(for source: DataSource) -> LossSet {
        switch source {
        case .vl:
            return .text
        case .robot, .crossEmbodiment:
            var set: LossSet = .action
            if denseAnnotations { set.insert(.annotation) }
            if discreteActions { set.insert(.discreteAction) }
            if chainOfThought { set.insert(.reasoning) }
            return set
        case .humanVideo:
            guard humanVideo == .actions else { return .text }
            var set: LossSet = .action
            if denseAnnotations { set.insert(.annotation) }
            return set
        }
    }
}
