// Data-parallel steps: the batch is split into one contiguous slice per worker; each
// worker runs forward and backward of its slice on its own replica of the model with a
// single-threaded tape, and the replicas' gradients are summed into the model's in
// worker order before the one AdamW update.
//
// Why: the policy's matrices are small (width 64–128, a few thousand rows per step), so
// splitting each matrix product across two threads spends much of the step waiting at
// per-op barriers (measured: 2 threads ran *slower* than one). Whole slices per thread
// need no barrier until the gradient sum.
//
// Each slice's loss is scaled by its share of the batch, so the summed gradient is the
// gradient of the share-weighted mean of the slices' losses — what gradient accumulation
// over the same micro-batches gives. It is deterministic for a given thread count.
import CotrainTensor

/// A copy of a model (same configuration, tokenizer and normalisation) whose values are
/// refreshed from the original before each step.
struct ModelReplica {
    let model: PolicyModel
    let tape: Tape

    init(of original: PolicyModel) throws(PolicyError) {
        model = try PolicyModel(config: original.config, tokenizer: original.tokenizer, normalization: original.normalization)
        tape = Tape(threads: 1)
        precondition(model.parameters.count == original.parameters.count, "a replica has the original's parameters")
    }

    /// Takes the original's current values and trainability, and forgets old gradients.
    func synchronise(with original: PolicyModel) {
        for (mine, theirs) in zip(model.parameters, original.parameters) {
            mine.tensor.copyValues(from: theirs.tensor)
            mine.tensor.requiresGrad = theirs.tensor.requiresGrad
            mine.zeroGrad()
        }
    }
}

extension PolicyTrainer {
    /// The smallest slice a worker gets: below this, threads split matrix products instead.
    static let minimumSlice = 4

    /// How many data-parallel workers a batch of `count` samples gets.
    func dataParallelWorkers(for count: Int) -> Int {
        min(dataParallelThreads, count / Self.minimumSlice)
    }

    /// Forward and backward of `batch` in `workers` slices (see the file comment);
    /// gradients end up in the model's parameters.
    func accumulateInSlices(_ batch: PolicyBatch, workers: Int) throws(PolicyError) -> (PolicyLosses, FlopCount) {
        try prepareReplicas(workers - 1)
        let n = batch.count, current = step
        let slices = (0..<workers).map { w in (n * w / workers)..<(n * (w + 1) / workers) }
        var results = [Result<(PolicyLosses, FlopCount), PolicyError>?](repeating: nil, count: workers)
        let model = self.model, replicas = self.replicas, seeds = (0..<workers).map { noiseSeed(step: current, microBatch: $0) }
        let weights = lossWeights, sliceTape = self.sliceTape
        results.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots  // each worker writes only its own slot
            Compute.forEachWorker(workers) { w in
                let (m, tape) = w == 0 ? (model, sliceTape) : (replicas[w - 1].model, replicas[w - 1].tape)
                let part = PolicyBatch(Array(batch.samples[slices[w]]))
                let share = Float(slices[w].count) / Float(n)
                tape.reset()
                var flops = FlopCount()
                do throws(PolicyError) {
                    let (total, losses) = try m.lossForward(tape, part, weights: weights, noiseSeed: seeds[w], flops: &flops)
                    tape.backward(tape.scale(total, share))
                    slots[w] = .success((losses, flops))
                } catch {
                    slots[w] = .failure(error)
                }
            }
        }
        var parts: [(PolicyLosses, Float)] = [], flops = FlopCount()
        for (w, result) in results.enumerated() {
            let (losses, f) = try result!.get()
            parts.append((losses, Float(slices[w].count) / Float(n)))
            flops.forward += f.forward; flops.backward += f.backward
        }
        for replica in replicas.prefix(workers - 1) {
            for (mine, theirs) in zip(model.parameters, replica.model.parameters) { mine.tensor.addGradient(from: theirs.tensor) }
        }
        return (Self.combine(parts), flops)
    }

    /// Builds replicas up to `count` and gives them the model's current values.
    func prepareReplicas(_ count: Int) throws(PolicyError) {
        while replicas.count < count { replicas.append(try ModelReplica(of: model)) }
        for replica in replicas.prefix(count) { replica.synchronise(with: model) }
    }

    /// The batch's losses from its slices': the total weighted by each slice's share,
    /// each objective averaged over the slices by the samples that fed it.
    static func combine(_ parts: [(losses: PolicyLosses, share: Float)]) -> PolicyLosses {
        var out = PolicyLosses()
        for (l, share) in parts {
            out.total += share * l.total
            out.action += l.action * Float(l.actionSamples)
            out.text += l.text * Float(l.textSamples)
            out.tokens += l.tokens * Float(l.tokenSamples)
            out.pointing += l.pointing * Float(l.pointingSamples)
            out.pointingMass += l.pointingMass * Float(l.pointingSamples)
            out.pointingAvoid += l.pointingAvoid * Float(l.pointingAvoidRows)
            out.pointingAvoidRows += l.pointingAvoidRows
            out.orientation += l.orientation * Float(l.orientationSamples)
            out.actionSamples += l.actionSamples; out.textSamples += l.textSamples; out.tokenSamples += l.tokenSamples
            out.pointingSamples += l.pointingSamples; out.orientationSamples += l.orientationSamples
        }
        if out.actionSamples > 0 { out.action /= Float(out.actionSamples) }
        if out.textSamples > 0 { out.text /= Float(out.textSamples) }
        if out.tokenSamples > 0 { out.tokens /= Float(out.tokenSamples) }
        if out.pointingSamples > 0 { out.pointing /= Float(out.pointingSamples); out.pointingMass /= Float(out.pointingSamples) }
        if out.pointingAvoidRows > 0 { out.pointingAvoid /= Float(out.pointingAvoidRows) }
        if out.orientationSamples > 0 { out.orientation /= Float(out.orientationSamples) }
        return out
    }
}
