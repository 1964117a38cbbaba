// DIR/state/pending/<hex-id>.json: a join request waiting for the admin. It holds what
// the unknown node sent (lab, embodiment, endpoint, message, certificate) and where it
// came from, so the admin can review it and approval can pin the certificate.
import CotrainCore

/// A join request from an unknown node, waiting for approval or rejection.
public struct PendingRequest: Sendable {
    /// The record format version.
    public static let formatVersion = 1

    /// The requesting node's id (from its TLS certificate).
    public let nodeID: NodeID
    /// The lab name it gave (its certificate's CN).
    public let lab: String
    /// Its robot embodiment.
    public let embodiment: String
    /// Where it can be dialled.
    public let endpoint: NodeEndpoint
    /// Its message to the admin (at most 1 KiB).
    public let message: String
    /// Its certificate, pinned on approval.
    public let certificate: Certificate
    /// When the request first arrived (UTC, RFC 3339).
    public let receivedAt: String
    /// When it was last sent again.
    public let updatedAt: String
    /// The network address it came from.
    public let fromAddress: String

    init(
        nodeID: NodeID, lab: String, embodiment: String, endpoint: NodeEndpoint, message: String,
        certificate: Certificate, receivedAt: String, updatedAt: String, fromAddress: String
    ) {
        self.nodeID = nodeID
        self.lab = lab
        self.embodiment = embodiment
        self.endpoint = endpoint
        self.message = message
        self.certificate = certificate
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
        self.fromAddress = fromAddress
    }

    /// The request as JSON.
    public func json() throws -> JSONValue {
        .object([
            ("format", .int(Int64(Self.formatVersion))), ("node_id", .string(nodeID.digest.hex)),
            ("lab", .string(lab)), ("embodiment", .string(embodiment)), ("endpoint", .string(endpoint.description)),
            ("message", .string(message)), ("certificate", .string(try certificate.pemEncoded())),
            ("received_at", .string(receivedAt)), ("updated_at", .string(updatedAt)),
            ("from_address", .string(fromAddress)),
        ])
    }

    /// True when `other` asks for the same thing (a resend that changes nothing).
    func sameRequest(as other: PendingRequest) -> Bool {
        lab == other.lab && embodiment == other.embodiment && endpoint == other.endpoint && message == other.message
    }

    /// Reads and cross-checks the request at `path`.
    static func load(from path: String) throws -> PendingRequest {
        var object = try ConfigObject.parse(readFile(path, limit: 64 << 10), source: path)
        _ = try object.int("format", in: formatVersion...formatVersion)
        let id = try PeerFields.nodeID(object.string("node_id"), source: path)
        let lab = try object.string("lab")
        let certificate = try PeerFields.certificate(object.string("certificate"), source: path)
        let request = PendingRequest(
            nodeID: id, lab: lab, embodiment: try object.string("embodiment"),
            endpoint: try PeerFields.endpoint(object.string("endpoint"), source: path),
            message: try object.string("message"), certificate: certificate,
            receivedAt: try object.string("received_at"), updatedAt: try object.string("updated_at"),
            fromAddress: try object.string("from_address"))
        try object.finish()
        guard path.hasSuffix("\(id.digest.hex).json") else {
            throw PeerRecordError(path: path, reason: "the file name does not match its node_id")
        }
        if let problem = PeerFields.certificateProblem(certificate, id: id, lab: lab) {
            throw PeerRecordError(path: path, reason: problem)
        }
        return request
    }

    /// Writes the request into `home`'s pending directory atomically.
    func write(in home: NodeHome) throws {
        try AtomicFile.write(json().prettyBytes, to: home.pendingPath(nodeID), mode: 0o600)
    }
}
