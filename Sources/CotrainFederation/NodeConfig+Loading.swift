// Loading config.json strictly, and layering the environment and flags over it.
import CotrainCore

extension NodeConfig {
    /// The settings that `COTRAIN_*` environment variables and flags may override.
    /// The lab and embodiments are not among them: they are part of the node's identity.
    public static let overridableSettings = [
        "listen", "advertise",
        "round.deadline_seconds", "round.quorum", "round.aggregation", "round.server_learning_rate", "round.delta_codec",
        "limits.max_pending_requests", "limits.join_requests_per_minute", "limits.shard_disk_quota_bytes",
    ] + trainerSettings

    /// The environment variable for a setting: `round.quorum` → `COTRAIN_ROUND_QUORUM`.
    public static func environmentName(of setting: String) -> String {
        "COTRAIN_" + setting.uppercased().replacing(".", with: "_")
    }

    /// Loads `path` strictly: every key must be known and present, with the right type
    /// and range. Throws ``ConfigError`` naming the file and the field.
    public static func load(from path: String) throws -> NodeConfig {
        try parse(readFile(path, limit: 256 << 10), source: path)
    }

    /// Loads `path`, then applies `COTRAIN_*` variables from `environment`, then
    /// `overrides` (setting → value, from flags): file < environment < flags.
    public static func load(
        from path: String, environment: [String: String], overrides: [(String, String)] = []
    ) throws -> NodeConfig {
        var config = try load(from: path)
        try config.apply(environment: environment)
        for (setting, value) in overrides { try config.apply(setting, value: value, source: "--\(setting)") }
        return config
    }

    /// Parses config.json bytes; `source` names them in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigError) -> NodeConfig {
        var top = try ConfigObject.parse(bytes, source: source)
        let format = try top.int("format", in: 1...1_000)
        guard format == formatVersion else {
            throw ConfigError(source, field: "format", .invalid("version \(format) is not supported by this cotrain (it reads \(formatVersion)); upgrade cotrain"))
        }
        let lab = try top.string("lab")
        let embodiments = try top.strings("embodiments")
        let listen = try endpoint(top.string("listen"), source: source, field: "listen")
        let advertise = try endpoint(top.string("advertise"), source: source, field: "advertise")
        var config = NodeConfig(unchecked: lab, embodiments: embodiments, listen: listen, advertise: advertise)

        var round = try top.object("round")
        config.round.deadlineSeconds = try round.int("deadline_seconds", in: deadlineRange)
        config.round.quorum = try round.int("quorum", in: quorumRange)
        config.round.aggregation = try .parse(round.string("aggregation"), source: source, field: "round.aggregation")
        config.round.serverLearningRate = try round.double("server_learning_rate", allowed: learningRateText, isValidLearningRate)
        config.round.deltaCodec = try .parse(round.string("delta_codec"), source: source, field: "round.delta_codec")
        try round.finish()

        var limits = try top.object("limits")
        config.limits.maxPendingRequests = try limits.int("max_pending_requests", in: maxPendingRange)
        config.limits.joinRequestsPerMinute = try limits.int("join_requests_per_minute", in: joinRateRange)
        config.limits.shardDiskQuotaBytes = Int64(try limits.int("shard_disk_quota_bytes", in: quotaRange))
        try limits.finish()
        if let trainer = top.take(optional: "trainer") { config.trainer = try .parse(trainer, source: source) }
        try top.finish()
        try config.validate(source: source)
        return config
    }

    private init(unchecked lab: String, embodiments: [String], listen: NodeEndpoint, advertise: NodeEndpoint) {
        self.lab = lab
        self.embodiments = embodiments
        self.listen = listen
        self.advertise = advertise
    }

    private static func endpoint(_ text: String, source: String, field: String) throws(ConfigError) -> NodeEndpoint {
        do {
            return try NodeEndpoint(parsing: text)
        } catch {
            throw ConfigError(source, field: field, .invalid(error.reason))
        }
    }

    /// Applies every `COTRAIN_<SETTING>` variable present in `environment`.
    public mutating func apply(environment: [String: String]) throws(ConfigError) {
        for setting in Self.overridableSettings {
            let name = Self.environmentName(of: setting)
            if let value = environment[name] { try apply(setting, value: value, source: "environment \(name)") }
        }
    }

    /// Sets one overridable setting from text, validated like the file.
    public mutating func apply(_ setting: String, value: String, source: String) throws(ConfigError) {
        func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard let number = Int(value) else { throw ConfigError(source, field: setting, .wrongType(expected: "an integer")) }
            guard range.contains(number) else {
                throw ConfigError(source, field: setting, .outOfRange(value: value, allowed: "\(range.lowerBound)...\(range.upperBound)"))
            }
            return number
        }
        switch setting {
        case "listen": listen = try Self.endpoint(value, source: source, field: setting)
        case "advertise": advertise = try Self.endpoint(value, source: source, field: setting)
        case "round.deadline_seconds": round.deadlineSeconds = try int(Self.deadlineRange)
        case "round.quorum": round.quorum = try int(Self.quorumRange)
        case "round.aggregation": round.aggregation = try .parse(value, source: source, field: setting)
        case "round.server_learning_rate":
            guard let rate = Double(value), rate.isFinite else { throw ConfigError(source, field: setting, .wrongType(expected: "a number")) }
            guard Self.isValidLearningRate(rate) else {
                throw ConfigError(source, field: setting, .outOfRange(value: value, allowed: Self.learningRateText))
            }
            round.serverLearningRate = rate
        case "round.delta_codec": round.deltaCodec = try .parse(value, source: source, field: setting)
        case "limits.max_pending_requests": limits.maxPendingRequests = try int(Self.maxPendingRange)
        case "limits.join_requests_per_minute": limits.joinRequestsPerMinute = try int(Self.joinRateRange)
        case "limits.shard_disk_quota_bytes": limits.shardDiskQuotaBytes = Int64(try int(Self.quotaRange))
        case _ where setting.hasPrefix("trainer."):
            try trainer.apply(String(setting.dropFirst("trainer.".count)), value: value, source: source)
        default: throw ConfigError(source, field: setting, .unknownKey)
        }
    }
}
