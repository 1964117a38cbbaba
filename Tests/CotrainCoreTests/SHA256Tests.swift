import Foundation
import Testing

@testable import CotrainCore

@Suite struct SHA256Tests {
    // FIPS 180-2 / NIST example vectors.
    static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    static let millionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

    @Test func knownVectors() throws {
        #expect(try SHA256.hash([UInt8]()).hex == Self.empty)
        #expect(try SHA256.hash(Array("abc".utf8)).hex == Self.abc)
        #expect(try SHA256.hash("abc".utf8).hex == Self.abc)
        #expect(try SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)).hex == Self.millionA)
        #expect(try [UInt8]().withUnsafeBytes { try SHA256.hash($0) }.hex == Self.empty)
    }

    @Test func streamingMatchesOneShotAtAnySplit() throws {
        var rng = TestRNG(seed: 7)
        let data = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let expected = try SHA256.hash(data)
        let hasher = try SHA256Hasher()
        for _ in 0..<20 {
            var offset = 0
            while offset < data.count {
                let size = min(Int(rng.next() % 9_000), data.count - offset)
                data[offset..<offset + size].withUnsafeBytes { hasher.update($0) }
                offset += size
            }
            // finalize() resets, so the same hasher is reused each round.
            #expect(try hasher.finalize() == expected)
        }
        hasher.update(data.lazy.map { $0 })  // a non-contiguous sequence
        #expect(try hasher.finalize() == expected)
    }

    @Test func fileHashMatchesMemoryHash() throws {
        let temp = TemporaryDirectory("cotrain-sha")
        let path = temp.file("data")
        var rng = TestRNG(seed: 3)
        let data = (0..<(3 << 20) + 17).map { _ in UInt8(truncatingIfNeeded: rng.next()) }  // crosses 1 MiB chunks
        try Data(data).write(to: URL(fileURLWithPath: path))
        #expect(try SHA256.hash(fileAt: path) == SHA256.hash(data))
        #expect(throws: SystemError.self) { try SHA256.hash(fileAt: path + ".missing") }
    }

    @Test func hexRoundTripAndStrictParsing() throws {
        let digest = try SHA256.hash(Array("abc".utf8))
        #expect(try SHA256Digest(hex: digest.hex) == digest)
        #expect(try SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(try SHA256Digest(bytes: digest.bytes) == digest)
        #expect(digest.bytes.count == 32)
        let short = #expect(throws: DigestFormatError.self) { try SHA256Digest(hex: String(Self.abc.dropLast())) }
        #expect(short?.problem == .length(expected: 64, found: 63))
        let bad = #expect(throws: DigestFormatError.self) { try SHA256Digest(hex: "g" + Self.abc.dropFirst()) }
        #expect(bad?.problem == .character("g", offset: 0))
        #expect(throws: DigestFormatError.self) { try SHA256Digest(hex: " " + Self.abc) }
        #expect(throws: DigestFormatError.self) { try SHA256Digest(hex: "0x" + Self.abc.dropFirst(2)) }
        #expect(throws: DigestFormatError.self) { try SHA256Digest(hex: "é" + Self.abc.dropFirst(2)) }
        #expect(throws: CryptoError.self) { try SHA256Digest(bytes: [1, 2, 3]) }
    }

    @Test func digestsWorkAsDictionaryKeys() throws {
        let a = try SHA256.hash(Array("a".utf8)), b = try SHA256.hash(Array("b".utf8))
        let table = [a: 1, b: 2]
        #expect(table[try SHA256.hash(Array("a".utf8))] == 1)
        #expect(a != b)
    }

    @Test func constantTimeEquality() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }

    @Test func randomBytesDiffer() throws {
        let a = try SecureRandom.bytes(count: 32), b = try SecureRandom.bytes(count: 32)
        #expect(a.count == 32 && a != b)
        #expect(try SecureRandom.bytes(count: 0).isEmpty)
    }
}
