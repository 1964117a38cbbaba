// The OpenSSL error queue, turned into typed errors: clear it before a call, drain it
// into a ``CryptoError`` after a failure, so a message never leaks into a later call.
import COpenSSL

/// A failed cryptographic operation: a library failure, a key of the wrong type, or an
/// identity field cotrain refuses.
public enum CryptoError: CotrainError, Equatable {
    /// An OpenSSL call failed; `details` holds the drained error queue, oldest first.
    case openSSL(operation: String, details: [String])
    /// A key, certificate or signature was not Ed25519 (`found` names what it was).
    case notEd25519(what: String, found: String)
    /// Raw key or signature bytes had the wrong length.
    case invalidLength(what: String, expected: Int, found: Int)
    /// A lab name cannot be a certificate common name.
    case invalidLabName(String, reason: String)
    /// A certificate validity period that is not a positive number of days.
    case invalidValidity(days: Int)
    /// DER bytes that are not exactly one X.509 certificate or one PKCS#8 key.
    case malformedDER(what: String, details: [String])

    public var description: String {
        switch self {
        case .openSSL(let operation, let details):
            let tail = details.isEmpty ? "" : ": " + details.joined(separator: "; ")
            return "OpenSSL \(operation) failed\(tail)"
        case .notEd25519(let what, let found):
            return "\(what) uses \(found), not Ed25519; cotrain node identities are Ed25519 only"
        case .invalidLength(let what, let expected, let found):
            return "\(what) must be \(expected) bytes, got \(found)"
        case .invalidLabName(let name, let reason):
            return "lab name \(name.debugDescription) is not usable as a certificate name: \(reason)"
        case .invalidValidity(let days):
            return "certificate validity must be between 1 and 36500 days, got \(days)"
        case .malformedDER(let what, let details):
            let tail = details.isEmpty ? "" : " (" + details.joined(separator: "; ") + ")"
            return "\(what) is not well-formed DER\(tail)"
        }
    }
}

/// The thread-local OpenSSL error queue.
package enum OpenSSLErrorQueue {
    /// Forgets errors left by earlier calls, so a later drain reports only fresh ones.
    package static func clear() { ERR_clear_error() }

    /// Removes every queued error and returns them as readable lines, oldest first
    /// (at most 16; the rest are discarded).
    package static func drain() -> [String] {
        var lines: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            guard lines.count < 16 else { continue }
            buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return lines
    }
}

extension CryptoError {
    /// An `.openSSL` error for `operation`, draining the error queue into it.
    package static func openSSL(_ operation: String) -> CryptoError {
        .openSSL(operation: operation, details: OpenSSLErrorQueue.drain())
    }
}

/// Runs an OpenSSL call that reports success with 1 (and failure with 0 or a negative
/// value) on a cleared error queue; throws the drained queue on failure.
@inline(__always)
package func openSSLCall(_ operation: String, _ body: () -> Int32) throws(CryptoError) {
    OpenSSLErrorQueue.clear()
    guard body() == 1 else { throw CryptoError.openSSL(operation) }
}

/// Runs an OpenSSL call that returns a new object (or nil on failure) on a cleared
/// error queue; throws the drained queue when it returns nil.
@inline(__always)
package func openSSLObject<T>(_ operation: String, _ body: () -> T?) throws(CryptoError) -> T {
    OpenSSLErrorQueue.clear()
    guard let object = body() else { throw CryptoError.openSSL(operation) }
    return object
}
