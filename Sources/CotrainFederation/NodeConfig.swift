// DIR/config.json: what a node is (lab, embodiments), where it listens, how its rounds
// run and the limits that protect it. Written pretty and canonical by `cotrain init`,
// loaded strictly (unknown keys, wrong types and out-of-range values are errors).
import CotrainCore

/// A node's configuration, as stored in `DIR/config.json`.
///
/// Effective values: the file, then `COTRAIN_*` environment variables, then command
/// flags (``applying(environment:)``, ``applying(_:value:source:)``).
public struct NodeConfig: Sendable, Equatable {
    /// The config format version this code reads and writes.
    public static let formatVersion = 1

    /// The lab name (also the certificate's CN).
    public var lab: String
    /// The robot embodiments this node trains (at least one, no duplicates).
    public var embodiments: [String]
    /// The address the node listens on.
    public var listen: NodeEndpoint
    /// The address peers dial: what `cotrain id` prints as the join address.
    public var advertise: NodeEndpoint
    /// Federated round settings.
    public var round = RoundSettings()
    /// Protective limits.
    public var limits = NodeLimits()
    /// The local trainer `cotrain serve` runs (optional `trainer` object).
    public var trainer = TrainerSettings()

    /// Settings for the federated rounds.
    public struct RoundSettings: Sendable, Equatable {
        /// Seconds a round waits for peers' deltas before aggregating.
        public var deadlineSeconds = 900
        /// Deltas (including this node's) needed to aggregate at the deadline.
        public var quorum = 2
        /// How deltas are combined.
        public var aggregation = AggregationRuleName.fedavg
        /// Scale applied to the aggregated delta (1 = plain average).
        public var serverLearningRate = 1.0
        /// How deltas are encoded on the wire.
        public var deltaCodec = DeltaCodecName.int8
        /// The defaults.
        public init() {}
    }

    /// Limits that bound what the network can make the node store or do.
    public struct NodeLimits: Sendable, Equatable {
        /// Join requests kept waiting for the admin; further requests are refused.
        public var maxPendingRequests = 64
        /// Join requests accepted per minute from one network address.
        public var joinRequestsPerMinute = 3
        /// Disk space for VL shards fetched from peers, in bytes.
        public var shardDiskQuotaBytes: Int64 = 20 << 30
        /// The defaults.
        public init() {}
    }

    /// Allowed ranges, shared by the file loader and the overrides.
    static let deadlineRange = 10...86_400
    static let quorumRange = 1...1_000
    static let maxPendingRange = 1...4_096
    static let joinRateRange = 1...600
    static let quotaRange = 0...(1 << 50)
    static let learningRateText = "a number > 0 and <= 10"
    static func isValidLearningRate(_ value: Double) -> Bool { value > 0 && value <= 10 }

    /// A config with default round settings and limits.
    ///
    /// - Parameter advertise: defaults to `listen`, or to this machine's host name
    ///   with the listen port when `listen` is a wildcard address.
    /// - Parameter source: names the origin of the values in errors, e.g. `cotrain init`.
    public init(
        lab: String, embodiments: [String], listen: NodeEndpoint, advertise: NodeEndpoint? = nil, source: String = "config"
    ) throws {
        self.lab = lab
        self.embodiments = embodiments
        self.listen = listen
        self.advertise = try advertise ?? Self.defaultAdvertise(for: listen)
        try validate(source: source)
    }

    /// The endpoint to advertise when none is given.
    static func defaultAdvertise(for listen: NodeEndpoint) throws -> NodeEndpoint {
        guard listen.isWildcard else { return listen }
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        if let named = try? NodeEndpoint(host: name, port: listen.port) { return named }
        return try NodeEndpoint(host: "localhost", port: listen.port)
    }

    /// Checks the fields that have no range of their own (lab name, embodiments).
    func validate(source: String) throws(ConfigError) {
        do {
            try Certificate.validateLabName(lab)
        } catch {
            throw ConfigError(source, field: "lab", .invalid(error.description))
        }
        guard !embodiments.isEmpty, embodiments.count <= 8 else {
            throw ConfigError(source, field: "embodiments", .invalid("list 1 to 8 embodiments"))
        }
        guard Set(embodiments).count == embodiments.count else {
            throw ConfigError(source, field: "embodiments", .invalid("an embodiment is listed twice"))
        }
        for name in embodiments {
            if let problem = EmbodimentName.problem(with: name) {
                throw ConfigError(source, field: "embodiments", .invalid(problem))
            }
        }
    }

    /// The config as a JSON value (what `config.json` holds); `trainer` only when it
    /// is not the default.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("format", .int(Int64(Self.formatVersion))),
            ("lab", .string(lab)),
            ("embodiments", .array(embodiments.map { .string($0) })),
            ("listen", .string(listen.description)),
            ("advertise", .string(advertise.description)),
            ("round", .object([
                ("deadline_seconds", .int(Int64(round.deadlineSeconds))),
                ("quorum", .int(Int64(round.quorum))),
                ("aggregation", .string(round.aggregation.rawValue)),
                ("server_learning_rate", .double(round.serverLearningRate)),
                ("delta_codec", .string(round.deltaCodec.rawValue)),
            ])),
            ("limits", .object([
                ("max_pending_requests", .int(Int64(limits.maxPendingRequests))),
                ("join_requests_per_minute", .int(Int64(limits.joinRequestsPerMinute))),
                ("shard_disk_quota_bytes", .int(limits.shardDiskQuotaBytes)),
            ])),
        ]
        if trainer != TrainerSettings() { members.append(("trainer", trainer.json)) }
        return .object(members)
    }

    /// Writes the config to `path` atomically, pretty and canonical (keys sorted).
    public func write(to path: String) throws {
        try AtomicFile.write(json.prettyBytes, to: path, mode: 0o644)
    }
}
