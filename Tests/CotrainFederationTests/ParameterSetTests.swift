// ParameterSet: ordering, hashes (and their documented encoding), safetensors round
// trips, filtering, replacement, arithmetic.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite struct ParameterSetTests {
    @Test func tensorsAreSortedAndHashesIgnoreInputOrder() throws {
        let a = try ParameterSet([("shared.b", [2], [1, 2]), ("shared.a", [1], [3])])
        let b = try ParameterSet([("shared.a", [1], [3]), ("shared.b", [2], [1, 2])])
        #expect(a.names == ["shared.a", "shared.b"])
        #expect(a.contentHash == b.contentHash)
        #expect(a.schema.hash == b.schema.hash)
        #expect(DeltaFixtures.flat(a) == [3, 1, 2])
    }

    @Test func contentHashFollowsTheDocumentedEncoding() throws {
        let set = try ParameterSet([("shared.w", [1, 2], [1.5, -2]), ("shared.b", [], [0.25])])
        var expected = Array("cotrain-params-v1".utf8) + [0]
        func e64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { expected += $0 } }
        e64(2)
        e64(8); expected += Array("shared.b".utf8); e64(0)
        e64(8); expected += Array("shared.w".utf8); e64(2); e64(1); e64(2)
        for v: Float in [0.25, 1.5, -2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { expected += $0 } }
        #expect(set.contentHash == (try SHA256.hash(expected)))
        var schemaBytes = Array("cotrain-schema-v1".utf8) + [0]
        schemaBytes += expected[18..<(expected.count - 12)]
        #expect(set.schema.hash == (try SHA256.hash(schemaBytes)))
    }

    @Test func hashesSeeOneBitAndOneShapeChange() throws {
        let a = try ParameterSet([("shared.w", [2, 2], [1, 2, 3, 4])])
        let b = try ParameterSet([("shared.w", [2, 2], [1, 2, 3, Float(bitPattern: Float(4).bitPattern ^ 1)])])
        let c = try ParameterSet([("shared.w", [4], [1, 2, 3, 4])])
        #expect(a.contentHash != b.contentHash)
        #expect(a.schema.hash == b.schema.hash)
        #expect(a.schema.hash != c.schema.hash)
        #expect(a.contentHash != c.contentHash)
    }

    @Test func invalidInputsAreTypedErrors() {
        #expect(throws: ParameterError.invalidName("shared w")) { try ParameterSet([("shared w", [1], [0])]) }
        #expect(throws: ParameterError.duplicateName("x")) { try ParameterSet([("x", [1], [0]), ("x", [1], [0])]) }
        #expect(throws: ParameterError.countMismatch(name: "x", count: 1, expected: 2)) { try ParameterSet([("x", [2], [0])]) }
        #expect(throws: ParameterError.invalidShape(name: "x", shape: [-1])) { try ParameterSet([("x", [-1], [])]) }
    }

    @Test func safetensorsRoundTripIsBitExact() throws {
        let schema = try ParameterSchema(DeltaFixtures.tensors)
        let set = DeltaFixtures.gaussianSet(schema, seed: 1)
        let dir = JournalTempDir()
        try set.save(path: "\(dir.path)/ckpt.safetensors", metadata: ["step": "7"])
        let loaded = try ParameterSet.load(path: "\(dir.path)/ckpt.safetensors")
        #expect(loaded.isBitIdentical(to: set))
        #expect(loaded.contentHash == set.contentHash)
        let shared = try ParameterSet.load(path: "\(dir.path)/ckpt.safetensors") { $0.hasPrefix("shared.") }
        #expect(shared.schema == DeltaFixtures.sharedSchema)
        #expect(shared.contentHash == set.sharedBaseHash)
    }

    @Test func nonFloatCheckpointTensorsAreRefused() throws {
        var writer = SafetensorsWriter()
        try writer.add("shared.ids", shape: [2], values: [Int32(1), 2])
        let file = try SafetensorsFile(bytes: try writer.bytes())
        #expect(throws: ParameterError.unsupportedDType(name: "shared.ids", dtype: "I32")) { try ParameterSet(safetensors: file) }
    }

    @Test func filteringAndReplacing() throws {
        let schema = try ParameterSchema(DeltaFixtures.tensors)
        let full = DeltaFixtures.gaussianSet(schema, seed: 2)
        let shared = full.filtered(prefixes: [ParameterScope.sharedPrefix])
        #expect(shared.names.allSatisfy { $0.hasPrefix("shared.") } && shared.names.count == 4)
        let stem = full.filtered(prefixes: [ParameterScope.embodimentPrefix("panda")])
        #expect(stem.names == ["embodiment.panda.stem"])
        #expect(stem.values("embodiment.panda.stem") == full.values("embodiment.panda.stem"))
        let newShared = DeltaFixtures.gaussianSet(shared.schema, seed: 3)
        let merged = try full.replacing(with: newShared)
        #expect(merged.values("shared.head.w") == newShared.values("shared.head.w"))
        #expect(merged.values("embodiment.panda.stem") == full.values("embodiment.panda.stem"))
        let wrong = try ParameterSet([("shared.scalar", [2], [1, 2])])
        #expect(throws: ParameterError.self) { try full.replacing(with: wrong) }
    }

    @Test func subtractingAndApplyingMatchScalarFormulas() throws {
        let schema = DeltaFixtures.sharedSchema
        let base = DeltaFixtures.gaussianSet(schema, seed: 4, sigma: 1)
        let trained = DeltaFixtures.gaussianSet(schema, seed: 5, sigma: 1)
        let delta = try trained.subtracting(base)
        let (b, t, d) = (DeltaFixtures.flat(base), DeltaFixtures.flat(trained), DeltaFixtures.flat(delta))
        #expect(d == zip(t, b).map { $0 - $1 })
        for threads in [1, 3] {
            let applied = DeltaFixtures.flat(try base.applying(delta, rate: 0.7, threads: threads))
            #expect(applied == zip(b, d).map { $0.addingProduct(0.7, $1) })
        }
        let v = DeltaFixtures.flat(delta)
        #expect(abs(delta.l2Norm - DeltaFixtures.norm(v)) <= 1e-9 * delta.l2Norm)
        #expect(throws: ParameterError.self) { try base.subtracting(try ParameterSet([("shared.x", [1], [0])])) }
    }
}
