// The prefix: image patches, one proprioception token and the text, run through the
// trunk with a prefix-LM mask (prefix tokens see each other; target tokens are causal).
import CotrainTensor

/// What the prefix of one sample holds, before encoding into tensors.
struct PrefixItem {
    var image: [UInt8]?
    /// The wrist camera's image (read only by models with `wristCamera`).
    var wristImage: [UInt8]? = nil
    var embodiment: String?
    /// Proprioception in the robot's units.
    var proprio: [Float]?
    var text: TextLayout
}

/// The prefix of a batch as tensors (arena tensors of the tape that encoded them).
struct EncodedPrefix {
    let batch: Int
    /// Text slots kept: `textTokens` in training (fixed shapes, so the tape reuses its
    /// buffers); at inference the longest used text rounded up to 4 (trailing padding
    /// is dropped, which changes nothing but the cost: padding is hidden from attention).
    let textLength: Int
    /// Tokens in the trunk: image, proprioception, `textLength` text.
    let sequenceLength: Int
    /// Per sample and camera (`B·cameras` rows, main camera first): `(·, patchTokens,
    /// patchFeatures)` pixels in [−1, 1]; with a stem, the `(·, patchTokens·patchSize²,
    /// 27)` 3×3×3 neighbourhoods of every pixel, patch by patch (see
    /// `PolicyModel.fillNeighbourhoods`).
    let patches: Tensor
    /// `B·textLength` ids.
    let tokens: IndexTensor
    /// `(B, T)`: 1 for tokens that exist (image present, proprio present, non-padding text).
    let keyMask: Tensor
    /// `(B, T, T)` prefix-LM mask, nil if no sample has target text.
    let additive: Tensor?
    /// Normalised proprioception per embodiment present: `(B,1,S)` (zeros for other
    /// samples) and the `(B,1,C)` sample mask.
    let states: [(layers: EmbodimentLayers, state: Tensor, mask: Tensor?)]
    let items: [PrefixItem]
}

extension PolicyModel {
    /// Encodes `items` into tensors on `tape` (validating sizes and embodiments); with
    /// `trim`, drops the text slots that are padding in every item.
    func encodePrefix(_ tape: Tape, _ items: [PrefixItem], slot: String, trim: Bool = false) throws(PolicyError) -> EncodedPrefix {
        let (b, cfg) = (items.count, config)
        let tt = trim ? Swift.min(cfg.textTokens, ((items.map(\.text.used).max() ?? 1) + 3) / 4 * 4) : cfg.textTokens
        let (t, c, cams) = (cfg.imageTokens + 1 + tt, cfg.width, cfg.cameras)
        let patches = cfg.stemChannels == nil
            ? tape.constant(Shape(b * cams, cfg.patchTokens, cfg.patchFeatures))
            : tape.constant(Shape(b * cams, cfg.patchTokens * cfg.patchSize * cfg.patchSize, PolicyConfig.stemInputs))
        let perImage = patches.count / (b * cams)
        let keyMask = tape.constant(Shape(b, t))
        keyMask.fill(0)
        let tokens = indexBuffer(slot + ".tokens", count: b * tt)
        let side = cfg.imageSize, grid = side / cfg.patchSize, p = cfg.patchSize
        for (s, item) in items.enumerated() {
            for camera in 0..<cams {
                let base = patches.data + (s * cams + camera) * perImage
                guard let image = camera == 0 ? item.image : item.wristImage else {
                    base.update(repeating: 0, count: perImage)
                    continue
                }
                guard image.count == side * side * 3 else {
                    let which = camera == 0 ? "image" : "wrist image"
                    throw .invalidInput("sample \(s): \(which) has \(image.count) bytes, expected \(side)×\(side)×3 = \(side * side * 3)")
                }
                if cfg.stemChannels != nil {
                    Self.fillNeighbourhoods(image, side: side, patch: p, into: base)
                } else {
                    image.withUnsafeBufferPointer { px in
                        var o = 0
                        for py in 0..<grid { for pxi in 0..<grid { for dy in 0..<p { for dx in 0..<p { for ch in 0..<3 {
                            base[o] = Float(px[((py * p + dy) * side + pxi * p + dx) * 3 + ch]) / 127.5 - 1
                            o += 1
                        } } } } }
                    }
                }
                let first = camera * cfg.cameraTokens
                for j in first..<(first + cfg.cameraTokens) { keyMask[s * t + j] = 1 }
            }
            if item.proprio != nil { keyMask[s * t + cfg.proprioToken] = 1 }
            for j in 0..<tt { tokens[s * tt + j] = item.text.ids[j] }
            for j in 0..<item.text.used { keyMask[s * t + cfg.textStart + j] = 1 }
        }
        var additive: Tensor?
        if items.contains(where: { $0.text.predicted > 0 }) {
            let mask = tape.constant(Shape(b, t, t))
            for (s, item) in items.enumerated() {
                let start = item.text.predicted > 0 ? cfg.textStart + item.text.targetStart! : t
                let m = mask.data + s * t * t
                for i in 0..<t {
                    for j in 0..<t { m[i * t + j] = j < start || (i >= start && j <= i) ? 0 : -.infinity }
                }
            }
            additive = mask
        }
        return EncodedPrefix(
            batch: b, textLength: tt, sequenceLength: t, patches: patches, tokens: tokens, keyMask: keyMask, additive: additive,
            states: try encodeStates(tape, items, width: c), items: items)
    }

    /// Normalised proprioception tensors, one per embodiment present in `items`.
    private func encodeStates(
        _ tape: Tape, _ items: [PrefixItem], width c: Int
    ) throws(PolicyError) -> [(layers: EmbodimentLayers, state: Tensor, mask: Tensor?)] {
        var result: [(layers: EmbodimentLayers, state: Tensor, mask: Tensor?)] = []
        for spec in config.embodiments {
            let members = items.indices.filter { items[$0].embodiment == spec.name && items[$0].proprio != nil }
            guard !members.isEmpty, let layers = embodiments[spec.name], let stats = normalization[spec.name] else { continue }
            let state = tape.constant(Shape(items.count, 1, spec.stateDimension))
            state.fill(0)
            for s in members {
                let raw = items[s].proprio!
                guard raw.count == spec.stateDimension else {
                    throw .invalidInput("sample \(s): proprio has \(raw.count) values, \(spec.name) needs \(spec.stateDimension)")
                }
                let y = stats.state.normalize(raw)
                for j in 0..<spec.stateDimension { state[s * spec.stateDimension + j] = y[j] }
            }
            result.append((layers, state, sampleMask(tape, members: members, batch: items.count, rows: 1, width: c)))
        }
        for (s, item) in items.enumerated() where item.embodiment != nil || item.proprio != nil {
            guard let name = item.embodiment, config.embodiment(name) != nil else {
                throw .invalidInput("sample \(s): unknown or missing embodiment \"\(item.embodiment ?? "")\" (model has \(config.embodiments.map(\.name)))")
            }
        }
        return result
    }

    /// A `(B, rows, C)` 0/1 mask selecting `members`. Applied even when every sample is
    /// a member, so the recorded op sequence (and the tape's buffers) does not depend
    /// on the batch's composition.
    func sampleMask(_ tape: Tape, members: [Int], batch: Int, rows: Int, width: Int) -> Tensor? {
        let mask = tape.constant(Shape(batch, rows, width))
        mask.fill(0)
        for s in members { (mask.data + s * rows * width).update(repeating: 1, count: rows * width) }
        return mask
    }

    /// The trunk over the encoded prefix → final-normed features `(B, T, C)`.
    func trunkForward(_ tape: Tape, _ x: EncodedPrefix, flops: inout FlopCount) -> Tensor {
        trunkPass(tape, x, flops: &flops).tokens
    }

    /// The trunk's features and, with a stem, the stem's `(B·cameras, pixels, K)` map
    /// (which the pointers read).
    func trunkPass(_ tape: Tape, _ x: EncodedPrefix, flops: inout FlopCount) -> (tokens: Tensor, stem: Tensor?) {
        let (b, c) = (x.batch, config.width)
        // Every camera of every sample is one row of the image encoder (B·cameras rows,
        // main camera first); its tokens are then laid out camera after camera.
        let rows = b * config.cameras
        var img: Tensor
        var keypointToken: Tensor?
        var stemMap: Tensor?
        if let stem {
            // 3×3 convolution as a linear map of neighbourhoods; the rows of one patch are
            // consecutive, so the reshape lays each patch's pixels × channels out as its
            // feature vector.
            let features = tape.gelu(linear(tape, x.patches, stem, &flops))
            stemMap = features
            img = linear(tape, tape.reshape(features, Shape(rows, config.patchTokens, config.patchFeatures)), patch, &flops)
            let points = tape.spatialSoftmax(features, coordinates: keypointCoordinates!, beta: keypointBeta!.tensor)
            // (rows, 1, 2k) coordinates → (rows, 1, k·C) → k tokens of width C.
            let k = config.stemChannels!
            img = tape.concatTokens(img, tape.reshape(linear(tape, points, keypoints!, &flops), Shape(rows, k, config.width)))
            // The same coordinates, every camera's, also go straight into the state token:
            // "where the arm is and where each keypoint is" in one token, the input of the
            // classic keypoint visuomotor policies (Levine et al. 2016), one attention hop
            // from the action expert.
            keypointToken = linear(tape, tape.reshape(points, Shape(b, 1, 2 * k * config.cameras)), keypointState!, &flops)
        } else {
            img = linear(tape, x.patches, patch, &flops)
        }
        if config.cameras > 1 { img = tape.reshape(img, Shape(b, config.imageTokens, config.width)) }
        img = tape.broadcastAdd(img, imagePositions.tensor, repeats: b)
        var prop: Tensor?
        for (layers, state, mask) in x.states {
            var token = linear(tape, state, layers.proprio, &flops)
            if let mask { token = tape.mul(token, mask) }
            prop = prop.map { tape.add($0, token) } ?? token
        }
        var proprio = prop ?? {
            let zero = tape.constant(Shape(b, 1, c))
            zero.fill(0)
            return zero
        }()
        if let keypointToken { proprio = tape.add(proprio, keypointToken) }
        var text = tape.embedding(textEmbedding.tensor, indices: x.tokens, shape: Shape(b, x.textLength, c))
        var positions = textPositions.tensor
        if x.textLength < config.textTokens {
            positions = tape.sliceTokens(tape.reshape(positions, Shape(1, config.textTokens, c)), start: 0, count: x.textLength)
        }
        text = tape.broadcastAdd(text, positions, repeats: b)
        var h = tape.concatTokens(tape.concatTokens(img, proprio), text)
        let mask = AttentionMask(keyMask: x.keyMask, additive: x.additive)
        for block in trunk {
            let qkv = linear(tape, layerNorm(tape, h, block.norm1), block.qkv, &flops)
            flops.attention(batch: b, queries: x.sequenceLength, keys: x.sequenceLength, width: c, tape: tape)
            let att = tape.selfAttention(qkv: qkv, heads: config.heads, mask: mask)
            h = tape.add(h, linear(tape, att, block.proj, &flops))
            let up = tape.gelu(linear(tape, layerNorm(tape, h, block.norm2), block.fc, &flops))
            h = tape.add(h, linear(tape, up, block.out, &flops))
        }
        return (layerNorm(tape, h, trunkNorm), stemMap)
    }

    /// The pointers' points `(B, 1, pointerOutputs)`: queries from the trunk's state
    /// token (which has read the instruction) weight the stem's channels at every pixel
    /// and the trunk's output at the pixel's patch (context the 3×3 stem lacks: a bowl
    /// and a cube of one colour look alike to it); a soft-argmax over each camera's
    /// weighted map gives (x, y) in [−1, 1], camera by camera, pointer by pointer.
    /// With `targets` (`pointingLabels`), also each pointer's log-mass near its label.
    func pointerForward(
        _ tape: Tape, trunk: Tensor, stem: Tensor, targets: Tensor? = nil, flops: inout FlopCount
    ) -> (points: Tensor, logMass: Tensor?) {
        let (b, cams, c) = (trunk.shape[0], config.cameras, config.width)
        let (m, k) = (config.pointers!, config.pointerFeatures)
        let state = tape.sliceTokens(trunk, start: config.proprioToken, count: 1)
        // Every camera of a sample is pointed with the same queries.
        func perCamera(_ query: Tensor, width: Int) -> Tensor {
            var all = query
            for _ in 1..<cams { all = tape.concatTokens(all, query) }
            return tape.reshape(all, Shape(b * cams, 1, m * width))
        }
        let queries = perCamera(linear(tape, state, pointerQuery!, &flops), width: k)
        let contextQueries = perCamera(linear(tape, state, pointerContext!, &flops), width: c)
        // Each camera's patch outputs, `(B·cameras, patches, C)`, rows in the stem's order.
        var patches = tape.sliceTokens(trunk, start: 0, count: config.patchTokens)
        for camera in 1..<cams {
            patches = tape.concatTokens(patches, tape.sliceTokens(trunk, start: camera * config.cameraTokens, count: config.patchTokens))
        }
        patches = tape.reshape(patches, Shape(b * cams, config.patchTokens, c))
        // The stem's output is already `(B·cameras, pixels, K)`; a reshape would copy it.
        let mapShape = Shape(b * cams, config.imageSize * config.imageSize, config.stemChannels!)
        var map = stem.shape == mapShape ? stem : tape.reshape(stem, mapShape)
        if let radius = config.pointerSurround, let surroundOrder {
            map = tape.surround(map, order: surroundOrder, side: config.imageSize, radius: radius)
        }
        // Raw gates per camera of each sample: (B, 1, cameras) → one per map row.
        let inhibition = pointerInhibitGate.map { gate in
            (gates: tape.reshape(linear(tape, state, gate, &flops), Shape(b * cams)), radii: config.pointerInhibitRadii,
             scale: PolicyConfig.pointerInhibitScale)
        }
        let (points, logMass) = tape.pointer(
            map, queries: queries, coarse: patches, coarseQueries: contextQueries, coordinates: keypointCoordinates!,
            gain: Self.pointerGain, targets: targets, inhibition: inhibition)
        return (tape.reshape(points, Shape(b, 1, config.pointerOutputs)), logMass)
    }

    /// Scale of the pointer logits at initialisation's query size: with the initial
    /// queries (std ≈ 0.02·√C) a softer map than this stays flat for hundreds of steps.
    static let pointerGain: Float = 5

    /// Writes the 3×3×3 neighbourhood (zero outside the image; pixels as x/127.5 − 1) of
    /// every pixel, patch by patch, row by row within a patch: `(side/patch)²·patch²`
    /// rows of 27 floats in `(dy, dx, channel)` order.
    static func fillNeighbourhoods(_ image: [UInt8], side: Int, patch p: Int, into out: UnsafeMutablePointer<Float>) {
        let grid = side / p
        image.withUnsafeBufferPointer { px in
            var o = 0
            for py in 0..<grid { for pxi in 0..<grid { for dy in 0..<p { for dx in 0..<p {
                let (y, x) = (py * p + dy, pxi * p + dx)
                for ky in -1...1 { for kx in -1...1 {
                    let (yy, xx) = (y + ky, x + kx)
                    if yy < 0 || yy >= side || xx < 0 || xx >= side {
                        out[o] = 0; out[o + 1] = 0; out[o + 2] = 0
                    } else {
                        let i = (yy * side + xx) * 3
                        out[o] = Float(px[i]) / 127.5 - 1; out[o + 1] = Float(px[i + 1]) / 127.5 - 1; out[o + 2] = Float(px[i + 2]) / 127.5 - 1
                    }
                    o += 3
                } }
            } } } }
        }
    }

    /// The mean patch of the stem's output (`patchFeatures` floats, `(dy, dx, channel)`
    /// order) over `images`, computed with the model's own stem; nil without a stem or
    /// images. Used to centre the patch embedding at initialisation.
    public func meanStemPatch(_ images: [[UInt8]]) -> [Float]? {
        guard let stem, !images.isEmpty else { return nil }
        let (side, p, features) = (config.imageSize, config.patchSize, config.patchFeatures)
        let tape = Tape(threads: 1)
        tape.isRecording = false
        let cols = tape.constant(Shape(images.count, config.patchTokens * p * p, PolicyConfig.stemInputs))
        for (i, image) in images.enumerated() {
            Self.fillNeighbourhoods(image, side: side, patch: p, into: cols.data + i * cols.count / images.count)
        }
        var flops = FlopCount()
        let out = tape.gelu(linear(tape, cols, stem, &flops)).values
        var mean = [Float](repeating: 0, count: features)
        let patches = out.count / features
        for k in 0..<patches { for f in 0..<features { mean[f] += out[k * features + f] } }
        return mean.map { $0 / Float(patches) }
    }

    /// `x·Wᵀ + b`, counting its multiply-adds.
    func linear(_ tape: Tape, _ x: Tensor, _ layer: LinearLayer, _ flops: inout FlopCount) -> Tensor {
        let w = layer.weight.tensor
        flops.linear(rows: x.shape.rows, inputs: w.shape[1], outputs: w.shape[0], inputNeedsGrad: x.requiresGrad, tape: tape)
        return fastLinear(tape, x, layer) ?? tape.linear(x, weight: w, bias: layer.bias?.tensor)
    }

    func layerNorm(_ tape: Tape, _ x: Tensor, _ norm: NormLayer) -> Tensor {
        tape.layerNorm(x, gamma: norm.gamma.tensor, beta: norm.beta.tensor)
    }
}

/// Floating-point operations of the matrix multiplies and attention a pass ran,
/// counted analytically as the ops are recorded (2 per multiply-add).
public struct FlopCount: Sendable, Equatable {
    /// Forward FLOPs.
    public var forward: Double = 0
    /// Backward FLOPs (input and weight gradients of recorded ops).
    public var backward: Double = 0
    /// Forward plus backward.
    public var total: Double { forward + backward }

    mutating func linear(rows: Int, inputs: Int, outputs: Int, inputNeedsGrad: Bool, tape: Tape) {
        let f = 2 * Double(rows) * Double(inputs) * Double(outputs)
        forward += f
        if tape.isRecording { backward += inputNeedsGrad ? 2 * f : f }
    }

    mutating func attention(batch: Int, queries: Int, keys: Int, width: Int, tape: Tape) {
        let f = 4 * Double(batch) * Double(queries) * Double(keys) * Double(width)
        forward += f
        if tape.isRecording { backward += 2 * f }
    }
}
