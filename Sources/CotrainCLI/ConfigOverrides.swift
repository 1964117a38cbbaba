import CotrainCore
import CotrainFederation
import Foundation

/// Checks configuration overrides before a command takes the node lock or reads its
/// home, exactly as `NodeHome.loadConfig` will apply them (config.json < `COTRAIN_*`
/// environment variables < flags): so a bad flag value is a usage error (exit 2)
/// naming the flag, and `--check-args` catches it without a node home.
enum ConfigOverrides {
    /// The flag that sets each setting (for messages).
    static let flags: [String: String] = [
        "listen": "--listen", "advertise": "--advertise", "round.quorum": "--quorum",
        "round.aggregation": "--aggregation", "round.delta_codec": "--codec",
        "trainer.kind": "--trainer", "trainer.command": "--trainer-command", "trainer.policy": "--policy",
        "trainer.data": "--data", "trainer.vl": "--vl", "trainer.init": "--init",
        "trainer.steps_per_round": "--steps-per-round", "trainer.threads": "--threads",
    ]

    /// Applies the `COTRAIN_*` variables of `environment`, then `overrides` (setting →
    /// value, from flags) to a template configuration; throws what loading would.
    static func check(_ overrides: [(String, String)], environment: [String: String], command: String) throws {
        var config = try NodeConfig(lab: "check", embodiments: ["ur5e"], listen: NodeEndpoint(parsing: "127.0.0.1:7443"))
        try config.apply(environment: environment)
        for (setting, value) in overrides {
            let flag = flags[setting] ?? "--\(setting)"
            do {
                try config.apply(setting, value: value, source: flag)
            } catch {
                throw UsageError(message: error.description, command: command)
            }
        }
    }
}
