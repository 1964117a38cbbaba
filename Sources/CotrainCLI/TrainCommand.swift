import CotrainCore
import CotrainData
import CotrainRuntime
import CotrainSim
import CotrainTensor

/// `cotrain train`: train a recipe's policy on local data. Thin: loads, calls `Trainer`, prints.
enum TrainCommand {
    static let command = Command(
        name: "train",
        summary: "train a policy from a recipe on episode stores and VL shards",
        help: """
            Usage: cotrain train --policy RECIPE.json --data STORE[,STORE…] [--vl DIR[,DIR…]] --out DIR
                                 [--resume] [--threads N] [--embodiment E] [--checkpoint-every N]
                                 [--init CHECKPOINT]

            Validates the recipe against the data, builds the tokenizer from the data's text
            and the normalisation from the stores' statistics, then runs the recipe's phases
            (warm-up + cosine learning rate per phase). Writes, in DIR:
              checkpoint.safetensors   the policy with optimizer state (atomic; every N steps
                                       and at the end) — evaluate it with `cotrain eval --policy`
              training-log.jsonl       one line per step: losses per objective, lr, grad norm
              run.json                 recipe hash, data counts, wall and CPU time, losses
            Ctrl-C writes a checkpoint and stops; the same command with --resume continues
            and gives bit for bit the result of an uninterrupted run (same --threads).

            Options:
              --policy FILE         the recipe (policies/*.json, see docs/recipes.md)
              --data DIRS           episode stores (comma-separated)
              --vl DIRS             VL shard stores (comma-separated)
              --out DIR             output directory
              --resume              continue the run in DIR from its checkpoint
              --threads N           compute threads (default: all cores)
              --embodiment E        the node's own robot (default ur5e)
              --checkpoint-every N  steps between checkpoints (default 100)
              --init CHECKPOINT     start from this checkpoint's tokenizer and shared weights

            Examples:
              cotrain data collect --store lab/episodes --embodiment ur5e --tasks pick,place --count 300 --seed 1
              cotrain data vl-generate --out lab/vl --count 4000 --seed 1
              cotrain train --policy policies/vl.json --data lab/episodes --vl lab/vl --out runs/vl --threads 2
              cotrain eval --policy runs/vl/checkpoint.safetensors --suite quick
            """,
        run: { args, options in
            let file = try DataCommand.required(&args, "--policy")
            let stores = try DataCommand.strings(&args, "--data") ?? []
            let vl = try DataCommand.strings(&args, "--vl") ?? []
            var settings = TrainerOptions(outputDirectory: try DataCommand.required(&args, "--out"))
            settings.resume = args.flag("--resume")
            settings.threads = try args.int("--threads", default: Compute.availableCores, range: 1...256)
            settings.checkpointInterval = try args.int("--checkpoint-every", default: 100, range: 1...1_000_000)
            settings.initialCheckpoint = try args.option("--init")
            let own: EmbodimentKind = try DataCommand.value(try args.option("--embodiment") ?? "ur5e", "--embodiment", args.command)
            guard !stores.isEmpty || !vl.isEmpty else { throw UsageError(message: "give --data STORE[,…] and/or --vl DIR[,…]", command: "train") }
            try args.finish()

            let recipe = try Recipe.load(path: file)
            let data = try TrainingData.load(ownEmbodiment: own, episodeStores: stores, vlStores: vl, frame: recipe.model.actionFrame, motionWindow: recipe.model.motionWindow)
            let trainer: Trainer
            do { trainer = try Trainer(recipe: recipe, data: data, options: settings) } catch let error as RecipeError {
                throw RecipeError.inFile(file, error)
            }
            let quiet = options.quiet || options.json
            if !quiet {
                let model = trainer.model
                let resumed = trainer.startStep > 0 ? ", resuming at step \(trainer.startStep)" : ""
                Console.error("train \(recipe.name): \(recipe.totalSteps) steps, \(model.parameterCount) parameters, "
                    + "vocabulary \(model.tokenizer.count), robots \(model.config.embodiments.map(\.name).joined(separator: ", ")), "
                    + "\(settings.threads) threads\(resumed)\n")
            }
            StopRequest.installInterruptHandler()
            let progress = ProgressReporter("train", style: options.progressStyle)
            defer { progress.endLine() }  // an error or Ctrl-C leaves the last status readable
            var last: TrainerStatus?
            let result = try trainer.run(stop: StopRequest(followsInterrupt: true)) { status in
                last = status
                progress.update(status.line)
            }
            if let last { progress.finish(last.line) }
            let json = JSONValue.object([
                ("checkpoint", .string(result.checkpointPath)), ("step", .int(Int64(result.step))),
                ("total_steps", .int(Int64(result.totalSteps))), ("complete", .bool(!result.interrupted)),
                ("wall_seconds", .double(result.wallSeconds)), ("cpu_seconds", .double(result.cpuSeconds)),
                ("action_loss", .array([.double(result.first.action), .double(result.last.action)])),
                ("text_loss", .array([.double(result.first.text), .double(result.last.text)])),
            ])
            if options.json {
                print(json.canonicalString)
            } else {
                print("\(recipe.name): step \(result.step)/\(result.totalSteps) in \(ProgressMeter.duration(result.wallSeconds)) "
                    + "(CPU \(ProgressMeter.duration(result.cpuSeconds))); checkpoint \(result.checkpointPath)")
                print("  action loss \(format(result.first.action, 3)) → \(format(result.last.action, 3)), "
                    + "text loss \(format(result.first.text, 3)) → \(format(result.last.text, 3)) (first/last 20 steps)")
            }
            if result.interrupted {
                printError("interrupted at step \(result.step); run the same command with --resume to continue")
                return ExitCode.failure
            }
            return ExitCode.ok
        })
}
