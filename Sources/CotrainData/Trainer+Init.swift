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
        let mean = config.stemChannels == nil ? meanPatch(images, config: config) : try meanStemPatch(images, model: model)
        let bias = (0..<config.width).map { r in -(0..<features).reduce(Float(0)) { $0 + w[r * features + $1] * mean[$1] } }
        updates.append(NamedTensor(name: "shared.image.patch.bias", shape: [config.width], values: bias))
        for p in model.parameters where p.name.hasSuffix(".attn.qkv.weight") || p.name.hasSuffix(".attn.q.weight") || p.name.hasSuffix(".attn.context_kv.weight") {
            updates.append(NamedTensor(name: p.name, shape: p.shape.dims, values: p.tensor.values.map { $0 * 8 }))
        }
        try model.apply(updates)
    }

    /// The mean flattened patch of stem outputs (`(dy, dx, channel)` order) over at most
    /// 64 of `images`: the same 3×3 convolution and GELU the model computes.
    static func meanStemPatch(_ images: [[UInt8]], model: PolicyModel) throws -> [Float] {
        let config = model.config
        guard let channels = config.stemChannels, let weight = model.parameter("shared.image.stem.weight"),
            let bias = model.parameter("shared.image.stem.bias")
        else { throw TrainerError.policy("the model has no convolutional stem") }
        let (side, p, k) = (config.imageSize, config.patchSize, PolicyConfig.stemInputs)
        let w = weight.tensor.values, b = bias.tensor.values
        var sum = [Double](repeating: 0, count: p * p * channels)
        var count = 0
        var window = [Float](repeating: 0, count: k)
        for image in images.prefix(64) where image.count == side * side * 3 {
            for y in 0..<side {
                for x in 0..<side {
                    var o = 0
                    for ky in -1...1 {
                        for kx in -1...1 {
                            let (yy, xx) = (y + ky, x + kx)
                            let inside = yy >= 0 && yy < side && xx >= 0 && xx < side
                            for ch in 0..<3 {
                                window[o] = inside ? Float(image[(yy * side + xx) * 3 + ch]) / 127.5 - 1 : 0
                                o += 1
                            }
                        }
                    }
                    let slot = ((y % p) * p + x % p) * channels
                    for c in 0..<channels {
                        var v = b[c]
                        for i in 0..<k { v += w[c * k + i] * window[i] }
                        let u = 0.797_884_56 * (v + 0.044_715 * v * v * v)
                        sum[slot + c] += Double(0.5 * v * (1 + tanh(u)))
                    }
                }
            }
            count += (side / p) * (side / p)
        }
        return sum.map { Float($0 / Double(max(count, 1))) }
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
    static func imagePositions(_ config: PolicyConfig) -> NamedTensor {
        let side = config.imageSize / config.patchSize, c = config.width, quarter = max(1, c / 4)
        // Rows past the patches (the keypoint token of a stem) start at zero.
        var values = [Float](repeating: 0, count: config.imageTokens * c)
        for row in 0..<side {
            for column in 0..<side {
                let base = (row * side + column) * c
                for k in 0..<quarter {
                    let omega = 1 / pow(10_000, Double(k) / Double(quarter))
                    for (axis, position) in [(0, Double(row)), (1, Double(column))] {
                        let offset = base + axis * 2 * quarter + k
                        guard offset + quarter < base + c else { continue }
                        values[offset] = Float(sin(position * omega))
                        values[offset + quarter] = Float(cos(position * omega))
                    }
                }
            }
        }
        return NamedTensor(name: "shared.image.positions", shape: [config.imageTokens, c], values: values)
    }
}
