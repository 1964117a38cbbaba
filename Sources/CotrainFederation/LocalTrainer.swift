// The seam between the node daemon and whatever trains the model locally: the daemon
// hands over the round's base checkpoint and takes back the trained one. The built-in
// co-training trainer (CotrainData) and external engines implement it; SyntheticTrainer
// is the deterministic stand-in used by tests and `cotrain serve --trainer synthetic`.
import CotrainCore

/// Trains a node's model locally for one federated round.
///
/// The daemon calls ``train(base:round:)`` on its own trainer thread (never on Swift's
/// cooperative pool), with the full checkpoint (`shared.*` and `embodiment.<e>.*`).
/// The result must have exactly the base's schema; the daemon computes the delta
/// `trained − base` on the federated tensors. Same base, round and data ⇒ the same
/// result bit for bit (the federation's determinism rests on it only for the node's
/// own restarts: a node that restarts mid-round reuses its stored delta instead).
public protocol LocalTrainer: Sendable {
    /// Trains from `base` for round `round`; returns the trained parameters and the
    /// number of training samples behind them (the FedAvg weight, ≥ 1).
    func train(base: ParameterSet, round: Int) throws -> (trained: ParameterSet, samples: Int)
}

/// Why local training failed.
public struct LocalTrainerError: CotrainError, Equatable {
    /// What went wrong, in one line.
    public let reason: String

    /// An error with `reason`.
    public init(_ reason: String) { self.reason = reason }

    public var description: String { "local training failed: \(reason)" }
}

extension LocalTrainer {
    /// Runs ``train(base:round:)`` and checks what came back: the base's schema, finite
    /// values, at least one sample.
    func checkedTrain(base: ParameterSet, round: Int) throws -> (trained: ParameterSet, samples: Int) {
        let (trained, samples) = try train(base: base, round: round)
        guard trained.schema == base.schema else {
            throw LocalTrainerError("the trained checkpoint has other tensors or shapes than the base")
        }
        guard trained.isFinite else { throw LocalTrainerError("the trained checkpoint holds NaN or infinite values") }
        guard samples >= 1 else { throw LocalTrainerError("the trainer reported \(samples) samples; at least 1 is needed") }
        return (trained, samples)
    }
}
