// The glimpse: what the wrist camera shows around the object to move, cut out where the
// object pointer points, so the object's edges land in the same place of the window
// wherever the object is in the image (PolicyConfig.glimpse, docs/model.md).
import CotrainTensor

/// One pass of the glimpse: its `(B, E)` features and, in models with an orientation
/// head, the head's `(B, 2)` estimate from them (computed once, read by the orientation
/// loss and by the action tokens).
struct GlimpseOutput {
    let features: Tensor
    let orientation: Tensor?
}

extension PolicyModel {
    /// The glimpse features `(B, E)` for models with a glimpse (nil otherwise): the
    /// stem's `(B·cameras, pixels, K)` map gathered in a `g×g` window of each sample's
    /// wrist image, centred on the pixel nearest the object pointer's (first pointer's)
    /// point there and shifted inside the image at its edges, through a two-layer MLP.
    /// The window's position is not differentiated (the pointing loss trains the
    /// pointer); its contents are, into the stem.
    func glimpseForward(_ tape: Tape, stem: Tensor, points: Tensor, slot: String, flops: inout FlopCount) -> GlimpseOutput? {
        guard let g = config.glimpse, let glimpseIn, let glimpseOut, let k = config.stemChannels, config.cameras == 2 else { return nil }
        let (side, cams, b) = (config.imageSize, config.cameras, points.shape[0])
        let wristPoint = 2 * config.pointers!  // first wrist-camera value of a sample's points
        let indices = indexBuffer(slot + ".glimpse", count: b * g * g)
        for s in 0..<b {
            let point = points.data + s * config.pointerOutputs + wristPoint
            let x0 = Self.windowStart(point[0], window: g, side: side), y0 = Self.windowStart(point[1], window: g, side: side)
            let row = Int32((s * cams + 1) * side * side)
            for wy in 0..<g {
                for wx in 0..<g {
                    indices[(s * g + wy) * g + wx] = row + Int32(Self.stemRow(x: x0 + wx, y: y0 + wy, config))
                }
            }
        }
        // The embedding reads `stem` as `stem.count / K` rows of K: no copy.
        let window = tape.embedding(stem, indices: indices, shape: Shape(b, g * g * k))
        let features = linear(tape, tape.gelu(linear(tape, window, glimpseIn, &flops)), glimpseOut, &flops)
        return GlimpseOutput(features: features, orientation: orientationHead.map { linear(tape, features, $0, &flops) })
    }

    /// First pixel of a `window`-wide span of a `side`-pixel axis centred at `coordinate`
    /// (in [−1, 1], pixel centres as `stemCoordinates`), kept inside the image; the
    /// image's centre for a non-finite coordinate.
    static func windowStart(_ coordinate: Float, window: Int, side: Int) -> Int {
        let pixel = coordinate.isFinite ? ((coordinate + 1) / 2 * Float(side) - 0.5).rounded() : Float(side / 2)
        let centre = Int(Swift.min(Swift.max(pixel, -1), Float(side)))
        return Swift.min(Swift.max(centre - window / 2, 0), side - window)
    }

    /// The stem map's row of pixel `(x, y)`: rows run patch by patch (`fillNeighbourhoods`).
    static func stemRow(x: Int, y: Int, _ config: PolicyConfig) -> Int {
        let (p, grid) = (config.patchSize, config.imageSize / config.patchSize)
        return ((y / p) * grid + x / p) * p * p + (y % p) * p + x % p
    }
}
