// Partial shard downloads: bytes go to `partial/<hex>.part`; after each requested range
// the file is synced and the offset recorded in `partial/<hex>.json`, so a restart
// resumes from the last synced byte. The finished file is hashed before it is
// published; a mismatch discards it.
import CotrainCore
import Foundation

extension ShardStore {
    /// A download in progress.
    struct Partial: Equatable {
        /// What is being fetched.
        var manifest: WireMessage.ShardManifest
        /// Who it was being fetched from.
        var peer: NodeID
        /// Bytes synced to disk so far.
        var offset: Int
    }

    func partialPath(_ hash: SHA256Digest) -> String { "\(partialDirectory)/\(hash.hex).part" }
    func partialMetaPath(_ hash: SHA256Digest) -> String { "\(partialDirectory)/\(hash.hex).json" }

    /// Every download that can be resumed, from its last synced offset. Reading only:
    /// safe while the node downloads.
    func partials() -> [Partial] {
        let names = ((try? directoryEntries(partialDirectory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        return names.sorted().compactMap { name in
            guard let hash = try? SHA256Digest(hex: String(name.dropLast(5))) else { return nil }
            return partial(hash)
        }
    }

    /// The resumable download of `hash`, if there is one.
    func partial(_ hash: SHA256Digest) -> Partial? {
        guard let value = try? JSONValue.parse(readFile(partialMetaPath(hash), limit: 64 << 10)),
            let m = value["manifest"], let size = m["size"]?.int, let samples = m["samples"]?.int,
            let source = m["source"]?.string, let licence = m["licence"]?.string,
            let peerText = value["peer"]?.string, let peer = try? SHA256Digest(hex: peerText), let offset = value["offset"]?.int,
            (0...size).contains(offset)
        else { return nil }
        // Bytes past the recorded offset were never synced: the resumed download writes
        // over them (pwrite at explicit offsets), so nothing is truncated here.
        let synced = fileSize(partialPath(hash)) >= Int64(offset) ? offset : 0
        return Partial(manifest: .init(hash: hash, size: size, samples: samples, source: source, licence: licence),
                       peer: NodeID(digest: peer), offset: synced)
    }

    /// Starts (or restarts from zero) the download of `manifest` from `peer`.
    func beginPartial(_ manifest: WireMessage.ShardManifest, from peer: NodeID) throws -> Partial {
        let path = partialPath(manifest.hash)
        _ = try FileDescriptor(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
        let partial = Partial(manifest: manifest, peer: peer, offset: 0)
        try recordPartial(partial)
        return partial
    }

    /// Writes fetched bytes at `offset` (not yet synced).
    func writePartial(_ hash: SHA256Digest, bytes: [UInt8], at offset: Int) throws {
        let path = partialPath(hash)
        let fd = try FileDescriptor(path: path, flags: O_WRONLY | O_CLOEXEC)
        var done = 0
        while done < bytes.count {
            let n = try bytes.withUnsafeBytes { buffer in
                try sysCall("pwrite", path) { pwrite(fd.raw, buffer.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            }
            done += n
        }
    }

    /// Syncs the partial file and records `partial.offset` as resumable.
    func syncPartial(_ partial: Partial) throws {
        let fd = try FileDescriptor(path: partialPath(partial.manifest.hash), flags: O_WRONLY | O_CLOEXEC)
        try fd.sync()
        try recordPartial(partial)
    }

    /// Hashes the finished (synced) download; when it matches, moves it into the blob
    /// store and writes its manifest signed with `key`; else discards it and throws
    /// ``ShardError/corrupted(hash:actual:)``. Uses no temporary file of the blob store.
    func completePartial(_ partial: Partial, key: Ed25519PrivateKey) throws -> StoredShard {
        let hash = partial.manifest.hash
        let path = partialPath(hash)
        let actual = try SHA256.hash(fileAt: path)
        guard actual == hash, fileSize(path) == Int64(partial.manifest.size) else {
            discardPartial(hash)
            throw ShardError.corrupted(hash: hash.hex, actual: actual.hex)
        }
        let target = blobs.path(for: hash)
        let fan = String(target[..<target.lastIndex(of: "/")!])
        if mkdir(fan, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", fan, code: errno) }
        try sysCall("rename", path) { rename(path, target) }
        try AtomicFile.syncDirectory(fan)
        let stored = StoredShard(manifest: partial.manifest, origin: partial.peer, storedAt: ISO8601.format(Date()))
        try writeManifest(stored, key: key)
        discardPartial(hash)
        return stored
    }

    /// Removes a download's files.
    func discardPartial(_ hash: SHA256Digest) {
        unlink(partialPath(hash))
        unlink(partialMetaPath(hash))
    }

    private func recordPartial(_ partial: Partial) throws {
        let m = partial.manifest
        let json = JSONValue.object([
            ("manifest", .object([("hash", .string(m.hash.hex)), ("size", .int(Int64(m.size))), ("samples", .int(Int64(m.samples))),
                                  ("source", .string(m.source)), ("licence", .string(m.licence))])),
            ("peer", .string(partial.peer.digest.hex)), ("offset", .int(Int64(partial.offset))),
        ])
        try AtomicFile.write(json.canonicalBytes, to: partialMetaPath(m.hash), mode: 0o600)
    }
}
