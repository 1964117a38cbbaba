// Importing external WebDataset tars: PPM/PGM decoding and resizing, re-sharding with
// source and licence, and refusal of unsupported formats and hostile archives.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData

@Suite struct VLImportTests {
    /// Writes a tar of `entries` (built raw, so hostile names are possible) and imports it.
    func importTar(_ archive: [UInt8], into dir: Scratch, shardSize: Int = 2) throws -> VLShardStore {
        let tar = dir.file("input.tar")
        try overwrite(tar, archive)
        var store = try VLShardStore.openOrCreate(at: dir.file("store"))
        var plan = VLImportPlan(input: tar, source: "webshots", licence: "CC-BY-4.0")
        plan.imageSize = 8
        plan.shardSize = shardSize
        try VLImporter.run(plan, into: &store)
        return store
    }

    func sample(_ key: String, ext: String = "ppm", image: [UInt8]? = nil, caption: String? = "a thing", json: String? = nil) -> [UInt8] {
        var out = rawTarEntry(name: "\(key).\(ext)", contents: image ?? solidImage(32, (200, 10, 10)).ppm)
        if let caption { out += rawTarEntry(name: "\(key).txt", contents: Array(caption.utf8)) }
        if let json { out += rawTarEntry(name: "\(key).json", contents: Array(json.utf8)) }
        return out
    }

    @Test func importsResizesAndRecordsSourceAndLicence() throws {
        let dir = Scratch()
        let pgm = Array("P5\n# grey\n4 2\n255\n".utf8) + [0, 64, 128, 255, 0, 64, 128, 255]
        let archive = sample("dir/a", json: #"{"kind":"vqa","qa":[{"question":"what colour?","answer":"red"}],"concepts":["colour:red"]}"#)
            + sample("dir/b", ext: "pgm", image: pgm, caption: "grey ramp\n") + sample("c", caption: "third") + tarEnd
        let store = try importTar(archive, into: dir)
        #expect(store.manifest.shards.map(\.samples) == [2, 1])
        #expect(store.manifest.shards.allSatisfy { $0.source == "webshots" && $0.licence == "CC-BY-4.0" && $0.split == "train" })
        #expect(store.manifest.shards[0].concepts == ["colour:red"])
        let samples = try store.manifest.shards.flatMap { try store.samples(of: $0) }
        #expect(samples.map(\.key) == ["webshots-000000", "webshots-000001", "webshots-000002"])
        #expect(samples.allSatisfy { $0.image.width == 8 && $0.image.height == 8 })
        #expect(samples[0].image.pixels.prefix(3) == [200, 10, 10])
        #expect(samples[0].qa == [QAPair(question: "what colour?", answer: "red", type: "other")])
        #expect(samples[1].caption == "grey ramp")
        #expect(store.verify().isEmpty)
    }

    @Test(arguments: ["png", "jpg", "webp"])
    func foreignImageFormatsAreRefusedWithTheSupportedOnes(ext: String) throws {
        let dir = Scratch()
        let archive = sample("ok") + sample("bad", ext: ext, image: [0x89, 0x50, 0x4E, 0x47]) + tarEnd
        let error = #expect(throws: DataError.self) { try importTar(archive, into: dir, shardSize: 1) }
        let message = error?.description ?? ""
        #expect(message.contains(".\(ext) is not supported") && message.contains("PPM") && message.contains("PGM"))
        // All or nothing: the shard written before the bad sample is gone again.
        let store = try VLShardStore.open(at: dir.file("store"))
        #expect(store.manifest.shards.isEmpty)
        #expect(try store.blobs.list().isEmpty)
    }

    @Test(arguments: ["../evil", "/etc/evil", "a/../../evil"])
    func pathTraversalIsRefused(key: String) throws {
        let dir = Scratch()
        let error = #expect(throws: DataError.self) { try importTar(sample(key) + tarEnd, into: dir) }
        guard case .unsafeArchive = error else { Issue.record("expected unsafeArchive, got \(String(describing: error))"); return }
    }

    @Test func linksAndMalformedSamplesAreRefused() throws {
        let symlink = rawTarHeader(name: "x.ppm", size: 0, type: UInt8(ascii: "2"), linkName: "/etc/passwd")
        #expect(throws: DataError.self) { try importTar(symlink + tarEnd, into: Scratch()) }
        let split = sample("a") + sample("b") + rawTarEntry(name: "a.json", contents: Array("{}".utf8)) + tarEnd
        let error = #expect(throws: DataError.self) { try importTar(split, into: Scratch()) }
        #expect(error?.description.contains("not adjacent") == true)
        let unknownKey = sample("a", json: #"{"kind":"x","labels":[]}"#) + tarEnd
        #expect(throws: DataError.self) { try importTar(unknownKey, into: Scratch()) }
        let noText = sample("a", caption: nil) + tarEnd
        #expect(throws: DataError.self) { try importTar(noText, into: Scratch()) }
        #expect(throws: (any Error).self) { try importTar(sample("a"), into: Scratch()) }  // truncated: no end marker
    }

    @Test func pnmDecodingIsStrict() throws {
        let wide = Array("P6 1 1 65535\n".utf8) + [0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00]
        #expect(try RGBImage(pnm: wide).pixels == [255, 128, 0])
        #expect(throws: DataError.self) { try RGBImage(pnm: Array("P6 2 2 255\n".utf8) + [1, 2, 3]) }  // truncated
        #expect(throws: DataError.self) { try RGBImage(pnm: Array("P6 1 1 255\n".utf8) + [1, 2, 3, 4]) }  // trailing
        #expect(throws: DataError.self) { try RGBImage(pnm: Array("P3 1 1 255\n1 2 3".utf8)) }  // ASCII PPM
        #expect(throws: DataError.self) { try RGBImage(pnm: Array("P6 99999 1 255\n".utf8)) }
        let image = solidImage(3, (1, 2, 3))
        #expect(try RGBImage(pnm: image.ppm) == image)
    }

    @Test func resizeFilters() {
        // 4×1 → 2×1: box averages pairs, nearest takes pixels 1 and 3 (centres at 1, 3).
        let row = RGBImage(width: 4, height: 1, pixels: [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255])
        #expect(row.resized(width: 2, height: 1, filter: .box).pixels == [50, 50, 50, 228, 228, 228])
        #expect(row.resized(width: 2, height: 1, filter: .nearest).pixels == [100, 100, 100, 255, 255, 255])
        // Shrinking a solid image keeps its colour; enlarging by 2 with nearest duplicates pixels.
        #expect(solidImage(10, (9, 8, 7)).resized(width: 3, height: 3, filter: .box) == solidImage(3, (9, 8, 7)))
        let two = RGBImage(width: 2, height: 1, pixels: [1, 1, 1, 9, 9, 9])
        #expect(two.resized(width: 4, height: 1, filter: .nearest).pixels == [1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9])
    }
}
