// The GIF encoder: LZW round trips through an independent decoder, and whole files
// decode to the palette indices of their frames.
import Testing
@testable import CotrainRuntime

/// A minimal GIF LZW decoder (the reading side of the spec, written separately).
func lzwDecode(_ data: [UInt8], minimumCodeSize: Int) -> [UInt8]? {
    let clear = 1 << minimumCodeSize, end = clear + 1
    var size = minimumCodeSize + 1
    var table: [[UInt8]] = (0..<clear).map { [UInt8($0)] } + [[], []]
    var previous: [UInt8]? = nil
    var out: [UInt8] = []
    var bitPosition = 0
    func read() -> Int? {
        guard bitPosition + size <= data.count * 8 else { return nil }
        var code = 0
        for i in 0..<size {
            let bit = (Int(data[(bitPosition + i) / 8]) >> ((bitPosition + i) % 8)) & 1
            code |= bit << i
        }
        bitPosition += size
        return code
    }
    while let code = read() {
        if code == clear {
            table = Array(table.prefix(end + 1)); size = minimumCodeSize + 1; previous = nil; continue
        }
        if code == end { return out }
        let entry: [UInt8]
        if code < table.count { entry = table[code] }
        else if code == table.count, let p = previous { entry = p + [p[0]] }
        else { return nil }
        if let p = previous, table.count < 4096 { table.append(p + [entry[0]]) }
        out += entry
        previous = entry
        if table.count == (1 << size) && size < 12 { size += 1 }
    }
    return nil  // no end code
}

/// Splits a GIF into its image data streams (sub-blocks joined), checking the structure.
func gifFrames(_ bytes: [UInt8]) -> (width: Int, height: Int, frames: [[UInt8]], loops: Bool)? {
    guard bytes.count > 13, Array(bytes[0..<6]) == Array("GIF89a".utf8), bytes.last == 0x3B else { return nil }
    let width = Int(bytes[6]) | Int(bytes[7]) << 8, height = Int(bytes[8]) | Int(bytes[9]) << 8
    var i = 13 + 768
    var frames: [[UInt8]] = []
    var loops = false
    func blocks() -> [UInt8] {
        var out: [UInt8] = []
        while bytes[i] != 0 { let n = Int(bytes[i]); out += bytes[(i + 1)...(i + n)]; i += n + 1 }
        i += 1
        return out
    }
    while i < bytes.count - 1 {
        switch bytes[i] {
        case 0x21:
            if bytes[i + 1] == 0xFF, String(decoding: bytes[(i + 3)..<(i + 14)], as: UTF8.self) == "NETSCAPE2.0" { loops = true }
            i += 2
            _ = blocks()
        case 0x2C:
            i += 10
            guard bytes[i] == 8 else { return nil }
            i += 1
            guard let pixels = lzwDecode(blocks(), minimumCodeSize: 8), pixels.count == width * height else { return nil }
            frames.append(pixels)
        default: return nil
        }
    }
    return (width, height, frames, loops)
}

@Suite struct GIFTests {
    @Test(arguments: [0, 1, 7, 5000, 70_000])
    func lzwRoundTrips(count: Int) throws {
        var rng = SplitMix(seed: UInt64(count))
        // Random, then a run, then a repeating pattern: exercises growth, KwKwK and clear codes.
        var input = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() % 256) }
        input += [UInt8](repeating: 3, count: count / 3)
        input += (0..<count).map { UInt8($0 % 17) }
        let decoded = try #require(lzwDecode(GIFLZW.compress(input, minimumCodeSize: 8), minimumCodeSize: 8))
        #expect(decoded == input)
    }

    @Test func animationDecodesToPaletteIndices() throws {
        var encoder = GIFEncoder(width: 8, height: 6, scale: 2, delayCentiseconds: 10)
        var frames: [[UInt8]] = []
        for f in 0..<3 {
            frames.append((0..<(8 * 6 * 3)).map { UInt8(($0 * 37 + f * 91) % 256) })
            encoder.add(rgb: frames[f])
        }
        let decoded = try #require(gifFrames(encoder.data))
        #expect(decoded.width == 16 && decoded.height == 12 && decoded.loops)
        #expect(decoded.frames.count == 3)
        for f in 0..<3 {
            for y in 0..<12 {
                for x in 0..<16 {
                    let s = ((y / 2) * 8 + x / 2) * 3
                    let expected = GIFPalette.index(frames[f][s], frames[f][s + 1], frames[f][s + 2])
                    #expect(decoded.frames[f][y * 16 + x] == expected)
                }
            }
        }
    }

    @Test func paletteMapsPrimaryColoursExactly() {
        let p = GIFPalette.colours
        for (r, g, b) in [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (128, 128, 128)] {
            let i = Int(GIFPalette.index(UInt8(r), UInt8(g), UInt8(b)))
            #expect(abs(Int(p[3 * i]) - r) + abs(Int(p[3 * i + 1]) - g) + abs(Int(p[3 * i + 2]) - b) <= 12)
        }
    }
}

/// A tiny seeded generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
