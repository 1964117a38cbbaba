// `cotrain data collect`: scripted experts demonstrate tasks in the simulator and
// the episodes go into a store. Deterministic: episode i uses a seed derived from the
// plan's seed and i only, so the same plan gives byte-identical files.
import CotrainCore
import CotrainRuntime
import CotrainSim

/// What to collect.
public struct CollectPlan: Sendable, Equatable {
    /// The embodiment (`hand` records human-video episodes with EE pseudo-actions).
    public var embodiment: EmbodimentKind
    /// Task families, cycled in order: episode i demonstrates `tasks[i % tasks.count]`.
    public var tasks: [TaskFamily]
    /// Number of episodes and the seed they derive from.
    public var count: Int
    public var seed: UInt64
    /// Shift preset names (`DistributionShift.presets`), cycled per round of tasks;
    /// empty: nominal only.
    public var shifts: [String] = []
    /// The colours robot scenes may use; held-out colours are removed from it so that
    /// only VL data shows them.
    public var colours: [SimColour] = SceneConfig.standard.colours
    public var heldOutColours: [SimColour] = []
    /// Graspable shapes held out of robot scenes.
    public var heldOutShapes: [ObjectShape] = []
    /// Source name recorded in every episode (statistics are per source).
    public var source = "sim"
    /// Square image size in pixels (the policy's input size).
    public var imageSize = 64
    /// Also record the wrist camera (same size), for policies with `wrist_camera`.
    public var wristCamera = false
    /// Its vertical field of view in degrees (recorded in every episode).
    public var wristFieldOfView = Camera.defaultWristFieldOfView
    /// DART noise on executed joint commands, as a fraction of each joint's per-step
    /// bound (0: clean demonstrations); see `ScriptedExpert.record`.
    public var perturbation: Float = 0
    /// Fraction of grasping episodes whose first grasp is executed off the object while
    /// the recorded actions recover from it (0: none); see `ScriptedExpert.record`.
    public var misses: Float = 0
    /// Steps recorded after the task succeeds, while it stays succeeded (the expert's
    /// release and retreat); see `ScriptedExpert.record`.
    public var afterSuccess = 0
    /// The values `afterSuccess` may take.
    public static let afterSuccessRange = 0...64
    /// Set: a trained policy drives and the expert labels the states it visits (DAgger;
    /// see `ScriptedExpert.recordCorrections`). nil: the expert demonstrates.
    public var corrections: Corrections?

    /// Where on-policy corrections come from.
    public struct Corrections: Sendable, Equatable {
        /// The checkpoint that drives.
        public var checkpoint: String
        /// Chance that a chunk is the expert's own rather than the checkpoint's (0…1).
        public var expertShare: Float

        public init(checkpoint: String, expertShare: Float = 0.5) {
            self.checkpoint = checkpoint; self.expertShare = expertShare
        }
    }

    /// A plan with defaults for the optional fields.
    public init(embodiment: EmbodimentKind, tasks: [TaskFamily], count: Int, seed: UInt64) {
        self.embodiment = embodiment; self.tasks = tasks; self.count = count; self.seed = seed
    }

    /// The scene concepts robot episodes are drawn from.
    public var scene: SceneConfig {
        SceneConfig(
            colours: colours.filter { !heldOutColours.contains($0) },
            shapes: SceneConfig.standard.shapes.filter { !heldOutShapes.contains($0) })
    }

    /// Checks the plan; messages say which argument to change.
    public func validate() throws(DataError) {
        guard !tasks.isEmpty else { throw .invalidArgument("--tasks lists no task family; use e.g. pick,place") }
        guard count >= 0 else { throw .invalidArgument("--count must be ≥ 0") }
        guard (8...512).contains(imageSize) else { throw .invalidArgument("--image-size must be within 8...512") }
        guard wristFieldOfView.isFinite, Camera.wristFieldOfViewRange.contains(wristFieldOfView) else {
            throw .invalidArgument("--wrist-fov must be within \(Camera.wristFieldOfViewRange) degrees, got \(wristFieldOfView)")
        }
        guard perturbation.isFinite, (0...1).contains(perturbation) else {
            throw .invalidArgument("--perturbation must be within 0...1 (a fraction of each joint's per-step bound), got \(perturbation)")
        }
        guard misses.isFinite, (0...1).contains(misses) else {
            throw .invalidArgument("--misses must be within 0...1 (a fraction of the grasping episodes), got \(misses)")
        }
        guard Self.afterSuccessRange.contains(afterSuccess) else {
            throw .invalidArgument("--after-success must be within \(Self.afterSuccessRange) steps, got \(afterSuccess)")
        }
        if let corrections {
            guard corrections.expertShare.isFinite, (0...1).contains(corrections.expertShare) else {
                throw .invalidArgument("--expert-share must be within 0...1 (the chance a chunk is the expert's), got \(corrections.expertShare)")
            }
            guard perturbation == 0, misses == 0 else {
                throw .invalidArgument("--corrections records the checkpoint's own drift; it takes neither --perturbation nor --misses")
            }
        }
        guard EpisodeMetadata.isValidSource(source) else {
            throw .invalidArgument("--source \"\(source)\" must be 1–64 letters, digits, '-' or '_'")
        }
        for name in shifts where DistributionShift.presets[name] == nil {
            throw .invalidArgument("unknown shift \"\(name)\"; known: \(DistributionShift.presets.keys.sorted().joined(separator: ", "))")
        }
        for family in Set(tasks) {
            do { try TaskSpec(family, scene: scene).validate() } catch {
                throw .invalidArgument("\(error.description) (after removing held-out concepts)")
            }
        }
    }

    /// The task, shift name and seed of episode `i`.
    public func episode(_ i: Int) -> (task: TaskFamily, shift: String?, seed: UInt64) {
        let shift = shifts.isEmpty ? nil : shifts[(i / tasks.count) % shifts.count]
        return (tasks[i % tasks.count], shift, mixSeed(seed, UInt64(i)))
    }
}

/// Runs a ``CollectPlan`` into an ``EpisodeStore``.
public enum EpisodeCollector {
    /// How often (in episodes) the index is published during a run.
    public static let indexInterval = 32

    /// Records `plan.count` episodes into `store`, publishing the index periodically and
    /// at the end, then recomputes the store's normalisation statistics. `progress` is
    /// called after each episode with the number done.
    /// - Returns: the entries added, in episode order.
    @discardableResult
    public static func collect(
        _ plan: CollectPlan, into store: inout EpisodeStore, progress: (Int) -> Void = { _ in }
    ) throws -> [EpisodeEntry] {
        try plan.validate()
        let config = SimConfig(
            imageWidth: plan.imageSize, imageHeight: plan.imageSize, wristCamera: plan.wristCamera, wristFieldOfView: plan.wristFieldOfView)
        var env = SimEnvironment(embodiment: .make(plan.embodiment), config: config)
        let driver = try plan.corrections.map { try CorrectionDriver($0, plan: plan, config: config) }
        let scene = plan.scene
        var added: [EpisodeEntry] = []
        added.reserveCapacity(plan.count)
        for i in 0..<plan.count {
            let (family, shiftName, seed) = plan.episode(i)
            let shift = shiftName.flatMap { DistributionShift.presets[$0] } ?? .none
            let task = TaskSpec(family, scene: scene)
            let episode =
                if let driver {
                    try driver.record(env: &env, task: task, seed: seed, shift: shift, afterSuccess: plan.afterSuccess)
                } else {
                    ScriptedExpert.record(
                        env: &env, task: task, seed: seed, shifts: shift, perturbation: plan.perturbation, misses: plan.misses,
                        afterSuccess: plan.afterSuccess)
                }
            var record = EpisodeRecord(episode: episode, source: plan.source, shifts: shiftName.map { [$0] } ?? [], scene: scene)
            if plan.wristCamera { record.metadata.wristFieldOfView = plan.wristFieldOfView }
            added.append(try store.add(record))
            if (i + 1) % indexInterval == 0 { try store.saveIndex() }
            progress(i + 1)
        }
        try store.saveIndex()
        try DataStatistics.compute(store: store).write(to: store.statsPath)
        return added
    }
}

/// A checkpoint that drives correction episodes (`CollectPlan.corrections`), through the
/// same policy and safety envelope as `cotrain eval`.
struct CorrectionDriver {
    let provider: CheckpointPolicyProvider
    let capabilities: RobotCapabilities
    let expertShare: Float

    init(_ corrections: CollectPlan.Corrections, plan: CollectPlan, config: SimConfig) throws {
        provider = try CheckpointPolicyProvider(path: corrections.checkpoint)
        expertShare = corrections.expertShare
        capabilities = .simulated(.make(plan.embodiment), config: config)
        if provider.needsWristCamera {
            guard plan.wristCamera else {
                throw DataError.invalidArgument("--corrections \(corrections.checkpoint) reads a wrist camera; collect with --wrist")
            }
            let trained = provider.simConfig.wristFieldOfView
            guard trained == plan.wristFieldOfView else {
                throw DataError.invalidArgument("--corrections \(corrections.checkpoint) was trained with a \(trained)° wrist camera; collect with --wrist-fov \(trained)")
            }
        }
    }

    func record(env: inout SimEnvironment, task: TaskSpec, seed: UInt64, shift: DistributionShift, afterSuccess: Int) throws -> Episode {
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: capabilities, request: EpisodeRequest(task: task, seed: seed, shift: shift)))
        var envelope = SafetyEnvelope(capabilities: capabilities)
        return ScriptedExpert.recordCorrections(
            env: &env, task: task, seed: seed, shifts: shift, driver: &policy, expertShare: expertShare, afterSuccess: afterSuccess
        ) { action, proprio in
            if case .pass(let safe) = envelope.check(action, proprio: proprio) { safe } else { nil }
        }
    }
}
