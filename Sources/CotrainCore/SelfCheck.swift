// `cotrain selfcheck`: exercises the base layer for real on this machine (crypto from
// OpenSSL, zstd, the file system), so a lab learns at install time — not mid-round —
// that something is broken.
import Foundation

/// The outcome of one self-check.
public struct SelfCheckResult: Sendable {
    /// What was checked, e.g. "Ed25519 sign/verify".
    public let name: String
    /// nil when the check passed; otherwise the error message.
    public let failure: String?
    /// Wall time of the check, seconds.
    public let seconds: Double
    /// A short detail for the table, e.g. the node id created.
    public let detail: String
}

/// Checks of the base layer, each doing the real operation at a small size.
public enum SelfCheck {
    /// Runs every check inside `workDirectory` (which must exist and be empty-ish).
    public static func run(in workDirectory: String) -> [SelfCheckResult] {
        checks.map { name, body in
            let start = DispatchTime.now().uptimeNanoseconds
            var detail = ""
            var failure: String?
            do { detail = try body(workDirectory) } catch { failure = "\(error)" }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return SelfCheckResult(name: name, failure: failure, seconds: seconds, detail: detail)
        }
    }

    struct CheckFailed: CotrainError {
        let description: String
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw CheckFailed(description: message()) }
    }

    static let checks: [(String, @Sendable (String) throws -> String)] = [
        ("SHA-256 known answer", { _ in
            let digest = try SHA256.hash(Array("abc".utf8))
            try require(
                digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "SHA-256(\"abc\") = \(digest.hex)")
            return "FIPS 180-2 vector"
        }),
        ("Ed25519 sign/verify", { _ in
            let key = try Ed25519PrivateKey()
            let message = Array("round 7 delta".utf8)
            let signature = try key.sign(message: message, domain: .modelDelta)
            try require(key.publicKey.isValidSignature(signature, for: message, domain: .modelDelta), "signature did not verify")
            try require(!key.publicKey.isValidSignature(signature, for: message, domain: .roundRecord), "signature verified in the wrong domain")
            return "domain separation holds"
        }),
        ("node certificate and key file", { dir in
            let key = try Ed25519PrivateKey()
            let cert = try Certificate.selfSigned(labName: "selfcheck-lab", key: key)
            try require(cert.hasValidSelfSignature(), "certificate self-signature does not verify")
            try require(cert.nodeID == (try key.publicKey.nodeID()), "node id differs between key and certificate")
            let path = "\(dir)/node.key"
            try writePrivateKey(key, to: path)
            let back = try readPrivateKey(from: path)
            try require(back.publicKey == key.publicKey, "key file round trip changed the key")
            let reparsed = try Certificate(pemEncoded: try cert.pemEncoded(), source: "selfcheck")
            try require(reparsed.nodeID == cert.nodeID, "PEM round trip changed the node id")
            return "node id \(cert.nodeID.short)"
        }),
        ("zstd round trip and bomb cap", { _ in
            let data = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
            let packed = try Zstd.compress(data)
            try require(try Zstd.decompress(packed, limit: data.count) == data, "zstd round trip changed the data")
            let capped: Bool
            do { _ = try Zstd.decompress(packed, limit: data.count - 1); capped = false } catch { capped = true }
            try require(capped, "decompression past the size cap was not refused")
            return "\(data.count) → \(packed.count) bytes"
        }),
        ("safetensors write/read", { dir in
            var writer = SafetensorsWriter(metadata: ["check": "selfcheck"])
            let values = (0..<1000).map { Float($0) * 0.5 - 3 }
            try writer.add("shared.w", shape: [10, 100], values: values)
            try writer.add("shared.i", shape: [3], values: [Int64(1), -2, 3])
            let path = "\(dir)/check.safetensors"
            try writer.write(toFile: path)
            let file = try SafetensorsFile.open(path: path)
            try require(try file.floats("shared.w") == values, "F32 tensor changed in a round trip")
            try require(file.metadata["check"] == "selfcheck", "metadata lost")
            return "2 tensors, mmap read"
        }),
        ("tar write/read", { _ in
            let entries = [TarEntry(name: "s000.txt", contents: Array("a red cube".utf8)),
                           TarEntry(name: String(repeating: "d/", count: 60) + "s000.json", contents: Array("{}".utf8))]
            let archive = try TarWriter.archive(entries)
            var reader = TarReader(bytes: archive)
            var back: [TarEntry] = []
            while let entry = try reader.next() { back.append(entry) }
            try require(back == entries, "tar round trip changed the entries")
            return "ustar, long names"
        }),
        ("atomic write, lock and blob store", { dir in
            let lock = try NodeLock(directory: dir)
            let store = try BlobStore(root: "\(dir)/blobs")
            let digest = try store.put(Array("shard".utf8))
            try require(try store.read(digest) == Array("shard".utf8), "blob round trip failed")
            try AtomicFile.write(Array("{}".utf8), to: "\(dir)/config.json", mode: 0o600)
            _ = consume lock
            return "fsync + rename"
        }),
    ]
}
