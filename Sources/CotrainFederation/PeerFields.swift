// The checks every peer-describing record shares (approved peers, pending requests,
// incoming join requests): the certificate really is the node's, the lab is its CN,
// and the free-text fields are bounded and free of terminal control characters.
import CotrainCore
import Foundation

/// Validators for the fields of peer records and join requests. Each returns why a
/// value is refused, or nil when it is fine.
enum PeerFields {
    /// The longest join message, in UTF-8 bytes.
    static let maximumMessageBytes = 1024
    /// The longest reason or approver name, in UTF-8 bytes.
    static let maximumReasonBytes = 1024

    /// Why `certificate` cannot identify node `id`, or nil: it must hash to `id`, be
    /// Ed25519, carry a valid self-signature and name `lab` as its CN.
    static func certificateProblem(_ certificate: Certificate, id: NodeID?, lab: String) -> String? {
        if let id, certificate.nodeID != id {
            return "the certificate belongs to node \(certificate.nodeID), not to \(id)"
        }
        if (try? certificate.publicKey()) == nil { return "the certificate's key is not Ed25519" }
        guard certificate.hasValidSelfSignature() else { return "the certificate's self-signature does not verify" }
        guard certificate.commonName == lab else {
            return "the lab '\(lab)' differs from the certificate's name '\(certificate.commonName ?? "")'"
        }
        return nil
    }

    /// Why `lab` is not a lab name, or nil.
    static func labProblem(_ lab: String) -> String? {
        do { try Certificate.validateLabName(lab) } catch { return error.description }
        return nil
    }

    /// Why `text` is not acceptable free text of at most `limit` bytes, or nil. Line
    /// breaks and tabs are allowed; other control characters (which could rewrite an
    /// admin's terminal) are not.
    static func textProblem(_ text: String, limit: Int) -> String? {
        guard text.utf8.count <= limit else { return "it is \(text.utf8.count) bytes, at most \(limit) are allowed" }
        for scalar in text.unicodeScalars where scalar != "\n" && scalar != "\t" {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                return "it contains the control character U+\(String(scalar.value, radix: 16, uppercase: true))"
            default: continue
            }
        }
        return nil
    }

    /// Parses a PEM certificate held in a record field.
    static func certificate(_ pem: String, source: String) throws(ConfigError) -> Certificate {
        do {
            return try Certificate(pemEncoded: pem, source: "\(source) certificate")
        } catch {
            throw ConfigError(source, field: "certificate", .invalid(error.description))
        }
    }

    /// Parses an endpoint held in a record field.
    static func endpoint(_ text: String, source: String) throws(ConfigError) -> NodeEndpoint {
        do {
            return try NodeEndpoint(parsing: text)
        } catch {
            throw ConfigError(source, field: "endpoint", .invalid(error.reason))
        }
    }

    /// Parses a hex node id held in a record field.
    static func nodeID(_ hex: String, source: String) throws(ConfigError) -> NodeID {
        do {
            return NodeID(digest: try SHA256Digest(hex: hex))
        } catch {
            throw ConfigError(source, field: "node_id", .invalid(error.description))
        }
    }
}
