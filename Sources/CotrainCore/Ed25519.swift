// Ed25519 keys through OpenSSL's EVP_PKEY: generation, raw 32-byte import/export, and
// the SubjectPublicKeyInfo a node id is computed from.
import COpenSSL

/// An Ed25519 private key (an owned OpenSSL `EVP_PKEY`).
///
/// `@unchecked Sendable`: the key is never mutated after `init`, and OpenSSL allows
/// concurrent signing with one `EVP_PKEY` (each signature uses its own `EVP_MD_CTX`).
public final class Ed25519PrivateKey: @unchecked Sendable {
    /// The `EVP_PKEY*`, for the TLS layer (`SSL_CTX_use_PrivateKey`; package-visible so
    /// CotrainFederation can reach it). Owned; do not free.
    package let raw: OpaquePointer
    /// The matching public key.
    public let publicKey: Ed25519PublicKey

    /// Generates a new key from OpenSSL's secure random generator.
    public convenience init() throws(CryptoError) {
        let context = try openSSLObject("EVP_PKEY_CTX_new_id(ED25519)") { EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) }
        defer { EVP_PKEY_CTX_free(context) }
        try openSSLCall("EVP_PKEY_keygen_init") { EVP_PKEY_keygen_init(context) }
        var key: OpaquePointer? = nil
        try openSSLCall("EVP_PKEY_keygen") { EVP_PKEY_keygen(context, &key) }
        guard let key else { throw CryptoError.openSSL("EVP_PKEY_keygen") }
        try self.init(taking: key)
    }

    /// Imports a key from its 32-byte raw form (RFC 8032 seed).
    public convenience init(rawRepresentation bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError.invalidLength(what: "Ed25519 private key", expected: 32, found: bytes.count)
        }
        let key = try openSSLObject("EVP_PKEY_new_raw_private_key") {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, bytes, 32)
        }
        try self.init(taking: key)
    }

    /// Takes ownership of `key`; frees it and throws if it is not an Ed25519 key.
    package init(taking key: OpaquePointer) throws(CryptoError) {
        do throws(CryptoError) {
            guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
                throw CryptoError.notEd25519(what: "private key", found: keyTypeName(key))
            }
            publicKey = try Ed25519PublicKey(evpKey: key)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        raw = key
    }

    deinit { EVP_PKEY_free(raw) }

    /// The 32-byte raw private key (the RFC 8032 seed). Secret: never log or send it.
    public func rawRepresentation() throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        var length = 32
        try openSSLCall("EVP_PKEY_get_raw_private_key") { EVP_PKEY_get_raw_private_key(raw, &bytes, &length) }
        return Array(bytes.prefix(length))
    }
}

/// An Ed25519 public key: 32 raw bytes (RFC 8032 encoding).
public struct Ed25519PublicKey: Hashable, Sendable {
    /// The 32-byte raw public key.
    public let rawRepresentation: [UInt8]

    /// A public key from its 32-byte raw form. Only the length is checked here; bytes
    /// that are not a curve point make every signature check fail.
    public init(rawRepresentation bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else {
            throw CryptoError.invalidLength(what: "Ed25519 public key", expected: 32, found: bytes.count)
        }
        rawRepresentation = bytes
    }

    /// The public half of an Ed25519 `EVP_PKEY` (private or public).
    init(evpKey key: OpaquePointer) throws(CryptoError) {
        guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            throw CryptoError.notEd25519(what: "public key", found: keyTypeName(key))
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var length = 32
        try openSSLCall("EVP_PKEY_get_raw_public_key") { EVP_PKEY_get_raw_public_key(key, &bytes, &length) }
        try self.init(rawRepresentation: Array(bytes.prefix(length)))
    }

    /// A new `EVP_PKEY` holding this key; the caller frees it with `EVP_PKEY_free`.
    func makeEVPKey() throws(CryptoError) -> OpaquePointer {
        try openSSLObject("EVP_PKEY_new_raw_public_key") {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, rawRepresentation, rawRepresentation.count)
        }
    }

    /// The DER `SubjectPublicKeyInfo` (44 bytes for Ed25519), as it appears in a certificate.
    public func subjectPublicKeyInfo() throws(CryptoError) -> [UInt8] {
        let key = try makeEVPKey()
        defer { EVP_PKEY_free(key) }
        return try derEncode("i2d_PUBKEY") { i2d_PUBKEY(key, $0) }
    }

    /// The node id of a node whose certificate holds this key.
    public func nodeID() throws(CryptoError) -> NodeID {
        try subjectPublicKeyInfo().withUnsafeBytes { der in Result { () throws(CryptoError) in try NodeID(subjectPublicKeyInfo: der) } }.get()
    }
}

/// OpenSSL's name for a key's type, e.g. "RSA" or "ED25519", for error messages.
func keyTypeName(_ key: OpaquePointer) -> String {
    EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "key type \(EVP_PKEY_get_id(key))"
}

/// Runs an OpenSSL `i2d_*` encoder twice (length, then bytes) and returns the DER.
func derEncode(
    _ operation: String, _ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
) throws(CryptoError) -> [UInt8] {
    OpenSSLErrorQueue.clear()
    let length = encode(nil)
    guard length > 0 else { throw CryptoError.openSSL(operation) }
    var der = [UInt8](repeating: 0, count: Int(length))
    let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var cursor = buffer.baseAddress
        return encode(&cursor)
    }
    guard written == length else { throw CryptoError.openSSL(operation) }
    return der
}
