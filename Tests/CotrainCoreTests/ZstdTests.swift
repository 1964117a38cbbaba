import Testing

@testable import CotrainCore

@Suite struct ZstdTests {
    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = TestRNG(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    /// Small float32 weight deltas: the shape of what nodes exchange.
    static func floatLike(count: Int, seed: UInt64) -> [UInt8] {
        var rng = TestRNG(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count * 4)
        for _ in 0..<count {
            let value = (Float(rng.next() % 20_000) - 10_000) * 1e-6
            withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 }
        }
        return out
    }

    @Test(arguments: [0, 1, 1000, 300_000])
    func oneShotRoundTrips(_ size: Int) throws {
        for data in [Self.random(size, seed: 1), [UInt8](repeating: 0, count: size), Self.floatLike(count: size / 4, seed: 2)] {
            let compressed = try Zstd.compress(data)
            #expect(try Zstd.decompress(compressed, limit: data.count) == data)
        }
        let zeros = try Zstd.compress([UInt8](repeating: 0, count: size))
        if size > 1000 { #expect(zeros.count < size / 100) }
    }

    @Test func streamingRoundTripInRandomChunks() throws {
        var rng = TestRNG(seed: 5)
        let data = Self.floatLike(count: 500_000, seed: 9) + [UInt8](repeating: 7, count: 100_000)
        let compressor = try ZstdCompressor(level: 3)
        for pledged in [nil, UInt64(data.count)] {
            try compressor.reset(pledgedSize: pledged)
            var frame: [UInt8] = []
            var offset = 0
            while offset < data.count {
                let end = min(data.count, offset + Int(rng.next() % 70_000))
                frame += try compressor.feed(Array(data[offset..<end]))
                offset = end
            }
            frame += try compressor.finish()
            #expect(try Zstd.decompress(frame, limit: data.count) == data)

            let decompressor = try ZstdDecompressor(limit: data.count)
            var out: [UInt8] = []
            offset = 0
            while offset < frame.count {
                let end = min(frame.count, offset + 1 + Int(rng.next() % 5_000))
                try frame[offset..<end].withUnsafeBytes { chunk in try decompressor.feed(chunk) { out += $0 } }
                offset = end
            }
            try decompressor.finish()
            #expect(out == data)
        }
    }

    @Test func damagedInputIsATypedError() throws {
        let data = Self.floatLike(count: 50_000, seed: 4)
        let frame = try Zstd.compress(data)
        // Cut inside the 4-byte checksum: zstd reports a checksum mismatch.
        #expect(throws: ZstdError.self) { try Zstd.decompress(Array(frame.dropLast(1)), limit: data.count) }
        #expect(throws: ZstdError.truncated) { try Zstd.decompress(Array(frame.prefix(frame.count / 2)), limit: data.count) }
        #expect(throws: ZstdError.truncated) { try Zstd.decompress([], limit: 10) }
        #expect(throws: ZstdError.self) { try Zstd.decompress(Self.random(1000, seed: 8), limit: 1 << 20) }
        #expect(throws: ZstdError.self) { try Zstd.decompress(frame + [1, 2, 3, 4, 5, 6, 7, 8, 9], limit: 1 << 20) }
        var flipped = frame
        flipped[frame.count / 2] ^= 0x10  // the content checksum catches what decoding does not
        #expect(throws: ZstdError.self) { try Zstd.decompress(flipped, limit: 1 << 20) }
        // Streaming: truncation shows at finish().
        let decompressor = try ZstdDecompressor(limit: 1 << 20)
        _ = try decompressor.feed(Array(frame.dropLast(3)))
        #expect(throws: ZstdError.truncated) { try decompressor.finish() }
        #expect(throws: ZstdError.truncated) { try decompressor.finish() }  // empty stream
        // The context is reusable after errors.
        #expect(throws: ZstdError.self) { try decompressor.decompress(Self.random(100, seed: 3)) }
        #expect(try decompressor.decompress(frame) == data)
    }

    @Test func randomizedCorruptionNeverCrashes() throws {
        var rng = TestRNG(seed: 77)
        let frame = try Zstd.compress(Self.floatLike(count: 4_000, seed: 6))
        let decompressor = try ZstdDecompressor(limit: 1 << 20)
        for _ in 0..<2000 {
            var bytes = frame
            for _ in 0...Int(rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            _ = try? decompressor.decompress(bytes)  // any typed error or output; never a crash
        }
    }

    @Test func limitIsExact() throws {
        let data = Self.random(10_000, seed: 12)
        let frame = try Zstd.compress(data)
        #expect(try Zstd.decompress(frame, limit: 10_000) == data)
        #expect(throws: ZstdError.exceedsLimit(limit: 9_999, declared: 10_000)) { try Zstd.decompress(frame, limit: 9_999) }
        // An undeclared size is caught by counting.
        let compressor = try ZstdCompressor()
        let streamed = try compressor.feed(data) + compressor.finish()
        #expect(try Zstd.decompress(streamed, limit: 10_000) == data)
        #expect(throws: ZstdError.exceedsLimit(limit: 9_999, declared: nil)) { try Zstd.decompress(streamed, limit: 9_999) }
        let decompressor = try ZstdDecompressor(limit: 9_999)
        #expect(throws: ZstdError.exceedsLimit(limit: 9_999, declared: nil)) { _ = try decompressor.feed(streamed) }
    }

    /// Concatenated frames decode to the concatenation; the limit covers the total.
    @Test func concatenatedFrames() throws {
        let a = Self.random(5_000, seed: 1), b = [UInt8](repeating: 3, count: 7_000)
        let joined = try Zstd.compress(a) + Zstd.compress(b)
        #expect(try Zstd.decompress(joined, limit: 12_000) == a + b)
        #expect(throws: ZstdError.exceedsLimit(limit: 11_999, declared: nil)) { try Zstd.decompress(joined, limit: 11_999) }
        let decompressor = try ZstdDecompressor(limit: 12_000)
        #expect(try decompressor.feed(joined) == a + b)
        try decompressor.finish()
    }

    /// 1 GiB of zeros compresses to ~40 KiB; built by streaming so the test never holds 1 GiB.
    @Test func zstdBombsAreRefusedWithoutAllocating() throws {
        let gib = 1 << 30
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        let compressor = try ZstdCompressor(level: 1)
        var bombs: [[UInt8]] = []
        for pledged in [UInt64(gib), nil] {
            try compressor.reset(pledgedSize: pledged)
            var bomb: [UInt8] = []
            for _ in 0..<(gib / chunk.count) { bomb += try compressor.feed(chunk) }
            bomb += try compressor.finish()
            #expect(bomb.count < 1 << 20)
            bombs.append(bomb)
        }
        let limit = 64 << 20
        // Declared: refused from the header alone, one-shot and streaming.
        #expect(throws: ZstdError.exceedsLimit(limit: limit, declared: UInt64(gib))) { try Zstd.decompress(bombs[0], limit: limit) }
        let streaming = try ZstdDecompressor(limit: limit)
        var produced = 0
        #expect(throws: ZstdError.exceedsLimit(limit: limit, declared: UInt64(gib))) {
            try bombs[0].prefix(100).withUnsafeBytes { try streaming.feed($0) { produced += $0.count } }
        }
        #expect(produced == 0)
        // Undeclared: refused once the output passes the limit.
        #expect(throws: ZstdError.exceedsLimit(limit: limit, declared: nil)) { try Zstd.decompress(bombs[1], limit: limit) }
        produced = 0
        #expect(throws: ZstdError.exceedsLimit(limit: limit, declared: nil)) {
            try bombs[1].withUnsafeBytes { try streaming.feed($0) { produced += $0.count } }
        }
        #expect(produced <= limit)
        // Into a caller buffer: same refusal.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        let small = try ZstdDecompressor(limit: 1 << 20)
        #expect(throws: ZstdError.self) { try bombs[1].withUnsafeBytes { try small.decompress($0, into: buffer) } }
    }

    @Test func callerBuffersAndParameters() throws {
        let data = Self.floatLike(count: 100_000, seed: 21)
        let compressor = try ZstdCompressor(level: 3)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: Zstd.compressBound(data.count), alignment: 16)
        defer { out.deallocate() }
        let size = try data.withUnsafeBytes { try compressor.compress($0, into: out) }
        let back = UnsafeMutableRawBufferPointer.allocate(byteCount: data.count, alignment: 16)
        defer { back.deallocate() }
        let decompressor = try ZstdDecompressor(limit: data.count)
        let restored = try decompressor.decompress(UnsafeRawBufferPointer(rebasing: out[..<size]), into: back)
        #expect(restored == data.count && Array(back) == data)
        let tiny = UnsafeMutableRawBufferPointer(rebasing: back[..<100])
        #expect(throws: ZstdError.destinationTooSmall(capacity: 100)) {
            try decompressor.decompress(UnsafeRawBufferPointer(rebasing: out[..<size]), into: tiny)
        }
        #expect(throws: ZstdError.destinationTooSmall(capacity: 100)) { try data.withUnsafeBytes { try compressor.compress($0, into: tiny) } }
        #expect(throws: ZstdError.self) { try ZstdCompressor(level: 100) }
        #expect(throws: ZstdError.self) { try ZstdCompressor(workers: -1) }
        #expect(throws: ZstdError.self) { try ZstdDecompressor(limit: -1) }
        if Zstd.supportsMultithreading {
            let threaded = try ZstdCompressor(level: 3, workers: 2)
            #expect(try Zstd.decompress(threaded.compress(data), limit: data.count) == data)
        }
    }
}
