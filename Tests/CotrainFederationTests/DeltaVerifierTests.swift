// Verification: tampering, wrong base or round, replays, wrong shapes, unapproved
// senders, zstd bombs, bad values and hostile bytes are each refused with the right check.
import CotrainCore
import Testing

@testable import CotrainFederation

@Suite struct DeltaVerifierTests {
    let sender = TestNode()
    let other = TestNode()
    let base = try! SHA256.hash(Array("round-7-base".utf8))
    var schema: ParameterSchema { DeltaFixtures.sharedSchema }
    var expectation: DeltaExpectation { DeltaExpectation(round: 7, baseHash: base, sharedSchema: schema) }
    var keys: (NodeID) -> Ed25519PublicKey? { TestNode.keys([sender, other]) }

    func signed(_ codec: DeltaCodec = .int8Default, round: Int = 7, base: SHA256Digest? = nil, schema: ParameterSchema? = nil, samples: Int = 10) throws -> SignedDelta {
        let delta = DeltaFixtures.gaussianSet(schema ?? self.schema, seed: 21)
        return try DeltaEncoder(codec: codec).encode(delta: delta, round: round, baseHash: base ?? self.base, sampleCount: samples, key: sender.key)
    }

    func check(
        _ bytes: [UInt8], verifier: DeltaVerifier = DeltaVerifier(), replay: DeltaReplayGuard? = nil,
        keys: ((NodeID) -> Ed25519PublicKey?)? = nil
    ) -> DeltaError? {
        do {
            _ = try verifier.verify(serialized: bytes, expecting: expectation, keys: keys ?? self.keys, replay: replay)
            return nil
        } catch { return error }
    }

    /// Re-signs a hand-made payload as the (approved) sender: what a malicious peer can do.
    func forged(_ raw: [UInt8], compressed: [UInt8]? = nil, codec: DeltaCodec = .fp32, rawBytes: Int? = nil) throws -> [UInt8] {
        let header = DeltaHeader(
            round: 7, baseHash: base, node: sender.id, embodiment: nil, sampleCount: 10, codec: codec,
            schemaHash: schema.hash, rawBytes: rawBytes ?? raw.count)
        return try SignedDelta.sign(header: header, payload: compressed ?? Zstd.compress(raw), key: sender.key).serialized()
    }

    @Test func anHonestDeltaPasses() throws {
        #expect(check(try signed().serialized()) == nil)
    }

    @Test func bitFlipsAnywhereAreRejected() throws {
        let bytes = try signed().serialized()
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let payloadStart = 20 + headerLength
        let flips: [(Int, Set<DeltaError.Check>)] = [
            (payloadStart + 40, [.signature]),  // payload
            (12 + 30, [.header, .signature, .codec]),  // header JSON
            (bytes.count - 10, [.signature]),  // signature
            (3, [.envelope]),  // magic
        ]
        for (offset, checks) in flips {
            var tampered = bytes
            tampered[offset] ^= 0x04
            let error = check(tampered)
            #expect(error.map { checks.contains($0.check) } == true, "flip at \(offset): \(String(describing: error))")
        }
    }

    @Test func wrongBaseRoundAndSchemaAreRejected() throws {
        #expect(check(try signed(base: try SHA256.hash([1])).serialized())?.check == .baseHash)
        #expect(check(try signed(round: 8).serialized())?.check == .round)
        let reshaped = try ParameterSchema(schema.specs.map { ($0.name, $0.name == "shared.head.w" ? [7, 3, 5] : $0.shape) })
        let error = check(try signed(schema: reshaped).serialized())
        #expect(error?.check == .schema && error?.node == sender.id)
    }

    @Test func unapprovedSendersAndWrongKeysAreRejected() throws {
        let bytes = try signed().serialized()
        let error = check(bytes, keys: TestNode.keys([other]))
        #expect(error?.check == .sender && error?.node == sender.id)
        #expect(error?.description.contains(sender.id.short) == true)
        // A delta claiming to be from `sender` but signed by `other`.
        let original = try signed()
        let impostor = try SignedDelta.sign(header: original.header, payload: original.payload, key: other.key)
        #expect(check(impostor.serialized())?.check == .signature)
    }

    @Test func replaysAreRejected() throws {
        let delta = try signed()
        var replay = DeltaReplayGuard()
        #expect(check(delta.serialized(), replay: replay) == nil)
        replay.record(delta.deltaHash)
        #expect(check(delta.serialized(), replay: replay)?.check == .replay)
        var closed = DeltaReplayGuard()
        closed.close(round: 7)
        #expect(check(delta.serialized(), replay: closed)?.check == .replay)
        closed.close(round: 3)
        #expect(closed.closedThrough == 7)
    }

    @Test func zstdBombsAreRefused() throws {
        // Declared content size far over the cap: refused before decoding.
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        let bomb = try Zstd.compress(zeros)
        #expect(bomb.count < 1 << 16)
        #expect(check(try forged(zeros, compressed: bomb, rawBytes: 4096))?.check == .size)
        // A streamed frame with no declared size: refused once output passes the cap.
        let compressor = try ZstdCompressor()
        var streamed = try compressor.feed(zeros)
        streamed += try compressor.finish()
        #expect(check(try forged(zeros, compressed: streamed, rawBytes: 4096))?.check == .size)
        // Declaring the huge size honestly hits the schema-derived cap.
        #expect(check(try forged(zeros, compressed: bomb))?.check == .size)
        // And the global limits apply too.
        let tight = DeltaVerifier(limits: DeltaLimits(maxCompressedBytes: 100))
        #expect(check(try signed(.fp32).serialized(), verifier: tight)?.check == .size)
    }

    @Test func badPayloadsAndValuesAreRejected() throws {
        let delta = DeltaFixtures.gaussianSet(schema, seed: 22)
        let header = DeltaHeader(
            round: 7, baseHash: base, node: sender.id, embodiment: nil, sampleCount: 10, codec: .int8(blockSize: 64),
            schemaHash: schema.hash, rawBytes: 0)
        var writer = DeltaEncoder(codec: .int8(blockSize: 64))
        var raw = try writer.payload(delta: delta, metadata: header.metadata, node: sender.id)
        #expect(check(try forged(raw, codec: .int8(blockSize: 64))) == nil)
        // A NaN scale, properly signed.
        let file = try SafetensorsFile(bytes: raw)
        let scales = try file.tensor("shared.head.w.__scales")
        let at = file.header.dataStart + scales.dataOffsets.lowerBound
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { raw.replaceSubrange(at..<(at + 4), with: $0) }
        #expect(check(try forged(raw, codec: .int8(blockSize: 64)))?.check == .values)
        // Metadata that disagrees with the header.
        writer.codec = .fp32
        let other = try writer.payload(delta: delta, metadata: ["round": "7"], node: nil)
        #expect(check(try forged(other))?.check == .payload)
        // Not zstd at all; and the wrong declared size.
        #expect(check(try forged(raw, compressed: [1, 2, 3, 4, 5], codec: .int8(blockSize: 64)))?.check == .payload)
        #expect(check(try forged(raw, codec: .int8(blockSize: 64), rawBytes: raw.count + 1))?.check == .payload)
    }

    @Test func limitsOnCodecsAndSampleCounts() throws {
        let strict = DeltaVerifier(limits: DeltaLimits(sampleCounts: 1...100, codecs: ["int8"]))
        #expect(check(try signed(.fp16).serialized(), verifier: strict)?.check == .codec)
        #expect(check(try signed(samples: 1000).serialized(), verifier: strict)?.check == .sampleCount)
        #expect(check(try signed(samples: 0).serialized(), verifier: strict)?.check == .sampleCount)
    }

    @Test func hostileEnvelopeBytesGiveTypedErrors() throws {
        let bytes = try signed().serialized()
        for cut in [0, 7, 19, 40, bytes.count / 2, bytes.count - 1] {
            #expect(check(Array(bytes[..<cut])) != nil)
        }
        #expect(check(bytes + [0])?.check == .envelope)
        var rng = DeltaRNG(seed: 5)
        for _ in 0..<200 {
            var junk = bytes
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                junk[Int.random(in: 0..<junk.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if junk != bytes { #expect(check(junk) != nil) }
        }
        var lengthBomb = bytes
        lengthBomb.replaceSubrange(8..<12, with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(check(lengthBomb)?.check == .envelope)
    }
}
