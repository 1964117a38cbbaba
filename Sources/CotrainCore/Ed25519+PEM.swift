// Ed25519 private keys as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), the
// form `openssl pkey` reads. Key material stays in OpenSSL's cleansed memory where it can.
import COpenSSL

extension Ed25519PrivateKey {
    /// The PEM label of an unencrypted PKCS#8 private key.
    static let pemLabel = "PRIVATE KEY"

    /// Parses an unencrypted PKCS#8 PEM private key strictly (see `PEM.swift`: one
    /// `PRIVATE KEY` block, at most 64 KiB, nothing around it, no trailing DER bytes)
    /// and refuses keys that are not Ed25519.
    ///
    /// - Parameter source: names the input in errors, e.g. the key file's path.
    public convenience init(pemEncoded text: UnsafeRawBufferPointer, source: String) throws(PEMError) {
        try self.init(takingParsed: Self.parsePEM(text, source: source), source: source)
    }

    /// Parses PEM private key bytes strictly; `source` names them in errors.
    public convenience init(pemEncoded text: [UInt8], source: String) throws(PEMError) {
        let key = try text.withUnsafeBytes { buffer in
            Result { () throws(PEMError) in try Self.parsePEM(buffer, source: source) }
        }.get()
        try self.init(takingParsed: key, source: source)
    }

    /// The key as unencrypted PKCS#8 PEM. Secret: prefer ``writePrivateKey(_:to:overwrite:)``,
    /// which never copies the key into Swift memory.
    public func pemEncoded() throws(CryptoError) -> String {
        try PEM.encode("PEM_write_bio_PrivateKey", secure: true) { bio in
            PEM_write_bio_PrivateKey(bio, raw, nil, nil, 0, nil, nil)
        }
    }

    /// Calls `body` with the PEM text, held in OpenSSL's secure memory BIO, which is
    /// cleansed when freed.
    func withPEM<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let bio = try MemoryBIO(secure: true)
        try openSSLCall("PEM_write_bio_PrivateKey") { PEM_write_bio_PrivateKey(bio.raw, raw, nil, nil, 0, nil, nil) }
        return try bio.withContents(body)
    }

    /// Decodes the single PEM block into an `EVP_PKEY*` the caller owns.
    private static func parsePEM(_ text: UnsafeRawBufferPointer, source: String) throws(PEMError) -> OpaquePointer {
        try PEM.withDecodedBlock(text, label: pemLabel, source: source, expected: "private key") {
            (der) throws(PEMError) in try parsePKCS8(der, source: source)
        }
    }

    /// Wraps a freshly parsed `EVP_PKEY*`, reporting a non-Ed25519 key as a PEM error.
    private convenience init(takingParsed key: OpaquePointer, source: String) throws(PEMError) {
        do {
            try self.init(taking: key)
        } catch {
            let problem: PEMError.Problem
            if case .notEd25519(_, let found) = error { problem = .notEd25519(found: found) }
            else { problem = .badContent(details: [error.description]) }
            throw PEMError(source: source, expected: "private key", problem: problem)
        }
    }

    /// Decodes one PKCS#8 PrivateKeyInfo (no trailing bytes) into an `EVP_PKEY*` the
    /// caller owns.
    private static func parsePKCS8(_ der: UnsafeRawBufferPointer, source: String) throws(PEMError) -> OpaquePointer {
        func fail(_ details: [String]) -> PEMError {
            PEMError(source: source, expected: "private key", problem: .badContent(details: details))
        }
        guard let base = der.baseAddress?.assumingMemoryBound(to: UInt8.self), der.count > 0 else { throw fail([]) }
        var cursor: UnsafePointer<UInt8>? = UnsafePointer(base)
        OpenSSLErrorQueue.clear()
        guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, der.count) else { throw fail(OpenSSLErrorQueue.drain()) }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard cursor == UnsafePointer(base) + der.count else { throw fail(["trailing bytes after the key"]) }
        guard let key = EVP_PKCS82PKEY(info) else { throw fail(OpenSSLErrorQueue.drain()) }
        return key
    }
}
