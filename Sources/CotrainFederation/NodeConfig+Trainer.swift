// config.json's optional `trainer` object: which local trainer `cotrain serve` runs and
// its inputs. The federation does not interpret recipes or data; it only reads,
// validates and layers these settings (file < COTRAIN_TRAINER_* < flags) for the CLI.
import CotrainCore
import Foundation

/// The local trainers `cotrain serve` can run.
public enum TrainerKindName: String, CaseIterable, Sendable {
    /// The deterministic least-squares stand-in (``SyntheticTrainer``).
    case synthetic
    /// An external program (``CommandTrainer``).
    case command
    /// The built-in co-training trainer on a recipe and local data.
    case recipe
}

extension NodeConfig {
    /// The `trainer` object of config.json. Every key is optional.
    ///
    /// Paths in config.json are relative to the node home; paths given as `COTRAIN_TRAINER_*`
    /// variables or flags are relative to the current directory (they are made absolute
    /// when applied). ``resolvingPaths(against:)`` resolves the rest.
    public struct TrainerSettings: Sendable, Equatable {
        /// `kind`: which trainer.
        public var kind = TrainerKindName.synthetic
        /// `command`: the external trainer's command line (kind `command`).
        public var command: String?
        /// `policy`: the recipe file (kind `recipe`).
        public var policy: String?
        /// `data`: episode stores.
        public var data: [String] = []
        /// `vl`: VL shard stores.
        public var vl: [String] = []
        /// `init`: the federation's common initial checkpoint.
        public var initialCheckpoint: String?
        /// `steps_per_round`: optimiser steps per round.
        public var stepsPerRound = 50
        /// `threads`: compute threads (nil: all cores).
        public var threads: Int?

        /// The defaults (the synthetic trainer).
        public init() {}

        static let stepsRange = 1...1_000_000
        static let threadsRange = 1...256

        /// The settings as a JSON object (only keys with a value).
        var json: JSONValue {
            var members: [(String, JSONValue)] = [("kind", .string(kind.rawValue))]
            if let command { members.append(("command", .string(command))) }
            if let policy { members.append(("policy", .string(policy))) }
            if !data.isEmpty { members.append(("data", .array(data.map { .string($0) }))) }
            if !vl.isEmpty { members.append(("vl", .array(vl.map { .string($0) }))) }
            if let initialCheckpoint { members.append(("init", .string(initialCheckpoint))) }
            members.append(("steps_per_round", .int(Int64(stepsPerRound))))
            if let threads { members.append(("threads", .int(Int64(threads)))) }
            return .object(members)
        }

        /// Parses the object (strictly: unknown keys and wrong types are errors).
        static func parse(_ value: JSONValue, source: String) throws(ConfigError) -> TrainerSettings {
            var object = try ConfigObject(value, source: source, path: "trainer")
            var settings = TrainerSettings()
            if let kind = try object.optionalString("kind") {
                settings.kind = try .parse(kind, source: source, field: "trainer.kind")
            }
            settings.command = try nonEmpty(object.optionalString("command"), "command", source)
            settings.policy = try nonEmpty(object.optionalString("policy"), "policy", source)
            settings.initialCheckpoint = try nonEmpty(object.optionalString("init"), "init", source)
            // An optional member, read (with its checks and messages) as a required one.
            func optional<T>(_ key: String, _ read: (inout ConfigObject) throws(ConfigError) -> T) throws(ConfigError) -> T? {
                guard let value = object.take(optional: key) else { return nil }
                var single = try ConfigObject(.object([(key, value)]), source: source, path: "trainer")
                return try read(&single)
            }
            for key in ["data", "vl"] {
                guard let paths = try optional(key, { (o: inout ConfigObject) throws(ConfigError) in try o.strings(key) }) else { continue }
                guard !paths.contains(where: \.isEmpty) else {
                    throw ConfigError(source, field: "trainer.\(key)", .invalid("a path is empty"))
                }
                if key == "data" { settings.data = paths } else { settings.vl = paths }
            }
            if let steps = try optional("steps_per_round", { (o: inout ConfigObject) throws(ConfigError) in try o.int("steps_per_round", in: stepsRange) }) {
                settings.stepsPerRound = steps
            }
            settings.threads = try optional("threads") { (o: inout ConfigObject) throws(ConfigError) in try o.int("threads", in: threadsRange) }
            try object.finish()
            return settings
        }

        private static func nonEmpty(_ text: String?, _ key: String, _ source: String) throws(ConfigError) -> String? {
            guard let text else { return nil }
            guard !text.isEmpty else { throw ConfigError(source, field: "trainer.\(key)", .invalid("must not be empty")) }
            return text
        }

        /// The settings with every relative path (`policy`, `data`, `vl`, `init`) made
        /// relative to `directory` (the node home, for paths from config.json).
        public func resolvingPaths(against directory: String) -> TrainerSettings {
            func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(directory)/\(path)" }
            var copy = self
            copy.policy = policy.map(resolve)
            copy.initialCheckpoint = initialCheckpoint.map(resolve)
            copy.data = data.map(resolve)
            copy.vl = vl.map(resolve)
            return copy
        }

        /// Sets `trainer.<key>` from override text (environment or flag); paths are made
        /// absolute against the current directory, lists are comma-separated.
        mutating func apply(_ key: String, value: String, source: String) throws(ConfigError) {
            let field = "trainer.\(key)"
            func absolute(_ path: String) throws(ConfigError) -> String {
                guard !path.isEmpty else { throw ConfigError(source, field: field, .invalid("a path is empty")) }
                return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            }
            func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
                guard let number = Int(value) else { throw ConfigError(source, field: field, .wrongType(expected: "an integer")) }
                guard range.contains(number) else {
                    throw ConfigError(source, field: field, .outOfRange(value: value, allowed: "\(range.lowerBound)...\(range.upperBound)"))
                }
                return number
            }
            func list() throws(ConfigError) -> [String] {
                var paths: [String] = []
                for part in value.split(separator: ",", omittingEmptySubsequences: false) { paths.append(try absolute(String(part))) }
                return paths
            }
            switch key {
            case "kind": kind = try .parse(value, source: source, field: field)
            case "command":
                guard !value.isEmpty else { throw ConfigError(source, field: field, .invalid("must not be empty")) }
                command = value
            case "policy": policy = try absolute(value)
            case "init": initialCheckpoint = try absolute(value)
            case "data": data = try list()
            case "vl": vl = try list()
            case "steps_per_round": stepsPerRound = try int(Self.stepsRange)
            case "threads": threads = try int(Self.threadsRange)
            default: throw ConfigError(source, field: field, .unknownKey)
            }
        }
    }

    /// The `trainer.*` settings that environment variables and flags may override.
    static let trainerSettings = ["kind", "command", "policy", "data", "vl", "init", "steps_per_round", "threads"]
        .map { "trainer.\($0)" }
}
