import Foundation
import Testing
@testable import CotrainCore

@Suite struct TarInteropTests {
    static let pythonTrait = Testing.ConditionTrait.enabled(
        if: Interop.hasPython || Interop.required, "python3 not found; set COTRAIN_INTEROP=required to fail instead")

    @Test(pythonTrait) func pythonReadsOurArchivesByteForByte() throws {
        guard Interop.ready(safetensors: false) else { return }
        let directory = TemporaryDirectory()
        let path = directory.file("shard.tar")
        let entries = TarTests.sampleEntries + [
            TarEntry(name: "a/" + String(repeating: "b", count: 150) + "/c.txt", contents: Array("deep".utf8)),
        ]
        let mtime = 1_700_000_000
        try AtomicFile.write(try TarWriter.archive(entries, mtime: mtime), to: path)
        let spec: JSONValue = [
            "mtime": .int(Int64(mtime)),
            "entries": .array(entries.map { ["name": .string($0.name), "hex": .string(Hex.encode($0.contents))] }),
        ]
        try AtomicFile.write(spec.canonicalBytes, to: path + ".json")
        Interop.check("tar_check.py", "read", path)
    }

    @Test(pythonTrait, arguments: ["ustar", "gnu", "pax"])
    func weReadWhatPythonWrites(format: String) throws {
        guard Interop.ready(safetensors: false) else { return }
        let directory = TemporaryDirectory()
        let path = directory.file("python-\(format).tar")
        Interop.check("tar_check.py", "write", path, format)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        var reader = TarReader(fileDescriptor: fd)
        var entries: [TarEntry] = []
        while let entry = try reader.next() { entries.append(entry) }
        let spec = try JSONValue.parse(readFile(path + ".json", limit: 1 << 20))
        let expected = try #require(spec["entries"]?.array).map { entry in
            (entry["name"]?.string ?? "?", entry["hex"]?.string ?? "?")
        }
        #expect(entries.map(\.name) == expected.map(\.0))
        #expect(entries.map { Hex.encode($0.contents) } == expected.map(\.1))
    }
}
