// Typed errors: every failure a user can see says what was wrong, with which input,
// and (where there is one) what to do about it.

/// A cotrain error: a typed value whose `description` is one line a person can act on.
///
/// Each domain has its own error type (``SystemError``, ``SafetensorsError``,
/// ``TarError``, ``CryptoError``, ``ZstdError``, ``StoreError``, ``JSONError`` …);
/// they share this protocol so the CLI can print any of them the same way.
public protocol CotrainError: Error, CustomStringConvertible, Sendable {}

extension CotrainError {
    /// The message, for `localizedDescription`-style call sites.
    public var message: String { description }
}

/// A failed system call, with the operation and the path or object it was about.
public struct SystemError: CotrainError, Equatable {
    /// What was attempted, e.g. "open", "rename", "fsync".
    public let operation: String
    /// The file, address or object involved, if any.
    public let subject: String?
    /// The errno value.
    public let code: Int32

    public init(_ operation: String, _ subject: String? = nil, code: Int32) {
        self.operation = operation
        self.subject = subject
        self.code = code
    }

    public var description: String {
        let reason = String(cString: strerror(code))
        if let subject { return "\(operation) \(subject): \(reason) (errno \(code))" }
        return "\(operation): \(reason) (errno \(code))"
    }
}
