// DIR/peers/<hex-id>.json: one approved peer, in the format of peers/README.md. A
// record is trusted only after it is cross-checked: its node_id is the SHA-256 of the
// embedded certificate's key, the file is named after that id, the certificate's
// self-signature verifies and its CN is the lab.
import CotrainCore

/// An approved peer, as stored in `DIR/peers/<hex-id>.json`.
public struct PeerRecord: Sendable {
    /// The record format version.
    public static let formatVersion = 1

    /// The peer's node id (SHA-256 of its certificate's SubjectPublicKeyInfo).
    public let nodeID: NodeID
    /// The peer's lab name (its certificate's CN).
    public let lab: String
    /// The peer's robot embodiment.
    public let embodiment: String
    /// Where this node dials the peer.
    public let endpoint: NodeEndpoint
    /// The peer's certificate, pinned.
    public let certificate: Certificate
    /// Who approved it.
    public let approvedBy: String
    /// When (UTC, RFC 3339).
    public let approvedAt: String
    /// Why (may be empty).
    public let reason: String

    /// A record built from checked parts (e.g. an approved pending request).
    init(
        nodeID: NodeID, lab: String, embodiment: String, endpoint: NodeEndpoint, certificate: Certificate,
        approvedBy: String, approvedAt: String, reason: String
    ) {
        self.nodeID = nodeID
        self.lab = lab
        self.embodiment = embodiment
        self.endpoint = endpoint
        self.certificate = certificate
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.reason = reason
    }

    /// The record as JSON (keys written sorted).
    public func json() throws -> JSONValue {
        .object([
            ("format", .int(Int64(Self.formatVersion))), ("node_id", .string(nodeID.digest.hex)),
            ("lab", .string(lab)), ("embodiment", .string(embodiment)), ("endpoint", .string(endpoint.description)),
            ("certificate", .string(try certificate.pemEncoded())), ("approved_by", .string(approvedBy)),
            ("approved_at", .string(approvedAt)), ("reason", .string(reason)),
        ])
    }

    /// Reads and cross-checks the record at `path`. A record that fails any check is
    /// not trusted: the error says why.
    public static func load(from path: String) throws -> PeerRecord {
        let record = try parse(readFile(path, limit: 64 << 10), source: path)
        let expected = "\(record.nodeID.digest.hex).json"
        guard path.hasSuffix("/" + expected) || path == expected else {
            throw PeerRecordError(path: path, reason: "the file name does not match its node_id (expected \(expected))")
        }
        return record
    }

    /// Parses and cross-checks record bytes; `source` names them in errors.
    static func parse(_ bytes: [UInt8], source: String) throws -> PeerRecord {
        var object = try ConfigObject.parse(bytes, source: source)
        let format = try object.int("format", in: 1...1_000)
        guard format == formatVersion else {
            throw ConfigError(source, field: "format", .invalid("version \(format) is not supported (this cotrain reads \(formatVersion))"))
        }
        let hex = try object.string("node_id")
        let id = try PeerFields.nodeID(hex, source: source)
        guard hex == id.digest.hex else { throw ConfigError(source, field: "node_id", .invalid("write it in lower-case hex")) }
        let lab = try object.string("lab")
        let embodiment = try object.string("embodiment")
        if let problem = EmbodimentName.problem(with: embodiment) {
            throw ConfigError(source, field: "embodiment", .invalid(problem))
        }
        let endpoint = try PeerFields.endpoint(object.string("endpoint"), source: source)
        let certificate = try PeerFields.certificate(object.string("certificate"), source: source)
        let record = PeerRecord(
            nodeID: id, lab: lab, embodiment: embodiment, endpoint: endpoint, certificate: certificate,
            approvedBy: try object.string("approved_by"), approvedAt: try object.string("approved_at"),
            reason: try object.string("reason"))
        try object.finish()
        if let problem = PeerFields.certificateProblem(certificate, id: id, lab: lab) {
            throw PeerRecordError(path: source, reason: problem)
        }
        return record
    }

    /// Writes the record to `home`'s peers directory atomically (pretty canonical JSON).
    func write(in home: NodeHome) throws {
        try AtomicFile.write(json().prettyBytes, to: home.peerPath(nodeID), mode: 0o644)
    }
}

/// A peer record that fails its cross-checks and is therefore not trusted.
public struct PeerRecordError: CotrainError, Equatable {
    /// The record file.
    public let path: String
    /// Which check failed.
    public let reason: String

    public var description: String {
        "\(path) is NOT trusted: \(reason); remove the file, and approve the node again if it is a real peer"
    }
}
