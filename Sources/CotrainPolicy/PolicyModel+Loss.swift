// The training objectives over one mixed batch:
//   L = w_flow·L_action + w_text·L_text + w_tok·L_tok
// each a weighted mean over the samples (and tokens / action elements) that carry
// that target, with per-sample weights as masks. Parts with no target are not run at
// all, so e.g. a vision-language-only batch never touches the action expert.
import CotrainTensor

extension PolicyModel {
    /// Records the forward pass of `batch` on `tape`; returns the scalar total to
    /// differentiate and the per-objective values. Flow-matching times and noise come
    /// from `noiseSeed` (so a step is reproducible from the seed and step number).
    func lossForward(
        _ tape: Tape, _ batch: PolicyBatch, weights: LossWeights, noiseSeed: UInt64, flops: inout FlopCount
    ) throws(PolicyError) -> (total: Tensor, losses: PolicyLosses) {
        let samples = batch.samples
        guard !samples.isEmpty else { throw .emptyBatch }
        let chunks = try normalizedChunks(samples)
        let items = prefixItems(samples)
        let prefix = try encodePrefix(tape, items, slot: "train")
        if tape.isRecording { hideTrainingTokens(prefix, seed: noiseSeed ^ 0x9A7C_4D20_0B5E_77A1) }
        let (trunkOut, stem) = trunkPass(tape, prefix, flops: &flops)
        var losses = PolicyLosses()
        var parts: [(Tensor, Float)] = []
        var points: Tensor?
        var glimpse: GlimpseOutput?
        // The avoid term shares the pointer op's one target per row with the mass term.
        let avoid = weights.pointingAvoid > 0 && weights.pointingMass == 0 && (config.pointers ?? 0) >= 2
        let labels = config.pointers != nil && (weights.pointing > 0 || weights.pointingMass > 0 || avoid)
            ? pointingLabels(tape, samples, avoid: avoid) : nil
        if config.pointers != nil, let stem {
            let withTargets = weights.pointingMass > 0 || (avoid && (labels?.avoidRows ?? 0) > 0)
            let pointed = pointerForward(tape, trunk: trunkOut, stem: stem, targets: withTargets ? labels?.targets : nil, flops: &flops)
            points = pointed.points
            glimpse = glimpseForward(tape, stem: stem, points: pointed.points, slot: "train", flops: &flops)
            if let labels, let logMass = pointed.logMass {
                // −Σ w·log P / Σ w over the rows with a target.
                let loss = tape.sum(tape.mul(logMass, labels.negatedShares))
                if avoid {
                    (losses.pointingAvoid, losses.pointingAvoidRows) = (loss[0], labels.avoidRows)
                    parts.append((loss, weights.pointingAvoid))
                } else {
                    (losses.pointingMass, losses.pointingSamples) = (loss[0], labels.count)
                    parts.append((loss, weights.pointingMass))
                }
            }
        }
        if let points, let labels, weights.pointing > 0 {
            let loss = tape.mseLoss(tape.reshape(points, Shape(labels.points.shape[0], 2)), target: labels.points, weights: labels.weights)
            (losses.pointing, losses.pointingSamples) = (loss[0], labels.count)
            parts.append((loss, weights.pointing))
        }
        if weights.orientation > 0, let orientation = orientationLoss(tape, trunkOut, glimpse, samples, flops: &flops) {
            (losses.orientation, losses.orientationSamples) = (orientation.loss[0], orientation.count)
            parts.append((orientation.loss, weights.orientation))
        }
        if let text = textLoss(tape, trunkOut, prefix, samples, flops: &flops) {
            (losses.text, losses.textSamples) = (text.loss[0], text.count)
            parts.append((text.loss, weights.text))
        }
        if let action = actionLoss(tape, trunkOut, prefix, (points, glimpse), samples, chunks, noiseSeed: noiseSeed, flops: &flops) {
            (losses.action, losses.actionSamples) = (action.loss[0], action.count)
            parts.append((action.loss, weights.flow))
        }
        if let tokens = discreteLoss(tape, trunkOut, samples, chunks, flops: &flops) {
            (losses.tokens, losses.tokenSamples) = (tokens.loss[0], tokens.count)
            parts.append((tokens.loss, weights.tokens))
        }
        guard var total = parts.first.map({ tape.scale($0.0, $0.1) }) else { throw .emptyBatch }
        for (loss, w) in parts.dropFirst() { total = tape.add(total, tape.scale(loss, w)) }
        losses.total = total[0]
        return (total, losses)
    }

    /// Hides a `patchDropout` fraction of each sample's patch tokens (every camera's)
    /// and, with chance `proprioDropout`, its proprioception token from attention,
    /// drawn from `seed`; keypoint and text tokens stay.
    func hideTrainingTokens(_ prefix: EncodedPrefix, seed: UInt64) {
        let rate = config.patchDropout ?? 0, proprioRate = config.proprioDropout ?? 0
        guard rate > 0 || proprioRate > 0 else { return }
        var rng = Xoshiro256(seed: seed)
        let t = prefix.sequenceLength
        for s in 0..<prefix.batch {
            for camera in 0..<config.cameras where rate > 0 {
                let first = s * t + camera * config.cameraTokens
                for j in first..<(first + config.patchTokens) where rng.uniform(0, 1) < rate { prefix.keyMask[j] = 0 }
            }
            if proprioRate > 0, rng.uniform(0, 1) < proprioRate { prefix.keyMask[s * t + config.proprioToken] = 0 }
        }
    }

    /// The prefix of each sample: `[bos] prompt [sep] target [eos]` text and inputs.
    func prefixItems(_ samples: [PolicySample]) -> [PrefixItem] {
        samples.map { s in
            PrefixItem(
                image: s.image, wristImage: s.wristImage, embodiment: s.embodiment, proprio: s.proprio,
                text: TextLayout(prompt: tokenizer.encode(s.prompt ?? ""), target: s.target.map(tokenizer.encode),
                                 length: config.textTokens))
        }
    }

    /// Each sample's normalised chunk padded to H rows (flattened H·A) and its row
    /// validity, or nil for samples without actions.
    func normalizedChunks(_ samples: [PolicySample]) throws(PolicyError) -> [(values: [Float], valid: Int)?] {
        let h = config.chunkLength
        var out: [(values: [Float], valid: Int)?] = []
        for (s, sample) in samples.enumerated() {
            guard let rows = sample.actions else { out.append(nil); continue }
            guard let name = sample.embodiment, let spec = config.embodiment(name), let stats = normalization[name] else {
                throw .invalidInput("sample \(s): actions need a known embodiment, got \"\(sample.embodiment ?? "")\"")
            }
            guard (1...h).contains(rows.count), rows.allSatisfy({ $0.count == spec.actionDimension }) else {
                throw .invalidInput("sample \(s): actions must be 1…\(h) rows of \(spec.actionDimension) values")
            }
            var values: [Float] = []
            for r in 0..<h { values += stats.action.normalize(rows[Swift.min(r, rows.count - 1)]) }
            out.append((values, rows.count))
        }
        return out
    }

    /// Next-token cross-entropy on the target text of samples with `textWeight > 0`.
    private func textLoss(
        _ tape: Tape, _ trunkOut: Tensor, _ prefix: EncodedPrefix, _ samples: [PolicySample], flops: inout FlopCount
    ) -> (loss: Tensor, count: Int)? {
        let items = prefix.items
        let members = samples.indices.filter { samples[$0].hasText && items[$0].text.predicted > 0 }
        guard !members.isEmpty else { return nil }
        let (b, tt) = (samples.count, prefix.textLength)
        let targets = indexBuffer("train.text.targets", count: b * tt)
        let weights = tape.constant(Shape(b * tt))
        for i in 0..<(b * tt) { targets[i] = -1 }
        weights.fill(0)
        for s in members {
            let layout = items[s].text
            for k in 0..<layout.predicted {
                let position = layout.targetStart! - 1 + k
                targets[s * tt + position] = layout.ids[position + 1]
                weights[s * tt + position] = samples[s].textWeight
            }
        }
        let text = tape.sliceTokens(trunkOut, start: config.textStart, count: tt)
        let logits = linear(tape, text, textHead, &flops)
        return (tape.crossEntropy(logits, targets: targets, weights: weights), members.count)
    }

    /// Flow matching (x_t = t·noise + (1−t)·a, predict noise − a, MSE) or L1
    /// regression (predict a from zeros at t = 1) on samples with `flowWeight > 0`.
    private func actionLoss(
        _ tape: Tape, _ trunkOut: Tensor, _ prefix: EncodedPrefix, _ pointed: (points: Tensor?, glimpse: GlimpseOutput?), _ samples: [PolicySample],
        _ chunks: [(values: [Float], valid: Int)?], noiseSeed: UInt64, flops: inout FlopCount
    ) -> (loss: Tensor, count: Int)? {
        let (b, h) = (samples.count, config.chunkLength)
        let members = (0..<b).filter { samples[$0].hasActions }
        guard !members.isEmpty else { return nil }
        var rng = Xoshiro256(seed: noiseSeed)
        var time = [Float](repeating: 1, count: b)
        var noisy: [Int: [Float]] = [:], targets: [Int: [Float]] = [:]
        for s in members {
            let a = chunks[s]!.values
            if config.actionHead == .l1Regression {
                (noisy[s], targets[s]) = ([Float](repeating: 0, count: a.count), a)
                continue
            }
            let t = config.timeSampling == .beta ? rng.beta(1.5, 1) : rng.nextFloat()
            let noise = a.map { _ in rng.normal() }
            time[s] = t
            noisy[s] = zip(noise, a).map { t * $0 + (1 - t) * $1 }
            targets[s] = zip(noise, a).map { $0 - $1 }
        }
        let inputs = actionInputs(
            tape, embodimentOf: samples.map(\.embodiment), include: { samples[$0].hasActions }, fill: { s, _ in noisy[s]! })
        let context = expertContext(tape, trunk: trunkOut, prefix: prefix, points: pointed.points, glimpse: pointed.glimpse, flops: &flops)
        let features = expertForward(tape, context, inputs: inputs, time: time, flops: &flops)
        var parts: [(Tensor, Double)] = []
        for input in inputs {
            let a = input.layers.spec.actionDimension
            let prediction = linear(tape, features, input.layers.actionOut, &flops)
            let target = tape.constant(Shape(b, h, a)), rowWeights = tape.constant(Shape(b * h))
            target.fill(0)
            rowWeights.fill(0)
            var mass = 0.0
            for s in input.members {
                targets[s]!.withUnsafeBufferPointer { (target.data + s * h * a).update(from: $0.baseAddress!, count: h * a) }
                for r in 0..<chunks[s]!.valid { rowWeights[s * h + r] = samples[s].flowWeight }
                mass += Double(samples[s].flowWeight) * Double(chunks[s]!.valid * a)
            }
            let loss = config.actionHead == .l1Regression
                ? tape.l1Loss(prediction, target: target, weights: rowWeights)
                : tape.mseLoss(prediction, target: target, weights: rowWeights)
            parts.append((loss, mass))
        }
        return (weightedSum(tape, parts), members.count)
    }

    /// The samples' labelled points as pointer targets (pointer j ↔ slot j), one row per
    /// (sample, camera, pointer): `points (rows, 2)` and `weights (rows)` for the squared
    /// error; `targets (rows, 3)` — x, y and `pointingMassRadius`, 0 where unlabelled or
    /// without a radius — and `negatedShares` (−w / Σ w over the rows with a radius) for
    /// the log-mass; nil if no sample is labelled. With `avoid`, the targets are instead
    /// the object pointer's rows whose destination is labelled in that camera and more
    /// than two `pointingAvoidRadius` away from the object: the destination's point with
    /// minus that radius (the op's log-probability of landing outside it), shared
    /// equally (`avoidRows` of them).
    private func pointingLabels(
        _ tape: Tape, _ samples: [PolicySample], avoid: Bool = false
    ) -> (points: Tensor, weights: Tensor, targets: Tensor, negatedShares: Tensor, count: Int, avoidRows: Int)? {
        let (b, cams, m, slots) = (samples.count, config.cameras, config.pointers!, PolicySample.pointSlots)
        let expected = cams * slots * 3
        let members = (0..<b).filter { s in
            guard let p = samples[s].points, p.count == expected else { return false }
            return (0..<(cams * slots)).contains { p[$0 * 3 + 2] > 0 }
        }
        guard !members.isEmpty else { return nil }
        let rows = b * cams * m
        let points = tape.constant(Shape(rows, 2)), weights = tape.constant(Shape(rows))
        let targets = tape.constant(Shape(rows, 3)), shares = tape.constant(Shape(rows))
        for t in [points, weights, targets, shares] { t.fill(0) }
        var total: Float = 0, massRows = 0
        for s in members {
            let p = samples[s].points!
            for camera in 0..<cams {
                for j in 0..<Swift.min(m, slots) {
                    let label = (camera * slots + j) * 3, row = (s * cams + camera) * m + j
                    (points[2 * row], points[2 * row + 1], weights[row]) = (p[label], p[label + 1], p[label + 2])
                    if avoid {
                        let destination = (camera * slots + 1) * 3, radius = pointingAvoidRadius(camera: camera)
                        guard j == 0, slots > 1, p[label + 2] > 0, p[destination + 2] > 0 else { continue }
                        let (dx, dy) = (p[label] - p[destination], p[label + 1] - p[destination + 1])
                        guard dx * dx + dy * dy > 4 * radius * radius else { continue }
                        (targets[3 * row], targets[3 * row + 1], targets[3 * row + 2]) = (p[destination], p[destination + 1], -radius)
                        massRows += 1
                        continue
                    }
                    let radius = pointingMassRadius(camera: camera, pointer: j)
                    guard p[label + 2] > 0, radius > 0 else { continue }
                    (targets[3 * row], targets[3 * row + 1], targets[3 * row + 2]) = (p[label], p[label + 1], radius)
                    total += p[label + 2]
                    massRows += 1
                }
            }
        }
        if avoid {
            for row in 0..<rows where targets[3 * row + 2] < 0 { shares[row] = -1 / Float(massRows) }
        } else if massRows > 0 {
            for row in 0..<rows where targets[3 * row + 2] > 0 { shares[row] = -weights[row] / total }
        }
        return (points, weights, targets, shares, members.count, avoid ? massRows : 0)
    }

    /// The disc around the destination's labelled point the pointing-avoid loss keeps the
    /// object pointer out of, in image coordinates: 5/64 of the image's width in the main
    /// camera (a bowl is about 15 of 64 pixels wide there), twice that in the wrist camera.
    func pointingAvoidRadius(camera: Int) -> Float {
        Float(camera == 0 ? 5 : 10) * 2 / 64
    }

    /// How near its labelled point a pointer's probability counts for the pointing-mass
    /// loss, in image coordinates ([−1, 1] across): 2 pixels in the main camera, where
    /// an object is 2–3 pixels wide, 4 in the wrist camera, where it is 8 or more. (Only
    /// the main camera's object pointer was measured too: no better, docs/study.md, tenth
    /// round.)
    func pointingMassRadius(camera: Int, pointer: Int) -> Float {
        Float(camera == 0 ? 2 : 4) * 2 / Float(config.imageSize)
    }

    /// Squared error of the orientation head's (cos ψ, sin ψ) against the labelled
    /// samples' (`PolicySample.orientation`), mean over the labelled samples.
    private func orientationLoss(
        _ tape: Tape, _ trunk: Tensor, _ glimpse: GlimpseOutput?, _ samples: [PolicySample], flops: inout FlopCount
    ) -> (loss: Tensor, count: Int)? {
        guard orientationHead != nil else { return nil }
        let members = samples.indices.filter { samples[$0].orientation?.count == 2 }
        guard !members.isEmpty else { return nil }
        let b = samples.count
        let predicted = tape.reshape(orientationForward(tape, trunk: trunk, glimpse: glimpse, flops: &flops)!, Shape(b, 2))
        let target = tape.constant(Shape(b, 2)), weights = tape.constant(Shape(b))
        target.fill(0)
        weights.fill(0)
        for s in members {
            let label = samples[s].orientation!
            (target[2 * s], target[2 * s + 1], weights[s]) = (label[0], label[1], 1)
        }
        return (tape.mseLoss(predicted, target: target, weights: weights), members.count)
    }

    /// Discrete-token ablation: each action dimension binned into `discreteBins`
    /// classes and predicted from the pooled trunk output plus a step embedding.
    private func discreteLoss(
        _ tape: Tape, _ trunkOut: Tensor, _ samples: [PolicySample], _ chunks: [(values: [Float], valid: Int)?],
        flops: inout FlopCount
    ) -> (loss: Tensor, count: Int)? {
        let (b, h, c, bins) = (samples.count, config.chunkLength, config.width, config.discreteBins)
        guard bins > 0, let steps = discreteSteps, let norm = discreteNorm else { return nil }
        let members = (0..<b).filter { samples[$0].hasTokens }
        guard !members.isEmpty else { return nil }
        let zero = tape.constant(Shape(b, h, c))
        zero.fill(0)
        let pooled = tape.meanTokens(trunkOut)
        let query = layerNorm(tape, tape.broadcastAdd(
            tape.broadcastAdd(zero, steps.tensor, repeats: b), pooled, outer: b, repeats: h), norm)
        var parts: [(Tensor, Double)] = []
        for spec in config.embodiments {
            let group = members.filter { samples[$0].embodiment == spec.name }
            guard !group.isEmpty, let head = embodiments[spec.name]?.discrete else { continue }
            let a = spec.actionDimension
            let logits = tape.reshape(linear(tape, query, head, &flops), Shape(b * h * a, bins))
            let targets = indexBuffer("train.discrete.\(spec.name)", count: b * h * a)
            let weights = tape.constant(Shape(b * h * a))
            for i in 0..<(b * h * a) { targets[i] = -1 }
            weights.fill(0)
            var mass = 0.0
            for s in group {
                let (values, valid) = chunks[s]!
                for i in 0..<(valid * a) {
                    targets[s * h * a + i] = Int32(DiscreteActions.bin(values[i], bins: bins))
                    weights[s * h * a + i] = samples[s].tokenWeight
                }
                mass += Double(samples[s].tokenWeight) * Double(valid * a)
            }
            parts.append((tape.crossEntropy(logits, targets: targets, weights: weights), mass))
        }
        return parts.isEmpty ? nil : (weightedSum(tape, parts), members.count)
    }

    /// Σ (mass_i / Σ mass) · loss_i: the mean over all weighted elements of all parts.
    private func weightedSum(_ tape: Tape, _ parts: [(Tensor, Double)]) -> Tensor {
        let total = parts.reduce(0) { $0 + $1.1 }
        var sum: Tensor?
        for (loss, mass) in parts {
            let scaled = parts.count == 1 ? loss : tape.scale(loss, Float(mass / Swift.max(total, 1e-30)))
            sum = sum.map { tape.add($0, scaled) } ?? scaled
        }
        return sum!
    }
}

/// Binning of normalised actions for the discrete-token ablation.
public enum DiscreteActions {
    /// The bin of a normalised value: [−1, 1] split into `bins` equal bins (values
    /// beyond ±1 go to the end bins).
    public static func bin(_ y: Float, bins: Int) -> Int {
        let u = (Swift.min(Swift.max(y, -1), 1) + 1) / 2
        return Swift.min(bins - 1, Int(u * Float(bins)))
    }

    /// The centre of `bin` in normalised units.
    public static func center(_ bin: Int, bins: Int) -> Float {
        (Float(bin) + 0.5) / Float(bins) * 2 - 1
    }
}
