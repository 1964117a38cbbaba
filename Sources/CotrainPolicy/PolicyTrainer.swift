// One optimisation step over a mixed batch: forward, backward, AdamW.
import CotrainTensor

/// What one training step did.
public struct PolicyStepReport: Sendable {
    /// The step number this report is for (0-based, before the update).
    public var step: Int
    /// The losses of the batch.
    public var losses: PolicyLosses
    /// Global gradient norm before clipping.
    public var gradNorm: Float
    /// The learning rate used.
    public var learningRate: Float
    /// Matmul and attention FLOPs of the step (forward + backward), counted analytically.
    public var flops: FlopCount
}

/// Trains a `PolicyModel`: owns the tape (reused buffers) and the optimizer.
///
/// Step `n` draws its flow-matching times and noise from `(seed, n)`, so a run resumed
/// from a checkpoint with optimizer state (see `PolicyCheckpoint`) continues exactly
/// as an uninterrupted one. Same seed, data and thread count ⇒ bit-identical result.
public final class PolicyTrainer {
    /// The model being trained.
    public let model: PolicyModel
    /// AdamW over `model.parameters` (in order).
    public let optimizer: AdamW
    /// Relative objective weights.
    public var lossWeights: LossWeights
    /// Seed of the per-step noise.
    public let seed: UInt64
    let tape: Tape
    /// Data-parallel workers per step (the thread count; 1 = one tape whose matrix
    /// products use every thread). See PolicyTrainer+DataParallel.swift.
    let dataParallelThreads: Int
    /// Worker 0's single-threaded tape and the other workers' model replicas.
    let sliceTape = Tape(threads: 1)
    var replicas: [ModelReplica] = []

    /// A trainer for `model`; `resume` restores optimizer moments and step count.
    public init(
        model: PolicyModel, optimizer configuration: AdamW.Configuration = AdamW.Configuration(),
        lossWeights: LossWeights = LossWeights(), seed: UInt64 = 0, threads: Int = Compute.availableCores,
        resume: OptimizerState? = nil
    ) throws(CheckpointError) {
        self.model = model
        self.lossWeights = lossWeights
        self.seed = seed
        tape = Tape(threads: threads)
        dataParallelThreads = max(1, threads)
        optimizer = AdamW(parameters: model.parameters, configuration: configuration, threads: threads)
        if let resume { try resume.apply(to: optimizer) }
    }

    /// Steps taken so far (the optimizer's count; restored on resume).
    public var step: Int { optimizer.stepCount }

    /// Forward and backward of `batch` without updating: gradients accumulate into the
    /// parameters. For gradient accumulation call it once per micro-batch (numbered
    /// from 0, so each draws its own noise) with `scale` = 1/micro-batches, then `update`.
    @discardableResult
    public func accumulateGradients(
        _ batch: PolicyBatch, scale: Float = 1, microBatch: Int = 0
    ) throws(PolicyError) -> (PolicyLosses, FlopCount) {
        tape.reset()
        var flops = FlopCount()
        let (total, losses) = try model.lossForward(
            tape, batch, weights: lossWeights, noiseSeed: noiseSeed(step: step, microBatch: microBatch), flops: &flops)
        tape.backward(scale == 1 ? total : tape.scale(total, scale))
        return (losses, flops)
    }

    /// One step: forward, backward and an AdamW update with `learningRate`. With more
    /// than one thread the batch is split between data-parallel workers (same result
    /// for the same thread count, whatever the scheduling).
    public func step(_ batch: PolicyBatch, learningRate: Float) throws(PolicyError) -> PolicyStepReport {
        let current = step
        let workers = dataParallelWorkers(for: batch.count)
        let (losses, flops) = workers > 1 ? try accumulateInSlices(batch, workers: workers) : try accumulateGradients(batch)
        let report = update(learningRate: learningRate)
        return PolicyStepReport(
            step: current, losses: losses, gradNorm: report.gradNorm, learningRate: learningRate, flops: flops)
    }

    /// An AdamW update from the accumulated gradients (clears them).
    @discardableResult
    public func update(learningRate: Float) -> AdamW.StepReport {
        optimizer.step(learningRate: learningRate)
    }

    /// The losses of `batch` without gradients (evaluation; noise as at `step`).
    public func evaluate(_ batch: PolicyBatch) throws(PolicyError) -> PolicyLosses {
        tape.reset()
        tape.isRecording = false
        defer { tape.isRecording = true; tape.reset() }
        var flops = FlopCount()
        return try model.lossForward(
            tape, batch, weights: lossWeights, noiseSeed: noiseSeed(step: step, microBatch: 0), flops: &flops).losses
    }

    /// The noise seed of step `n`, micro-batch `m`: SplitMix64 of the trainer seed mixed
    /// with both.
    func noiseSeed(step n: Int, microBatch m: Int) -> UInt64 {
        var mix = SplitMix64(seed: seed ^ (UInt64(n) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(m) &* 0xD1B5_4A32_D192_ED03))
        return mix.next()
    }
}

/// AdamW state by parameter name, for exact resume.
public struct OptimizerState: Sendable {
    /// Steps taken.
    public var step: Int
    /// First and second moments by parameter name.
    public var moments: [String: (m: [Float], v: [Float])]
    /// With weight averaging: its decay and the live training weights by parameter name
    /// (the checkpoint's model then holds the averaged ones).
    public var average: (decay: Float, live: [String: [Float]])?

    /// A state.
    public init(step: Int, moments: [String: (m: [Float], v: [Float])]) {
        (self.step, self.moments) = (step, moments)
    }

    /// The state of `optimizer`.
    public init(_ optimizer: AdamW) {
        step = optimizer.stepCount
        moments = [:]
        for (i, p) in optimizer.parameters.enumerated() { moments[p.name] = optimizer.moments(of: i) }
    }

    /// Restores `optimizer` (every parameter must have moments of its size).
    func apply(to optimizer: AdamW) throws(CheckpointError) {
        var pairs: [(m: [Float], v: [Float])] = []
        for p in optimizer.parameters {
            guard let pair = moments[p.name] else { throw .missingTensor(PolicyCheckpoint.momentName(p.name, first: true)) }
            guard pair.m.count == p.tensor.count, pair.v.count == p.tensor.count else {
                throw .shapeMismatch(tensor: PolicyCheckpoint.momentName(p.name, first: true), expected: p.shape.dims, found: [pair.m.count])
            }
            pairs.append(pair)
        }
        optimizer.restore(stepCount: step, moments: pairs)
    }
}
