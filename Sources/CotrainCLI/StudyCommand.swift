import CotrainCore
import CotrainData
import CotrainRuntime
import CotrainSim
import CotrainTensor

/// `cotrain study`: train several recipes, evaluate each on one suite, probe VL
/// knowledge, and report the differences. Thin: parses, calls `Study.run`, prints.
enum StudyCommand {
    static let command = Command(
        name: "study",
        summary: "train recipes, evaluate each on one suite, probe VL knowledge, compare with a baseline",
        help: """
            Usage: cotrain study --recipes A,B,… [--suite NAME|FILE.json] [--episodes N] [--out DIR]
                                 [--preset quick] [--data STORE,… --vl DIR,…] [--base-steps N]
                                 [--step-scale X] [--seeds S,…] [--threads N] [--policies DIR]

            Trains every recipe (the first is the baseline) on the same data, evaluates each on
            the same suite episodes, measures a VL probe score (exact-match accuracy on held-out
            VL questions), and writes DIR/study.json and DIR/study.md. Without --data/--vl it
            builds the built-in data in DIR/data: own-robot pick/place demonstrations (colours
            red, green, blue, yellow only), panda and hand episodes, and a VL corpus that also
            shows orange, purple, cyan, pink, white and black. Running the same command again
            continues an interrupted study. See docs/study.md.

            Options:
              --recipes A,B,…   recipe names (policies/NAME.json) or files; the first is the baseline
              --suite S         study (default), study-quick, smoke, quick, standard, or FILE.json
              --episodes N      episodes per suite cell (default: the suite's)
              --out DIR         output directory (default study)
              --preset quick    robot-only, vl, vl+cross-embodiment; shorter training, fewer
                                episodes, the study-quick suite (about 2 minutes on 2 cores)
              --data, --vl      train on these stores instead of the built-in data
              --base-steps N    steps of VL pretraining of the shared base every recipe starts
                                from (default 600; 0 = every recipe starts from scratch)
              --step-scale X    multiply every phase's steps (e.g. 0.5)
              --seeds S,…       train every recipe (and the base) once per seed, replacing the
                                recipes' own, and pool the episodes of all seeds' policies;
                                runs go to DIR/runs/NAME/seed-S (--seed S: one seed)
              --threads N       training threads (default: all cores)
              --policies DIR    where recipe names are looked up (default policies)

            Examples:
              cotrain study --preset quick --out studies/quick
              cotrain study --preset quick --seeds 1,2,3 --out studies/quick-3-seeds
              cotrain study --recipes robot-only,vl,cross-embodiment,vl+cross-embodiment --suite study --out studies/full
            """,
        run: { args, options in
            let preset = try args.option("--preset")
            let names = try DataCommand.strings(&args, "--recipes")
            let suiteName = try args.option("--suite")
            let episodes = try args.option("--episodes").map { text -> Int in
                guard let n = Int(text), (1...100_000).contains(n) else { throw UsageError(message: "--episodes must be 1...100000", command: "study") }
                return n
            }
            let out = try args.option("--out") ?? "study"
            let stores = try DataCommand.strings(&args, "--data") ?? [], vl = try DataCommand.strings(&args, "--vl") ?? []
            let baseSteps = try args.option("--base-steps").map { try integer($0, "--base-steps", 0...1_000_000) }
            let scale = try args.option("--step-scale").map { text -> Double in
                guard let x = Double(text), x > 0, x <= 100 else { throw UsageError(message: "--step-scale must be a number in (0, 100]", command: "study") }
                return x
            }
            func seed(_ text: String, _ flag: String) throws -> UInt64 {
                guard let s = UInt64(text) else { throw UsageError(message: "\(flag) must hold integers in 0...2^64−1, not \"\(text)\"", command: "study") }
                return s
            }
            let one = try args.option("--seed").map { [try seed($0, "--seed")] }
            let many = try DataCommand.strings(&args, "--seeds")?.map { try seed($0, "--seeds") }
            guard one == nil || many == nil else { throw UsageError(message: "give --seed or --seeds, not both", command: "study") }
            let seeds = many ?? one ?? []
            let threads = try args.int("--threads", default: Compute.availableCores, range: 1...256)
            let policies = try args.option("--policies") ?? "policies"
            guard preset == nil || preset == "quick" else { throw UsageError(message: "--preset must be quick", command: "study") }
            guard let recipeNames = names ?? (preset == "quick" ? StudyPreset.quickRecipes : nil) else {
                throw UsageError(message: "--recipes is required (or --preset quick)", command: "study")
            }
            if let suiteName, !suiteName.hasSuffix(".json") { _ = try StudySuites.named(suiteName) }
            try args.finish()
            let recipes = try recipeNames.map { name -> Recipe in
                let path = name.hasSuffix(".json") || name.contains("/") ? name : "\(policies)/\(name).json"
                return try Recipe.load(path: path)
            }
            var plan = StudyPlan(recipes: recipes, suite: try StudySuites.named("study"), outputDirectory: out)
            plan.baseSteps = 600
            if preset == "quick" { try StudyPreset.quick(&plan) }
            if let suiteName { plan.suite = try StudySuites.named(suiteName) }
            plan.episodes = episodes ?? plan.episodes
            (plan.episodeStores, plan.vlStores) = (stores, vl)
            plan.baseSteps = baseSteps ?? plan.baseSteps
            plan.stepScale = scale ?? plan.stepScale
            plan.seeds = seeds
            plan.threads = threads

            StopRequest.installInterruptHandler()
            // One status line (training, then evaluation, of each recipe) under the
            // study's milestones.
            let progress = ProgressReporter("study", style: options.progressStyle)
            let verbose = options.verbose
            defer { progress.endLine() }  // an error or Ctrl-C leaves the last status readable
            let report = try Study.run(plan, stop: StopRequest(followsInterrupt: true), log: { line in
                progress.note("study: " + line)
            }, progress: { name, status in
                let line = "\(name) train " + status.line
                if status.step >= status.totalSteps { progress.finish(line) } else { progress.update(line) }
            }, evaluationProgress: { name, p in
                if verbose { progress.note("study: \(name) eval: " + p.episodeLine) }
                if p.done >= p.total { progress.finish("\(name) eval " + p.line) } else { progress.update("\(name) eval " + p.line) }
            })
            progress.endLine()
            if options.json {
                print(report.json.canonicalString)
            } else {
                StudyOutput.print(report)
                print("report: \(out)/study.md, \(out)/study.json")
            }
            return ExitCode.ok
        })

    static func integer(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(text), range.contains(n) else {
            throw UsageError(message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", command: "study")
        }
        return n
    }
}

/// The terminal tables of a study.
enum StudyOutput {
    static func print(_ report: StudyReport) {
        guard let baseline = report.baseline else { return }
        let names = report.entries.map(\.recipe.name)
        var success = TextTable(columns: ["condition", "n"] + names, rightAligned: Set(1...names.count + 1))
        for c in report.conditions {
            success.add(row: ["\(c)", "\(report.success(baseline, condition: c).trials)"] + report.entries.map { StudyReport.rate(report.success($0, condition: c)) })
        }
        success.add(row: ["all", "\(baseline.overall.trials)"] + report.entries.map { StudyReport.rate($0.overall) })
        if report.seeds.count > 1 {
            for (r, seed) in report.seeds.enumerated() {
                success.add(row: ["all, seed \(seed)", "\(baseline.runs[r].evaluation.overall.trials)"]
                    + report.entries.map { r < $0.runs.count ? StudyReport.rate($0.runs[r].evaluation.overall) : "—" })
            }
        }
        var probe = ["VL probe", "\(baseline.probe.total)"] + report.entries.map { StudyReport.pct($0.probe.accuracy) }
        if let base = report.baseProbe { probe[0] = "VL probe (base \(StudyReport.pct(base.accuracy)))" }
        success.add(row: probe)
        if report.seeds.count > 1 {
            for (r, seed) in report.seeds.enumerated() {
                success.add(row: ["VL probe, seed \(seed)", "\(baseline.runs[r].probe.total)"]
                    + report.entries.map { r < $0.runs.count ? StudyReport.pct($0.runs[r].probe.accuracy) : "—" })
            }
        }
        let seeds = report.seeds.count > 1 ? ", pooled over training seeds \(report.seeds.map(String.init).joined(separator: ","))" : ""
        Swift.print("success per condition, 95% Wilson intervals (suite \(report.suite)\(seeds)):")
        Swift.print(success.rendered)
        let others = report.entries.dropFirst()
        guard !others.isEmpty else { return }
        var diff = TextTable(columns: ["condition"] + others.map { "\($0.recipe.name) − \(baseline.recipe.name)" }, rightAligned: [])
        for c in report.conditions {
            diff.add(row: [c] + others.map { e in report.comparison(e, condition: c).map { "\(StudyReport.points($0)) \($0.verdict.rawValue)" } ?? "—" })
        }
        diff.add(row: ["VL probe"] + others.map { e in report.probeComparison(e).map { "\(StudyReport.points($0)) \($0.verdict.rawValue)" } ?? "—" })
        Swift.print("\ndifferences in percentage points (95% Newcombe interval), verdict:")
        Swift.print(diff.rendered)
    }
}

extension TextTable {
    /// A table whose columns are known only at run time (one per recipe).
    init(columns: [String], rightAligned: Set<Int>) {
        headers = columns
        self.rightAligned = rightAligned
    }

    /// Adds a row of cells.
    mutating func add(row: [String]) { rows.append(row) }
}
