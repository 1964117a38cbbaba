import Foundation
import Testing
@testable import CotrainCore

@Suite struct AtomicFileTests {
    @Test func writeReplacesAndLeavesNoTemporaries() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("config.json")
        try AtomicFile.write(Array("one".utf8), to: path)
        try AtomicFile.write(Array("two".utf8), to: path)
        #expect(try readFile(path, limit: 100) == Array("two".utf8))
        #expect(dir.names() == ["config.json"])
    }

    @Test func modeIsSetAtCreation() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("key.pem")
        try AtomicFile.write(Array("secret".utf8), to: path, mode: 0o600)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func failedBodyKeepsOldFileAndRemovesTemporary() throws {
        struct Boom: Error {}
        let dir = TemporaryDirectory()
        let path = dir.file("state.json")
        try AtomicFile.write(Array("old".utf8), to: path)
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: path) { fd in
                try fd.writeAll(Array("half".utf8))
                throw Boom()
            }
        }
        #expect(try readFile(path, limit: 100) == Array("old".utf8))
        #expect(dir.names() == ["state.json"])
    }

    @Test func sweepRemovesLeftoverTemporariesOnly() throws {
        let dir = TemporaryDirectory()
        try AtomicFile.write([1], to: dir.file("keep"))
        #expect(FileManager.default.createFile(atPath: dir.file("keep.tmp-1234"), contents: Data([9])))
        #expect(AtomicFile.sweepTemporaries(in: dir.path) == ["keep.tmp-1234"])
        #expect(dir.names() == ["keep"])
    }

    @Test func missingDirectoryIsATypedErrorNamingThePath() {
        let error = #expect(throws: SystemError.self) {
            try AtomicFile.write([1], to: "/nonexistent-cotrain/x")
        }
        #expect(error?.description.contains("/nonexistent-cotrain/x") == true)
    }
}

@Suite struct ReadFileTests {
    @Test func refusesFilesOverTheLimitBeforeReading() throws {
        let dir = TemporaryDirectory()
        try AtomicFile.write([UInt8](repeating: 7, count: 1000), to: dir.file("big"))
        #expect(throws: FileError.tooLarge(path: dir.file("big"), size: 1000, limit: 999)) {
            try readFile(dir.file("big"), limit: 999)
        }
        #expect(try readFile(dir.file("big"), limit: 1000).count == 1000)
    }

    @Test func refusesDirectories() throws {
        let dir = TemporaryDirectory()
        #expect(throws: FileError.notRegularFile(path: dir.path)) { try readFile(dir.path, limit: 10) }
    }

    @Test func readsEmptyFile() throws {
        let dir = TemporaryDirectory()
        try AtomicFile.write([], to: dir.file("empty"))
        #expect(try readFile(dir.file("empty"), limit: 10).isEmpty)
    }
}

@Suite(.serialized) struct NodeLockTests {
    @Test func secondLockOnSameHomeFailsWithHolderPID() throws {
        let dir = TemporaryDirectory()
        let first = try NodeLock(directory: dir.path)
        let error = #expect(throws: LockError.self) { _ = try NodeLock(directory: dir.path) }
        #expect(error?.holder == getpid())
        #expect(error?.description.contains("--home") == true)
        _ = consume first
        // Released with its owner: the home can be locked again.
        _ = try NodeLock(directory: dir.path)
    }
}
