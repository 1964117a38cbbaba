// CotrainRuntime/GIFEncoder.swift: animated GIF89a output for rollout animations.
//
// A fixed 256-colour palette (a 6×6×6 colour cube plus 40 greys) is shared by all
// frames, so every frame's pixels map through one 32×32×32 lookup table. Frames are
// LZW-compressed (variable code width 9…12 bits, clear code when the table fills), and a
// NETSCAPE2.0 extension makes viewers loop the animation.

/// Builds an animated GIF from RGB8 frames of one size.
public struct GIFEncoder: Sendable {
    /// Output size in pixels (input size × scale).
    public let width: Int
    public let height: Int
    let sourceWidth: Int
    let sourceHeight: Int
    let scale: Int
    let delay: Int
    var bytes: [UInt8] = []
    /// Frames added so far.
    public private(set) var frameCount = 0

    /// An animation of `width × height` RGB8 frames, shown `scale`× larger (nearest
    /// neighbour), each frame for `delayCentiseconds`, looping forever.
    public init(width: Int, height: Int, scale: Int = 1, delayCentiseconds: Int = 10) {
        precondition(width > 0 && height > 0 && scale >= 1 && width * scale <= 65535 && height * scale <= 65535, "GIF sides must be 1...65535")
        sourceWidth = width; sourceHeight = height; self.scale = scale
        self.width = width * scale; self.height = height * scale
        delay = max(0, min(65535, delayCentiseconds))
        bytes = Array("GIF89a".utf8)
        appendLE16(self.width); appendLE16(self.height)
        bytes += [0xF7, 0, 0]  // global colour table of 256 entries, 8-bit resolution
        bytes += GIFPalette.colours
        // NETSCAPE2.0 application extension: loop count 0 = forever.
        bytes += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [0x03, 0x01, 0x00, 0x00, 0x00]
    }

    /// Appends one frame (`width × height × 3` bytes, row-major, top row first).
    public mutating func add(rgb: [UInt8]) {
        precondition(rgb.count == sourceWidth * sourceHeight * 3, "frame must be \(sourceWidth)x\(sourceHeight) RGB8")
        var indices = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            let sy = y / scale
            for x in 0..<width {
                let s = (sy * sourceWidth + x / scale) * 3
                indices[y * width + x] = GIFPalette.index(rgb[s], rgb[s + 1], rgb[s + 2])
            }
        }
        // Graphic control extension: no disposal, delay, no transparency.
        bytes += [0x21, 0xF9, 0x04, 0x04]
        appendLE16(delay)
        bytes += [0x00, 0x00]
        // Image descriptor at (0, 0), full size, no local colour table.
        bytes.append(0x2C)
        appendLE16(0); appendLE16(0); appendLE16(width); appendLE16(height)
        bytes.append(0x00)
        bytes.append(8)  // LZW minimum code size
        let data = GIFLZW.compress(indices, minimumCodeSize: 8)
        var offset = 0
        while offset < data.count {
            let n = min(255, data.count - offset)
            bytes.append(UInt8(n))
            bytes += data[offset..<(offset + n)]
            offset += n
        }
        bytes.append(0x00)
        frameCount += 1
    }

    /// The complete file (the encoder may keep adding frames afterwards).
    public var data: [UInt8] { bytes + [0x3B] }

    mutating func appendLE16(_ v: Int) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8((v >> 8) & 0xFF)) }
}

/// The shared palette: indices 0–215 are the colour cube (levels 0, 51, …, 255), 216–255
/// greys.
public enum GIFPalette {
    /// 768 bytes: RGB of each index.
    public static let colours: [UInt8] = {
        var out: [UInt8] = []
        for r in 0..<6 { for g in 0..<6 { for b in 0..<6 { out += [UInt8(r * 51), UInt8(g * 51), UInt8(b * 51)] } } }
        for i in 0..<40 { let v = UInt8((i * 255 + 19) / 39); out += [v, v, v] }
        return out
    }()

    /// Nearest palette index for each 5-bit-per-channel colour.
    static let lookup: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 32 * 32 * 32)
        for key in 0..<table.count {
            // Expand 5 bits to 8 so that 0 and 31 map to exactly 0 and 255.
            func expand(_ k: Int) -> Int { k << 3 | k >> 2 }
            let r = expand(key >> 10), g = expand((key >> 5) & 31), b = expand(key & 31)
            var best = 0, bestDistance = Int.max
            for i in 0..<256 {
                let dr = r - Int(colours[3 * i]), dg = g - Int(colours[3 * i + 1]), db = b - Int(colours[3 * i + 2])
                let d = dr * dr + dg * dg + db * db
                if d < bestDistance { bestDistance = d; best = i }
            }
            table[key] = UInt8(best)
        }
        return table
    }()

    /// The palette index for an RGB colour.
    @inline(__always)
    public static func index(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        lookup[Int(r >> 3) << 10 | Int(g >> 3) << 5 | Int(b >> 3)]
    }
}

/// GIF-flavoured LZW (codes packed least-significant bit first).
public enum GIFLZW {
    /// Compresses `indices` (each < 2^minimumCodeSize) into the raw code stream (before
    /// splitting into sub-blocks), starting with a clear code and ending with end-of-information.
    public static func compress(_ indices: [UInt8], minimumCodeSize: Int) -> [UInt8] {
        let clear = 1 << minimumCodeSize, end = clear + 1
        var codeSize = minimumCodeSize + 1
        var next = end + 1
        var table: [Int32: Int32] = [:]
        table.reserveCapacity(4096)
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        func emit(_ code: Int) {
            buffer |= code << bits
            bits += codeSize
            while bits >= 8 { out.append(UInt8(buffer & 0xFF)); buffer >>= 8; bits -= 8 }
        }
        emit(clear)
        guard var prefix = indices.first.map(Int.init) else { emit(end); if bits > 0 { out.append(UInt8(buffer)) }; return out }
        for c in indices.dropFirst() {
            let key = Int32(prefix << 8 | Int(c))
            if let code = table[key] { prefix = Int(code); continue }
            emit(prefix)
            table[key] = Int32(next)
            next += 1
            // The decoder's table lags one entry behind, so widen once `next` passes 2^size.
            if next > (1 << codeSize) && codeSize < 12 { codeSize += 1 }
            if next == 4096 {
                emit(clear)
                table.removeAll(keepingCapacity: true)
                codeSize = minimumCodeSize + 1
                next = end + 1
            }
            prefix = Int(c)
        }
        emit(prefix)
        emit(end)
        if bits > 0 { out.append(UInt8(buffer & 0xFF)) }
        return out
    }
}
