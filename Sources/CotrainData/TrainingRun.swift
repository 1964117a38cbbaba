// What a training run is asked to do, what it reports while it runs, and what it
// leaves behind. The loop itself is `Trainer`.
import CotrainCore
import CotrainPolicy
import CotrainTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a training run is carried out (the recipe says what is trained).
public struct TrainerOptions: Sendable {
    /// Where the checkpoint, the log and the summary go (created if needed).
    public var outputDirectory: String
    /// Continue the run in `outputDirectory` from its checkpoint (a fresh start when
    /// there is none). Without it an existing checkpoint is an error.
    public var resume = false
    /// Compute threads. The result is bit-identical for the same thread count.
    public var threads = Compute.availableCores
    /// Steps between periodic checkpoints (with optimizer state).
    public var checkpointInterval = 100
    /// A checkpoint whose tokenizer and shared parameters start the run (e.g. a
    /// vision-language-pretrained base); nil: a fresh tokenizer and initialisation.
    public var initialCheckpoint: String?

    /// Options with defaults for everything but the directory.
    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    /// `DIR/checkpoint.safetensors`: the latest state, atomically replaced.
    public var checkpointPath: String { "\(outputDirectory)/checkpoint.safetensors" }
    /// `DIR/training-log.jsonl`: one JSON object per step.
    public var logPath: String { "\(outputDirectory)/training-log.jsonl" }
    /// `DIR/run.json`: the run's summary (timing, data, losses).
    public var summaryPath: String { "\(outputDirectory)/run.json" }
}

/// The state of a run after a step, for progress displays.
public struct TrainerStatus: Sendable {
    /// Steps done and to do in total.
    public var step: Int
    public var totalSteps: Int
    /// The phase the last step belonged to.
    public var phase: String
    /// The last step's losses and learning rate.
    public var losses: PolicyLosses
    public var learningRate: Float
    /// Exponential moving averages (about 20 steps) of the total, action and text losses.
    public var smoothedTotal: Float
    public var smoothedAction: Float
    public var smoothedText: Float
    /// Throughput of this session and the estimated time left.
    public var samplesPerSecond: Double
    public var etaSeconds: Double

    /// "[######----------]  340/1200  main  loss 0.412 (action 0.301, text 1.92)  112 samples/s  ETA 3 min 05 s"
    public var line: String {
        let width = 16
        let filled = totalSteps > 0 ? min(width, step * width / totalSteps) : width
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        func f(_ x: Float) -> String { ProgressMeter.decimal(Double(x), digits: 3) }
        var parts: [String] = []
        if losses.actionSamples > 0 { parts.append("action \(f(smoothedAction))") }
        if losses.textSamples > 0 { parts.append("text \(f(smoothedText))") }
        if losses.tokenSamples > 0 { parts.append("tokens \(f(losses.tokens))") }
        if losses.pointingSamples > 0 { parts.append("pointing \(ProgressMeter.decimal(Double(losses.pointing), digits: 4))") }
        if losses.pointingMass != 0 { parts.append("pointing mass \(f(losses.pointingMass))") }
        if losses.pointingAvoidRows > 0 { parts.append("pointing avoid \(f(losses.pointingAvoid))") }
        if losses.orientationSamples > 0 { parts.append("orientation \(f(losses.orientation))") }
        let eta = step < totalSteps ? "ETA \(ProgressMeter.duration(etaSeconds))" : "done"
        return "\(bar) \(step)/\(totalSteps)  \(phase)  loss \(f(smoothedTotal)) (\(parts.joined(separator: ", ")))  "
            + "lr \(ProgressMeter.decimal(Double(learningRate) * 1e4, digits: 2))e-4  "
            + "\(ProgressMeter.decimal(samplesPerSecond, digits: 1)) samples/s  \(eta)"
    }
}

/// Mean losses over a window of logged steps.
public struct LossSummary: Sendable, Equatable {
    /// Steps averaged, and the mean total, action and text losses over them (action
    /// and text over the steps that had such samples).
    public var steps: Int
    public var total: Double
    public var action: Double
    public var text: Double
}

/// What a finished (or interrupted) run left behind.
public struct TrainingResult: Sendable {
    /// The checkpoint written last, and the step it holds.
    public var checkpointPath: String
    public var step: Int
    public var totalSteps: Int
    /// True if the run stopped early (a stop request, e.g. Ctrl-C); resume it.
    public var interrupted: Bool
    /// Wall-clock and process CPU seconds of the whole run: every session, from the
    /// first step to the last checkpoint (data loading excluded).
    public var wallSeconds: Double
    public var cpuSeconds: Double
    /// Steps run in this session.
    public var sessionSteps: Int
    /// Mean losses of the first and last logged steps (20 each), over the whole run.
    public var first: LossSummary
    public var last: LossSummary
    /// Trainable parameters of the model.
    public var parameters: Int
}

/// Seconds of CPU time used by this process so far (user + system, every thread).
public func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(0, &usage)  // RUSAGE_SELF
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
