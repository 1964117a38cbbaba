// Failures of the TLS layer: context set-up, the handshake, the peer's certificate and
// the encrypted stream. Each message names the peer address it happened with.
import CotrainCore

/// A TLS failure, naming the peer (address, and node id once known).
public enum TLSError: CotrainError, Equatable {
    /// Building the TLS context from this node's key and certificate failed.
    case contextSetup(operation: String, details: [String])
    /// The handshake with `peer` failed; `reason` is OpenSSL's (e.g. an alert or a
    /// certificate verification result), `details` the drained error queue.
    case handshakeFailed(peer: String, reason: String, details: [String])
    /// The handshake did not finish within `seconds`.
    case handshakeTimedOut(peer: String, seconds: Double)
    /// The peer completed the handshake without a certificate.
    case noPeerCertificate(peer: String)
    /// The peer's certificate is unusable as a node identity (not Ed25519, bad
    /// self-signature, expired …).
    case badPeerCertificate(peer: String, reason: String)
    /// The peer negotiated something other than TLS 1.3 or resumed a session (both are
    /// refused by configuration; this is a defence in depth).
    case unexpectedSession(peer: String, reason: String)
    /// Reading or writing the encrypted stream failed.
    case streamFailed(peer: String, operation: String, details: [String])

    public var description: String {
        switch self {
        case let .contextSetup(operation, details):
            return "TLS set-up failed in \(operation)" + Self.tail(details)
        case let .handshakeFailed(peer, reason, details):
            return "TLS handshake with \(peer) failed: \(reason)" + Self.tail(details)
        case let .handshakeTimedOut(peer, seconds):
            return "TLS handshake with \(peer) did not finish within \(Self.seconds(seconds)) s"
        case let .noPeerCertificate(peer):
            return "\(peer) presented no certificate; cotrain peers must authenticate with their node certificate"
        case let .badPeerCertificate(peer, reason):
            return "\(peer) presented an unusable node certificate: \(reason)"
        case let .unexpectedSession(peer, reason):
            return "TLS session with \(peer) refused: \(reason)"
        case let .streamFailed(peer, operation, details):
            return "TLS \(operation) with \(peer) failed" + Self.tail(details)
        }
    }

    private static func tail(_ details: [String]) -> String {
        details.isEmpty ? "" : " (" + details.joined(separator: "; ") + ")"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
