// Binary PPM (P6) and PGM (P5): the image formats of VL shards. Simple enough to read
// strictly with no library, and every image tool can convert to them.

/// An 8-bit RGB image, row-major, top row first, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    /// Size in pixels.
    public var width: Int
    public var height: Int
    /// width × height × 3 bytes.
    public var pixels: [UInt8]

    /// An image from its pixels.
    /// - Precondition: `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "pixel count does not match \(width)×\(height)×3")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Largest side accepted when decoding.
    public static let maxSide = 8192

    /// Binary PPM bytes: `P6\nW H\n255\n` then the pixels.
    public var ppm: [UInt8] {
        var out = Array("P6\n\(width) \(height)\n255\n".utf8)
        out.append(contentsOf: pixels)
        return out
    }

    /// Decodes a binary PPM (P6) or PGM (P5, expanded to grey RGB). Header comments are
    /// allowed; maxval 1...65535 (16-bit samples are big-endian, as the format says)
    /// is rescaled to 0...255. The data must end exactly after the last pixel.
    public init(pnm bytes: [UInt8]) throws(DataError) {
        var header = PNMHeaderReader(bytes: bytes)
        let magic = try header.magic()
        let width = try header.number("width"), height = try header.number("height"), maxval = try header.number("maxval")
        guard (1...Self.maxSide).contains(width), (1...Self.maxSide).contains(height) else {
            throw .badImage(reason: "size \(width)×\(height) is outside 1...\(Self.maxSide)")
        }
        guard (1...65535).contains(maxval) else { throw .badImage(reason: "maxval \(maxval) is outside 1...65535") }
        try header.singleWhitespace()
        let channels = magic == "P6" ? 3 : 1
        let sampleBytes = maxval > 255 ? 2 : 1
        let expected = width * height * channels * sampleBytes
        let available = bytes.count - header.offset
        guard available == expected else {
            throw .badImage(reason: available < expected
                ? "pixel data is truncated (\(available) of \(expected) bytes)"
                : "\(available - expected) unexpected bytes after the pixel data")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let start = header.offset
        for i in 0..<(width * height * channels) {
            var v = Int(bytes[start + i * sampleBytes])
            if sampleBytes == 2 { v = v << 8 | Int(bytes[start + i * 2 + 1]) }
            let scaled = UInt8(min(255, (v * 255 + maxval / 2) / maxval))
            if channels == 3 { pixels[i] = scaled } else { pixels[3 * i] = scaled; pixels[3 * i + 1] = scaled; pixels[3 * i + 2] = scaled }
        }
        self.init(width: width, height: height, pixels: pixels)
    }
}

/// Reads the ASCII header of a PNM file.
private struct PNMHeaderReader {
    let bytes: [UInt8]
    var offset = 0

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }

    mutating func magic() throws(DataError) -> String {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") || bytes[1] == UInt8(ascii: "5") else {
            throw .badImage(reason: "not a binary PPM (P6) or PGM (P5) file")
        }
        offset = 2
        return bytes[1] == UInt8(ascii: "6") ? "P6" : "P5"
    }

    /// Skips whitespace and `#` comments, then reads a decimal number.
    mutating func number(_ what: String) throws(DataError) -> Int {
        while offset < bytes.count {
            if Self.isSpace(bytes[offset]) { offset += 1 } else if bytes[offset] == UInt8(ascii: "#") {
                while offset < bytes.count && bytes[offset] != 0x0A && bytes[offset] != 0x0D { offset += 1 }
            } else { break }
        }
        var value = 0, digits = 0
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39, digits < 7 {
            value = value * 10 + Int(bytes[offset] - 0x30)
            offset += 1; digits += 1
        }
        guard digits > 0, digits < 7 else { throw .badImage(reason: "header field \(what) is missing or too long") }
        return value
    }

    /// Exactly one whitespace byte separates the header from the pixels.
    mutating func singleWhitespace() throws(DataError) {
        guard offset < bytes.count, Self.isSpace(bytes[offset]) else { throw .badImage(reason: "no whitespace after maxval") }
        offset += 1
    }
}
