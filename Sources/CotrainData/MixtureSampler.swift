// The mixture sampler: for each training step, which samples make up the batch —
// drawn from the step's phase mixture with a generator seeded by (recipe seed, step)
// alone, so a run is reproducible and resumable at any step — and writing them into a
// preallocated TrainingBatch.
import CotrainSim

/// Which sample to take: a data source and an item in it. Cheap to draw and compare;
/// ``MixtureSampler/fill(_:step:)`` turns references into batch rows.
public struct SampleRef: Sendable, Hashable {
    /// The source the mixture chose.
    public var source: DataSource
    /// Episode index within the source's pool, or VL sample index.
    public var item: Int
    /// Time step within the episode (0 for VL).
    public var step: Int
    /// For VL samples: which caption / question / referring expression (0 otherwise).
    public var textChoice: Int
}

/// Draws batches from ``TrainingData`` according to a ``Recipe``.
public struct MixtureSampler: Sendable {
    /// The recipe (phases, mixtures, switches, seed) and the data.
    public let recipe: Recipe
    public let data: TrainingData

    /// A sampler; fails with a ``RecipeError`` when a phase needs data that is missing
    /// or the images are not the model's input size.
    public init(recipe: Recipe, data: TrainingData) throws(RecipeError) {
        try recipe.validate(against: data.available)
        self.recipe = recipe
        self.data = data
    }

    /// A batch sized for the largest phase batch, to be refilled every step.
    public func makeBatch() -> TrainingBatch {
        TrainingBatch(
            capacity: recipe.phases.map(\.batchSize).max() ?? 1, imageSize: recipe.model.imageSize, chunk: recipe.model.chunk,
            proprioWidth: data.maxProprioDimension, actionWidth: data.maxActionDimension, wristCamera: recipe.model.wristCamera)
    }

    /// The references of the batch at global step `step` (0 ..< recipe.totalSteps).
    public func references(step: Int) -> [SampleRef] {
        guard let (phaseIndex, _) = recipe.phase(at: step) else {
            preconditionFailure("step \(step) is outside the recipe's \(recipe.totalSteps) steps")
        }
        let phase = recipe.phases[phaseIndex]
        let choices = phase.probabilities
        var rng = SimRandom(seed: mixSeed(recipe.seed, UInt64(step)), stream: 21)
        var refs: [SampleRef] = []
        refs.reserveCapacity(phase.batchSize)
        for _ in 0..<phase.batchSize {
            let u = Double(rng.next() >> 11) * 0x1p-53
            var source = choices[choices.count - 1].source
            var cumulative = 0.0
            for choice in choices {
                cumulative += choice.probability
                if u < cumulative { source = choice.source; break }
            }
            refs.append(draw(source, &rng, startFraction: phase.episodeStartFraction))
        }
        return refs
    }

    private func draw(_ source: DataSource, _ rng: inout SimRandom, startFraction: Double) -> SampleRef {
        if source == .vl {
            let item = rng.below(data.vlSamples.count)
            return SampleRef(source: .vl, item: item, step: 0, textChoice: rng.below(Self.textChoices(data.vlSamples[item])))
        }
        let pool = data.pools[source]!  // validate(against:) guarantees episodes for every weighted source
        // The draw is only made when the phase asks for it, so phases without it keep
        // their exact sample sequences.
        if startFraction > 0, Double(rng.next() >> 11) * 0x1p-53 < startFraction {
            let episode = rng.below(pool.episodes.count)
            return SampleRef(source: source, item: episode, step: rng.below(min(recipe.model.chunk, pool.episodes[episode].steps)), textChoice: 0)
        }
        let (episode, step) = pool.locate(rng.below(pool.totalSteps))
        return SampleRef(source: source, item: episode, step: step, textChoice: 0)
    }

    /// Number of text tasks a VL sample offers: its caption (if any), each question and
    /// each referring expression.
    static func textChoices(_ sample: VLSample) -> Int {
        max(1, (sample.caption.isEmpty ? 0 : 1) + sample.qa.count + sample.referring.count)
    }

    /// Fills `batch` with the samples of global step `step`. Allocation-free apart from
    /// the reference list: numbers are written in place, strings shared.
    public func fill(_ batch: inout TrainingBatch, step: Int) {
        let refs = references(step: step)
        let phaseIndex = recipe.phase(at: step)!.index
        precondition(refs.count <= batch.capacity, "batch capacity \(batch.capacity) is below the phase's batch size \(refs.count)")
        batch.count = refs.count
        batch.step = step
        batch.phase = phaseIndex
        let switches = recipe.phases[phaseIndex].switches
        for (row, ref) in refs.enumerated() {
            if ref.source == .vl {
                writeVL(ref, row: row, into: &batch)
            } else {
                writeEpisode(ref, row: row, losses: switches.losses(for: ref.source), into: &batch)
            }
        }
    }

    /// One sample as a value (a batch of one; for tests and inspection).
    public func sample(_ ref: SampleRef, phase: Int) -> TrainingSample {
        var batch = TrainingBatch(
            capacity: 1, imageSize: recipe.model.imageSize, chunk: recipe.model.chunk,
            proprioWidth: data.maxProprioDimension, actionWidth: data.maxActionDimension)
        batch.count = 1
        batch.phase = phase
        if ref.source == .vl {
            writeVL(ref, row: 0, into: &batch)
        } else {
            writeEpisode(ref, row: 0, losses: recipe.phases[phase].switches.losses(for: ref.source), into: &batch)
        }
        return batch.sample(0)
    }
}
