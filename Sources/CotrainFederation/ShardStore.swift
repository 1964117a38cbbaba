// The node's VL shards on disk: verified blobs, a signed manifest per shard, and
// partial downloads that survive a restart.
//
//   state/shards/blobs/ab/abcd…        shard bytes, named by SHA-256 (BlobStore)
//   state/shards/manifests/<hex>.json  signed manifest (domain `shard-manifest`)
//   state/shards/partial/<hex>.part    bytes fetched so far
//   state/shards/partial/<hex>.json    its manifest, the peer, and the synced offset
//
// Shards are opaque here: the data layer defines their WebDataset content.
import CotrainCore
import Foundation

/// A shard's manifest as stored: what it is, where it came from, signed by this node.
public struct StoredShard: Sendable, Equatable {
    /// Hash, size, samples, source and licence (what peers announce).
    public let manifest: WireMessage.ShardManifest
    /// The node it came from (this node's id for shards published here).
    public let origin: NodeID
    /// When it was stored (RFC 3339).
    public let storedAt: String
}

/// Why a shard was not stored.
public enum ShardError: CotrainError, Equatable {
    /// The shard would take the store past its disk quota.
    case overQuota(needed: Int64, used: Int64, quota: Int64)
    /// A manifest field is invalid.
    case invalid(String)
    /// The bytes do not hash to the manifest's hash.
    case corrupted(hash: String, actual: String)

    public var description: String {
        switch self {
        case let .overQuota(needed, used, quota):
            return "the shard needs \(needed) bytes but the shard store uses \(used) of its \(quota)-byte quota (limits.shard_disk_quota_bytes)"
        case let .invalid(why): return "invalid shard: \(why)"
        case let .corrupted(hash, actual):
            return "shard \(hash.prefix(16))… was refused: its bytes hash to \(actual.prefix(16))…"
        }
    }
}

/// The shard store of one node home. Not thread-safe: one owner (the daemon's queue,
/// or a CLI command) at a time; publishing from another process is safe because every
/// file appears by rename.
public final class ShardStore {
    /// The store's directory (`state/shards`).
    public let root: String
    let blobs: BlobStore
    var manifestsDirectory: String { "\(root)/manifests" }
    var partialDirectory: String { "\(root)/partial" }

    /// Opens (creating) the store at `root`. Only the process holding the node lock
    /// passes `sweep` (removing files a crash left half-written): another process
    /// would delete the running node's temporary files.
    public init(root: String, sweep: Bool = false) throws {
        self.root = root
        blobs = try BlobStore(root: root)
        for directory in [manifestsDirectory, partialDirectory] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", directory, code: errno) }
            if sweep { AtomicFile.sweepTemporaries(in: directory) }
        }
    }

    /// Whether the shard is stored complete and verified.
    public func contains(_ hash: SHA256Digest) -> Bool {
        blobs.contains(hash) && access(manifestPath(hash), F_OK) == 0
    }

    /// Every stored shard whose manifest verifies with `key` (this node's key); others
    /// are skipped (and reported by ``problems(key:)``).
    public func list(key: Ed25519PublicKey) -> [StoredShard] {
        let names = ((try? directoryEntries(manifestsDirectory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        return names.sorted().compactMap { try? loadManifest("\(manifestsDirectory)/\($0)", key: key) }
            .filter { blobs.contains($0.manifest.hash) }
    }

    /// Bytes used by stored shards and partial downloads.
    public func usedBytes() -> Int64 {
        var total: Int64 = 0
        for hash in (try? blobs.list()) ?? [] { total += fileSize(blobs.path(for: hash)) }
        for name in (try? directoryEntries(partialDirectory)) ?? [] where name.hasSuffix(".part") {
            total += fileSize("\(partialDirectory)/\(name)")
        }
        return total
    }

    /// Stores a shard published on this node: checks the quota, stores the bytes, and
    /// writes the manifest signed with `key`.
    @discardableResult
    public func publish(_ bytes: [UInt8], samples: Int, source: String, licence: String, key: Ed25519PrivateKey,
                        quota: Int64) throws -> StoredShard {
        try Self.checkLabel(source, "source")
        try Self.checkLabel(licence, "licence")
        guard !bytes.isEmpty, samples >= 0 else { throw ShardError.invalid("a shard needs at least one byte") }
        let used = usedBytes()
        guard used + Int64(bytes.count) <= quota else { throw ShardError.overQuota(needed: Int64(bytes.count), used: used, quota: quota) }
        let hash = try blobs.put(bytes)
        let manifest = WireMessage.ShardManifest(hash: hash, size: bytes.count, samples: samples, source: source, licence: licence)
        let stored = StoredShard(manifest: manifest, origin: try key.publicKey.nodeID(), storedAt: ISO8601.format(Date()))
        try writeManifest(stored, key: key)
        return stored
    }

    /// Reads `count` bytes of a stored shard at `offset`.
    func read(_ hash: SHA256Digest, offset: Int, count: Int) throws -> [UInt8] {
        let path = blobs.path(for: hash)
        let fd = try FileDescriptor(path: path, flags: O_RDONLY | O_CLOEXEC)
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = try bytes.withUnsafeMutableBytes { buffer in
                try sysCall("pread", path) { pread(fd.raw, buffer.baseAddress! + done, count - done, off_t(offset + done)) }
            }
            guard n > 0 else { throw ShardError.invalid("\(path) is shorter than its manifest says") }
            done += n
        }
        return bytes
    }

    // MARK: manifests

    func manifestPath(_ hash: SHA256Digest) -> String { "\(manifestsDirectory)/\(hash.hex).json" }

    /// The signed part of a stored manifest.
    static func body(_ shard: StoredShard) -> JSONValue {
        let m = shard.manifest
        return .object([
            ("manifest", .object([("hash", .string(m.hash.hex)), ("size", .int(Int64(m.size))), ("samples", .int(Int64(m.samples))),
                                  ("source", .string(m.source)), ("licence", .string(m.licence))])),
            ("origin", .string(shard.origin.digest.hex)), ("stored_at", .string(shard.storedAt)),
        ])
    }

    func writeManifest(_ shard: StoredShard, key: Ed25519PrivateKey) throws {
        let body = Self.body(shard)
        let signature = try key.sign(message: body.canonicalBytes, domain: .shardManifest)
        guard case var .object(members) = body else { return }
        members += [("signer", .string(try key.publicKey.nodeID().digest.hex)), ("signature", .string(Hex.encode(signature)))]
        try AtomicFile.write(JSONValue.object(members).canonicalBytes, to: manifestPath(shard.manifest.hash), mode: 0o600)
    }

    func loadManifest(_ path: String, key: Ed25519PublicKey) throws -> StoredShard {
        let value = try JSONValue.parse(readFile(path, limit: 64 << 10))
        guard let m = value["manifest"], let hashText = m["hash"]?.string, let size = m["size"]?.int, let samples = m["samples"]?.int,
            let source = m["source"]?.string, let licence = m["licence"]?.string, let originText = value["origin"]?.string,
            let storedAt = value["stored_at"]?.string, let signatureText = value["signature"]?.string
        else { throw ShardError.invalid("\(path) is not a shard manifest") }
        let shard = StoredShard(
            manifest: .init(hash: try SHA256Digest(hex: hashText), size: size, samples: samples, source: source, licence: licence),
            origin: NodeID(digest: try SHA256Digest(hex: originText)), storedAt: storedAt)
        let signature = try Hex.decode(signatureText, byteCount: 64, what: "signature")
        guard key.isValidSignature(signature, for: Self.body(shard).canonicalBytes, domain: .shardManifest) else {
            throw ShardError.invalid("\(path): the manifest signature does not verify")
        }
        return shard
    }

    static func checkLabel(_ text: String, _ field: String) throws {
        guard (1...WireProtocol.maxLabelBytes).contains(text.utf8.count),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw ShardError.invalid("\(field) must be 1-\(WireProtocol.maxLabelBytes) bytes without control characters") }
    }

    func fileSize(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }
}
