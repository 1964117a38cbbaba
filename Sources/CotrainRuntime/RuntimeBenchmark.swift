// CotrainRuntime/RuntimeBenchmark.swift: figures for `cotrain bench sim` beyond the
// simulator's own — the evaluation harness end to end, and the MuJoCo reference.
import CotrainCore
import CotrainSim
import Foundation

/// Throughput of the runtime around the simulator.
public enum RuntimeBenchmark {
    /// Evaluation episodes per second through the full harness (policy provider, safety
    /// envelope, control loop, scoring) with the hold-still policy on `kind`, pick task,
    /// 64×64 images, for about `seconds`.
    public static func harnessEpisodesPerSecond(_ kind: EmbodimentKind, seconds: Double) -> Double {
        var robot = SimRobot(kind)
        var quiet = UnattendedOperator()
        var episodes = 0
        let started = monotonicSeconds()
        var seed: UInt64 = 0
        repeat {
            let suite = EvaluationSuite(name: "bench", tasks: [TaskSpec(.pick)], conditions: [EvalCondition(name: "nominal")], episodes: 4, seed: seed)
            let report = try? EvaluationHarness.run(suite: suite, robot: &robot, robotName: "sim", provider: HoldPolicyProvider(), operator: &quiet)
            episodes += report?.episodeCount ?? 0
            seed += 4
        } while monotonicSeconds() - started < seconds
        return Double(episodes) / (monotonicSeconds() - started)
    }

    /// MuJoCo's figures from `benchmarks/mujoco_arm.py`, or why there are none.
    public struct MuJoCoReference: Sendable {
        /// mj_step calls (2 ms each) per second, and 0.1 s control steps per second.
        public var physicsStepsPerSecond: Double
        public var controlStepsPerSecond: Double
        public var version: String
    }

    /// Runs the MuJoCo script with python3 for about `seconds`. Returns nil with a reason
    /// ("not installed", "script not found") when it cannot.
    public static func mujoco(script: String?, seconds: Double) -> (MuJoCoReference?, String) {
        guard let python = ExternalTool.find("python3") else { return (nil, "python3 not installed") }
        guard let path = script ?? locateScript() else { return (nil, "benchmarks/mujoco_arm.py not found (run from the cotrain checkout)") }
        guard ExternalTool.output(python, ["-c", "import mujoco"], timeout: 60) != nil else {
            return (nil, "not installed (pip install mujoco)")
        }
        guard let text = ExternalTool.output(python, [path, "--seconds", "\(seconds)", "--json"], timeout: 60 + 4 * seconds),
            let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let json = try? JSONValue.parse(String(line)),
            let physics = json["physics_steps_per_s"]?.double, let control = json["control_steps_per_s"]?.double
        else { return (nil, "the MuJoCo script failed") }
        return (MuJoCoReference(physicsStepsPerSecond: physics, controlStepsPerSecond: control, version: json["mujoco_version"]?.string ?? "?"), "ok")
    }

    /// benchmarks/mujoco_arm.py from the working directory or above the executable.
    static func locateScript() -> String? {
        var candidates = [FileManager.default.currentDirectoryPath + "/benchmarks/mujoco_arm.py"]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.path + "/benchmarks/mujoco_arm.py")
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
