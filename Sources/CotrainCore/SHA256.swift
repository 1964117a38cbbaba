// SHA-256 through OpenSSL's EVP interface (SHA-NI / AVX2 code paths), streaming and
// one-shot, plus the digest value that content addresses and node ids are built on.
import COpenSSL

/// A SHA-256 digest: 32 bytes, compared in constant time.
///
/// Text forms: ``hex`` (64 lower-case digits, for files and manifests) and the grouped
/// base32 form for people (see ``grouped`` and ``NodeID``).
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    /// The number of bytes in a digest.
    public static let byteCount = 32

    // Four words rather than an array: no allocation, and equality is branch-free.
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// A digest from exactly 32 bytes.
    public init(bytes: UnsafeRawBufferPointer) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw CryptoError.invalidLength(what: "SHA-256 digest", expected: Self.byteCount, found: bytes.count)
        }
        self.init(prefixOf: bytes)
    }

    /// From the first 32 bytes of `bytes` (missing bytes stay zero); for callers that
    /// already know the length is right.
    init(prefixOf bytes: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(32))) }
    }

    /// A digest from exactly 32 bytes.
    public init(bytes: [UInt8]) throws(CryptoError) {
        self = try bytes.withUnsafeBytes { buffer in Result { () throws(CryptoError) in try SHA256Digest(bytes: buffer) } }.get()
    }

    /// Parses 64 hex digits (either case; nothing else allowed).
    public init(hex: String) throws(DigestFormatError) {
        let bytes = try Hex.decode(hex, byteCount: Self.byteCount, what: "SHA-256 hex digest")
        self = bytes.withUnsafeBytes { SHA256Digest(prefixOf: $0) }
    }

    /// Calls `body` with the 32 digest bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = words
        return try Swift.withUnsafeBytes(of: &copy) { (buffer) throws(E) in try body(buffer) }
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The digest as 64 lower-case hex digits.
    public var hex: String { withUnsafeBytes { Hex.encode($0) } }

    /// The hex form.
    public var description: String { hex }

    /// Constant-time equality (a digest may gate access, e.g. a pinned node id).
    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool {
        let d = (a.words.0 ^ b.words.0) | (a.words.1 ^ b.words.1) | (a.words.2 ^ b.words.2) | (a.words.3 ^ b.words.3)
        return d == 0
    }

    /// Hashes all 32 bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

// Fetched once: an explicit fetch avoids OpenSSL 3's per-call implicit lookup, which
// dominates the cost of hashing small inputs. Immutable after initialisation and
// OpenSSL method objects are safe to share between threads.
nonisolated(unsafe) private let sha256Method: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

/// A streaming SHA-256 computation; ``finalize()`` returns the digest and resets it.
///
/// Not thread-safe: use one hasher per task. Large buffers go to OpenSSL in one call.
public final class SHA256Hasher {
    private let context: OpaquePointer  // EVP_MD_CTX*, owned
    private var failed = false

    /// A fresh hasher. Throws only if OpenSSL cannot provide SHA-256.
    public init() throws(CryptoError) {
        context = try openSSLObject("EVP_MD_CTX_new") { EVP_MD_CTX_new() }
        // All properties are set: if this throws, deinit runs and frees the context.
        try openSSLCall("EVP_DigestInit_ex(SHA256)") { EVP_DigestInit_ex(context, sha256Method, nil) }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Hashes `bytes` next.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if EVP_DigestUpdate(context, base, bytes.count) != 1 { failed = true }
    }

    /// Hashes `bytes` next.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Hashes `bytes` next (contiguous collections in one call, others in 64 KiB pieces).
    public func update(_ bytes: some Sequence<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) != nil { return }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 16)
        for byte in bytes {
            chunk.append(byte)
            if chunk.count == 1 << 16 { update(chunk); chunk.removeAll(keepingCapacity: true) }
        }
        update(chunk)
    }

    /// The digest of everything hashed since creation or the last `finalize()`;
    /// the hasher then starts over.
    public func finalize() throws(CryptoError) -> SHA256Digest {
        defer { failed = false }
        guard !failed else { throw CryptoError.openSSL(operation: "EVP_DigestUpdate", details: OpenSSLErrorQueue.drain()) }
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        try openSSLCall("EVP_DigestFinal_ex") { EVP_DigestFinal_ex(context, &out, &length) }
        try openSSLCall("EVP_DigestInit_ex(SHA256)") { EVP_DigestInit_ex(context, sha256Method, nil) }
        return try SHA256Digest(bytes: Array(out.prefix(Int(length))))
    }
}

/// One-shot SHA-256.
public enum SHA256 {
    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) throws(CryptoError) -> SHA256Digest {
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        var length: UInt32 = 0
        // A NULL base is fine for 0 bytes: EVP_DigestUpdate returns early on count 0.
        try openSSLCall("EVP_Digest(SHA256)") { EVP_Digest(bytes.baseAddress, bytes.count, &out, &length, sha256Method, nil) }
        return try SHA256Digest(bytes: Array(out.prefix(Int(length))))
    }

    /// The digest of `bytes` (e.g. an array, `Data` or `string.utf8`).
    public static func hash(_ bytes: some Sequence<UInt8>) throws(CryptoError) -> SHA256Digest {
        let hasher = try SHA256Hasher()
        hasher.update(bytes)
        return try hasher.finalize()
    }

    /// The digest of the file at `path`, read in 1 MiB chunks.
    ///
    /// - Throws: ``SystemError`` if the file cannot be opened or read, ``CryptoError``
    ///   if OpenSSL fails.
    public static func hash(fileAt path: String) throws -> SHA256Digest {
        let fd = try sysCall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        let hasher = try SHA256Hasher()
        let chunkSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try sysCall("read", path) { read(fd, buffer.baseAddress, chunkSize) }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return try hasher.finalize()
    }
}
