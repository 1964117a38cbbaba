// CotrainRuntime/RuntimeError.swift: what can go wrong while driving a robot or running
// an evaluation. Every case prints one line saying what happened and what to do.
import CotrainCore

/// Why the arm-bridge connection or one of its messages was rejected.
///
/// The client stops the arm (sends `stop` when the connection is still up) before it
/// throws any of these.
public enum BridgeError: CotrainError, Equatable {
    /// The address is not `HOST:PORT` or could not be resolved or bound.
    case badAddress(String, reason: String)
    /// Connecting, reading or writing failed at the system level.
    case io(operation: String, reason: String)
    /// The peer closed the connection.
    case disconnected(during: String)
    /// No complete message arrived within the deadline.
    case stalled(waitingFor: String, seconds: Double)
    /// A frame's length prefix is over the limit (likely garbage or another protocol).
    case frameTooLarge(part: String, size: Int, limit: Int)
    /// The frame's JSON header did not parse or is not an object.
    case malformed(String)
    /// A field is missing, of the wrong type, or outside its allowed set or bounds.
    case invalidField(message: String, field: String, reason: String)
    /// A value is outside the range the capabilities allow (e.g. a joint past its limit).
    case outOfRange(field: String, value: Double, range: ClosedRange<Double>)
    /// The peer speaks a protocol version we do not.
    case unsupportedVersion(Int)
    /// A message arrived that is not allowed at this point of the conversation.
    case unexpected(message: String, state: String)
    /// The peer sent an `error` message.
    case remote(code: String, message: String)

    public var description: String {
        switch self {
        case let .badAddress(address, reason):
            return "bridge address '\(address)': \(reason); use HOST:PORT, e.g. 127.0.0.1:7600"
        case let .io(operation, reason):
            return "bridge \(operation) failed: \(reason); check that the bridge is running and reachable"
        case let .disconnected(during):
            return "the bridge closed the connection during \(during); check the bridge's log, then restart it"
        case let .stalled(waitingFor, seconds):
            return "no \(waitingFor) from the bridge within \(format(seconds)) s; the arm was told to stop — check the bridge and its robot driver"
        case let .frameTooLarge(part, size, limit):
            return "bridge frame \(part) of \(size) bytes exceeds the \(limit)-byte limit; is the peer speaking the cotrain arm-bridge protocol?"
        case let .malformed(reason):
            return "malformed bridge message: \(reason); is the peer speaking the cotrain arm-bridge protocol?"
        case let .invalidField(message, field, reason):
            return "bridge message '\(message)' field '\(field)': \(reason); see docs/arm-bridge.md"
        case let .outOfRange(field, value, range):
            return "bridge reported \(field) = \(value), outside \(range.lowerBound)...\(range.upperBound); the arm was stopped — check the robot's calibration and the bridge"
        case let .unsupportedVersion(version):
            return "bridge speaks protocol version \(version), this cotrain speaks \(BridgeProtocol.version); update the bridge or cotrain"
        case let .unexpected(message, state):
            return "unexpected bridge message '\(message)' while \(state); see the message order in docs/arm-bridge.md"
        case let .remote(code, message):
            return "the bridge reported an error (\(code)): \(message)"
        }
    }
}

/// Why an episode or an evaluation stopped.
public enum RuntimeError: CotrainError, Equatable {
    /// A bridge failure; the arm was stopped first.
    case bridge(BridgeError)
    /// The safety envelope refused an action (e.g. NaN); the arm was stopped.
    case unsafeAction(String)
    /// Ctrl-C (SIGINT) or another stop request; the arm was stopped.
    case interrupted
    /// The operator declined to start an episode and asked to abort the evaluation.
    case operatorAborted
    /// A policy returned an empty chunk or actions of the wrong size.
    case badPolicyOutput(String)
    /// The policy cannot drive this robot (e.g. the expert needs a simulated task).
    case policyUnavailable(String)
    /// A suite name, suite file or condition is not valid.
    case invalidSuite(String)
    /// Writing results or animations failed.
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case let .bridge(error): return error.description
        case let .unsafeAction(reason): return "safety stop: \(reason); the arm was stopped — fix the policy or the limits before retrying"
        case .interrupted: return "interrupted: the arm was stopped (Ctrl-C); rerun to start again"
        case .operatorAborted: return "the operator aborted the evaluation; results so far were not saved as complete"
        case let .badPolicyOutput(reason): return "the policy returned an invalid action chunk: \(reason)"
        case let .policyUnavailable(reason): return "policy unavailable: \(reason)"
        case let .invalidSuite(reason): return "evaluation suite: \(reason)"
        case let .output(path, reason): return "could not write \(path): \(reason)"
        }
    }
}

/// A number with `digits` decimals, for messages.
func format(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let text = "\((value * scale).rounded() / scale)"
    return digits == 0 && text.hasSuffix(".0") ? String(text.dropLast(2)) : text
}
