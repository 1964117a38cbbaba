// Codec round trips through the full path: encode, compress, sign, serialize, parse,
// verify, decode.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite struct DeltaCodecTests {
    static let node = TestNode()
    static let base = try! SHA256.hash(Array("base".utf8))

    static func roundTrip(_ delta: ParameterSet, codec: DeltaCodec, embodiment: String? = nil) throws -> (VerifiedDelta, SignedDelta) {
        let signed = try DeltaEncoder(codec: codec).encode(
            delta: delta, round: 3, baseHash: base, embodiment: embodiment, sampleCount: 120, key: node.key)
        let bytes = signed.serialized()
        let expectation = DeltaExpectation(
            round: 3, baseHash: base, sharedSchema: DeltaFixtures.sharedSchema,
            embodimentSchemas: ["panda": try ParameterSchema([("embodiment.panda.stem", [9, 11])])])
        let verified = try DeltaVerifier().verify(serialized: bytes, expecting: expectation, keys: TestNode.keys([node]))
        return (verified, signed)
    }

    @Test func fp32IsExact() throws {
        let delta = DeltaFixtures.gaussianSet(DeltaFixtures.sharedSchema, seed: 10)
        let (verified, signed) = try Self.roundTrip(delta, codec: .fp32)
        #expect(verified.values.isBitIdentical(to: delta))
        #expect(verified.header.sampleCount == 120 && verified.header.node == Self.node.id)
        #expect(verified.deltaHash == signed.deltaHash)
    }

    @Test(arguments: [(DeltaCodec.fp16, 11), (DeltaCodec.bf16, 8)])
    func halfFloatsAreWithinTheirPrecision(codec: DeltaCodec, mantissaBits: Int) throws {
        let delta = DeltaFixtures.gaussianSet(DeltaFixtures.sharedSchema, seed: 11, sigma: 0.5)
        let (verified, _) = try Self.roundTrip(delta, codec: codec)
        let bound = Float(1) / Float(1 << mantissaBits)  // half an ulp, relative
        for (decoded, original) in zip(DeltaFixtures.flat(verified.values), DeltaFixtures.flat(delta)) where abs(original) > 1e-4 {
            #expect(abs(decoded - original) <= bound * abs(original))
        }
    }

    @Test func int8IsWithinOnePercentAndSmall() throws {
        let schema = try ParameterSchema([("shared.big", [300, 200]), ("shared.small", [17])])
        let delta = DeltaFixtures.gaussianSet(schema, seed: 12, sigma: 1e-3)
        let signed = try DeltaEncoder(codec: .int8Default).encode(delta: delta, round: 0, baseHash: Self.base, sampleCount: 5, key: Self.node.key)
        let verified = try DeltaVerifier().verify(
            signed, expecting: DeltaExpectation(round: 0, baseHash: Self.base, sharedSchema: schema), keys: TestNode.keys([Self.node]))
        let error = DeltaFixtures.relativeError(DeltaFixtures.flat(verified.values), DeltaFixtures.flat(delta))
        #expect(error <= 0.01)
        let wire = signed.serialized().count
        #expect(Double(delta.elementCount * 4) / Double(wire) >= 3.5, "int8 wire \(wire) bytes")
    }

    @Test func embodimentTensorsTravelWithTheirEmbodiment() throws {
        let schema = try ParameterSchema(DeltaFixtures.tensors)
        let delta = DeltaFixtures.gaussianSet(schema, seed: 13)
        let (verified, _) = try Self.roundTrip(delta, codec: .fp32, embodiment: "panda")
        #expect(verified.values.isBitIdentical(to: delta))
        #expect(verified.header.embodiment == "panda")
        // Without declaring the embodiment, the encoder refuses to send its tensors.
        #expect(throws: DeltaError.self) { try Self.roundTrip(delta, codec: .fp32) }
    }

    @Test func payloadIsASelfDescribingSafetensorsFile() throws {
        let delta = DeltaFixtures.gaussianSet(DeltaFixtures.sharedSchema, seed: 14)
        let (_, signed) = try Self.roundTrip(delta, codec: .int8(blockSize: 32))
        let file = try SafetensorsFile(bytes: try Zstd.decompress(signed.payload, limit: 1 << 20))
        #expect(file.metadata["codec"] == "int8" && file.metadata["block_size"] == "32")
        #expect(file.metadata["node_id"] == Self.node.id.digest.hex && file.metadata["round"] == "3")
        #expect(try file.tensor("shared.trunk.0.wq").dtype == .i8)
        #expect(try file.tensor("shared.trunk.0.wq.__scales").shape == [12])
        #expect(signed.header.rawBytes == (try Zstd.decompress(signed.payload, limit: 1 << 20)).count)
    }

    @Test func headerJSONIsCanonicalAndStrict() throws {
        let delta = DeltaFixtures.gaussianSet(DeltaFixtures.sharedSchema, seed: 15)
        let (_, signed) = try Self.roundTrip(delta, codec: .bf16)
        #expect(try DeltaHeader(canonical: signed.headerBytes) == signed.header)
        var spaced = signed.headerBytes
        spaced.insert(0x20, at: 1)
        #expect(throws: DeltaError.self) { try DeltaHeader(canonical: spaced) }
        let text = String(decoding: signed.headerBytes, as: UTF8.self).replacingOccurrences(of: "\"bf16\"", with: "\"bf17\"")
        let error = #expect(throws: DeltaError.self) { try DeltaHeader(canonical: Array(text.utf8)) }
        #expect(error?.check == .codec)
    }
}
