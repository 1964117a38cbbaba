import CotrainCore
import CotrainRuntime
import CotrainSim

/// `cotrain bench sim`: simulator and runtime throughput beside MuJoCo.
extension BenchCommand {
    static let sim = Command(
        name: "sim",
        summary: "simulator steps, renders, expert and evaluation episodes (vs MuJoCo)",
        help: """
            Usage: cotrain bench sim [--seconds S] [--embodiment E] [--mujoco-script PATH] [--json]

            One core. Sim steps without rendering (expert motions: grasps, carries,
            pushes), third-person renders at 64×64, recorded expert episodes (all task
            families, with images), evaluation episodes with the hold-still policy (the
            simulator alone, and through the full harness: envelope, control loop,
            scoring), and tool-frame chunks (a tool-frame policy's 4 tool motions
            turned into joint deltas by IK, per call). Reference measured in the same run: MuJoCo stepping a UR5e-like
            arm with a gripper and four boxes (benchmarks/mujoco_arm.py; needs python3
            and `pip install mujoco`). One cotrain sim step is 0.1 s of motion; MuJoCo
            needs 50 physics steps of 2 ms for the same, so both figures are printed.

            Options:
              --seconds S     time per figure (default 1)
              --embodiment E  ur5e (default), panda, scara, gantry, hand
              --json          one JSON object: sim_steps_per_s, renders_per_s,
                              expert_episodes_per_s, eval_episodes_per_s,
                              harness_eval_episodes_per_s, tool_frame_chunks_per_s
                              (arms; null otherwise), mujoco_physics_steps_per_s,
                              mujoco_control_steps_per_s (null when not installed)

            Example:
              cotrain bench sim --json
            """,
        run: { args, options in
            let seconds = Double(try args.int("--seconds", default: 1, range: 1...60))
            let kind = try parseEmbodiment(try args.option("--embodiment"), command: "bench sim") ?? .ur5e
            let script = try args.option("--mujoco-script")
            try args.finish()
            let quiet = options.quiet || options.json
            if !quiet { Console.error("bench sim: simulator figures…\n") }
            let r = SimBenchmark.run(embodiment: kind, seconds: seconds)
            if !quiet { Console.error("bench sim: evaluation harness…\n") }
            let harness = RuntimeBenchmark.harnessEpisodesPerSecond(kind, seconds: seconds)
            if !quiet { Console.error("bench sim: MuJoCo reference…\n") }
            let (mujoco, why) = RuntimeBenchmark.mujoco(script: script, seconds: 2 * seconds)
            if options.json {
                func number(_ x: Double?) -> JSONValue { x.map { .double(($0 * 10).rounded() / 10) } ?? .null }
                print(JSONValue.object([
                    ("embodiment", .string(kind.rawValue)), ("image", .string("\(r.imageWidth)x\(r.imageHeight)")),
                    ("sim_steps_per_s", number(r.simStepsPerSecond)), ("renders_per_s", number(r.rendersPerSecond)),
                    ("expert_episodes_per_s", number(r.expertEpisodesPerSecond)), ("eval_episodes_per_s", number(r.evalEpisodesPerSecond)),
                    ("harness_eval_episodes_per_s", number(harness)), ("tool_frame_chunks_per_s", number(r.toolChunksPerSecond)),
                    ("mujoco_physics_steps_per_s", number(mujoco?.physicsStepsPerSecond)),
                    ("mujoco_control_steps_per_s", number(mujoco?.controlStepsPerSecond)),
                    ("sim_vs_mujoco_control_steps", number(mujoco.map { r.simStepsPerSecond / $0.controlStepsPerSecond })),
                    ("mujoco", .string(mujoco.map { "mujoco \($0.version)" } ?? why)),
                ]).canonicalString)
                return ExitCode.ok
            }
            var table = TextTable("figure", "per second", "note", rightAligned: [1])
            table.add("sim steps", format(r.simStepsPerSecond, 0), "no rendering; one step = 0.1 s of motion")
            table.add("renders", format(r.rendersPerSecond, 0), "\(r.imageWidth)x\(r.imageHeight), sort-by-colour scene")
            table.add("expert episodes", format(r.expertEpisodesPerSecond, 1), "all task families, with images")
            table.add("eval episodes (sim)", format(r.evalEpisodesPerSecond, 1), "hold-still, pick, \(TaskFamily.pick.maxSteps) steps")
            table.add("eval episodes (harness)", format(harness, 1), "same, through envelope + control loop + scoring")
            if let tool = r.toolChunksPerSecond {
                table.add("tool-frame chunks", format(tool, 0), "4 tool motions → joint deltas by IK (\(format(1000 / tool, 3)) ms each)")
            }
            if let m = mujoco {
                table.add("MuJoCo physics steps", format(m.physicsStepsPerSecond, 0), "mujoco \(m.version), 2 ms steps, UR5e-like arm + 4 boxes")
                table.add("MuJoCo 0.1 s control steps", format(m.controlStepsPerSecond, 0), "50 physics steps each")
            } else {
                table.add("MuJoCo", "—", why)
            }
            print("embodiment \(kind.rawValue), one core\n")
            print(table.rendered)
            if let m = mujoco {
                print("\ncotrain sim steps / MuJoCo control steps (same 0.1 s of motion): \(format(r.simStepsPerSecond / m.controlStepsPerSecond, 0))×")
                print("cotrain sim steps / MuJoCo physics steps: \(format(r.simStepsPerSecond / m.physicsStepsPerSecond, 1))× (kinematic world vs contact dynamics)")
            }
            return ExitCode.ok
        })
}
