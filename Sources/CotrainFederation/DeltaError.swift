// Why a delta was refused: which check failed, for which node. A failed check rejects
// that one delta and nothing else.
import CotrainCore

/// A delta that failed a check (or could not be encoded).
///
/// `check` names the failed check, `node` the sender when the header got far enough
/// to say, and `detail` what exactly was wrong. Equatable for tests.
public struct DeltaError: CotrainError, Equatable {
    /// The checks a delta goes through, cheapest first (see ``DeltaVerifier``).
    public enum Check: String, Sendable, CaseIterable {
        /// The binary envelope: magic, lengths, exact size.
        case envelope
        /// The header JSON: keys, types, canonical form.
        case header
        /// The sender is an approved peer whose key matches its node id.
        case sender
        /// The Ed25519 signature over the payload digest and header.
        case signature
        /// The round is the current one.
        case round
        /// The delta was not seen before and its round is not closed.
        case replay
        /// The base hash is the current round's.
        case baseHash = "base-hash"
        /// The tensor names, shapes and dtypes are the expected ones.
        case schema
        /// The codec and block size are allowed.
        case codec
        /// The sample count is within bounds.
        case sampleCount = "sample-count"
        /// Compressed and decompressed sizes are within limits.
        case size
        /// The payload decompresses and parses as the declared safetensors file.
        case payload
        /// Scales and values are finite.
        case values
        /// Building a delta on this node failed (encoder side).
        case encoding
    }

    /// The check that failed.
    public let check: Check
    /// The sender, when known.
    public let node: NodeID?
    /// What was wrong, for a person.
    public let detail: String

    /// An error for `check`, about `node`'s delta.
    public init(_ check: Check, node: NodeID? = nil, _ detail: String) {
        self.check = check
        self.node = node
        self.detail = detail
    }

    public var description: String {
        let who = node.map { "from node \($0.short)" } ?? "(sender unknown)"
        return "delta \(who) rejected by the \(check.rawValue) check: \(detail)"
    }
}
