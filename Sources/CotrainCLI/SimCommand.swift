import CotrainCore
import CotrainRuntime
import CotrainSim
import Foundation

/// `cotrain sim …`: look at scenes and rollouts.
enum SimCommand {
    static let command = Command(
        name: "sim",
        summary: "render scenes and rollouts of the built-in simulator",
        help: """
            Usage: cotrain sim COMMAND [OPTIONS]

            Utilities to look at what the simulator produces (see docs/simulator.md).

            Examples:
              cotrain sim render --embodiment panda --task sort_by_colour --seed 3 --out scene.ppm
              cotrain sim rollout --embodiment scara --task place --seed 4 --out place.gif
              cotrain sim trace --policy runs/vl/checkpoint.safetensors --task place --seed 5024
            """,
        subcommands: [render, rollout, SimTraceCommand.command])

    static let render = Command(
        name: "render",
        summary: "render the first frame of an episode to a PPM or GIF",
        help: """
            Usage: cotrain sim render --out FILE.ppm|FILE.gif [--embodiment E] [--task T] [--seed N]
                                      [--shift S] [--image WxH] [--wrist] [--wrist-fov DEG]

            Options:
              --embodiment E  ur5e (default), panda, scara, gantry, hand
              --task T        pick (default), place, push, stack, put_all_of_colour, sort_by_colour
              --seed N        scene seed (default 0)
              --shift S       none (default), lighting, camera, appearance, distractors
              --image WxH     image size (default 256x256)
              --wrist         render the wrist camera instead
              --wrist-fov DEG its vertical field of view, 20…120 (default 70)

            Example:
              cotrain sim render --embodiment panda --task sort_by_colour --seed 3 --out scene.ppm
            """,
        run: { args, options in
            var env = try makeEnvironment(&args, defaultSize: "256x256")
            let out = try args.option("--out") ?? { throw UsageError(message: "--out FILE.ppm|FILE.gif is required", command: "sim render") }()
            let wrist = args.flag("--wrist")
            let fov = try parseWristFieldOfView(&args)
            let (task, seed, shift) = try episodeArguments(&args)
            guard out.hasSuffix(".ppm") || out.hasSuffix(".gif") else { throw UsageError(message: "--out must end in .ppm or .gif", command: "sim render") }
            try args.finish()
            env = SimEnvironment(embodiment: env.embodiment, config: SimConfig(imageWidth: env.config.imageWidth, imageHeight: env.config.imageHeight, wristCamera: wrist, wristFieldOfView: fov))
            let observation = env.reset(task: task, seed: seed, shifts: shift)
            let image = wrist ? observation.wristImage ?? [] : observation.image
            try write(frames: [image], width: observation.imageWidth, height: observation.imageHeight, to: out, scale: 1)
            if options.json {
                print(JSONValue.object([("out", .string(out)), ("embodiment", .string(env.embodiment.kind.rawValue)),
                                        ("instruction", .string(observation.instruction))]).canonicalString)
            } else if !options.quiet {
                print("\(out): \(env.embodiment.kind.rawValue), \"\(observation.instruction)\"")
            }
            return ExitCode.ok
        })

    static let rollout = Command(
        name: "rollout",
        summary: "run the expert (or hold) for one episode and write an animated GIF",
        help: """
            Usage: cotrain sim rollout --out FILE.gif [--policy expert|hold] [--embodiment E] [--task T]
                                       [--seed N] [--shift S] [--image WxH] [--scale K]

            Example:
              cotrain sim rollout --embodiment scara --task place --seed 4 --out place.gif
            """,
        run: { args, options in
            var env = try makeEnvironment(&args, defaultSize: "64x64")
            let out = try args.option("--out") ?? { throw UsageError(message: "--out FILE.gif is required", command: "sim rollout") }()
            let policyName = try args.option("--policy") ?? "expert"
            let scale = try args.int("--scale", default: 4, range: 1...16)
            let (task, seed, shift) = try episodeArguments(&args)
            guard out.hasSuffix(".gif") else { throw UsageError(message: "--out must end in .gif", command: "sim rollout") }
            try args.finish()
            var robot = SimRobot(env.embodiment.kind, config: env.config)
            let request = EpisodeRequest(task: task, seed: seed, shift: shift)
            let context = EpisodeContext(capabilities: robot.capabilities, request: request)
            var envelope = SafetyEnvelope(capabilities: robot.capabilities)
            let loop = ControlLoop(options: ControlLoopOptions(recordFrames: true))
            let run: EpisodeRun = try EvalCommand.withProvider(policyName) { provider in
                try runOne(provider, context, &robot, loop, &envelope)
            }
            env = robot.environment
            try write(frames: run.frames, width: run.frameWidth, height: run.frameHeight, to: out, scale: scale)
            if options.json {
                print(JSONValue.object([("out", .string(out)), ("instruction", .string(run.instruction)), ("success", .bool(run.success == true)),
                                        ("steps", .int(Int64(run.steps))), ("completion", .double(Double(run.completion ?? 0)))]).canonicalString)
            } else if !options.quiet {
                print("\(out): \"\(run.instruction)\": \(run.success == true ? "success" : "failure") in \(run.steps) steps, completion \(format(Double(run.completion ?? 0) * 100, 0))%")
            }
            return ExitCode.ok
        })

    static func runOne<P: PolicyProvider>(_ provider: P, _ context: EpisodeContext, _ robot: inout SimRobot, _ loop: ControlLoop, _ envelope: inout SafetyEnvelope) throws -> EpisodeRun {
        var policy = try provider.makePolicy(for: context)
        return try loop.run(robot: &robot, policy: &policy, request: context.request, envelope: &envelope)
    }

    static func makeEnvironment(_ args: inout Arguments, defaultSize: String) throws -> SimEnvironment {
        let kind = try parseEmbodiment(try args.option("--embodiment"), command: "sim") ?? .ur5e
        let (w, h) = try parseImageSize(try args.option("--image") ?? defaultSize, command: "sim")
        return SimEnvironment(embodiment: .make(kind), config: SimConfig(imageWidth: w, imageHeight: h))
    }

    static func episodeArguments(_ args: inout Arguments) throws -> (TaskSpec, UInt64, DistributionShift) {
        let taskName = try args.option("--task") ?? "pick"
        guard let family = TaskFamily(rawValue: taskName) else {
            throw UsageError(message: "unknown task '\(taskName)'; use \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))", command: "sim")
        }
        let seed = try args.int("--seed", default: 0, range: 0...Int(Int32.max))
        let shiftName = try args.option("--shift") ?? "none"
        guard let shift = DistributionShift.presets[shiftName] else {
            throw UsageError(message: "unknown shift '\(shiftName)'; use \(DistributionShift.presets.keys.sorted().joined(separator: ", "))", command: "sim")
        }
        return (TaskSpec(family), UInt64(seed), shift)
    }

    /// Writes one frame as binary PPM (P6) or frames as an animated GIF, atomically.
    static func write(frames: [[UInt8]], width: Int, height: Int, to path: String, scale: Int) throws {
        guard let first = frames.first, first.count == width * height * 3 else { throw UsageError(message: "nothing was rendered", command: "sim") }
        if path.hasSuffix(".ppm") {
            try AtomicFile.write(Array("P6\n\(width) \(height)\n255\n".utf8) + first, to: path)
        } else if path.hasSuffix(".gif") {
            var gif = GIFEncoder(width: width, height: height, scale: scale, delayCentiseconds: 10)
            for f in frames { gif.add(rgb: f) }
            try AtomicFile.write(gif.data, to: path)
        } else {
            throw UsageError(message: "--out must end in .ppm or .gif", command: "sim")
        }
    }
}
