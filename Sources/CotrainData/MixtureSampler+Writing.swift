// Writing one sample into a batch row: images copied once from the mapped episode or
// the VL sample; proprio and action chunks copied then normalised in place with the
// episode's own source statistics; padding and masks past the episode's end.
import CotrainSim

extension MixtureSampler {
    /// Prompt and target of VL text task `choice`: caption, then questions, then
    /// referring expressions (see docs/recipes.md).
    static func vlText(_ sample: VLSample, choice: Int) -> (prompt: String, target: String) {
        var k = choice
        if !sample.caption.isEmpty {
            if k == 0 { return ("describe the image.", sample.caption) }
            k -= 1
        }
        if k < sample.qa.count { return (sample.qa[k].question, sample.qa[k].answer) }
        k -= sample.qa.count
        if k < sample.referring.count { return ("name \(sample.referring[k].expression).", sample.referring[k].target) }
        return ("describe the image.", sample.caption)
    }

    /// The point a VL pointing answer names, in the policy's [−1, 1] image coordinates:
    /// a question of type "point" answered "x C y R", a cell of the
    /// `SceneDescription.pointGrid`² grid over the image (its centre). nil for other
    /// tasks or answers that do not parse.
    static func vlPoint(_ sample: VLSample, choice: Int) -> (Float, Float)? {
        let k = choice - (sample.caption.isEmpty ? 0 : 1)
        guard k >= 0, k < sample.qa.count, sample.qa[k].type == "point" else { return nil }
        let words = sample.qa[k].answer.split(separator: " ")
        let grid = SceneDescription.pointGrid
        guard words.count == 4, words[0] == "x", words[2] == "y", let cx = Int(words[1]), let cy = Int(words[3]),
              (0..<grid).contains(cx), (0..<grid).contains(cy) else { return nil }
        return ((Float(cx) + 0.5) / Float(grid) * 2 - 1, (Float(cy) + 0.5) / Float(grid) * 2 - 1)
    }

    func writeVL(_ ref: SampleRef, row: Int, into batch: inout TrainingBatch) {
        let sample = data.vlSamples[ref.item]
        let pixels = batch.imageSize * batch.imageSize * 3
        precondition(sample.image.pixels.count == pixels, "VL image size differs from the model's input size")
        batch.images.withUnsafeMutableBufferPointer { out in
            sample.image.pixels.withUnsafeBufferPointer { src in
                _ = UnsafeMutableBufferPointer(rebasing: out[(row * pixels)..<((row + 1) * pixels)]).update(fromContentsOf: src)
            }
        }
        clearNumbers(row: row, in: &batch)
        batch.hasWrist[row] = false
        let (prompt, target) = Self.vlText(sample, choice: ref.textChoice)
        if let (x, y) = Self.vlPoint(sample, choice: ref.textChoice) {
            (batch.points[row * batch.pointWidth], batch.points[row * batch.pointWidth + 1], batch.points[row * batch.pointWidth + 2]) = (x, y, 1)
        }
        batch.proprioDims[row] = 0; batch.actionDims[row] = 0
        batch.embodiments[row] = nil; batch.sources[row] = .vl; batch.losses[row] = .text
        batch.prompts[row] = prompt; batch.textTargets[row] = target
        batch.annotations[row] = nil; batch.reasonings[row] = nil
    }

    /// The main camera's labels, and the wrist camera's when the row has its image; a
    /// label that is not finite or lies outside the image gets weight 0.
    static func copyPoints(_ episode: StoredEpisode, step: Int, row: Int, wrist: Bool, into batch: inout TrainingBatch) {
        var labels = [Float](repeating: 0, count: episode.pointWidth)
        labels.withUnsafeMutableBufferPointer { episode.copyPoints(step: step, to: $0.baseAddress!) }
        let perCamera = SimEnvironment.pointSlots * 3
        let cameras = min(batch.pointWidth, wrist ? labels.count : perCamera) / perCamera
        for i in 0..<(cameras * SimEnvironment.pointSlots) {
            let (x, y, w) = (labels[3 * i], labels[3 * i + 1], labels[3 * i + 2])
            let ok = x.isFinite && y.isFinite && abs(x) <= 1 && abs(y) <= 1 && w == 1
            let o = row * batch.pointWidth + 3 * i
            (batch.points[o], batch.points[o + 1], batch.points[o + 2]) = ok ? (x, y, 1) : (0, 0, 0)
        }
    }

    /// The orientation label of the object to move, for rows with the wrist image it is
    /// seen in; a label that is not a finite unit vector gets weight 0.
    static func copyOrientation(_ episode: StoredEpisode, step: Int, row: Int, into batch: inout TrainingBatch) {
        var label: [Float] = [0, 0, 0]
        label.withUnsafeMutableBufferPointer { episode.copyOrientation(step: step, to: $0.baseAddress!) }
        let (c, s) = (label[0], label[1])
        let ok = label[2] == 1 && c.isFinite && s.isFinite && abs(c * c + s * s - 1) < 1e-3
        let o = row * SimEnvironment.orientationWidth
        (batch.orientation[o], batch.orientation[o + 1], batch.orientation[o + 2]) = ok ? (c, s, 1) : (0, 0, 0)
    }

    func writeEpisode(_ ref: SampleRef, row: Int, losses: LossSet, into batch: inout TrainingBatch) {
        let pool = data.pools[ref.source]!
        let episode = pool.episodes[ref.item], stats = pool.stats[ref.item]
        let m = episode.metadata
        let t = ref.step, chunk = batch.chunk, pw = batch.proprioWidth, aw = batch.actionWidth
        let p = m.proprioDimension, a = m.actionDimension
        let pixels = batch.imageSize * batch.imageSize * 3
        precondition(m.imageWidth == batch.imageSize && m.imageHeight == batch.imageSize, "episode image size differs from the model's input size")
        clearNumbers(row: row, in: &batch)
        batch.images.withUnsafeMutableBytes { out in episode.copyImage(step: t, to: out.baseAddress! + row * pixels) }
        batch.hasWrist[row] = !batch.wristImages.isEmpty && episode.hasWristImages
        if batch.hasWrist[row] {
            batch.wristImages.withUnsafeMutableBytes { out in episode.copyWristImage(step: t, to: out.baseAddress! + row * pixels) }
        }
        if episode.hasPoints { Self.copyPoints(episode, step: t, row: row, wrist: batch.hasWrist[row], into: &batch) }
        if episode.hasOrientation && batch.hasWrist[row] { Self.copyOrientation(episode, step: t, row: row, into: &batch) }
        batch.proprio.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress! + row * pw
            episode.copyProprio(step: t, to: base)
            for d in 0..<p { base[d] = stats.proprio.normalise(base[d], dimension: d) }
        }
        let valid = min(chunk, m.steps - t)
        let wantsActions = losses.contains(.action) || losses.contains(.discreteAction)
        if wantsActions {
            let bins = recipe.model.actionBins
            batch.actions.withUnsafeMutableBufferPointer { out in
                for h in 0..<valid {
                    let base = out.baseAddress! + (row * chunk + h) * aw
                    episode.copyActions(step: t + h, count: 1, to: base)
                    for d in 0..<a { base[d] = stats.actions.normalise(base[d], dimension: d) }
                }
            }
            for h in 0..<valid { batch.actionMask[row * chunk + h] = 1 }
            if losses.contains(.discreteAction) {
                for h in 0..<valid {
                    for d in 0..<a {
                        let i = (row * chunk + h) * aw + d
                        batch.actionTokens[i] = Self.token(batch.actions[i], bins: bins)
                    }
                }
            }
        }
        let note = m.annotations[t]
        batch.proprioDims[row] = p
        batch.actionDims[row] = wantsActions ? a : 0
        batch.embodiments[row] = m.embodiment
        batch.sources[row] = ref.source
        batch.losses[row] = losses
        batch.prompts[row] = m.instruction
        batch.annotations[row] = losses.contains(.annotation) ? note : nil
        batch.reasonings[row] = losses.contains(.reasoning) ? note : nil
        batch.textTargets[row] = losses.contains(.text) ? note : nil
    }

    /// The discrete token of a normalised value: `bins` uniform bins over [−1, 1]; values
    /// beyond (up to the ±1.5 clip) fall into the end bins.
    @inline(__always)
    public static func token(_ value: Float, bins: Int) -> Int32 {
        let bin = Int(((value + 1) * 0.5 * Float(bins)).rounded(.down))
        return Int32(min(bins - 1, max(0, bin)))
    }

    /// Zeroes a row's proprio, actions and mask and marks its tokens unused.
    private func clearNumbers(row: Int, in batch: inout TrainingBatch) {
        let chunk = batch.chunk, pw = batch.proprioWidth, aw = batch.actionWidth
        batch.proprio.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[(row * pw)..<((row + 1) * pw)]).update(repeating: 0) }
        batch.actions.withUnsafeMutableBufferPointer {
            UnsafeMutableBufferPointer(rebasing: $0[(row * chunk * aw)..<((row + 1) * chunk * aw)]).update(repeating: 0)
        }
        batch.actionTokens.withUnsafeMutableBufferPointer {
            UnsafeMutableBufferPointer(rebasing: $0[(row * chunk * aw)..<((row + 1) * chunk * aw)]).update(repeating: -1)
        }
        batch.actionMask.withUnsafeMutableBufferPointer {
            UnsafeMutableBufferPointer(rebasing: $0[(row * chunk)..<((row + 1) * chunk)]).update(repeating: 0)
        }
        let w = batch.pointWidth
        batch.points.withUnsafeMutableBufferPointer { UnsafeMutableBufferPointer(rebasing: $0[(row * w)..<((row + 1) * w)]).update(repeating: 0) }
        let ow = SimEnvironment.orientationWidth
        batch.orientation.withUnsafeMutableBufferPointer {
            UnsafeMutableBufferPointer(rebasing: $0[(row * ow)..<((row + 1) * ow)]).update(repeating: 0)
        }
    }
}
