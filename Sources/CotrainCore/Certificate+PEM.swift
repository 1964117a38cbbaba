// Certificates as PEM text: what `identity/` and `peers/` files hold and what an admin
// pastes when approving a peer.
import COpenSSL

extension Certificate {
    /// The PEM label of a certificate.
    static let pemLabel = "CERTIFICATE"

    /// Parses a PEM certificate strictly (see `PEM.swift`: one `CERTIFICATE` block,
    /// at most 64 KiB, nothing around it, DER with no trailing bytes).
    ///
    /// - Parameter source: names the input in errors, e.g. a file path.
    public convenience init(pemEncoded text: UnsafeRawBufferPointer, source: String) throws(PEMError) {
        try self.init(takingParsed: Self.parsePEM(text, source: source), source: source)
    }

    /// Parses PEM certificate bytes strictly; `source` names them in errors.
    public convenience init(pemEncoded text: [UInt8], source: String) throws(PEMError) {
        let x509 = try text.withUnsafeBytes { buffer in
            Result { () throws(PEMError) in try Self.parsePEM(buffer, source: source) }
        }.get()
        try self.init(takingParsed: x509, source: source)
    }

    /// Parses PEM certificate text strictly; `source` names it in errors.
    public convenience init(pemEncoded text: String, source: String) throws(PEMError) {
        try self.init(pemEncoded: Array(text.utf8), source: source)
    }

    /// Reads and parses the PEM certificate file at `path` (refused if over 64 KiB).
    ///
    /// - Throws: ``SystemError`` or ``FileError`` if the file cannot be read,
    ///   ``PEMError`` (naming `path`) if its content is not a certificate.
    public convenience init(pemFile path: String) throws {
        try self.init(pemEncoded: readFile(path, limit: PEM.maximumSize), source: path)
    }

    /// The certificate as PEM text (`-----BEGIN CERTIFICATE-----`, 64-column base64).
    public func pemEncoded() throws(CryptoError) -> String {
        try PEM.encode("PEM_write_bio_X509") { PEM_write_bio_X509($0, raw) }
    }

    /// Decodes the single PEM block into an `X509*` the caller owns.
    private static func parsePEM(_ text: UnsafeRawBufferPointer, source: String) throws(PEMError) -> OpaquePointer {
        try PEM.withDecodedBlock(text, label: pemLabel, source: source, expected: "certificate") {
            (der) throws(PEMError) in
            do throws(CryptoError) {
                return try parseDER(der, what: "certificate")
            } catch {
                throw PEMError(source: source, expected: "certificate", problem: .badContent(details: details(error)))
            }
        }
    }

    /// Wraps a freshly parsed `X509*`, reporting failures as PEM errors.
    private convenience init(takingParsed x509: OpaquePointer, source: String) throws(PEMError) {
        do {
            try self.init(taking: x509)
        } catch {
            throw PEMError(source: source, expected: "certificate", problem: .badContent(details: Self.details(error)))
        }
    }

    private static func details(_ error: CryptoError) -> [String] {
        switch error {
        case .malformedDER(_, let details), .openSSL(_, let details): return details
        default: return [error.description]
        }
    }
}
