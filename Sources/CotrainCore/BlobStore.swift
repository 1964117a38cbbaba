// A content-addressed store: SHA-256 → file. Blobs appear only complete and verified
// (written under tmp/, hashed while written, then renamed into blobs/), and are
// verified again on every read, so a flipped bit on disk is caught, not served.

/// Errors of the blob store.
public enum StoreError: CotrainError, Equatable {
    /// No blob with this digest.
    case missing(SHA256Digest)
    /// The bytes on disk no longer hash to their name; the file was moved to quarantine/.
    case corrupted(SHA256Digest, actual: SHA256Digest, quarantined: String)
    /// Incoming bytes did not hash to the digest the sender promised.
    case digestMismatch(expected: SHA256Digest, actual: SHA256Digest)
    /// A blob is larger than the caller's limit.
    case tooLarge(SHA256Digest, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .missing(digest):
            return "blob \(digest.hex) is not in the store"
        case let .corrupted(digest, actual, quarantined):
            return "blob \(digest.hex) is corrupted on disk (its bytes hash to \(actual.hex)); moved to \(quarantined) — fetch it again from a peer or restore from backup"
        case let .digestMismatch(expected, actual):
            return "received data hashes to \(actual.hex), not the promised \(expected.hex); it was discarded"
        case let .tooLarge(digest, size, limit):
            return "blob \(digest.hex) is \(size) bytes, more than the limit of \(limit)"
        }
    }
}

/// A directory of immutable blobs named by their SHA-256.
///
/// Layout: `ROOT/blobs/ab/abcdef…` (two-hex-digit fan-out), `ROOT/tmp/` for blobs
/// being written, `ROOT/quarantine/` for blobs that failed verification. Safe for
/// concurrent use by several threads and processes: every publish is a rename.
public struct BlobStore: Sendable {
    /// The store's root directory.
    public let root: String

    /// Opens (creating if needed) a store at `root`, removing leftovers of writes that
    /// a crash interrupted.
    public init(root: String) throws {
        self.root = root
        for dir in [root, "\(root)/blobs", "\(root)/tmp", "\(root)/quarantine"] {
            try BlobStore.makeDirectory(dir)
        }
        AtomicFile.sweepTemporaries(in: "\(root)/tmp")
    }

    /// Where the blob with `digest` lives (whether or not it exists).
    public func path(for digest: SHA256Digest) -> String {
        let hex = digest.hex
        return "\(root)/blobs/\(hex.prefix(2))/\(hex)"
    }

    /// Whether the store has the blob.
    public func contains(_ digest: SHA256Digest) -> Bool {
        access(path(for: digest), F_OK) == 0
    }

    /// Stores `bytes` and returns their digest. Storing the same bytes twice is a no-op.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws -> SHA256Digest {
        let writer = try makeWriter()
        try writer.append(bytes)
        return try writer.commit()
    }

    /// Starts a streamed write; append chunks, then ``BlobWriter/commit(expecting:)``.
    public func makeWriter() throws -> BlobWriter {
        try BlobWriter(store: self)
    }

    /// Reads a whole blob, verifying its hash. A corrupted blob is quarantined and
    /// reported as ``StoreError/corrupted(_:actual:quarantined:)``.
    public func read(_ digest: SHA256Digest, limit: Int = Int.max) throws -> [UInt8] {
        let file = path(for: digest)
        guard contains(digest) else { throw StoreError.missing(digest) }
        let bytes: [UInt8]
        do {
            bytes = try readFile(file, limit: limit)
        } catch FileError.tooLarge(_, let size, let limit) {
            throw StoreError.tooLarge(digest, size: size, limit: limit)
        }
        try check(digest, actual: try SHA256.hash(bytes), file: file)
        return bytes
    }

    /// Re-hashes a blob on disk (streaming) and quarantines it if it is corrupted.
    public func verify(_ digest: SHA256Digest) throws {
        let file = path(for: digest)
        guard contains(digest) else { throw StoreError.missing(digest) }
        try check(digest, actual: try SHA256.hash(fileAt: file), file: file)
    }

    /// Removes a blob; removing a missing blob is not an error.
    public func remove(_ digest: SHA256Digest) throws {
        let file = path(for: digest)
        if unlink(file) != 0 && errno != ENOENT { throw SystemError("unlink", file, code: errno) }
    }

    /// The digests of all blobs, sorted by hex.
    public func list() throws -> [SHA256Digest] {
        var result: [SHA256Digest] = []
        for fan in try directoryEntries( "\(root)/blobs") where fan.count == 2 {
            for name in try directoryEntries( "\(root)/blobs/\(fan)") where name.hasPrefix(fan) {
                if let digest = try? SHA256Digest(hex: name) { result.append(digest) }
            }
        }
        return result.sorted { $0.hex < $1.hex }
    }

    private func check(_ digest: SHA256Digest, actual: SHA256Digest, file: String) throws {
        guard actual != digest else { return }
        let target = "\(root)/quarantine/\(digest.hex).\(UInt32.random(in: 0 ... .max))"
        try sysCall("rename", file) { rename(file, target) }
        throw StoreError.corrupted(digest, actual: actual, quarantined: target)
    }

    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", path, code: errno) }
    }
}

/// A blob being written: bytes go to a temp file and into a running hash; nothing is
/// visible in the store until ``commit(expecting:)`` succeeds.
public final class BlobWriter {
    private let store: BlobStore
    private let tempPath: String
    private var fd: Int32
    private let hasher: SHA256Hasher
    /// Bytes appended so far.
    public private(set) var count = 0

    init(store: BlobStore) throws {
        self.store = store
        tempPath = AtomicFile.temporaryPath(for: "\(store.root)/tmp/blob")
        hasher = try SHA256Hasher()
        let path = tempPath
        fd = try sysCall("open", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644) }
    }

    deinit { abort() }

    /// Appends bytes to the blob.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let path = tempPath
            let n = try sysCall("write", path) { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            offset += n
        }
        count += bytes.count
    }

    /// Appends bytes to the blob.
    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    /// Syncs the data and publishes it under its digest. When `expected` is given and
    /// the data hashes to something else, nothing is published and
    /// ``StoreError/digestMismatch(expected:actual:)`` is thrown.
    @discardableResult
    public func commit(expecting expected: SHA256Digest? = nil) throws -> SHA256Digest {
        defer { abort() }
        let path = tempPath
        try sysCall("fsync", path) { fsync(fd) }
        let digest = try hasher.finalize()
        if let expected, expected != digest { throw StoreError.digestMismatch(expected: expected, actual: digest) }
        let target = store.path(for: digest)
        let fan = String(target[..<target.lastIndex(of: "/")!])
        try BlobStore.makeDirectory(fan)
        try sysCall("rename", "\(path) → \(target)") { rename(path, target) }
        try AtomicFile.syncDirectory(fan)
        return digest
    }

    /// Discards the partial blob (also done automatically on deinit).
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(tempPath)
    }
}
