// Domain-separated Ed25519 signatures: a signature made for one purpose (a model delta)
// can never be replayed as another (a round record), because the purpose is signed too.
import COpenSSL

/// What a signature is for. Part of the signed bytes, so a signature verifies only in
/// the domain it was made for.
///
/// A domain is 1–64 characters from `a-z`, `0-9`, `.` and `-` (never a NUL byte, which
/// ends the domain in the signed encoding).
public struct SignatureDomain: RawRepresentable, Hashable, Sendable {
    /// The domain name, e.g. "model-delta".
    public let rawValue: String

    /// A domain, or nil if `rawValue` is empty, longer than 64 characters or uses a
    /// character outside `a-z 0-9 . -`.
    public init?(rawValue: String) {
        let allowed = rawValue.utf8.allSatisfy { c in
            (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
        }
        guard allowed, (1...64).contains(rawValue.utf8.count) else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    // The federation's domains live here so that no two uses can pick the same name.
    /// A model delta sent to peers (the signed message is the delta's SHA-256 and metadata).
    public static let modelDelta = SignatureDomain(known: "model-delta")
    /// A round record in the hash-chained journal.
    public static let roundRecord = SignatureDomain(known: "round-record")
    /// A join request sent to a node's admin.
    public static let joinRequest = SignatureDomain(known: "join-request")
    /// A VL shard inventory or manifest announced to peers.
    public static let shardManifest = SignatureDomain(known: "shard-manifest")

    /// The signature context prefix: ASCII `cotrain-v1:`.
    static let prefix: [UInt8] = Array("cotrain-v1:".utf8)

    /// The exact bytes that are signed for `message` in this domain:
    ///
    ///     "cotrain-v1:" || domain (ASCII, 1–64 bytes) || 0x00 || message
    ///
    /// The domain holds no 0x00, so the first 0x00 ends it and different
    /// (domain, message) pairs never give the same bytes. Ed25519 is "pure" (RFC 8032,
    /// no pre-hash): sign the SHA-256 of large payloads, not the payload itself.
    public func signedBytes(for message: UnsafeRawBufferPointer) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.prefix.count + rawValue.utf8.count + 1 + message.count)
        bytes += Self.prefix
        bytes += rawValue.utf8
        bytes.append(0)
        bytes += message
        return bytes
    }
}

extension Ed25519PrivateKey {
    /// The 64-byte Ed25519 signature of `message` in `domain` (see
    /// ``SignatureDomain/signedBytes(for:)`` for the exact signed bytes).
    public func sign(message: UnsafeRawBufferPointer, domain: SignatureDomain) throws(CryptoError) -> [UInt8] {
        let signed = domain.signedBytes(for: message)
        let context = try openSSLObject("EVP_MD_CTX_new") { EVP_MD_CTX_new() }
        defer { EVP_MD_CTX_free(context) }
        // Ed25519 takes no message digest: md must be NULL.
        try openSSLCall("EVP_DigestSignInit") { EVP_DigestSignInit(context, nil, nil, nil, raw) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        try openSSLCall("EVP_DigestSign") { EVP_DigestSign(context, &signature, &length, signed, signed.count) }
        guard length == 64 else { throw CryptoError.invalidLength(what: "Ed25519 signature", expected: 64, found: length) }
        return signature
    }

    /// The 64-byte Ed25519 signature of `message` in `domain`.
    public func sign(message: [UInt8], domain: SignatureDomain) throws(CryptoError) -> [UInt8] {
        try message.withUnsafeBytes { buffer in Result { () throws(CryptoError) in try sign(message: buffer, domain: domain) } }.get()
    }
}

extension Ed25519PublicKey {
    /// Whether `signature` is this key's signature of `message` in `domain`.
    ///
    /// False for a wrong key, message or domain, and for malformed signatures or keys;
    /// never throws, so a peer's bad input cannot take another path than rejection.
    public func isValidSignature(_ signature: [UInt8], for message: UnsafeRawBufferPointer, domain: SignatureDomain) -> Bool {
        guard signature.count == 64 else { return false }
        defer { OpenSSLErrorQueue.clear() }  // a failed check leaves errors we do not report
        guard let key = try? makeEVPKey() else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else { return false }
        let signed = domain.signedBytes(for: message)
        return EVP_DigestVerify(context, signature, signature.count, signed, signed.count) == 1
    }

    /// Whether `signature` is this key's signature of `message` in `domain`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], domain: SignatureDomain) -> Bool {
        message.withUnsafeBytes { isValidSignature(signature, for: $0, domain: domain) }
    }
}
