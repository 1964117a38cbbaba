// A node's identity: the SHA-256 of its certificate's SubjectPublicKeyInfo. Peers pin
// it (like SSH known_hosts or Syncthing device ids); admins compare it over the phone.

/// A node id: SHA-256 over the DER `SubjectPublicKeyInfo` of the node's certificate.
///
/// Hashing the key info rather than the whole certificate keeps the id stable when a
/// node renews its certificate with the same key. The text form is ``SHA256Digest/grouped``,
/// 13 groups of 4 base32 characters; ``short`` is for tables.
/// Ordered by digest bytes, so "in node-id order" is the same on every machine.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The SHA-256 of the SubjectPublicKeyInfo.
    public let digest: SHA256Digest

    /// The id with this digest.
    public init(digest: SHA256Digest) {
        self.digest = digest
    }

    /// The id of a key, given its DER `SubjectPublicKeyInfo`.
    public init(subjectPublicKeyInfo der: UnsafeRawBufferPointer) throws(CryptoError) {
        self.digest = try SHA256.hash(der)
    }

    /// Parses the grouped form a person typed or pasted: case-insensitive, '-' and
    /// spaces ignored; any other character, a wrong length or a wrong last character
    /// is a ``DigestFormatError``.
    public init(parsing text: String) throws(DigestFormatError) {
        self.digest = try SHA256Digest(grouped: text, what: "node id")
    }

    /// The full grouped form, e.g. `MFRG-GZDF-MZTW-…-A` (13 groups).
    public var description: String { digest.grouped }

    /// The first three groups, for tables and log lines (never for pinning trust).
    public var short: String { digest.groupedShort }

    /// Byte-wise order of the digests.
    public static func < (a: NodeID, b: NodeID) -> Bool {
        a.digest.withUnsafeBytes { pa in
            b.digest.withUnsafeBytes { pb in pa.lexicographicallyPrecedes(pb) }
        }
    }
}
