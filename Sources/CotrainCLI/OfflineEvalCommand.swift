import CotrainCore
import CotrainData
import CotrainPolicy
import CotrainSim

/// `cotrain eval-offline`: how well a checkpoint predicts held-out demonstrations.
enum OfflineEvalCommand {
    static let command = Command(
        name: "eval-offline",
        summary: "R² of a checkpoint's actions on held-out demonstrations (no robot)",
        help: """
            Usage: cotrain eval-offline --policy CHECKPOINT --data STORE [--embodiment E]
                                        [--steps 0,3,6] [--episodes N]

            Predicts the first action of a chunk at every step of up to N episodes of the
            store (collect them with another --seed than the training data) and prints,
            per action component, R² = 1 − residual / variance of the recorded actions
            (1: perfect; 0: no better than always predicting the mean) at the chosen
            steps and over all steps. At step 0 the arm has not moved, so only the
            cameras say where the object is: R² near 0 there means the policy has not
            learned to localise, whatever its training loss says. A second table splits
            every step by the demonstration's sub-step ("move above X", "lower the
            gripper around X", …): where in the task the policy disagrees with the
            demonstrations. For a checkpoint with
            pointers (docs/model.md) on episodes with labelled points, it also prints how
            far each pointer lands from the named object, in pixels, overall and per
            sub-step (does the destination get lost while the held object hides it?);
            for one with an
            orientation head on episodes with orientation labels, its error in degrees
            of cube yaw and how often it is within the 20° grasp tolerance.

            Options:
              --policy FILE     a checkpoint from `cotrain train`
              --data STORE      an episode store (its own seed: held-out scenes)
              --embodiment E    the robot whose episodes to use (default ur5e)
              --steps T,…       the steps to report separately (default 0,3,6)
              --episodes N      episodes to use (default 100)

            Example:
              cotrain data collect --store heldout --embodiment ur5e --tasks pick,place --count 100 --seed 99
              cotrain eval-offline --policy runs/vl/checkpoint.safetensors --data heldout
            """,
        run: { args, options in
            let policy = try args.option("--policy") ?? { throw UsageError(message: "--policy CHECKPOINT is required", command: "eval-offline") }()
            let store = try args.option("--data") ?? { throw UsageError(message: "--data STORE is required", command: "eval-offline") }()
            let kind = try parseEmbodiment(try args.option("--embodiment"), command: "eval-offline") ?? .ur5e
            let steps = try (DataCommand.strings(&args, "--steps") ?? ["0", "3", "6"]).map { text -> Int in
                guard let t = Int(text), (0...10_000).contains(t) else {
                    throw UsageError(message: "--steps takes step numbers 0...10000, got '\(text)'", command: "eval-offline")
                }
                return t
            }
            let limit = try args.int("--episodes", default: 100, range: 1...100_000)
            try args.finish()

            let provider = try CheckpointPolicyProvider(path: policy)
            let opened = try EpisodeStore.open(at: store)
            let episodes = try opened.index.entries.filter { $0.embodiment == kind }.prefix(limit).map { try opened.open($0, verify: true) }
            let progress = ProgressReporter("eval-offline", total: episodes.count, unit: "episodes", style: options.progressStyle)
            defer { progress.endLine() }
            let tool = provider.model.config.embodiment(kind.rawValue)?.toolFrame == true ? ToolFrame(.make(kind)) : nil
            let report = try OfflineEvaluation.run(
                model: provider.model, episodes: episodes, embodiment: kind.rawValue,
                components: tool?.actionComponentNames ?? Embodiment.make(kind).action.names,
                steps: steps, limit: limit) { done, _ in progress.update(done: done) }
            progress.finish(done: episodes.count)
            func number(_ x: Double) -> JSONValue { x.isFinite ? .double(x) : .null }
            if options.json {
                print(JSONValue.object([
                    ("policy", .string(provider.name)), ("embodiment", .string(report.embodiment)), ("episodes", .int(Int64(report.episodes))),
                    ("components", .array(report.components.map { .string($0) })),
                    ("rows", .array(report.rows.map { r in
                        .object([("steps", .string(r.label)), ("count", .int(Int64(r.count))),
                                 ("r2", .array(r.r2.map(number))), ("mse", .array(r.mse.map(number)))])
                    })),
                    ("substeps", .array(report.substeps.map { r in
                        .object([("substep", .string(r.label)), ("count", .int(Int64(r.count))),
                                 ("r2", .array(r.r2.map(number))), ("mse", .array(r.mse.map(number)))])
                    })),
                    ("pointing_px", .array(report.pointing.map { p in
                        .object([("camera", .string(p.camera)), ("slot", .string(p.slot)), ("count", .int(Int64(p.count))),
                                 ("t0", p.firstStep.map(number) ?? .null), ("all", number(p.allSteps)),
                                 ("median", number(p.median)), ("p90", number(p.p90))])
                    })),
                    ("pointing_px_by_substep", .array(report.pointingBySubstep.map { r in
                        .object([("substep", .string(r.substep)), ("steps", .int(Int64(r.steps))),
                                 ("median", .object(r.medians.sorted { $0.key < $1.key }.map { ($0.key, number($0.value)) }))])
                    })),
                    ("orientation_degrees", report.orientation.map { o in
                        .object([("count", .int(Int64(o.count))), ("median", number(o.median)), ("p90", number(o.p90)),
                                 ("within_tolerance", number(o.withinTolerance)), ("misaligned_steps", .int(Int64(o.misalignedCount))),
                                 ("misaligned_median", o.misalignedMedian.map(number) ?? .null),
                                 ("misaligned_within_tolerance", o.misalignedWithinTolerance.map(number) ?? .null)])
                    } ?? .null),
                ]).canonicalString)
                return ExitCode.ok
            }
            var table = TextTable(headers: ["steps", "n"] + report.components + ["MSE"], rightAligned: Set(1...(report.components.count + 2)))
            for r in report.rows {
                let meanMSE = r.mse.reduce(0, +) / Double(max(r.mse.count, 1))
                table.rows.append([r.label, "\(r.count)"] + r.r2.map { $0.isFinite ? format($0, 2) : "—" } + [format(meanMSE, 3)])
            }
            print("\(provider.name) on \(report.episodes) \(report.embodiment) episodes of \(store): R² per action component (normalised units)")
            print(table.rendered)
            // Within a sub-step an action varies little (a descent barely moves sideways),
            // so R² there says little; the error itself does.
            var bySubstep = TextTable(headers: ["sub-step", "n"] + report.components, rightAligned: Set(1...(report.components.count + 1)))
            for r in report.substeps { bySubstep.rows.append([r.label, "\(r.count)"] + r.mse.map { format($0.squareRoot(), 2) }) }
            print("\nRMS error by sub-step of the demonstrations (normalised units: 1 = a component's spread over the training data)")
            print(bySubstep.rendered)
            if !report.pointing.isEmpty {
                var points = TextTable(headers: ["camera", "pointer", "n", "t=0 mean", "mean", "median", "p90"], rightAligned: [2, 3, 4, 5, 6])
                for p in report.pointing {
                    points.rows.append([p.camera, p.slot, "\(p.count)", p.firstStep.map { format($0, 2) } ?? "—", format(p.allSteps, 2),
                                        format(p.median, 2), format(p.p90, 2)])
                }
                print("\nPointers: mean distance from the labelled point (pixels)")
                print(points.rendered)
                let names = ["main object", "main destination", "wrist object", "wrist destination"].filter { name in
                    report.pointingBySubstep.contains { $0.medians[name] != nil }
                }
                var bySubstep = TextTable(headers: ["sub-step", "n"] + names, rightAligned: Set(1...names.count + 1))
                for r in report.pointingBySubstep {
                    bySubstep.rows.append([r.substep, "\(r.steps)"] + names.map { r.medians[$0].map { format($0, 2) } ?? "—" })
                }
                print("\nPointers by sub-step: median distance from the labelled point (pixels; —: not visible)")
                print(bySubstep.rendered)
            }
            if let o = report.orientation {
                print("\nOrientation head: cube yaw against the fingers, error over \(o.count) labelled steps: median \(format(o.median, 1))°, "
                    + "p90 \(format(o.p90, 1))°, within the 20° grasp tolerance \(format(100 * o.withinTolerance, 0)) %")
                if let m = o.misalignedMedian, let w = o.misalignedWithinTolerance {
                    print("  on the \(o.misalignedCount) steps where the fingers must still turn (label beyond 20°): "
                        + "median \(format(m, 1))°, within 20° \(format(100 * w, 0)) %")
                }
            }
            return ExitCode.ok
        })
}
