import CotrainCore
import CotrainPolicy
import CotrainTensor

/// `cotrain bench train`: the learning engine on the default policy, beside NumPy.
extension BenchCommand {
    static let train = Command(
        name: "train",
        summary: "GEMM, training step and inference latency of the default policy (vs NumPy)",
        help: """
            Usage: cotrain bench train [--threads N] [--batch B] [--steps S] [--numpy-script PATH] [--json]

            The default policy (4 × 128 trunk, 2 × 64 action expert, H = 16, two robots)
            on synthetic co-training batches (3/4 robot samples, 1/4 vision-language):
              - GEMM GFLOP/s on the model's real matmul shapes, forward and backward
                (best single call), beside NumPy (OpenBLAS) on the same shapes and
                thread count (benchmarks/numpy_gemm.py; needs python3 and numpy);
              - a whole training step at batch B: ms, samples/s, and the sustained
                model GFLOP/s (forward + backward matmul and attention FLOPs, counted
                analytically, divided by the step time);
              - inference: ms per action chunk at batch 1 with 10 flow steps (the
                prefix once, then only the action expert per step), and its CPU time;
              - the spatial kernels at the vl-pointer recipe's training shape: the
                keypoint soft-argmax and the pointers, forward + backward, in ms;
              - peak resident memory (VmHWM).
            Times are the best of several runs (robust to other processes); medians are
            in the JSON. Build in release mode first.

            Options:
              --threads N         kernel threads (default: all cores)
              --batch B           training batch size (default 64)
              --steps S           timed training steps (default 6)
              --numpy-script PATH benchmarks/numpy_gemm.py (default: found from the
                                  working directory or the executable)
              --json              one JSON object: gemm_gflops, numpy_gemm_gflops,
                                  train_step_ms, train_samples_per_s,
                                  model_gflop_per_step, train_model_gflops,
                                  infer_chunk_ms, infer_chunk_cpu_ms, peak_rss_mb, …

            Example:
              cotrain bench train --json
            """,
        run: { args, options in
            let threads = try args.int("--threads", default: Compute.availableCores, range: 1...256)
            let batch = try args.int("--batch", default: 64, range: 1...4096)
            let steps = try args.int("--steps", default: 6, range: 1...1000)
            let script = try args.option("--numpy-script")
            try args.finish()
            let quiet = options.quiet || options.json
            let r = try TrainBenchmark.run(threads: threads, batch: batch, steps: steps, numpyScript: script) { step in
                if !quiet { Console.error("bench train: \(step)…\n") }
            }
            if options.json {
                print(r.json.canonicalString)
                return ExitCode.ok
            }
            let numpy = r.numpyGemmGFLOPS
            func ratio(_ a: Double, _ b: Double?) -> String { b.map { format(a / $0, 2) + "×" } ?? "" }
            var gemm = TextTable("GEMM shape", "m×n×k", "GFLOP/s", "NumPy GFLOP/s", "vs NumPy", rightAligned: [2, 3, 4])
            for g in r.gemm {
                let reference = r.numpyGFLOPS?[g.shape.name]
                gemm.add("\(g.shape.name) \(g.shape.variant)", "\(g.shape.m)×\(g.shape.n)×\(g.shape.k)", format(g.gflops, 1),
                         reference.map { format($0, 1) } ?? "—", ratio(g.gflops, reference))
            }
            gemm.add("model shapes (aggregate)", "", format(r.gemmGFLOPS, 1), numpy.map { format($0, 1) } ?? r.numpyStatus,
                     ratio(r.gemmGFLOPS, numpy))
            print("threads \(r.threads), \(r.parameterCount) parameters, reference: \(r.numpyStatus)\n")
            print(gemm.rendered)
            var table = TextTable("figure", "value", "note", rightAligned: [1])
            table.add("training step", format(r.trainStepMS, 1) + " ms",
                      "batch \(r.batch), median \(format(r.trainStepMedianMS, 1)) ms, CPU \(format(r.trainStepCPUMS, 0)) ms")
            table.add("training samples/s", format(r.trainSamplesPerSecond, 1), "")
            table.add("model GFLOP per step", format(r.modelGFLOPPerStep, 2), "matmuls + attention, forward + backward")
            table.add("sustained model GFLOP/s", format(r.trainModelGFLOPS, 1),
                      numpy.map { "\(format(100 * r.trainModelGFLOPS / $0, 0))% of NumPy GEMM (target ≥ 40%)" } ?? "")
            table.add("  from CPU time", format(r.trainModelGFLOPSFromCPU, 1),
                      "FLOPs / (CPU time / threads): the rate with the cores to ourselves")
            table.add("inference per chunk", format(r.inferChunkMS, 2) + " ms",
                      "batch 1, \(r.flowSteps) flow steps, median \(format(r.inferChunkMedianMS, 2)) ms, CPU \(format(r.inferChunkCPUMS, 2)) ms (target ≤ 5 ms)")
            table.add("  on one thread", format(r.inferChunkOneThreadMS, 2) + " ms", "best call")
            table.add("keypoint soft-argmax", format(r.keypointsMS, 2) + " ms",
                      "forward + backward, 64 maps × 4096 px × 16 channels (batch 32, 2 cameras)")
            table.add("pointers", format(r.pointerMS, 2) + " ms", "forward + backward, the same maps, 2 pointers + patch context")
            table.add("  with a surround", format(r.surroundPointerMS, 2) + " ms", "the same, plus the radius-3 box means the pointers also weigh")
            table.add("peak resident memory", format(r.peakRSSMB, 0) + " MB", "VmHWM")
            print("")
            print(table.rendered)
            return ExitCode.ok
        })
}
