// How a fresh policy's image pathway starts. The model's own initialisation (GPT-2
// style, N(0, 0.02)) leaves tiny objects nearly invisible: a 2×2-pixel object changes
// its patch token by a few percent of the table's, every attention starts uniform over
// ~100 tokens, and learned positions start as noise. Measured on a synthetic task (regress
// the position of a 2×2 red square on a uniform table, width 64, 2 layers, batch 32),
// that model stays at the mean prediction after 3000 steps (R² ≈ 0); with the four
// changes below together it reaches R² 0.92 within 600 steps, and dropping any one of
// them puts it back at R² ≈ 0. The objects of the simulator's 64×64 scenes are 2–3 pixels.
import CotrainPolicy
import Foundation

extension Trainer {
    /// Re-initialises a fresh model's image pathway (deterministically):
    ///
    /// 1. patch positions: a fixed 2-D sine–cosine pattern (as MAE), so neighbouring
    ///    patches start alike and a location is linearly readable from the first step;
    /// 2. patch embedding: scaled to standard deviation 2.2/√features (about 8× the
    ///    default for 8×8 patches), so small objects move their token;
    /// 3. patch bias: minus the embedding of the mean patch of `images` (of the stem's
    ///    output when the model has a convolutional stem), so the table maps to about
    ///    zero and objects stand out;
    /// 4. attention projections that read the image (trunk q/k/v, expert q and
    ///    context keys/values): scaled 8×, so attention can single out one patch.
    ///
    /// Every parameter stays trainable; a model initialised from a checkpoint or resumed
    /// is left alone.
    static func initialiseVision(_ model: PolicyModel, images: [[UInt8]]) throws {
        let config = model.config
        var updates = [imagePositions(config)]
        let features = config.patchFeatures
        guard let weight = model.parameter("shared.image.patch.weight") else { return }
        let scale = 2.2 / Float(features).squareRoot() / 0.02
        let w = weight.tensor.values.map { $0 * scale }
        updates.append(NamedTensor(name: weight.name, shape: weight.shape.dims, values: w))
        let stemImages = Array(images.prefix(64).filter { $0.count == config.imageSize * config.imageSize * 3 })
        let mean = config.stemChannels == nil
            ? meanPatch(images, config: config)
            : model.meanStemPatch(stemImages) ?? [Float](repeating: 0, count: features)
        let bias = (0..<config.width).map { r in -(0..<features).reduce(Float(0)) { $0 + w[r * features + $1] * mean[$1] } }
        updates.append(NamedTensor(name: "shared.image.patch.bias", shape: [config.width], values: bias))
        for p in model.parameters where p.name.hasSuffix(".attn.qkv.weight") || p.name.hasSuffix(".attn.q.weight") || p.name.hasSuffix(".attn.context_kv.weight") {
            updates.append(NamedTensor(name: p.name, shape: p.shape.dims, values: p.tensor.values.map { $0 * 8 }))
        }
        try model.apply(updates)
    }

    /// The images of the first four batches the sampler draws (what training sees first).
    static func sampleImages(recipe: Recipe, data: TrainingData) throws -> [[UInt8]] {
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        let pixels = batch.imageSize * batch.imageSize * 3
        var images: [[UInt8]] = []
        for step in 0..<min(4, recipe.totalSteps) {
            sampler.fill(&batch, step: step)
            for row in 0..<batch.count { images.append(Array(batch.images[(row * pixels)..<((row + 1) * pixels)])) }
        }
        return images
    }

    /// The mean flattened patch (`(dy, dx, channel)` order, pixels as x/127.5 − 1).
    static func meanPatch(_ images: [[UInt8]], config: PolicyConfig) -> [Float] {
        let (side, p) = (config.imageSize, config.patchSize)
        let grid = side / p
        var sum = [Double](repeating: 0, count: config.patchFeatures)
        var count = 0
        for image in images where image.count == side * side * 3 {
            for py in 0..<grid {
                for px in 0..<grid {
                    var o = 0
                    for dy in 0..<p {
                        for dx in 0..<p {
                            for ch in 0..<3 {
                                sum[o] += Double(image[((py * p + dy) * side + px * p + dx) * 3 + ch]) / 127.5 - 1
                                o += 1
                            }
                        }
                    }
                    count += 1
                }
            }
        }
        return sum.map { Float($0 / Double(max(count, 1))) }
    }

    /// Patch positions as a 2-D sine–cosine pattern: half the width encodes the
    /// patch row, half the column, each as sin/cos at geometrically spaced frequencies.
    /// A wrist camera's patches continue the rows below the main camera's grid, so the
    /// two cameras' patches never share a position.
    static func imagePositions(_ config: PolicyConfig) -> NamedTensor {
        let side = config.imageSize / config.patchSize, c = config.width, quarter = max(1, c / 4)
        // Rows past each camera's patches (a stem's keypoint tokens) start at zero.
        var values = [Float](repeating: 0, count: config.imageTokens * c)
        for camera in 0..<config.cameras {
            for row in 0..<side {
                for column in 0..<side {
                    let base = (camera * config.cameraTokens + row * side + column) * c
                    for k in 0..<quarter {
                        let omega = 1 / pow(10_000, Double(k) / Double(quarter))
                        for (axis, position) in [(0, Double(camera * side + row)), (1, Double(column))] {
                            let offset = base + axis * 2 * quarter + k
                            guard offset + quarter < base + c else { continue }
                            values[offset] = Float(sin(position * omega))
                            values[offset + quarter] = Float(cos(position * omega))
                        }
                    }
                }
            }
        }
        return NamedTensor(name: "shared.image.positions", shape: [config.imageTokens, c], values: values)
    }
}
