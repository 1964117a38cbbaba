import CotrainCore
import CotrainData
import CotrainSim
import Foundation

/// `cotrain data …`: robot episode stores, VL shards, statistics and recipe checks.
/// Thin: parses arguments, calls CotrainData, prints.
enum DataCommand {
    static let command = Command(
        name: "data",
        summary: "collect episodes, generate/import VL shards, verify stores, check recipes",
        help: """
            Usage: cotrain data COMMAND [OPTIONS]

            Robot episodes live in an episode store (one safetensors file per episode,
            index.json, stats.json); vision-language data in a shard store (WebDataset
            tars named by SHA-256, manifest.json). See docs/data.md and docs/recipes.md.
            Writing commands take the store's lock (one writer at a time; exit 3 when
            another process holds it).

            Examples:
              cotrain data collect --store lab/episodes --embodiment ur5e --tasks pick,place --count 200 --seed 1
              cotrain data vl-generate --out lab/vl --count 4000 --seed 1
              cotrain data info --store lab/episodes
            """,
        subcommands: [collect, vlGenerate, vlImport, verify, info, stats, recipe])

    static let collect = Command(
        name: "collect", summary: "record scripted-expert episodes in the simulator into a store",
        help: """
            Usage: cotrain data collect --store DIR --embodiment E --tasks T1,T2,… --count N --seed S
                                        [--shifts P1,…] [--held-out-colours C1,…] [--colours C1,…]
                                        [--source NAME] [--image-size N] [--wrist] [--perturbation F]
                                        [--misses F] [--after-success N]
                                        [--corrections CKPT [--expert-share F]]

            Episode i demonstrates task i mod |tasks| under shift ⌊i/|tasks|⌋ mod |shifts|,
            from a seed derived from S and i: the same arguments give the same bytes.
            Writes the index every 32 episodes and the normalisation statistics at the end.

            Options:
              --embodiment E         ur5e, panda, scara, gantry, or hand (human video)
              --tasks T,…            pick, place, push, stack, put_all_of_colour, sort_by_colour
              --shifts P,…           none, lighting, camera, appearance, distractors (default none)
              --colours C,…          robot scene palette (default red,green,blue,yellow)
              --held-out-colours C,… colours kept out of robot scenes (shown only by VL data)
              --source NAME          data source name; statistics are per source (default sim)
              --image-size N         square image side, the policy's input size (default 64)
              --wrist                also record the wrist camera (for recipes with wrist_camera)
              --wrist-fov DEG        its vertical field of view, 20…120 (default 70); recorded
                                     in every episode, trained policies keep it, and
                                     cotrain eval renders the one the policy was trained with
              --perturbation F       DART: noise on the executed joint commands (σ = F × the
                                     per-step bound, 0…1; default 0); the expert corrects it
                                     and its clean actions are recorded
              --misses F             this fraction (0…1; default 0) of the grasping episodes
                                     executes a first grasp aimed beside the object, and
                                     records how an expert recovers from it (reopen, go
                                     back above the object, grasp again)
              --after-success N      keep recording N steps (0…64; default 0) after the
                                     task succeeds: the release and the gripper rising
                                     after a place, the hold after a pick (the episode
                                     otherwise ends on its succeeding step, so a place
                                     shows "open the gripper" once, as its last action)
              --corrections CKPT     DAgger: the trained policy CKPT drives (as in cotrain
                                     eval) and every step records the expert's action for
                                     the state the policy reached: how to get back on track
                                     from the policy's own mistakes (hovering, missed
                                     grasps). Add these episodes to the store it was trained
                                     on, with a new --seed, and train again
              --expert-share F       with --corrections: chance (0…1; default 0.5) that a
                                     chunk is the expert's own instead, so episodes also
                                     reach the states after a recovery

            Example:
              cotrain data collect --store lab/episodes --embodiment ur5e --tasks pick,place --count 200 --seed 1 --wrist
            """,
        run: { args, options in
            let store = try required(&args, "--store")
            var plan = CollectPlan(
                embodiment: try value(try required(&args, "--embodiment"), "--embodiment", args.command),
                tasks: try values(&args, "--tasks") ?? [TaskFamily](), count: try args.int("--count", default: -1, range: 0...1_000_000),
                seed: try seed(&args))
            plan.shifts = try strings(&args, "--shifts") ?? []
            plan.colours = try values(&args, "--colours") ?? plan.colours
            plan.heldOutColours = try values(&args, "--held-out-colours") ?? []
            plan.source = try args.option("--source") ?? plan.source
            plan.imageSize = try args.int("--image-size", default: 64, range: 8...512)
            plan.wristCamera = args.flag("--wrist")
            plan.wristFieldOfView = try parseWristFieldOfView(&args)
            plan.perturbation = Float(try args.double("--perturbation", default: 0, range: 0...1))
            plan.misses = Float(try args.double("--misses", default: 0, range: 0...1))
            plan.afterSuccess = try args.int("--after-success", default: 0, range: CollectPlan.afterSuccessRange)
            let share = try args.double("--expert-share", default: .nan, range: 0...1)  // NaN: not given
            if let checkpoint = try args.option("--corrections") {
                plan.corrections = CollectPlan.Corrections(checkpoint: checkpoint, expertShare: share.isNaN ? 0.5 : Float(share))
            } else if !share.isNaN {
                throw UsageError(message: "--expert-share needs --corrections CKPT", command: args.command)
            }
            guard plan.count >= 0 else { throw UsageError(message: "--count N is required", command: "data collect") }
            try plan.validate()
            try args.finish()
            let lock = try lockStore(store)
            var episodes = try EpisodeStore.openOrCreate(at: store)
            let progress = ProgressReporter("collect \(plan.embodiment.rawValue)", total: plan.count, unit: "episodes", style: options.progressStyle)
            defer { progress.endLine() }  // an error or Ctrl-C leaves the last status readable
            try EpisodeCollector.collect(plan, into: &episodes) { progress.update(done: $0) }
            progress.finish(done: plan.count)
            _ = consume lock
            if options.json {
                print(JSONValue.object([("store", .string(store)), ("episodes", .int(Int64(episodes.index.entries.count)))]).canonicalString)
            } else {
                print("\(store): \(episodes.index.entries.count) episodes; statistics updated")
            }
            return ExitCode.ok
        })

    static let info = Command(
        name: "info", summary: "counts per source × embodiment × task: episodes, steps, success rate, size",
        help: "Usage: cotrain data info --store DIR [--json]\n\nExample:\n  cotrain data info --store lab/episodes",
        run: { args, options in
            let root = try required(&args, "--store")
            try args.finish()
            let rows = try EpisodeStore.open(at: root).summary()
            if options.json {
                print(JSONValue.array(rows.map { r in
                    .object([("source", .string(r.source)), ("embodiment", .string(r.embodiment.rawValue)), ("task", .string(r.family.rawValue)),
                             ("episodes", .int(Int64(r.episodes))), ("steps", .int(Int64(r.steps))), ("successes", .int(Int64(r.successes))),
                             ("bytes", .int(Int64(r.bytes)))])
                }).canonicalString)
                return ExitCode.ok
            }
            var table = TextTable("source", "embodiment", "task", "episodes", "steps", "success", "size MB", rightAligned: [3, 4, 5, 6])
            for r in rows {
                table.add(r.source, r.embodiment.rawValue, r.family.rawValue, "\(r.episodes)", "\(r.steps)",
                          format(r.successRate * 100, 1) + " %", format(Double(r.bytes) / 1e6, 2))
            }
            print(rows.isEmpty ? "\(root): no episodes" : table.rendered)
            return ExitCode.ok
        })

    static let verify = Command(
        name: "verify", summary: "check an episode store or VL shard store against its index/manifest",
        help: """
            Usage: cotrain data verify --store DIR [--rebuild-index]

            Episode store: every indexed file present with the recorded size and SHA-256 and
            a valid episode inside; every file indexed. VL store: every shard present with
            the manifest's size, hash and sample count (corrupted blobs go to quarantine/).
            --rebuild-index rebuilds index.json from the episode files (unreadable ones are
            moved to quarantine/) and recomputes the statistics. Exits 1 on any problem.

            Examples:
              cotrain data verify --store lab/episodes
              cotrain data verify --store lab/vl --json
            """,
        run: { args, options in
            let root = try required(&args, "--store")
            let rebuild = args.flag("--rebuild-index")
            try args.finish()
            let lock = try lockStore(root)
            var problems: [String]
            if access("\(root)/manifest.json", F_OK) == 0 {
                problems = try VLShardStore.open(at: root).verify().map { "\($0)" }
            } else if rebuild {
                let (store, quarantined) = try EpisodeStore.rebuildIndex(at: root)
                try DataStatistics.compute(store: store).write(to: store.statsPath)
                problems = store.verify().problems.map(\.description)
                if !options.json { for q in quarantined { print("quarantined: \(q.description)") } }
            } else {
                problems = try EpisodeStore.open(at: root).verify().problems.map(\.description)
            }
            _ = consume lock
            if options.json {
                print(JSONValue.object([("store", .string(root)), ("ok", .bool(problems.isEmpty)),
                                        ("problems", .array(problems.map { .string($0) }))]).canonicalString)
                return problems.isEmpty ? ExitCode.ok : ExitCode.failure
            }
            for p in problems { printError(p) }
            print(problems.isEmpty ? "\(root): ok" : "\(root): \(problems.count) problem\(problems.count == 1 ? "" : "s")")
            return problems.isEmpty ? ExitCode.ok : ExitCode.failure
        })

    static let stats = Command(
        name: "stats", summary: "recompute and show normalisation statistics (2nd/98th percentiles per source)",
        help: "Usage: cotrain data stats --store DIR [--json]\n\nExample:\n  cotrain data stats --store lab/episodes",
        run: { args, options in
            let root = try required(&args, "--store")
            try args.finish()
            let lock = try lockStore(root)
            let store = try EpisodeStore.open(at: root)
            let stats = try DataStatistics.compute(store: store)
            try stats.write(to: store.statsPath)
            _ = consume lock
            if options.json { print(stats.json.canonicalString); return ExitCode.ok }
            for g in stats.groups {
                print("\(g.source) × \(g.embodiment.rawValue): \(g.episodes) episodes, \(g.steps) steps")
                for (name, d) in [("proprio", g.proprio), ("actions", g.actions)] {
                    let ranges = (0..<d.count).map { "[\(format(d.low($0), 3)), \(format(d.high($0), 3))]" }
                    print("  \(name) \(d.range == .extremes ? "min..max" : "p02..p98") (normalised to ±1): " + ranges.joined(separator: " "))
                }
            }
            return ExitCode.ok
        })

    static let vlGenerate = Command(
        name: "vl-generate", summary: "render a synthetic VL corpus (captions, QA, referring expressions) + probe split",
        help: """
            Usage: cotrain data vl-generate --out DIR --count N --seed S [--shard-size K] [--probe-count N]
                                            [--colours C,…] [--robot-colours C,…] [--image-size N]

            Scenes from the simulator's palette, rendered without a robot. Colours in --colours
            but not in --robot-colours (default red,green,blue,yellow) are held out of robot
            data; the split is recorded in the manifest. The probe split (default 64 samples)
            is for measuring VL knowledge retention, never for training.

            Example:
              cotrain data vl-generate --out lab/vl --count 4000 --seed 1
            """,
        run: { args, options in
            let out = try required(&args, "--out")
            var plan = VLGeneratePlan(count: try args.int("--count", default: -1, range: 0...10_000_000), seed: try seed(&args))
            plan.shardSize = try args.int("--shard-size", default: 256, range: 1...100_000)
            plan.probeCount = try args.int("--probe-count", default: 64, range: 0...1_000_000)
            plan.imageSize = try args.int("--image-size", default: 64, range: 8...512)
            plan.split.colours = try values(&args, "--colours") ?? plan.split.colours
            plan.split.robotColours = try values(&args, "--robot-colours") ?? plan.split.robotColours
            guard plan.count >= 0 else { throw UsageError(message: "--count N is required", command: "data vl-generate") }
            try plan.validate()
            try args.finish()
            let lock = try lockStore(out)
            var store = try VLShardStore.openOrCreate(at: out)
            let total = plan.count + plan.probeCount
            let progress = ProgressReporter("vl-generate", total: total, unit: "samples", style: options.progressStyle)
            defer { progress.endLine() }  // an error or Ctrl-C leaves the last status readable
            let shards = try VLCorpusGenerator.generate(plan, into: &store) { progress.update(done: $0) }
            progress.finish(done: total)
            _ = consume lock
            if options.json {
                print(JSONValue.object([("store", .string(out)), ("shards", .int(Int64(shards.count))), ("samples", .int(Int64(total))),
                                        ("held_out", .array(plan.split.heldOutConcepts.map { .string($0) }))]).canonicalString)
            } else {
                print("\(out): \(shards.count) shards; held out of robot data: \(plan.split.heldOutConcepts.joined(separator: ", "))")
            }
            return ExitCode.ok
        })

    static let vlImport = Command(
        name: "vl-import", summary: "ingest an external WebDataset tar (PPM/PGM + txt/json) into a shard store",
        help: """
            Usage: cotrain data vl-import --in FILE.tar --store DIR --source NAME --licence L
                                          [--image-size N] [--filter box|nearest] [--shard-size K]

            Images must be binary PPM (P6) or PGM (P5); others (png, jpg, webp, …) are refused
            with a message. Images are resized to N×N (default 64) with an exact box filter
            (area average) or nearest neighbour. All or nothing: a bad sample aborts the import.

            Example:
              cotrain data vl-import --in captions.tar --store lab/vl --source coco-subset --licence CC-BY-4.0
            """,
        run: { args, options in
            var plan = VLImportPlan(input: try required(&args, "--in"), source: try required(&args, "--source"), licence: try required(&args, "--licence"))
            let root = try required(&args, "--store")
            plan.imageSize = try args.int("--image-size", default: 64, range: 8...512)
            plan.shardSize = try args.int("--shard-size", default: 256, range: 1...100_000)
            plan.filter = try value(try args.option("--filter") ?? "box", "--filter", args.command)
            try args.finish()
            let lock = try lockStore(root)
            var store = try VLShardStore.openOrCreate(at: root)
            let progress = ProgressReporter("vl-import", total: nil, unit: "samples", style: options.progressStyle)
            defer { progress.endLine() }  // an error or Ctrl-C leaves the last status readable
            let shards = try VLImporter.run(plan, into: &store) { progress.update(done: $0) }
            let samples = shards.reduce(0) { $0 + $1.samples }
            progress.finish(done: samples)
            _ = consume lock
            if options.json {
                print(JSONValue.object([("store", .string(root)), ("shards", .int(Int64(shards.count))), ("samples", .int(Int64(samples))),
                                        ("source", .string(plan.source)), ("licence", .string(plan.licence))]).canonicalString)
            } else {
                print("\(root): imported \(samples) samples into \(shards.count) shards (source \(plan.source), licence \(plan.licence))")
            }
            return ExitCode.ok
        })

    static let recipe = Command(
        name: "recipe", summary: "validate a recipe (and, given stores, that its data exists); print its hash",
        help: """
            Usage: cotrain data recipe FILE [--store DIR,…] [--vl DIR,…] [--embodiment E]

            Without stores, checks the recipe's structure. With stores, also checks every
            phase's data exists for the node's embodiment (default ur5e).

            Example:
              cotrain data recipe policies/multi-phase.json --store lab/episodes --vl lab/vl --embodiment ur5e
            """,
        run: { args, options in
            let file = try args.requiredPositional("recipe file")
            let stores = try strings(&args, "--store") ?? [], vl = try strings(&args, "--vl") ?? []
            let own = try value(try args.option("--embodiment") ?? "ur5e", "--embodiment", args.command) as EmbodimentKind
            try args.finish()
            let recipe = try Recipe.load(path: file)
            if !stores.isEmpty || !vl.isEmpty {
                let data = try TrainingData.load(ownEmbodiment: own, episodeStores: stores, vlStores: vl, verify: false, frame: recipe.model.actionFrame, motionWindow: recipe.model.motionWindow)
                do { try recipe.validate(against: data.available) } catch let error as RecipeError { throw RecipeError.inFile(file, error) }
            }
            if options.json {
                print(JSONValue.object([
                    ("recipe", .string(recipe.name)), ("ok", .bool(true)), ("hash", .string(recipe.hash)),
                    ("total_steps", .int(Int64(recipe.totalSteps))),
                    ("phases", .array(recipe.phases.map { p in
                        .object([("name", .string(p.name)), ("steps", .int(Int64(p.steps))), ("batch_size", .int(Int64(p.batchSize))),
                                 ("learning_rate", .double(p.learningRate)),
                                 ("mixture", .object(p.probabilities.map { ($0.source.rawValue, .double($0.probability)) }))])
                    })),
                ]).canonicalString)
                return ExitCode.ok
            }
            print("\(recipe.name): ok, \(recipe.totalSteps) steps in \(recipe.phases.count) phase(s), hash \(recipe.hash)")
            for p in recipe.phases {
                let mix = p.probabilities.map { "\($0.source.rawValue) \(format($0.probability * 100, 0))%" }.joined(separator: ", ")
                print("  \(p.name): \(p.steps) steps, batch \(p.batchSize), lr \(p.learningRate) — \(mix)")
            }
            return ExitCode.ok
        })

    /// Creates `directory` if needed and takes its lock: one writer per store at a time.
    static func lockStore(_ directory: String) throws -> NodeLock {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try NodeLock(directory: directory)
    }

    // MARK: argument helpers

    static func required(_ args: inout Arguments, _ name: String) throws -> String {
        guard let value = try args.option(name) else { throw UsageError(message: "\(name) is required", command: args.command) }
        return value
    }

    /// One value of a string enum; the error lists the accepted values.
    static func value<T: CaseIterable & RawRepresentable<String>>(_ text: String, _ name: String, _ command: String) throws -> T {
        guard let value = T(rawValue: text) else {
            let known = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError(message: "\(name): unknown value '\(text)'; use one of \(known)", command: command)
        }
        return value
    }

    /// A comma-separated list of a string enum; nil when the option is absent.
    static func values<T: CaseIterable & RawRepresentable<String>>(_ args: inout Arguments, _ name: String) throws -> [T]? {
        let command = args.command
        return try strings(&args, name)?.map { try value($0, name, command) }
    }

    /// A comma-separated list of strings; nil when the option is absent.
    static func strings(_ args: inout Arguments, _ name: String) throws -> [String]? {
        try args.option(name).map { $0.split(separator: ",").map(String.init) }
    }

    static func seed(_ args: inout Arguments) throws -> UInt64 {
        guard let text = try args.option("--seed") else { return 0 }
        guard let value = UInt64(text) else { throw UsageError(message: "--seed must be an integer in 0...2^64−1", command: args.command) }
        return value
    }
}
