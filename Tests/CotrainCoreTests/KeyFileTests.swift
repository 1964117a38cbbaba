import Foundation
import Testing

@testable import CotrainCore

/// Serialized: the umask test changes process-wide state.
@Suite(.serialized) struct KeyFileTests {
    let temp = TemporaryDirectory("cotrain-keyfile")
    var directory: String { temp.path }

    func mode(_ path: String) throws -> mode_t {
        var st = stat()
        try sysCall("stat", path) { stat(path, &st) }
        return st.st_mode & 0o7777
    }

    @Test func writeCreates0600AndReadsBack() throws {
        let path = directory + "/node.key"
        let key = try Ed25519PrivateKey()
        let old = umask(0)  // even with a permissive umask the file starts 0600
        defer { umask(old) }
        try writePrivateKey(key, to: path)
        #expect(try mode(path) == 0o600)
        let read = try readPrivateKey(from: path)
        #expect(try read.rawRepresentation() == key.rawRepresentation())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(leftovers == ["node.key"])  // no temp file left behind
    }

    @Test func existingKeyIsNotReplacedUnlessAsked() throws {
        let path = directory + "/node.key"
        let first = try Ed25519PrivateKey(), second = try Ed25519PrivateKey()
        try writePrivateKey(first, to: path)
        #expect(throws: KeyFileError.alreadyExists(path: path)) { try writePrivateKey(second, to: path) }
        #expect(try readPrivateKey(from: path).publicKey == first.publicKey)
        try writePrivateKey(second, to: path, overwrite: true)
        #expect(try readPrivateKey(from: path).publicKey == second.publicKey)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o602, 0o620])
    func groupOrWorldAccessIsRefused(_ permissions: Int) throws {
        let path = directory + "/node.key"
        try writePrivateKey(try Ed25519PrivateKey(), to: path)
        try sysCall("chmod", path) { chmod(path, mode_t(permissions)) }
        let error = #expect(throws: KeyFileError.self) { try readPrivateKey(from: path) }
        #expect(error == .insecurePermissions(path: path, mode: UInt32(permissions)))
        #expect(error?.description.contains("chmod 600 \(path)") == true)
        try sysCall("chmod", path) { chmod(path, 0o400) }  // read-only for the owner is fine
        _ = try readPrivateKey(from: path)
    }

    @Test func nonRegularFilesAreRefused() throws {
        #expect(throws: KeyFileError.notRegularFile(path: directory)) { try readPrivateKey(from: directory) }
        let fifo = directory + "/fifo"
        try sysCall("mkfifo", fifo) { mkfifo(fifo, 0o600) }
        // Must not block waiting for a writer.
        #expect(throws: KeyFileError.notRegularFile(path: fifo)) { try readPrivateKey(from: fifo) }
        #expect(throws: SystemError.self) { try readPrivateKey(from: directory + "/missing.key") }
    }

    @Test func oversizedAndNonKeyFilesAreRefused() throws {
        let big = directory + "/big.key"
        _ = FileManager.default.createFile(atPath: big, contents: Data(count: PEM.maximumSize + 1), attributes: [.posixPermissions: 0o600])
        #expect(throws: KeyFileError.tooLarge(path: big, size: PEM.maximumSize + 1, limit: PEM.maximumSize)) {
            try readPrivateKey(from: big)
        }
        let cert = directory + "/cert.key"
        let pem = try Certificate.selfSigned(labName: "lab", key: Ed25519PrivateKey()).pemEncoded()
        _ = FileManager.default.createFile(atPath: cert, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600])
        let error = #expect(throws: PEMError.self) { try readPrivateKey(from: cert) }
        #expect(error?.source == cert)
    }

    @Test func ownershipRule() throws {
        let path = directory + "/node.key"
        try writePrivateKey(try Ed25519PrivateKey(), to: path)
        guard geteuid() == 0 else { return }  // only root can give a file away
        try sysCall("chown", path) { chown(path, 4242, 4242) }
        // Root may read keys it does not own (e.g. a bind-mounted identity directory).
        _ = try readPrivateKey(from: path)
    }
}
