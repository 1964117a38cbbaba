import Foundation
import Testing
@testable import CotrainCore

@Suite struct BlobStoreTests {
    @Test func putReadListAndIdempotence() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        let a = try store.put(Array("alpha".utf8))
        let b = try store.put(Array("beta".utf8))
        #expect(try store.put(Array("alpha".utf8)) == a)
        #expect(a == (try SHA256.hash(Array("alpha".utf8))))
        #expect(try store.read(a) == Array("alpha".utf8))
        #expect(try store.list() == [a, b].sorted { $0.hex < $1.hex })
        #expect(try directoryEntries(dir.file("tmp")).isEmpty)
    }

    @Test func corruptedBlobIsQuarantinedNotServed() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        let digest = try store.put([UInt8](repeating: 1, count: 4096))
        // Flip one bit on disk.
        let path = store.path(for: digest)
        var bytes = try readFile(path, limit: 10_000)
        bytes[100] ^= 0x10
        chmod(path, 0o644)
        try bytes.withUnsafeBytes { buffer in
            let fd = try FileDescriptor(path: path, flags: O_WRONLY)
            try fd.writeAll(buffer)
        }
        let error = #expect(throws: StoreError.self) { try store.read(digest) }
        guard case .corrupted(let named, _, let quarantined)? = error else {
            Issue.record("expected .corrupted, got \(String(describing: error))")
            return
        }
        #expect(named == digest)
        #expect(FileManager.default.fileExists(atPath: quarantined))
        #expect(!store.contains(digest))
        #expect(throws: StoreError.missing(digest)) { try store.read(digest) }
    }

    @Test func verifyStreamsAndCatchesCorruption() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        let digest = try store.put([UInt8](repeating: 3, count: 3 << 20))
        try store.verify(digest)
        truncate(store.path(for: digest), 1 << 20)
        #expect(throws: StoreError.self) { try store.verify(digest) }
    }

    @Test func streamedWriteWithWrongPromiseIsNotPublished() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        let promised = try SHA256.hash(Array("the real shard".utf8))
        let writer = try store.makeWriter()
        try writer.append(Array("the real".utf8))
        try writer.append(Array(" shard?".utf8))
        #expect(throws: StoreError.self) { try writer.commit(expecting: promised) }
        #expect(try store.list().isEmpty)
        #expect(try directoryEntries(dir.file("tmp")).isEmpty)
    }

    @Test func streamedWriteMatchingPromiseIsPublished() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        var rng = TestRNG(seed: 7)
        let data = rng.bytes(200_000)
        let writer = try store.makeWriter()
        for start in stride(from: 0, to: data.count, by: 65_536) {
            try writer.append(Array(data[start..<min(start + 65_536, data.count)]))
        }
        let digest = try writer.commit(expecting: try SHA256.hash(data))
        #expect(try store.read(digest) == data)
    }

    @Test func abandonedWriterLeavesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        do {
            let writer = try store.makeWriter()
            try writer.append([1, 2, 3])
        }
        #expect(try directoryEntries(dir.file("tmp")).isEmpty)
        #expect(try store.list().isEmpty)
    }

    @Test func readRespectsLimit() throws {
        let dir = TemporaryDirectory()
        let store = try BlobStore(root: dir.path)
        let digest = try store.put([UInt8](repeating: 0, count: 1000))
        #expect(throws: StoreError.tooLarge(digest, size: 1000, limit: 10)) { try store.read(digest, limit: 10) }
    }
}

@Suite struct LoggerTests {
    @Test func jsonLinesAreParseableAndFiltered() throws {
        let dir = TemporaryDirectory()
        let file = dir.file("node.log.jsonl")
        let log = try Logger(component: "federation", consoleLevel: nil, jsonFile: file, fileLevel: .info)
        log.debug("not written")
        log.info("delta accepted", ["peer": "MFRG", "bytes": "1024"])
        log.component("shards").warning("quota \"near\"\nfull", ["used": "95%"])
        let lines = String(decoding: try readFile(file, limit: 1 << 20), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let first = try JSONValue.parse(lines[0])
        #expect(first["message"]?.string == "delta accepted")
        #expect(first["level"]?.string == "info")
        #expect(first["fields"]?["bytes"]?.string == "1024")
        let second = try JSONValue.parse(lines[1])
        #expect(second["component"]?.string == "shards")
        #expect(second["message"]?.string == "quota \"near\"\nfull")
        var st = stat()
        stat(file, &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func humanLineShape() {
        let line = LogSink.humanLine(Date(timeIntervalSince1970: 0), .warning, "peers", "join refused", [("lab", "lab b"), ("id", "X")])
        #expect(line == "00:00:00 warn  peers: join refused lab=\"lab b\" id=X\n")
    }

    @Test func timestampsAreRFC3339UTC() {
        #expect(ISO8601.format(Date(timeIntervalSince1970: 1_795_000_000.25)) == "2026-11-18T11:06:40.250Z")
    }
}
