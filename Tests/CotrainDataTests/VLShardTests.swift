// VL corpus generation and shard manifests: determinism, the concept split, answers
// that are true of the scene, and manifest verification refusing wrong hash, size or
// sample count.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainSim

@Suite struct VLShardTests {
    func plan(count: Int = 40, seed: UInt64 = 7) -> VLGeneratePlan {
        var plan = VLGeneratePlan(count: count, seed: seed)
        plan.shardSize = 16
        plan.probeCount = 10
        plan.imageSize = testImageSize
        return plan
    }

    func generate(_ plan: VLGeneratePlan, _ dir: Scratch) throws -> VLShardStore {
        var store = try VLShardStore.openOrCreate(at: dir.path)
        try VLCorpusGenerator.generate(plan, into: &store)
        return store
    }

    @Test func generationIsDeterministic() throws {
        let a = Scratch(), b = Scratch(), c = Scratch()
        let storeA = try generate(plan(), a), storeB = try generate(plan(), b), storeC = try generate(plan(seed: 8), c)
        #expect(try bytes(storeA.manifestPath) == bytes(storeB.manifestPath))
        #expect(try storeA.blobs.list() == storeB.blobs.list())
        #expect(try bytes(storeA.manifestPath) != bytes(storeC.manifestPath))
        #expect(storeA.manifest.shards(split: "train").map(\.samples) == [16, 16, 8])
        #expect(storeA.manifest.shards(split: "probe").map(\.samples) == [10])
        #expect(storeA.verify().isEmpty)
    }

    @Test func corpusCoversHeldOutConceptsAndRecordsTheSplit() throws {
        let dir = Scratch()
        let store = try generate(plan(count: 60), dir)
        let split = try #require(store.manifest.conceptSplit.object)
        #expect(split.contains { $0.0 == "held_out" })
        let heldOut = ConceptSplit().heldOutConcepts
        #expect(heldOut.contains("colour:purple") && heldOut.contains("relation:front") && heldOut.contains("counting"))
        let covered = Set(store.manifest.shards(split: "train").flatMap(\.concepts))
        #expect(covered.contains("colour:purple") || covered.contains("colour:cyan"))
        #expect(covered.isSuperset(of: ["relation:left", "relation:front", "counting", "relation:in", "shape:bowl"]))
        let samples = try store.manifest.shards.flatMap { try store.samples(of: $0) }
        let types = Set(samples.flatMap { $0.qa.map(\.type) })
        #expect(types.isSuperset(of: ["colour", "shape", "left_right", "front_behind", "count", "in_bowl"]))
        #expect(samples.allSatisfy { !$0.caption.isEmpty && $0.image.width == testImageSize })
    }

    @Test func answersAreTrueOfTheScene() {
        var generator = VLSceneGenerator(split: ConceptSplit(), imageSize: testImageSize)
        for i in 0..<30 {
            let sample = generator.sample(key: "k\(i)", seed: UInt64(i))
            // Captions list every object as "a COLOUR SHAPE"; counts must agree with them.
            let objects = sample.caption.split(separator: ";")[0]
            for qa in sample.qa where qa.type == "count" && qa.question.hasPrefix("how many") && qa.question.hasSuffix("objects are there?") {
                let colour = qa.question.split(separator: " ")[2]
                let count = objects.components(separatedBy: SceneDescription.withArticle(String(colour)) + " ").count - 1
                #expect(qa.answer == SceneDescription.numbers[count], "\(sample.caption) / \(qa.question) → \(qa.answer)")
            }
            for qa in sample.qa where qa.type == "in_bowl" && qa.answer != "nothing" {
                #expect(sample.caption.contains("\(qa.answer) is in"), "\(sample.caption) / \(qa.question) → \(qa.answer)")
            }
        }
    }

    @Test("pointing answers name the grid cell where the object is drawn, consistent with left/right (robot frame)")
    func pointingAnswers() {
        var generator = VLSceneGenerator(split: ConceptSplit(), imageSize: 64)
        var compared = 0
        for i in 0..<40 {
            let sample = generator.sample(key: "k\(i)", seed: UInt64(i))
            var cells: [String: (x: Int, y: Int)] = [:]
            for qa in sample.qa where qa.type == "point" {
                let words = qa.answer.split(separator: " ")
                guard words.count == 4, words[0] == "x", words[2] == "y", let x = Int(words[1]), let y = Int(words[3]) else {
                    Issue.record("malformed pointing answer \(qa.answer)"); continue
                }
                #expect((0..<SceneDescription.pointGrid).contains(x) && (0..<SceneDescription.pointGrid).contains(y))
                // "where is the red cube?" → "the red cube"
                cells[String(qa.question.dropFirst("where is ".count).dropLast())] = (x, y)
                // The cell (4×4 pixels at 64×64) or a neighbour is not table-coloured.
                let table = Array(sample.image.pixels[0..<3])
                var differs = false
                for dy in -4...7 { for dx in -4...7 {
                    let (px, py) = (x * 4 + dx, y * 4 + dy)
                    guard (0..<64).contains(px), (0..<64).contains(py) else { continue }
                    let o = (py * 64 + px) * 3
                    if abs(Int(sample.image.pixels[o]) - Int(table[0])) + abs(Int(sample.image.pixels[o + 1]) - Int(table[1])) > 60 { differs = true }
                } }
                #expect(differs, "nothing drawn near cell \(x),\(y) for \(qa.question)")
            }
            for qa in sample.qa where qa.type == "left_right" {
                // "is the A to the left or to the right of the B?"
                let body = qa.question.dropFirst("is ".count).dropLast()
                let parts = body.components(separatedBy: " to the left or to the right of ")
                guard parts.count == 2, let a = cells[parts[0]], let b = cells[parts[1]] else { continue }
                // Relations use the robot's frame (docs/data.md): its left is the image's right.
                #expect(qa.answer == "left" ? a.x >= b.x : a.x <= b.x, "\(qa.question) → \(qa.answer), cells \(a) \(b)")
                compared += 1
            }
        }
        #expect(compared >= 10)
    }

    @Test func manifestVerificationRefusesWrongHashSizeAndCount() throws {
        let dir = Scratch()
        var store = try generate(plan(count: 20), dir)
        let good = store.manifest.shards[0]
        let blob = try store.blobs.read(try SHA256Digest(hex: good.sha256))
        func expectRefused(_ entry: ShardEntry, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let error = #expect(throws: (any Error).self, sourceLocation: sourceLocation) { try store.samples(of: entry) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(phrase), "\(String(describing: error))", sourceLocation: sourceLocation)
            #expect(throws: (any Error).self, sourceLocation: sourceLocation) { try entry.decode(blob) }
        }
        var wrongHash = good; wrongHash.sha256 = String(repeating: "ab", count: 32)
        expectRefused(wrongHash, "not in")
        var wrongSize = good; wrongSize.bytes += 512
        expectRefused(wrongSize, "the manifest says \(wrongSize.bytes)")
        var wrongCount = good; wrongCount.samples += 1
        expectRefused(wrongCount, "holds 16 samples, the manifest says 17")
        #expect(try good.decode(blob).count == 16)

        // A flipped bit on disk: the blob store re-hashes and quarantines it.
        let path = store.blobs.path(for: try SHA256Digest(hex: good.sha256))
        var data = try bytes(path); data[600] ^= 1
        try overwrite(path, data)
        let problems = store.verify()
        #expect(problems.count == 1)
        #expect("\(problems[0])".contains("corrupted"))
        // A manifest edited by hand to a wrong count fails to verify after reload too.
        store.manifest.shards[1].samples = 3
        try store.saveManifest()
        #expect(try VLShardStore.open(at: dir.path).verify().count == 2)
    }

    @Test func receivedShardsAreAdoptedOnlyWhenTheyMatch() throws {
        let dirA = Scratch(), dirB = Scratch()
        let source = try generate(plan(count: 16), dirA)
        let entry = source.manifest.shards[0]
        let bytes = try source.blobs.read(try SHA256Digest(hex: entry.sha256))
        var target = try VLShardStore.openOrCreate(at: dirB.path)
        var tampered = bytes; tampered[700] ^= 0x10
        #expect(throws: (any Error).self) { try target.adopt(entry, bytes: tampered) }
        #expect(target.manifest.shards.isEmpty)
        #expect(try target.blobs.list().isEmpty)
        try target.adopt(entry, bytes: bytes)
        #expect(target.manifest.shards == [entry] && target.verify().isEmpty)
    }

    struct NamesOnly: ManifestSignatureVerifier {
        let trusted: Set<String>
        struct Untrusted: Error {}
        func verify(payload: [UInt8], signature: ManifestSignature) throws {
            guard trusted.contains(signature.signer), signature.value == String(payload.count) else { throw Untrusted() }
        }
    }

    @Test func manifestParsingAndSigningBytes() throws {
        let dir = Scratch()
        var store = try generate(plan(count: 5), dir)
        let unsigned = store.manifest.signingBytes
        store.manifest.signatures = [ManifestSignature(signer: "node-a", algorithm: "ed25519", value: "c2lnbmF0dXJl")]
        #expect(store.manifest.signingBytes == unsigned)
        #expect(throws: NamesOnly.Untrusted.self) { try store.manifest.verifySignatures(with: NamesOnly(trusted: ["node-a"])) }
        store.manifest.signatures[0].value = String(unsigned.count)
        #expect(try store.manifest.verifySignatures(with: NamesOnly(trusted: ["node-a"])) == 1)
        #expect(throws: NamesOnly.Untrusted.self) { try store.manifest.verifySignatures(with: NamesOnly(trusted: ["node-b"])) }
        try store.saveManifest()
        let reloaded = try VLShardStore.open(at: dir.path)
        #expect(reloaded.manifest == store.manifest)
        var json = try JSONValue.parse(bytes(store.manifestPath))
        if case .object(var members) = json { members.append(("surprise", .bool(true))); json = .object(members) }
        let error = #expect(throws: DataError.self) { try VLManifest(bytes: json.canonicalBytes, file: "m.json") }
        #expect(error?.description.contains("unknown key \"surprise\"") == true)
    }
}
