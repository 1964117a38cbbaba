// Typed errors for the node's configuration and the small JSON records it keeps
// (config.json, peer records, pending requests): each names the file and the field.
import CotrainCore

/// A configuration value or record field that cotrain refuses, naming where it came
/// from (a file, an environment variable or a flag) and which field is wrong.
public struct ConfigError: CotrainError, Equatable {
    /// What is wrong with the field.
    public enum Problem: Sendable, Equatable {
        /// The field is required but absent.
        case missing
        /// The key is not one cotrain knows (a typo, or a file from a newer version).
        case unknownKey
        /// The value has the wrong JSON type; `expected` names the right one.
        case wrongType(expected: String)
        /// A number outside its allowed range.
        case outOfRange(value: String, allowed: String)
        /// Any other invalid value, with the reason.
        case invalid(String)
    }

    /// Where the value came from: a file path, `environment COTRAIN_…` or `--flag`.
    public let source: String
    /// The field, dotted for nested ones, e.g. `round.quorum`.
    public let field: String
    /// What is wrong.
    public let problem: Problem

    /// An error about `field` in `source`.
    public init(_ source: String, field: String, _ problem: Problem) {
        self.source = source
        self.field = field
        self.problem = problem
    }

    public var description: String {
        let head = "\(source): \(field.isEmpty ? "the document" : "'\(field)'")"
        switch problem {
        case .missing:
            return "\(head) is missing; add it (see docs/operations.md for every setting)"
        case .unknownKey:
            return "\(head) is not a known setting; remove it or fix its spelling"
        case .wrongType(let expected):
            return "\(head) must be \(expected)"
        case .outOfRange(let value, let allowed):
            return "\(head) is \(value), allowed: \(allowed)"
        case .invalid(let reason):
            return "\(head) is invalid: \(reason)"
        }
    }
}
