import Testing

@testable import CotrainCore
@testable import CotrainFederation

/// SplitMix64: a small deterministic generator, so a failing mutation is reproducible.
struct FrameRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FrameTests {
    @Test func headerIsBigEndianLengthThenType() {
        #expect(Frame.header(type: 0x11, bodyCount: 0x010203) == [0x00, 0x01, 0x02, 0x04, 0x11])
        #expect(Frame(type: 7, body: []).bytes == [0, 0, 0, 1, 7])
    }

    @Test func framesSurviveAnySplitOfTheStream() throws {
        let frames = try WireFixtures.all.map { try $0.frame() }
        let stream = frames.flatMap(\.bytes)
        var rng = FrameRNG(state: 1)
        for _ in 0..<20 {
            var reader = FrameReader()
            var out: [Frame] = []
            var offset = 0
            while offset < stream.count {
                let n = min(stream.count - offset, Int.random(in: 1...70_000, using: &rng))
                out += try reader.feed(Array(stream[offset..<offset + n]))
                offset += n
            }
            #expect(out == frames)
            #expect(!reader.isInsideFrame)
        }
        var byteByByte = FrameReader()
        var out: [Frame] = []
        for byte in try WireFixtures.all[1].frame().bytes { out += try byteByByte.feed([byte]) }
        #expect(out.count == 1)
    }

    @Test func lengthIsCheckedBeforeAnythingIsAllocated() throws {
        var reader = FrameReader(maxLength: 1024)
        #expect(throws: WireError.frameTooLarge(length: 0xFFFF_FFFF, limit: 1024)) { try reader.feed([0xFF, 0xFF, 0xFF, 0xFF, 1]) }
        var exact = FrameReader(maxLength: 1024)
        #expect(throws: WireError.frameTooLarge(length: 1025, limit: 1024)) { try exact.feed([0, 0, 4, 1, 1]) }
        var fits = FrameReader(maxLength: 1024)
        let frames = try fits.feed([0, 0, 4, 0, 1] + [UInt8](repeating: 0, count: 1023))
        #expect(frames.count == 1)
        var empty = FrameReader()
        #expect(throws: WireError.emptyFrame) { try empty.feed([0, 0, 0, 0]) }
    }

    @Test func truncationIsReported() throws {
        var reader = FrameReader()
        #expect(try reader.feed([0, 0]).isEmpty)
        #expect(reader.isInsideFrame)
        #expect(reader.truncation == .truncatedFrame(received: 2, expected: 5))
        #expect(try reader.feed([0, 10, 3, 1, 2]).isEmpty)
        #expect(reader.truncation == .truncatedFrame(received: 7, expected: 14))
    }

    /// Valid frames of every type, mutated thousands of ways (seeded): each must decode
    /// or fail with a WireError, and never crash or allocate past the limit.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func mutatedFramesFailCleanly(seed: UInt64) throws {
        var rng = FrameRNG(state: seed)
        let limits = WireLimits(maxFrameLength: 64 << 10, maxChunkBytes: 32 << 10)
        let small = WireFixtures.all.map { message -> WireMessage in
            if case .shardChunk(var chunk) = message { chunk.bytes = Array(chunk.bytes.prefix(100)); return .shardChunk(chunk) }
            return message
        }
        let originals = try small.map { try $0.frame(limits: limits).bytes }
        var decoded = 0
        var refused = 0
        for _ in 0..<2000 {
            var bytes = originals.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) { Self.mutate(&bytes, &rng) }
            var reader = FrameReader(maxLength: limits.maxFrameLength)
            do {
                for frame in try reader.feed(bytes) {
                    do {
                        _ = try WireMessage(decoding: frame, limits: limits)
                        decoded += 1
                    } catch {
                        refused += 1
                    }
                }
                if reader.isInsideFrame { refused += 1 }
            } catch {
                refused += 1
            }
        }
        #expect(decoded > 0)
        #expect(refused > 1000)
    }

    @Test func randomGarbageFailsCleanly() {
        var rng = FrameRNG(state: 99)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var reader = FrameReader(maxLength: 1 << 16)
            if let frames = try? reader.feed(bytes) {
                for frame in frames { _ = try? WireMessage(decoding: frame) }
            }
        }
    }

    private static func mutate(_ bytes: inout [UInt8], _ rng: inout FrameRNG) {
        guard !bytes.isEmpty else { bytes = [0]; return }
        let index = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: bytes[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: bytes[index] = UInt8.random(in: 0...255, using: &rng)
        case 2: bytes.removeSubrange(index...)  // truncate
        case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
        case 4: bytes.remove(at: index)
        case 5:  // rewrite the length field to match the (mutated) body, so the body is judged
            let length = UInt32(max(1, bytes.count - 4))
            if bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: length.bigEndian) { Array($0) }) }
        default:  // swap in a JSON-significant character
            bytes[index] = Array("{}[]\",:0-\\".utf8).randomElement(using: &rng)!
        }
    }
}
