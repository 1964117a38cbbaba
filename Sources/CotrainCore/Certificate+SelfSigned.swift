// Creating a node's self-signed identity certificate. No CA is involved: peers pin the
// node id (the SPKI hash), so the certificate only carries the key, the lab name and a
// validity period, with extensions that make it a TLS client and server leaf.
import COpenSSL
import Foundation

extension Certificate {
    /// The default validity of a node certificate: ten years.
    public static let defaultValidityDays = 3650

    /// Creates a self-signed X.509 v3 certificate for a node.
    ///
    /// - Subject and issuer: `CN=<labName>` (preceded by `O=cotrain` unless
    ///   `organization` is nil).
    /// - Serial: 16 random bytes, positive. Validity: `now - 5 min` to `now + validityDays`
    ///   (the 5 minutes absorb clock skew between peers).
    /// - Extensions: basicConstraints `CA:FALSE` (critical), keyUsage `digitalSignature`
    ///   (critical), extendedKeyUsage `serverAuth, clientAuth`, subjectKeyIdentifier.
    /// - Signed by `key` with Ed25519 (no separate digest).
    ///
    /// - Parameters:
    ///   - labName: 1–64 characters, no control or invisible formatting characters,
    ///     no leading or trailing spaces.
    ///   - validityDays: 1…36500.
    public static func selfSigned(
        labName: String, key: Ed25519PrivateKey, validityDays: Int = defaultValidityDays,
        organization: String? = "cotrain", now: Date = Date()
    ) throws(CryptoError) -> Certificate {
        try validateLabName(labName)
        guard (1...36500).contains(validityDays) else { throw CryptoError.invalidValidity(days: validityDays) }
        let x509 = try openSSLObject("X509_new") { X509_new() }
        do throws(CryptoError) {
            try openSSLCall("X509_set_version") { X509_set_version(x509, 2) }  // 2 means v3
            try setRandomSerial(x509)
            let name = try openSSLObject("X509_get_subject_name") { X509_get_subject_name(x509) }  // not owned
            if let organization { try addNameEntry(name, "O", organization) }
            try addNameEntry(name, "CN", labName)
            try openSSLCall("X509_set_issuer_name") { X509_set_issuer_name(x509, name) }
            let start = time_t(now.timeIntervalSince1970) - 300
            let end = time_t(now.timeIntervalSince1970) + time_t(validityDays) * 86_400
            _ = try openSSLObject("ASN1_TIME_set(notBefore)") { ASN1_TIME_set(X509_getm_notBefore(x509), start) }
            _ = try openSSLObject("ASN1_TIME_set(notAfter)") { ASN1_TIME_set(X509_getm_notAfter(x509), end) }
            try openSSLCall("X509_set_pubkey") { X509_set_pubkey(x509, key.raw) }
            try addExtensions(x509)
            // Ed25519 signs the TBS bytes directly: the digest argument must be NULL.
            // X509_sign returns the signature length, 0 on failure.
            try openSSLCall("X509_sign") { X509_sign(x509, key.raw, nil) > 0 ? 1 : 0 }
        } catch {
            X509_free(x509)
            throw error
        }
        return try Certificate(taking: x509)
    }

    /// Throws unless `name` can be a certificate common name (see ``selfSigned(labName:key:validityDays:organization:now:)``).
    public static func validateLabName(_ name: String) throws(CryptoError) {
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty else { throw CryptoError.invalidLabName(name, reason: "it is empty") }
        guard scalars.count <= 64 else {
            throw CryptoError.invalidLabName(name, reason: "it has \(scalars.count) characters, at most 64 are allowed")
        }
        for scalar in scalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                throw CryptoError.invalidLabName(name, reason: "it contains the invisible or control character \(code)")
            default: continue
            }
        }
        if let first = scalars.first, let last = scalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        {
            throw CryptoError.invalidLabName(name, reason: "it starts or ends with a space")
        }
    }

    /// 16 random bytes, top bit clear (positive) and second bit set (no leading zero
    /// byte, so the DER INTEGER is exactly 16 octets).
    private static func setRandomSerial(_ x509: OpaquePointer) throws(CryptoError) {
        var bytes = try SecureRandom.bytes(count: 16)
        bytes[0] = (bytes[0] & 0x7f) | 0x40
        let number = try openSSLObject("BN_bin2bn") { BN_bin2bn(bytes, Int32(bytes.count), nil) }
        defer { BN_free(number) }
        _ = try openSSLObject("BN_to_ASN1_INTEGER") { BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) }
    }

    private static func addNameEntry(_ name: OpaquePointer, _ field: String, _ value: String) throws(CryptoError) {
        try openSSLCall("X509_NAME_add_entry_by_txt(\(field))") {
            X509_NAME_add_entry_by_txt(name, field, cotrain_MBSTRING_UTF8(), value, -1, -1, 0)
        }
    }

    private static func addExtensions(_ x509: OpaquePointer) throws(CryptoError) {
        // Issuer and subject are the certificate itself; no config database is used.
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_ext_key_usage, "serverAuth,clientAuth"),
            (NID_subject_key_identifier, "hash"),
        ]
        for (nid, value) in extensions {
            let ext = try openSSLObject("X509V3_EXT_nconf_nid(\(value))") { X509V3_EXT_nconf_nid(nil, &context, nid, value) }
            defer { X509_EXTENSION_free(ext) }
            try openSSLCall("X509_add_ext(\(value))") { X509_add_ext(x509, ext, -1) }
        }
    }
}
