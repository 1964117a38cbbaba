// What a running node does and how patiently: rounds, timers, transfer limits. Built
// from the node's effective config (file < environment < flags) plus serve-only flags.
import CotrainCore
import Foundation

/// Settings of a ``NodeDaemon``.
public struct DaemonOptions: Sendable {
    /// The last round to run; nil runs rounds until stopped. After it the node keeps
    /// serving peers (catch-up, shards, admin) until it is stopped.
    public var lastRound: Int?
    /// How long a round waits for peers' deltas once the node's own delta is ready.
    public var deadline: Duration
    /// Deltas (including the node's own) needed to aggregate at the deadline.
    public var quorum: Quorum
    /// Peers with a live, ready connection needed before a round starts.
    public var minPeers: Int
    /// How deltas are combined.
    public var rule: AggregationRule
    /// How the node's own deltas are encoded.
    public var codec: DeltaCodec
    /// Transport limits and timeouts.
    public var connection: ConnectionOptions
    /// First and longest wait before redialling a peer (doubling in between), in seconds.
    public var reconnectDelay: (first: Double, longest: Double)
    /// How often timers (deadlines, redials, shard fetches) are checked.
    public var tick: Duration
    /// Shard bytes served to one peer per second.
    public var shardBytesPerSecond: Int
    /// Bytes asked for in one shard request (then the partial file is synced).
    public var shardRequestBytes: Int
    /// Disk space for shards and partial downloads, in bytes.
    public var shardDiskQuota: Int64
    /// Largest delta envelope accepted from a peer (held in memory until verified).
    public var maxDeltaBytes: Int
    /// Largest catch-up checkpoint accepted.
    public var maxCheckpointBytes: Int
    /// How long a catch-up may go without progress before it is abandoned.
    public var catchupTimeout: Duration

    /// Options from `config`: round deadline, quorum, rule, codec and shard quota.
    public init(config: NodeConfig) {
        lastRound = nil
        deadline = .seconds(config.round.deadlineSeconds)
        quorum = .count(config.round.quorum)
        minPeers = max(1, config.round.quorum - 1)
        let method: AggregationMethod = switch config.round.aggregation {
        case .fedavg: .fedAvg()
        case .median: .median
        case .trimmedMean: .trimmedMean(.fraction(0.2))
        }
        rule = AggregationRule(method: method, serverLearningRate: config.round.serverLearningRate)
        codec = switch config.round.deltaCodec {
        case .int8: .int8Default
        case .fp16: .fp16
        case .bf16: .bf16
        case .fp32: .fp32
        }
        connection = ConnectionOptions()
        reconnectDelay = (0.5, 30)
        tick = .milliseconds(50)
        shardBytesPerSecond = 64 << 20
        shardRequestBytes = 8 << 20
        shardDiskQuota = config.limits.shardDiskQuotaBytes
        maxDeltaBytes = 512 << 20
        maxCheckpointBytes = 2 << 30
        catchupTimeout = .seconds(15)
    }

    /// The delta checks applied to peers' deltas.
    var deltaLimits: DeltaLimits {
        DeltaLimits(maxCompressedBytes: maxDeltaBytes, maxDecompressedBytes: 4 * maxDeltaBytes + (1 << 20))
    }
}

/// Why the node daemon could not start or had to stop.
public enum DaemonError: CotrainError, Equatable {
    /// The node's files on disk do not fit together.
    case inconsistentState(String)
    /// No model to start from.
    case noModel(path: String)
    /// The model's tensors do not fit the node's embodiments.
    case badModel(String)

    public var description: String {
        switch self {
        case let .inconsistentState(why):
            return "the node's state is inconsistent: \(why); restore state/ from a backup or remove state/model and state/round-journal.jsonl to catch up from a peer"
        case let .noModel(path):
            return "no model at \(path): start with --trainer synthetic, or put the federation's initial checkpoint there (--initial-model FILE)"
        case let .badModel(why):
            return "the model cannot be federated: \(why)"
        }
    }
}
