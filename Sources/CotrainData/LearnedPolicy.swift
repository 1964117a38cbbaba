// A trained checkpoint behind the runtime's `PolicyProvider` seam: the weights load
// once; each episode gets a cheap `CotrainSim.Policy` that turns an `Observation`
// into a `PolicyObservation`, samples an action chunk (de-normalised by the model with
// the checkpoint's deployment statistics) and hands the runtime its first
// `executeSteps` actions (half the chunk) before it asks again, or, with temporal
// ensembling, one action a step: the mean of the plans covering it.
import CotrainPolicy
import CotrainRuntime
import CotrainSim

/// Provides policies backed by one loaded checkpoint (`cotrain eval --policy FILE`).
///
/// The model is shared by the episodes it hands out, which the harness runs one at a
/// time (the model is not thread-safe).
public final class CheckpointPolicyProvider: PolicyProvider {
    /// The name in tables and result files (default: the checkpoint's file name).
    public let name: String
    /// The loaded model.
    public let model: PolicyModel
    /// The checkpoint's training step and recipe hash.
    public let step: Int
    public let recipeHash: String?
    /// Scale of the flow-matching start noise of every chunk: the checkpoint's
    /// `samplingNoise` (recipe `model.sampling_noise`) unless `cotrain eval --noise`
    /// sets it; 1: sample the learned distribution, 0: deterministic.
    public var noiseScale: Float
    /// Temporal ensembling (see `TemporalEnsemble`): nil executes chunks as
    /// sampled (`executeSteps` at a time); m ≥ 0 re-plans every step and executes the
    /// weighted mean of every earlier chunk's prediction for it.
    public var ensembleDecay: Float?
    /// Replace pointers' points with the simulator's labels (`cotrain eval
    /// --oracle-points`): what perfect pointing would buy. nil: the pointers' own.
    public var oraclePoints: OraclePoints?
    /// Actions of each chunk handed to the runtime before the policy is asked again:
    /// the checkpoint's `executeSteps` (half the chunk) unless `cotrain eval --execute`
    /// sets it (1 … the chunk length).
    public var executeSteps: Int

    /// Loads the checkpoint at `path`; `threads` sets the inference threads (1 is
    /// fastest for one observation at a time on small models).
    public convenience init(path: String, name: String? = nil, threads: Int = 1) throws(TrainerError) {
        let loaded: LoadedCheckpoint
        do { loaded = try PolicyCheckpoint.load(path: path) } catch {
            throw .badCheckpoint(path: path, reason: error.description)
        }
        self.init(model: loaded.model, name: name ?? Self.defaultName(path), step: loaded.step, recipeHash: loaded.recipeHash)
        model.inferenceThreads = threads
    }

    /// A provider for a model already in memory (e.g. right after training).
    public init(model: PolicyModel, name: String, step: Int = 0, recipeHash: String? = nil) {
        self.model = model
        self.name = name
        self.step = step
        self.recipeHash = recipeHash
        noiseScale = model.config.samplingNoise ?? 1
        ensembleDecay = model.config.ensembleDecay
        executeSteps = model.config.executeSteps
    }

    /// `runs/vl/checkpoint.safetensors` → `vl`; `policy.safetensors` → `policy`.
    static func defaultName(_ path: String) -> String {
        let parts = path.split(separator: "/").map(String.init)
        let file = parts.last ?? path
        let stem = file.hasSuffix(".safetensors") ? String(file.dropLast(".safetensors".count)) : file
        return stem == "checkpoint" && parts.count >= 2 ? parts[parts.count - 2] : stem
    }

    /// A policy for one episode; refuses robots the checkpoint was not trained for.
    public func makePolicy(for context: EpisodeContext) throws(RuntimeError) -> LearnedPolicy {
        let caps = context.capabilities
        let kind = caps.embodiment.rawValue
        guard let spec = model.config.embodiment(kind) else {
            let known = model.config.embodiments.map(\.name).joined(separator: ", ")
            throw .policyUnavailable("checkpoint \(name) was not trained for \(kind) (it knows \(known)); evaluate with --embodiment set to one of those")
        }
        let motionWindow = model.config.motionWindow ?? 0
        let frame = spec.toolFrame == true ? ToolFrame(.make(caps.embodiment), motionWindow: motionWindow) : nil
        if spec.toolFrame == true {
            guard let frame, frame.actionDimension == spec.actionDimension, frame.proprioDimension == spec.stateDimension else {
                throw .policyUnavailable("checkpoint \(name) acts for \(kind) in the tool frame with \(spec.actionDimension) action components, which this cotrain cannot convert for the robot")
            }
        } else if spec.actionDimension != caps.actionDimension {
            throw .policyUnavailable("checkpoint \(name) predicts \(spec.actionDimension) action components for \(kind) but the robot takes \(caps.actionDimension)")
        }
        if model.config.wristCamera == true, !caps.cameras.contains(where: { $0.name == "wrist" }) {
            throw .policyUnavailable("checkpoint \(name) reads a wrist camera but the robot sends none (the simulator renders one when the policy needs it; start arm-sim or the bridge with its wrist camera)")
        }
        // The state's motion is the tool's since the previous chunk: that must be
        // `motionWindow` steps ago, as in training.
        if motionWindow > 0 && (executeSteps != motionWindow || ensembleDecay != nil) {
            throw .policyUnavailable("checkpoint \(name) reads the tool's motion over its last \(motionWindow) steps, so it must execute \(motionWindow) actions of every chunk (--execute \(motionWindow), no --ensemble)")
        }
        if oraclePoints != nil, model.config.pointers == nil {
            throw .policyUnavailable("checkpoint \(name) has no pointers for --oracle-points to replace")
        }
        var policy = LearnedPolicy(model: model, embodiment: kind, toolFrame: frame)
        policy.oraclePoints = oraclePoints
        policy.noiseScale = noiseScale
        policy.executeSteps = min(max(1, executeSteps), model.config.chunkLength)
        policy.ensemble = ensembleDecay.map(TemporalEnsemble.init)
        return policy
    }

    /// Whether the checkpoint's model reads a wrist camera (the robot must provide one).
    public var needsWristCamera: Bool { model.config.wristCamera == true }

    /// The simulator settings that render what the policy was trained on: its wrist
    /// camera, when it reads one, with the field of view of its training episodes.
    public var simConfig: SimConfig {
        SimConfig(wristCamera: needsWristCamera, wristFieldOfView: model.config.wristFieldOfView ?? Camera.defaultWristFieldOfView)
    }
}

/// One episode's learned policy: observation → action chunk.
public struct LearnedPolicy: Policy {
    /// The shared model and the robot it acts for.
    let model: PolicyModel
    let embodiment: String
    /// Set when the model acts in the tool frame: converts its state and actions.
    let toolFrame: ToolFrame?
    /// Chunks sampled so far this episode (seeds the flow-matching noise).
    var calls: UInt64 = 0
    /// The chunk sampled last, as the model gave it (tool motions for a tool-frame model),
    /// and where its pointers pointed then (nil without pointers): for traces.
    public private(set) var lastChunk: [[Float]] = []
    public private(set) var lastPoints: [Float]?
    /// The arm's proprioception when the previous chunk was sampled: the tool's motion
    /// since then is part of the state of a model with `motionWindow`.
    var previousProprio: [Float]?
    /// Scale of the start noise (see `CheckpointPolicyProvider.noiseScale`).
    var noiseScale: Float = 1
    /// Actions handed over per chunk (see `CheckpointPolicyProvider.executeSteps`).
    var executeSteps: Int
    /// See `CheckpointPolicyProvider.oraclePoints`.
    var oraclePoints: OraclePoints?
    /// Temporal ensembling (see `TemporalEnsemble`): when set, the policy samples a
    /// whole chunk every step and executes one action, the weighted mean of the plans
    /// covering it.
    var ensemble: TemporalEnsemble?

    /// A policy for `embodiment` (must be one of the model's).
    init(model: PolicyModel, embodiment: String, toolFrame: ToolFrame? = nil) {
        self.model = model
        self.embodiment = embodiment
        self.toolFrame = toolFrame
        executeSteps = model.config.executeSteps
    }

    public mutating func reset() { calls = 0; previousProprio = nil; ensemble?.reset() }

    /// The first `executeSteps` actions of the sampled chunk, in the robot's units
    /// (joint deltas: a tool-frame model's tool motions go through inverse kinematics).
    public mutating func act(_ observation: Observation) -> [[Float]] {
        let input = modelInput(observation)
        defer { calls += 1; previousProprio = observation.proprio }
        do {
            let (chunks, points) = try model.actAndPoint(batch: [input], seed: 0x5EED_0000 &+ calls, noiseScale: noiseScale)
            let sampled = chunks[0]
            (lastChunk, lastPoints) = (sampled, points?[0])
            var chunk = Array(sampled.prefix(executeSteps))
            if var ensemble {
                chunk = [ensemble.next(sampled)]
                self.ensemble = ensemble
            }
            return toolFrame?.jointActions(armProprio: observation.proprio, chunk: chunk) ?? chunk
        } catch {
            // makePolicy checked the robot; a failure here is a bug, not an input problem.
            preconditionFailure("learned policy: \(error.description)")
        }
    }

    /// What the model reads for `observation`: its view of the cameras, and in the tool
    /// frame the tool pose (and, with a motion window, the tool's motion since the
    /// previous chunk) appended to the arm's proprioception.
    func modelInput(_ observation: Observation) -> PolicyObservation {
        var input = Self.policyObservation(observation, size: model.config.imageSize)
        if let toolFrame { input.proprio = toolFrame.proprio(observation.proprio, earlier: previousProprio ?? observation.proprio) }
        if let oraclePoints, let labels = observation.pointLabels {
            input.pointOverride = oraclePoints.override(labels: labels, pointers: model.config.pointers ?? 0)
        }
        return input
    }

    /// The policy's view of an observation: the cameras resized to the model's input
    /// size if they differ (box filter), proprioception in robot units, the instruction
    /// and the robot.
    public static func policyObservation(_ o: Observation, size: Int) -> PolicyObservation {
        func fit(_ pixels: [UInt8]) -> [UInt8] {
            guard o.imageWidth != size || o.imageHeight != size else { return pixels }
            return RGBImage(width: o.imageWidth, height: o.imageHeight, pixels: pixels).resized(width: size, height: size, filter: .box).pixels
        }
        return PolicyObservation(
            image: fit(o.image), wristImage: o.wristImage.map(fit), proprio: o.proprio, instruction: o.instruction,
            embodiment: o.embodiment.rawValue)
    }
}

/// Which pointers an oracle experiment replaces with the simulator's labels.
public enum OraclePoints: String, Sendable, CaseIterable {
    /// The main camera's object pointer (pointer 0 of camera 0).
    case mainObject = "main-object"
    /// The object pointer in every camera.
    case object
    /// Every pointer in every camera.
    case all

    /// Points per camera and pointer (x, y) from the labels (per camera and slot: x, y,
    /// visible); NaN where this mode keeps the pointer's own or the label is not in view.
    func override(labels: [Float], pointers: Int) -> [Float] {
        let slots = SimEnvironment.pointSlots, cameras = labels.count / (slots * 3)
        var out = [Float](repeating: .nan, count: cameras * pointers * 2)
        for camera in 0..<cameras {
            for j in 0..<Swift.min(pointers, slots) {
                let label = (camera * slots + j) * 3
                guard labels[label + 2] > 0, self == .all || (j == 0 && (self == .object || camera == 0)) else { continue }
                (out[(camera * pointers + j) * 2], out[(camera * pointers + j) * 2 + 1]) = (labels[label], labels[label + 1])
            }
        }
        return out
    }
}
