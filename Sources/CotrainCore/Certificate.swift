// A node's X.509 certificate: parsed strictly, read-only, with the node id computed once.
import COpenSSL
import Foundation

/// An X.509 certificate (an owned OpenSSL `X509`), usually a node's self-signed identity.
///
/// Parsing accepts any well-formed X.509 certificate; ``publicKey()`` then refuses
/// keys that are not Ed25519. The node id, subject CN and validity dates are read once
/// at creation.
///
/// `@unchecked Sendable`: the `X509` is never mutated after `init`; OpenSSL guards its
/// internal caches, so concurrent reads (and TLS use) are safe.
public final class Certificate: @unchecked Sendable {
    /// The `X509*`, for the TLS layer (`SSL_CTX_use_certificate`; package-visible so
    /// CotrainFederation can reach it). Owned; do not free.
    package let raw: OpaquePointer
    /// SHA-256 of the DER SubjectPublicKeyInfo: the node id peers pin.
    public let nodeID: NodeID
    /// The subject common name (a node's lab name), or nil if the subject has none.
    public let commonName: String?
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period.
    public let notAfter: Date

    /// Takes ownership of `x509`; frees it and throws if its fields cannot be read.
    package init(taking x509: OpaquePointer) throws(CryptoError) {
        do throws(CryptoError) {
            nodeID = try Self.readNodeID(x509)
            commonName = Self.readCommonName(x509)
            notBefore = try Self.readDate(X509_get0_notBefore(x509), "notBefore")
            notAfter = try Self.readDate(X509_get0_notAfter(x509), "notAfter")
        } catch {
            X509_free(x509)
            throw error
        }
        raw = x509
    }

    /// Wraps a certificate someone else owns (e.g. `SSL_get0_peer_certificate`), taking
    /// a reference of its own.
    package convenience init(retaining x509: OpaquePointer) throws(CryptoError) {
        X509_up_ref(x509)
        try self.init(taking: x509)
    }

    /// Parses exactly one DER-encoded certificate (trailing bytes are an error).
    public convenience init(derEncoded der: [UInt8]) throws(CryptoError) {
        let x509 = try der.withUnsafeBytes { buffer in
            Result { () throws(CryptoError) in try Self.parseDER(buffer, what: "certificate") }
        }.get()
        try self.init(taking: x509)
    }

    deinit { X509_free(raw) }

    /// The certificate as DER.
    public func derEncoded() throws(CryptoError) -> [UInt8] {
        try derEncode("i2d_X509") { i2d_X509(raw, $0) }
    }

    /// The Ed25519 key the certificate certifies; ``CryptoError/notEd25519(what:found:)``
    /// for any other key type.
    public func publicKey() throws(CryptoError) -> Ed25519PublicKey {
        let key = try openSSLObject("X509_get0_pubkey") { X509_get0_pubkey(raw) }  // not owned
        guard EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 else {
            throw CryptoError.notEd25519(what: "certificate of \(commonName ?? "unnamed node")", found: keyTypeName(key))
        }
        return try Ed25519PublicKey(evpKey: key)
    }

    /// Whether the certificate's signature verifies with its own public key (what a
    /// self-signed node certificate must satisfy). False on any failure.
    public func hasValidSelfSignature() -> Bool {
        defer { OpenSSLErrorQueue.clear() }
        guard let key = X509_get0_pubkey(raw) else { return false }
        return X509_verify(raw, key) == 1
    }

    /// Whether `date` lies within `notBefore...notAfter`. Checks time only, not the
    /// signature or the key type.
    public func isValid(at date: Date = Date()) -> Bool {
        notBefore <= date && date <= notAfter
    }

    /// Decodes one DER certificate, requiring every byte to be consumed.
    static func parseDER(_ der: UnsafeRawBufferPointer, what: String) throws(CryptoError) -> OpaquePointer {
        guard let base = der.baseAddress, der.count > 0, der.count <= Int(Int32.max) else {
            throw CryptoError.malformedDER(what: what, details: ["empty or oversized input"])
        }
        var cursor: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        OpenSSLErrorQueue.clear()
        guard let x509 = d2i_X509(nil, &cursor, der.count) else {
            throw CryptoError.malformedDER(what: what, details: OpenSSLErrorQueue.drain())
        }
        guard let end = cursor, end == base.assumingMemoryBound(to: UInt8.self) + der.count else {
            X509_free(x509)
            throw CryptoError.malformedDER(what: what, details: ["trailing bytes after the certificate"])
        }
        return x509
    }

    private static func readNodeID(_ x509: OpaquePointer) throws(CryptoError) -> NodeID {
        let spki = try openSSLObject("X509_get_X509_PUBKEY") { X509_get_X509_PUBKEY(x509) }  // not owned
        let der = try derEncode("i2d_X509_PUBKEY") { i2d_X509_PUBKEY(spki, $0) }
        return try der.withUnsafeBytes { buffer in
            Result { () throws(CryptoError) in try NodeID(subjectPublicKeyInfo: buffer) }
        }.get()
    }

    private static func readCommonName(_ x509: OpaquePointer) -> String? {
        guard let name = X509_get_subject_name(x509) else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        defer { cotrain_OPENSSL_free(utf8) }
        guard length >= 0, let utf8 else { OpenSSLErrorQueue.clear(); return nil }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func readDate(_ time: UnsafePointer<ASN1_TIME>?, _ field: String) throws(CryptoError) -> Date {
        var parts = tm()
        OpenSSLErrorQueue.clear()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else {
            throw CryptoError.malformedDER(what: "certificate \(field)", details: OpenSSLErrorQueue.drain())
        }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
