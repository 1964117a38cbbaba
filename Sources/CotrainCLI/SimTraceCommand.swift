// `cotrain sim trace`: one episode of a trained checkpoint in the simulator, chunk by
// chunk, beside what the simulator knows (where the named objects are, what is held).
// An evaluation says which episodes fail; this says what the policy planned and where
// its pointers were while it failed (docs/evaluation.md, "Tracing one episode").
import CotrainCore
import CotrainData
import CotrainRuntime
import CotrainSim
import Foundation

enum SimTraceCommand {
    static let command = Command(
        name: "trace",
        summary: "run a checkpoint for one episode and print each chunk it planned beside the simulator's state",
        help: """
            Usage: cotrain sim trace --policy FILE.safetensors [--embodiment E] [--task T] [--seed N]
                                     [--shift S] [--execute K] [--noise S] [--oracle-points M]

            Runs one episode as `cotrain eval` does (a result's "seed" and task replay that
            episode; same rendering, safety envelope and chunk execution) and prints a
            line per chunk: the step, the tool's height, whether it holds the object to
            move, that object's planar distance from its destination, the chunk's planned
            vertical motion per step and largest sideways step (tool-frame checkpoints),
            its gripper commands, and each pointer's distance in pixels from the object it
            names (main camera, then wrist camera; "—" where the object is out of view).
            --json prints every chunk whole, with the points and the simulator's labels.

            Options:
              --policy FILE   a trained checkpoint (from `cotrain train`)
              --embodiment E  ur5e (default), panda, scara, gantry, hand
              --task T        pick (default), place, push, stack, put_all_of_colour, sort_by_colour
              --seed N        episode seed (default 0)
              --shift S       none (default), lighting, camera, appearance, distractors
              --execute K     actions executed per chunk (default: the checkpoint's)
              --noise S       flow-matching start noise (default: the checkpoint's)
              --oracle-points M  main-object, object or all: those pointers take the
                              simulator's labels (as for `cotrain eval`)

            Example:
              cotrain sim trace --policy runs/vl/checkpoint.safetensors --task place --seed 5024
            """,
        run: { args, options in
            let path = try args.option("--policy") ?? { throw UsageError(message: "--policy FILE.safetensors is required", command: "sim trace") }()
            let kind = try parseEmbodiment(try args.option("--embodiment"), command: "sim trace") ?? .ur5e
            let (execute, noise, oracle) = try EvalCommand.chunkOptions(&args, command: "sim trace")
            let (task, seed, shift) = try SimCommand.episodeArguments(&args)
            try args.finish()
            guard path.hasSuffix(".safetensors") || access(path, F_OK) == 0 else {
                throw UsageError(message: "--policy must be a trained checkpoint file (e.g. runs/vl/checkpoint.safetensors)", command: "sim trace")
            }
            let provider = try CheckpointPolicyProvider(path: path)
            try EvalCommand.configure(provider, noise: noise, execute: execute, oracle: oracle, command: "sim trace")
            let trace = try run(provider, kind: kind, request: EpisodeRequest(task: task, seed: seed, shift: shift))
            if options.json {
                print(trace.json.canonicalString)
            } else if !options.quiet {
                print("\"\(trace.instruction)\" (\(kind.rawValue), seed \(seed))")
                print(trace.table(imageSize: provider.model.config.imageSize))
                print("\(trace.success ? "success" : "failure") in \(trace.steps) steps")
            }
            return ExitCode.ok
        })

    /// One sampled chunk and the simulator's state when it was sampled.
    struct Chunk {
        var step: Int
        var tool: [Float]
        var held: Bool
        /// Planar distance (m) of the object to move from its destination, if it has one.
        var toDestination: Float?
        var plan: [[Float]]
        var points: [Float]?
        /// `SimEnvironment.namedPoints()`: per camera and slot (x, y, visible).
        var labels: [Float]
    }

    struct Trace {
        var instruction: String
        var toolFrame: Bool
        var chunks: [Chunk] = []
        var steps = 0
        var success = false
    }

    /// Runs the episode with the evaluation's control loop, recording each chunk.
    static func run(_ provider: CheckpointPolicyProvider, kind: EmbodimentKind, request: EpisodeRequest) throws -> Trace {
        var robot = SimRobot(kind, config: provider.simConfig)
        var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: request))
        var envelope = SafetyEnvelope(capabilities: robot.capabilities)
        var observation = try robot.reset(request)
        let toolFrame = provider.model.config.embodiment(kind.rawValue)?.toolFrame == true
        var trace = Trace(instruction: observation.instruction, toolFrame: toolFrame)
        let budget = request.task.family.maxSteps
        policy.reset()
        while trace.steps < budget && !robot.environment.isDone {
            let env = robot.environment
            let named = env.namedObjects()
            let object = named.first ?? nil, destination = named.count > 1 ? named[1] : nil
            let chunk = policy.act(observation)
            var distance: Float?
            if let object, let destination {
                let (a, b) = (env.world.objects[object].position, env.world.objects[destination].position)
                distance = ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot()
            }
            let t = env.tool.translation
            trace.chunks.append(Chunk(
                step: trace.steps, tool: [t.x, t.y, t.z], held: object != nil && env.world.held == object, toDestination: distance,
                plan: policy.lastChunk, points: policy.lastPoints, labels: observation.pointLabels ?? env.namedPoints()))
            for action in chunk {
                guard case .pass(let safe) = envelope.check(action, proprio: observation.proprio) else {
                    throw RuntimeError.unsafeAction("the safety envelope stopped the episode at step \(trace.steps)")
                }
                let step = try robot.act(safe)
                observation = step.observation
                trace.steps += 1
                if step.done || trace.steps >= budget { break }
            }
        }
        trace.success = robot.environment.success
        return trace
    }
}

extension SimTraceCommand.Trace {
    /// Per chunk: pointer distances from their labels in pixels (nil: not in view).
    func pointerErrors(_ chunk: SimTraceCommand.Chunk, imageSize: Int) -> [Float?] {
        guard let points = chunk.points else { return [] }
        let slots = points.count / 2
        return (0..<slots).map { k in
            guard 3 * k + 2 < chunk.labels.count, chunk.labels[3 * k + 2] > 0 else { return nil }
            let (dx, dy) = (points[2 * k] - chunk.labels[3 * k], points[2 * k + 1] - chunk.labels[3 * k + 1])
            return (dx * dx + dy * dy).squareRoot() * Float(imageSize) / 2
        }
    }

    func table(imageSize: Int) -> String {
        let pointerCount = chunks.first.map { ($0.points?.count ?? 0) / 2 } ?? 0
        let names = ["main object", "main dest", "wrist object", "wrist dest"]
        var headers = ["step", "tool z cm", "held", "to dest cm"]
        if toolFrame { headers += ["planned dz cm per step", "max dxy cm"] }
        headers.append("gripper")
        headers += (0..<pointerCount).map { $0 < names.count ? "\(names[$0]) px" : "pointer \($0) px" }
        var table = TextTable(headers: headers, rightAligned: Set([0, 1, 3] + (toolFrame ? [5] : []) + (0..<pointerCount).map { headers.count - pointerCount + $0 }))
        func cm(_ x: Float) -> String { format(Double(x) * 100, 1) }
        for chunk in chunks {
            var row = [String(chunk.step), cm(chunk.tool[2]), chunk.held ? "yes" : "no", chunk.toDestination.map(cm) ?? "—"]
            if toolFrame {
                row.append(chunk.plan.map { cm($0[2]) }.joined(separator: " "))
                row.append(cm(chunk.plan.map { ($0[0] * $0[0] + $0[1] * $0[1]).squareRoot() }.max() ?? 0))
            }
            row.append(chunk.plan.map { ($0.last ?? 0) > 0 ? "c" : "o" }.joined())
            row += pointerErrors(chunk, imageSize: imageSize).map { $0.map { format(Double($0), 1) } ?? "—" }
            table.rows.append(row)
        }
        return table.rendered
    }

    var json: JSONValue {
        func numbers(_ xs: [Float]) -> JSONValue { .array(xs.map { .double(Double($0)) }) }
        return .object([
            ("instruction", .string(instruction)), ("success", .bool(success)), ("steps", .int(Int64(steps))),
            ("tool_frame", .bool(toolFrame)),
            ("chunks", .array(chunks.map { c in
                .object([
                    ("step", .int(Int64(c.step))), ("tool", numbers(c.tool)), ("held", .bool(c.held)),
                    ("to_destination_m", c.toDestination.map { .double(Double($0)) } ?? .null),
                    ("plan", .array(c.plan.map(numbers))), ("points", c.points.map(numbers) ?? .null), ("labels", numbers(c.labels)),
                ])
            })),
        ])
    }
}
