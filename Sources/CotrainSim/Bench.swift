// CotrainSim/Bench.swift: throughput figures for `cotrain bench sim`.
//
// Each figure runs on the calling thread for about `seconds`; run a release build.

/// Measured simulator throughput (one core).
public struct SimBenchmarkResult: Sendable, Equatable {
    /// What was measured: embodiment and image size.
    public var embodiment: EmbodimentKind
    public var imageWidth: Int
    public var imageHeight: Int
    /// Environment steps per second without rendering (kinematics, grasp, push, scoring).
    public var simStepsPerSecond: Double
    /// Third-person renders per second into a reused buffer.
    public var rendersPerSecond: Double
    /// Recorded expert episodes per second (all task families in turn, with images).
    public var expertEpisodesPerSecond: Double
    /// Evaluation episodes per second with the hold-still policy (pick, full step budget).
    public var evalEpisodesPerSecond: Double
    /// Tool-frame chunks per second: 4 tool motions turned into joint deltas by IK, as a
    /// tool-frame policy's every call does (nil for embodiments without a tool frame).
    public var toolChunksPerSecond: Double? = nil

    /// One line per figure, for the CLI.
    public var summary: String {
        func f(_ x: Double) -> String { String(Int(x.rounded())) }
        return """
            embodiment            \(embodiment.rawValue)
            sim steps/s           \(f(simStepsPerSecond))  (no rendering)
            renders/s             \(f(rendersPerSecond))  (\(imageWidth)x\(imageHeight))
            expert episodes/s     \(f(expertEpisodesPerSecond))  (all task families, with images)
            eval episodes/s       \(f(evalEpisodesPerSecond))  (hold-still policy, pick, \(TaskFamily.pick.maxSteps) steps)
            """ + (toolChunksPerSecond.map { "\ntool-frame chunks/s   \(f($0))  (4 tool motions → joint deltas by IK)" } ?? "")
    }
}

/// The simulator benchmarks.
public enum SimBenchmark {
    /// Measures every figure for `embodiment`, spending about `seconds` on each.
    public static func run(
        embodiment kind: EmbodimentKind = .ur5e, seconds: Double = 1, imageWidth: Int = 64, imageHeight: Int = 64
    ) -> SimBenchmarkResult {
        let embodiment = Embodiment.make(kind)
        let config = SimConfig(imageWidth: imageWidth, imageHeight: imageHeight)
        var result = SimBenchmarkResult(
            embodiment: kind, imageWidth: imageWidth, imageHeight: imageHeight,
            simStepsPerSecond: simSteps(embodiment, seconds),
            rendersPerSecond: renders(embodiment, config, seconds),
            expertEpisodesPerSecond: expertEpisodes(embodiment, config, seconds),
            evalEpisodesPerSecond: evalEpisodes(embodiment, config, seconds))
        result.toolChunksPerSecond = toolChunks(embodiment, seconds)
        return result
    }

    /// Converts chunks of 4 consecutive expert tool motions back to joint deltas from the
    /// states the expert was in (pick and place episodes).
    static func toolChunks(_ embodiment: Embodiment, _ seconds: Double) -> Double? {
        guard let frame = ToolFrame(embodiment) else { return nil }
        var env = SimEnvironment(embodiment: embodiment, config: SimConfig(renderImages: false))
        var chunks: [(proprio: [Float], tools: [[Float]])] = []
        for (k, family) in [TaskFamily.pick, .place].enumerated() {
            var expert = ScriptedExpert(embodiment: embodiment, seed: UInt64(k))
            env.resetState(task: TaskSpec(family), seed: UInt64(k))
            var states: [([Float], [Float])] = []
            while !env.isDone {
                let a = expert.act(env).action
                states.append((env.proprio, frame.toolAction(armProprio: env.proprio, jointAction: a)))
                _ = env.advance(a)
            }
            for t in stride(from: 0, to: states.count - 3, by: 4) { chunks.append((states[t].0, states[t..<(t + 4)].map(\.1))) }
        }
        guard !chunks.isEmpty else { return nil }
        var k = 0
        return rate(seconds) {
            let c = chunks[k % chunks.count]
            _ = frame.jointActions(armProprio: c.proprio, chunk: c.tools)
            k += 1
            return 1
        }
    }

    /// Calls `body` (which returns how many units it did) until `seconds` have passed.
    static func rate(_ seconds: Double, _ body: () -> Int) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        var units = 0
        var elapsed = 0.0
        repeat {
            units += body()
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        } while elapsed < seconds
        return Double(units) / elapsed
    }

    /// Replays recorded expert actions (so grasps, carries and pushes happen) with `advance`.
    static func simSteps(_ embodiment: Embodiment, _ seconds: Double) -> Double {
        var env = SimEnvironment(embodiment: embodiment, config: SimConfig(renderImages: false))
        let families: [TaskFamily] = [.pick, .place, .push, .stack]
        var scripts: [(TaskSpec, [[Float]])] = []
        for (k, family) in families.enumerated() {
            let task = TaskSpec(family)
            var expert = ScriptedExpert(embodiment: embodiment, seed: UInt64(k))
            env.resetState(task: task, seed: UInt64(k))
            var actions: [[Float]] = []
            while !env.isDone {
                let a = expert.act(env).action
                actions.append(a)
                _ = env.advance(a)
            }
            scripts.append((task, actions))
        }
        var k = 0
        return rate(seconds) {
            let (task, actions) = scripts[k % scripts.count]
            env.resetState(task: task, seed: UInt64(k % scripts.count))
            for a in actions { _ = env.advance(a) }
            k += 1
            return actions.count
        }
    }

    static func renders(_ embodiment: Embodiment, _ config: SimConfig, _ seconds: Double) -> Double {
        var env = SimEnvironment(embodiment: embodiment, config: config)
        env.resetState(task: TaskSpec(.sortByColour), seed: 1)
        var renderer = Renderer(width: config.imageWidth, height: config.imageHeight)
        var image = [UInt8](repeating: 0, count: renderer.imageByteCount)
        let world = env.world, robot = env.robotPose, settings = env.renderSettings
        return rate(seconds) {
            for _ in 0..<100 {
                renderer.render(world: world, robot: robot, embodiment: embodiment, settings: settings, into: &image)
            }
            return 100
        }
    }

    static func expertEpisodes(_ embodiment: Embodiment, _ config: SimConfig, _ seconds: Double) -> Double {
        var env = SimEnvironment(embodiment: embodiment, config: config)
        var k = 0
        return rate(seconds) {
            let family = TaskFamily.allCases[k % TaskFamily.allCases.count]
            _ = ScriptedExpert.record(env: &env, task: TaskSpec(family), seed: UInt64(k))
            k += 1
            return 1
        }
    }

    static func evalEpisodes(_ embodiment: Embodiment, _ config: SimConfig, _ seconds: Double) -> Double {
        var env = SimEnvironment(embodiment: embodiment, config: config)
        var policy = HoldStillPolicy(actionDimension: embodiment.action.dimension)
        var k: UInt64 = 0
        return rate(seconds) {
            _ = env.run(&policy, task: TaskSpec(.pick), seed: k)
            k += 1
            return 1
        }
    }
}
