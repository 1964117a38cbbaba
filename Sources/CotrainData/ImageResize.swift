// Resizing imported images to the model's input size.

/// How ``RGBImage/resized(width:height:filter:)`` computes output pixels.
public enum ResizeFilter: String, Sendable, CaseIterable {
    /// Each output pixel copies the source pixel under its centre: source index
    /// ⌊(i + ½) · S / D⌋. Fast, keeps hard edges, aliases when shrinking a lot.
    case nearest
    /// Each output pixel is the area-weighted mean of the source pixels its footprint
    /// covers (exact box filter, separable: rows then columns), rounded to nearest.
    /// Anti-aliased when shrinking; a bilinear-like blend at edges when enlarging.
    case box
}

extension RGBImage {
    /// The image at `width × height` pixels.
    public func resized(width: Int, height: Int, filter: ResizeFilter) -> RGBImage {
        precondition(width > 0 && height > 0, "target size must be positive")
        if width == self.width && height == self.height { return self }
        switch filter {
        case .nearest: return nearest(width, height)
        case .box: return box(width, height)
        }
    }

    private func nearest(_ w: Int, _ h: Int) -> RGBImage {
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = Swift.min(height - 1, (2 * y + 1) * height / (2 * h))
            for x in 0..<w {
                let sx = Swift.min(width - 1, (2 * x + 1) * width / (2 * w))
                for c in 0..<3 { out[(y * w + x) * 3 + c] = pixels[(sy * width + sx) * 3 + c] }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// Weights of source pixels 0..<source for each of `target` output pixels: the
    /// overlap of [i, i+1) with the footprint [o·S/D, (o+1)·S/D), normalised.
    static func boxWeights(source: Int, target: Int) -> [[(index: Int, weight: Float)]] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { o in
            let lo = Double(o) * scale, hi = Double(o + 1) * scale
            var taps: [(Int, Float)] = []
            var i = Int(lo.rounded(.down))
            while Double(i) < hi && i < source {
                let overlap = Swift.min(hi, Double(i + 1)) - Swift.max(lo, Double(i))
                if overlap > 0 { taps.append((i, Float(overlap / (hi - lo)))) }
                i += 1
            }
            return taps
        }
    }

    private func box(_ w: Int, _ h: Int) -> RGBImage {
        let columns = Self.boxWeights(source: width, target: w), rows = Self.boxWeights(source: height, target: h)
        // Horizontal pass into floats: (height, w, 3).
        var horizontal = [Float](repeating: 0, count: height * w * 3)
        for y in 0..<height {
            for x in 0..<w {
                for (sx, weight) in columns[x] {
                    for c in 0..<3 { horizontal[(y * w + x) * 3 + c] += weight * Float(pixels[(y * width + sx) * 3 + c]) }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum: Float = 0
                    for (sy, weight) in rows[y] { sum += weight * horizontal[(sy * w + x) * 3 + c] }
                    out[(y * w + x) * 3 + c] = UInt8(Swift.min(255, Swift.max(0, sum.rounded())))
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
