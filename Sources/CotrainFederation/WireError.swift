// Why bytes from a peer are not a valid frame or message. Decoding is strict: every
// length and count is checked before it is used, and every deviation is one of these.
import CotrainCore

/// A frame or message body that breaks the wire protocol (see docs/protocol.md).
public enum WireError: CotrainError, Equatable {
    /// A frame whose length field is 0 (every frame has at least a type byte).
    case emptyFrame
    /// A frame whose length field exceeds the limit; nothing was allocated for it.
    case frameTooLarge(length: Int, limit: Int)
    /// The stream ended inside a frame.
    case truncatedFrame(received: Int, expected: Int)
    /// A type byte this protocol version does not define.
    case unknownMessageType(UInt8)
    /// A JSON body that the strict parser refused.
    case invalidJSON(MessageType, JSONError)
    /// A JSON body (or nested value) that is not an object.
    case notAnObject(MessageType, field: String)
    /// A required field is missing.
    case missingField(MessageType, String)
    /// A field this protocol version does not define.
    case unknownField(MessageType, String)
    /// A field with the wrong type or a value outside its limits.
    case invalidField(MessageType, String, reason: String)
    /// A binary body of the wrong size.
    case badLength(MessageType, expected: String, found: Int)
    /// A hello with a major version other than ours.
    case unsupportedVersion(peer: Int, local: Int)

    public var description: String {
        switch self {
        case .emptyFrame:
            return "frame with length 0 (a frame holds at least its type byte)"
        case let .frameTooLarge(length, limit):
            return "frame of \(length) bytes exceeds the \(limit)-byte limit"
        case let .truncatedFrame(received, expected):
            return "stream ended inside a frame (\(received) of \(expected) bytes)"
        case let .unknownMessageType(type):
            return "unknown message type 0x\(String(type, radix: 16))"
        case let .invalidJSON(type, error):
            return "\(type) body is not valid JSON: \(error.description)"
        case let .notAnObject(type, field):
            return "\(type) \(field.isEmpty ? "body" : field) must be a JSON object"
        case let .missingField(type, field):
            return "\(type) lacks the required field \(field)"
        case let .unknownField(type, field):
            return "\(type) has the unknown field \(field.debugDescription)"
        case let .invalidField(type, field, reason):
            return "\(type) field \(field) \(reason)"
        case let .badLength(type, expected, found):
            return "\(type) body is \(found) bytes, expected \(expected)"
        case let .unsupportedVersion(peer, local):
            return "protocol version \(peer) not supported (this node speaks \(local))"
        }
    }

    /// The error code sent to the peer in the error frame before closing.
    public var code: WireErrorCode {
        switch self {
        case .emptyFrame, .truncatedFrame: .malformedFrame
        case .frameTooLarge: .frameTooLarge
        case .unknownMessageType: .unknownMessageType
        case .invalidJSON, .notAnObject, .missingField, .unknownField, .invalidField, .badLength: .malformedMessage
        case .unsupportedVersion: .protocolVersion
        }
    }
}

/// The code of an error message: 1–64 characters from `a-z 0-9 -`. Peers may send
/// codes this node does not know; they are kept as text.
public struct WireErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code text, e.g. "not-permitted".
    public let rawValue: String

    /// A code, or nil if `rawValue` breaks the character or length rule.
    public init?(rawValue: String) {
        guard (1...64).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 })
        else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    public var description: String { rawValue }

    /// The peer's hello has a major protocol version this node does not speak.
    public static let protocolVersion = WireErrorCode(known: "protocol-version")
    /// Bytes that are not a frame (length 0, stream cut inside a frame).
    public static let malformedFrame = WireErrorCode(known: "malformed-frame")
    /// A frame over the receiver's size limit.
    public static let frameTooLarge = WireErrorCode(known: "frame-too-large")
    /// A type byte the receiver does not know.
    public static let unknownMessageType = WireErrorCode(known: "unknown-message-type")
    /// A body that does not decode (bad JSON, missing/unknown/invalid field, size).
    public static let malformedMessage = WireErrorCode(known: "malformed-message")
    /// A valid message at the wrong time (e.g. before hello, a second hello).
    public static let unexpectedMessage = WireErrorCode(known: "unexpected-message")
    /// A message the sender's standing does not allow (e.g. a delta from an unknown node).
    public static let notPermitted = WireErrorCode(known: "not-permitted")
    /// The sender is revoked by the receiver.
    public static let revoked = WireErrorCode(known: "revoked")
    /// The hello names a node id other than the TLS certificate's.
    public static let helloMismatch = WireErrorCode(known: "hello-mismatch")
    /// The peer was silent for too long (no hello, no pong).
    public static let timeout = WireErrorCode(known: "timeout")
    /// The receiver holds its maximum number of connections.
    public static let tooManyConnections = WireErrorCode(known: "too-many-connections")
    /// The node is stopping or closed the connection on purpose.
    public static let shuttingDown = WireErrorCode(known: "shutting-down")
}
