// `cotrain bench train`: GEMM on the model's shapes, a full training step and
// inference latency of the default policy, beside NumPy's GEMM measured in the same run.
import CotrainCore
import CotrainTensor
import Foundation

/// Figures from one run of the training benchmark.
public struct TrainBenchReport: Sendable {
    /// Threads every kernel used.
    public var threads = 0
    /// Samples per training step.
    public var batch = 0
    /// Our GEMM on each model shape.
    public var gemm: [GemmBenchmarkResult] = []
    /// NumPy's GFLOP/s by shape name (nil: python3 or numpy not installed).
    public var numpyGFLOPS: [String: Double]?
    /// NumPy's version if it ran, else why not ("not installed", …).
    public var numpyStatus = "not run"
    /// Milliseconds per training step: the best of the timed steps (robust to other
    /// processes sharing the cores, like the GEMM figures).
    public var trainStepMS = 0.0
    /// Median milliseconds per training step.
    public var trainStepMedianMS = 0.0
    /// Process CPU time per training step (all threads), ms.
    public var trainStepCPUMS = 0.0
    /// Matmul + attention FLOPs of one step, forward and backward (analytic).
    public var modelGFLOPPerStep = 0.0
    /// Milliseconds per action chunk at batch 1, flow steps as configured (best call).
    public var inferChunkMS = 0.0
    /// Median milliseconds per action chunk.
    public var inferChunkMedianMS = 0.0
    /// Process CPU time per action chunk (all threads), ms.
    public var inferChunkCPUMS = 0.0
    /// Milliseconds per action chunk on one thread (best call): needs only one free core.
    public var inferChunkOneThreadMS = 0.0
    /// Flow steps per chunk in the inference figure.
    public var flowSteps = 0
    /// Forward + backward of the spatial kernels at the `vl-pointer` recipe's training
    /// shape (batch 32, two cameras: 64 maps of 64×64 pixels × 16 channels), ms, best of
    /// several: the keypoints' soft-argmax (16 per map) and the pointers (2 per map,
    /// with a 4×4 patch context of width 64).
    public var keypointsMS = 0.0
    public var pointerMS = 0.0
    /// The same pointers with a surround of radius 3 (`pointer_surround`): the box
    /// filter and the pointers over twice the channels, forward + backward.
    public var surroundPointerMS = 0.0
    /// Peak resident memory (VmHWM), MB.
    public var peakRSSMB = 0.0
    /// Parameters of the benchmarked model.
    public var parameterCount = 0

    /// Shapes of the model's matmuls (excluding the 1024³ reference).
    var modelShapes: [GemmBenchmarkResult] { gemm.filter { $0.shape.name != "square.1024" } }
    /// Our aggregate GFLOP/s over the model shapes (total FLOPs / total time).
    public var gemmGFLOPS: Double { aggregate(modelShapes.map { ($0.shape.flops, $0.seconds) }) }
    /// NumPy's aggregate GFLOP/s over the same shapes.
    public var numpyGemmGFLOPS: Double? {
        guard let numpy = numpyGFLOPS else { return nil }
        let pairs = modelShapes.compactMap { r in numpy[r.shape.name].map { (r.shape.flops, r.shape.flops / ($0 * 1e9)) } }
        return pairs.count == modelShapes.count ? aggregate(pairs) : nil
    }
    /// Training samples per second.
    public var trainSamplesPerSecond: Double { Double(batch) / (trainStepMS / 1000) }
    /// Sustained model GFLOP/s of a training step.
    public var trainModelGFLOPS: Double { modelGFLOPPerStep / (trainStepMS / 1000) }
    /// Model GFLOP/s per step's CPU time spread over the threads: what a step sustains
    /// when its threads have their cores to themselves (an estimate on a busy machine).
    public var trainModelGFLOPSFromCPU: Double { modelGFLOPPerStep / (trainStepCPUMS / 1000 / Double(max(threads, 1))) }

    private func aggregate(_ pairs: [(Double, Double)]) -> Double {
        pairs.reduce(0) { $0 + $1.0 } / max(pairs.reduce(0) { $0 + $1.1 }, 1e-12) / 1e9
    }

    /// The figures as one JSON object (`cotrain bench train --json`).
    public var json: JSONValue {
        func number(_ v: Double?, _ digits: Double = 10) -> JSONValue { v.map { .double(($0 * digits).rounded() / digits) } ?? .null }
        let shapes: [JSONValue] = gemm.map { r in
            .object([("name", .string(r.shape.name)), ("variant", .string(r.shape.variant)),
                     ("m", .int(Int64(r.shape.m))), ("n", .int(Int64(r.shape.n))), ("k", .int(Int64(r.shape.k))),
                     ("gflops", number(r.gflops)), ("numpy_gflops", number(numpyGFLOPS?[r.shape.name]))])
        }
        return .object([
            ("threads", .int(Int64(threads))), ("batch", .int(Int64(batch))),
            ("parameters", .int(Int64(parameterCount))),
            ("gemm_gflops", number(gemmGFLOPS)), ("numpy_gemm_gflops", number(numpyGemmGFLOPS)),
            ("numpy", .string(numpyStatus)),
            ("train_step_ms", number(trainStepMS)), ("train_step_median_ms", number(trainStepMedianMS)),
            ("train_step_cpu_ms", number(trainStepCPUMS)), ("train_model_gflops_from_cpu", number(trainModelGFLOPSFromCPU)),
            ("train_samples_per_s", number(trainSamplesPerSecond)),
            ("model_gflop_per_step", number(modelGFLOPPerStep, 1000)), ("train_model_gflops", number(trainModelGFLOPS)),
            ("train_fraction_of_numpy_gemm", numpyGemmGFLOPS.map { number(trainModelGFLOPS / $0, 1000) } ?? .null),
            ("infer_chunk_ms", number(inferChunkMS, 1000)), ("infer_chunk_median_ms", number(inferChunkMedianMS, 1000)),
            ("infer_chunk_cpu_ms", number(inferChunkCPUMS, 1000)),
            ("infer_chunk_1thread_ms", number(inferChunkOneThreadMS, 1000)), ("flow_steps", .int(Int64(flowSteps))),
            ("keypoints_ms", number(keypointsMS, 100)), ("pointer_ms", number(pointerMS, 100)),
            ("surround_pointer_ms", number(surroundPointerMS, 100)),
            ("peak_rss_mb", number(peakRSSMB)), ("gemm_shapes", .array(shapes)),
        ])
    }
}

/// The training benchmark (the default `PolicyConfig`).
public enum TrainBenchmark {
    /// Runs every measurement. `numpyScript` is the path of `benchmarks/numpy_gemm.py`
    /// (nil: looked up from the working directory and above the executable).
    /// `progress` receives a line before each part.
    public static func run(
        threads: Int = Compute.availableCores, batch: Int = 64, steps: Int = 6, gemmSeconds: Double = 0.3,
        inferenceCalls: Int = 100, numpyScript: String? = nil, progress: (String) -> Void = { _ in }
    ) throws -> TrainBenchReport {
        var report = TrainBenchReport()
        (report.threads, report.batch) = (threads, batch)
        let config = PolicyConfig(embodiments: [
            EmbodimentSpec(name: "panda", stateDimension: 8, actionDimension: 8),
            EmbodimentSpec(name: "ur5e", stateDimension: 7, actionDimension: 7),
        ])
        let data = try SyntheticData(config: config, seed: 1)
        let model = try PolicyModel(config: config, tokenizer: data.tokenizer, seed: 1)
        let batches = (0..<2).map { data.batch(size: batch, seed: UInt64($0)) }
        let rows = batch * config.sequenceLength
        let shapes = GemmBenchmark.modelShapes(rows: rows, width: config.width)
        progress("GEMM on the model's shapes (\(rows) rows × width \(config.width))")
        report.gemm = GemmBenchmark.run(shapes: shapes, threads: threads, minSeconds: gemmSeconds)
        progress("NumPy reference on the same shapes and threads")
        (report.numpyGFLOPS, report.numpyStatus) = numpyReference(
            script: numpyScript, threads: threads, rows: rows, width: config.width, seconds: gemmSeconds)
        report.parameterCount = model.parameterCount
        progress("training steps at batch \(batch)")
        let trainer = try PolicyTrainer(model: model, seed: 1, threads: threads)
        var times: [Double] = []
        for step in 0..<2 { _ = try trainer.step(batches[step % 2], learningRate: 1e-4) }  // warm-up
        let cpuAtStart = processCPUSeconds()
        for step in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            let r = try trainer.step(batches[step % 2], learningRate: 1e-4)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            report.modelGFLOPPerStep = r.flops.total / 1e9
        }
        report.trainStepCPUMS = (processCPUSeconds() - cpuAtStart) * 1000 / Double(max(steps, 1))
        (report.trainStepMS, report.trainStepMedianMS) = (times.min() ?? 0, median(times))
        progress("inference at batch 1, \(config.flowSteps) flow steps")
        model.inferenceThreads = threads
        let observation = data.observation(seed: 9)
        for i in 0..<10 { _ = try model.act(observation, seed: UInt64(i)) }
        var latencies: [Double] = []
        let cpuStart = processCPUSeconds()
        for i in 0..<inferenceCalls {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.act(observation, seed: UInt64(i))
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        report.inferChunkCPUMS = (processCPUSeconds() - cpuStart) * 1000 / Double(max(inferenceCalls, 1))
        (report.inferChunkMS, report.inferChunkMedianMS) = (latencies.min() ?? 0, median(latencies))
        model.inferenceThreads = 1
        report.inferChunkOneThreadMS = (0..<(inferenceCalls / 2)).map { i in
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try? model.act(observation, seed: UInt64(i))
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }.dropFirst(5).min() ?? 0
        report.flowSteps = config.flowSteps
        progress("spatial kernels: keypoints and pointers")
        (report.keypointsMS, report.pointerMS, report.surroundPointerMS) = spatialKernels(threads: threads)
        report.peakRSSMB = peakResidentMB() ?? 0
        return report
    }

    /// Best-of-10 milliseconds of forward + backward for the keypoint soft-argmax and the
    /// pointer at the `vl-pointer` training shape (see `TrainBenchReport.pointerMS`).
    static func spatialKernels(threads: Int) -> (keypoints: Double, pointer: Double, surroundPointer: Double) {
        let (rows, side, k, m, cells, c) = (64, 64, 16, 2, 16, 64)
        var rng = Xoshiro256(seed: 3)
        func random(_ shape: Shape) -> Tensor {
            let t = Tensor(zeros: shape, requiresGrad: true)
            rng.fillUniform(t, -1, 1)
            return t
        }
        let features = random(Shape(rows, side * side, k)), beta = random(Shape(k))
        let queries = random(Shape(rows, 1, m * k)), wideQueries = random(Shape(rows, 1, m * 2 * k)), coarse = random(Shape(rows, cells, c)), coarseQueries = random(Shape(rows, 1, m * c))
        var coords: [Float] = []
        for y in 0..<side { for x in 0..<side { coords += [(Float(x) + 0.5) / Float(side) * 2 - 1, (Float(y) + 0.5) / Float(side) * 2 - 1] } }
        let coordinates = Tensor(shape: Shape(side * side, 2), values: coords)
        let tape = Tape(threads: threads)
        func best(_ body: () -> Tensor) -> Double {
            (0..<12).map { _ in
                tape.reset()
                let start = DispatchTime.now().uptimeNanoseconds
                tape.backward(tape.sum(body()))
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }.dropFirst(2).min() ?? 0
        }
        let keypoints = best { tape.spatialSoftmax(features, coordinates: coordinates, beta: beta) }
        let pointer = best {
            tape.pointer(features, queries: queries, coarse: coarse, coarseQueries: coarseQueries, coordinates: coordinates, gain: 5)
        }
        let order = IndexTensor((0..<(side * side)).map(Int32.init))
        let surroundPointer = best {
            let both = tape.surround(features, order: order, side: side, radius: 3)
            return tape.pointer(both, queries: wideQueries, coarse: coarse, coarseQueries: coarseQueries, coordinates: coordinates, gain: 5)
        }
        return (keypoints, pointer, surroundPointer)
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    /// VmHWM from /proc/self/status, in MB (10^6 bytes).
    public static func peakResidentMB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return nil }
        return kb * 1024 / 1e6
    }

    /// User + system CPU seconds of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(0, &usage)  // RUSAGE_SELF
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Runs the NumPy script; returns GFLOP/s by shape name and "numpy VERSION", or nil
    /// and why not ("not installed", "script not found", …).
    static func numpyReference(
        script: String?, threads: Int, rows: Int, width: Int, seconds: Double
    ) -> ([String: Double]?, String) {
        guard let python = ExternalTool.find("python3") else { return (nil, "not installed (no python3)") }
        guard let path = script ?? locateScript() else { return (nil, "benchmarks/numpy_gemm.py not found (run from the cotrain checkout)") }
        guard ExternalTool.output(python, ["-c", "import numpy"], timeout: 60) != nil else {
            return (nil, "not installed (pip install numpy)")
        }
        guard let text = ExternalTool.output(python, [path, "--threads", "\(threads)", "--rows", "\(rows)",
                                                      "--width", "\(width)", "--min-seconds", "\(seconds)"]),
              let start = text.firstIndex(of: "{"),
              let json = try? JSONValue.parse(String(text[start...])),
              let results = json["results"]?.array
        else { return (nil, "the NumPy script failed") }
        var out: [String: Double] = [:]
        for r in results {
            if let name = r["name"]?.string, let g = r["gflops"]?.double { out[name] = g }
        }
        return (out, "numpy \(json["numpy"]?.string ?? "?")")
    }

    /// benchmarks/numpy_gemm.py from the working directory or above the executable.
    static func locateScript() -> String? {
        var candidates = [FileManager.default.currentDirectoryPath + "/benchmarks/numpy_gemm.py"]
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.path + "/benchmarks/numpy_gemm.py")
            dir = dir.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }
}
