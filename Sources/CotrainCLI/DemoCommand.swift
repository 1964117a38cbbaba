import CotrainCore

/// `cotrain demo`: a local federation of two or three labs, told step by step.
enum DemoCommand {
    static let command = Command(
        name: "demo",
        summary: "run a local federation of 3 labs end to end (real TLS, training, evaluation, report)",
        help: """
            Usage: cotrain demo [--out DIR] [--fresh] [--quick | --tiny] [--labs 2|3]
                                [--keep-running] [--json] [--quiet] [--policies DIR]

            Starts a federation of labs with different robots on this machine — lab-a
            (ur5e: pick, place), lab-b (panda: pick, push), lab-c (scara: place, push) —
            each a separate `cotrain` process with its own node home under DIR, talking
            mutually authenticated TLS on 127.0.0.1, and tells the story as it runs:
              1. init each lab's node; record its demonstrations in the simulator
              2. start the nodes; the labs ask to join each other, each admin approves
              3. lab-a publishes vision-language shards; the other nodes fetch them
              4. local-only baselines; lab-a's VL-pretrained common base, handed out with
                 its SHA-256; federated rounds with the co-training trainer until every
                 lab holds the same base; each lab exports its federated policy
              5. each lab evaluates federated vs local-only on the same seeds: nominal,
                 lighting, distractors, held-out colours, paraphrases, unseen tasks
              6. audit logs verified; one HTML report per lab
            Every step runs the real CLI, printed as the lab's admin would type it
            (`lab-b $ cotrain peers join …`), so the output doubles as a tutorial.
            Command output goes to DIR/logs/; DIR/demo.json sums the run up.
            Ctrl-C or a failure stops every process the demo started and names the
            step and its log. See docs/demo.md.

            Options:
              --out DIR         where everything goes (default ./cotrain-demo). A previous
                                demo there is replaced; any other non-empty DIR is refused
              --fresh           delete a non-empty DIR that is not a previous demo
              --quick           smaller sizes: about 3 minutes on 2 cores (default: ≤ 10)
              --tiny            a few episodes and steps: checks the machinery in seconds
              --labs N          2 or 3 labs (default 3)
              --keep-running    leave the nodes running at the end (prints how to stop them)
              --json            print demo.json on stdout at the end, and nothing else (no
                                story or progress; errors still go to stderr)
              --quiet           only the final tables
              --policies DIR    the shipped recipes (default ./policies, else the repository's)

            Examples:
              cotrain demo
              cotrain demo --quick --out /tmp/cotrain-demo --fresh
              cotrain demo --tiny --labs 2 --json > demo.json
              cotrain demo --keep-running && cotrain round status --home cotrain-demo/lab-a/node
            """,
        run: { args, options in
            var settings = DemoRunner.Options()
            settings.out = try args.option("--out") ?? "cotrain-demo"
            settings.fresh = args.flag("--fresh")
            let quick = args.flag("--quick"), tiny = args.flag("--tiny")
            let labs = try args.int("--labs", default: 3, range: 2...3)
            settings.keepRunning = args.flag("--keep-running")
            settings.policies = try args.option("--policies")
            settings.json = options.json
            settings.quiet = options.quiet
            guard !(quick && tiny) else { throw UsageError(message: "--quick and --tiny exclude each other", command: "demo") }
            guard !settings.out.isEmpty, settings.out != ".", settings.out != "/" else {
                throw UsageError(message: "--out needs a directory of its own, got '\(settings.out)'", command: "demo")
            }
            try args.finish()
            let plan = DemoPlan.preset(tiny ? .tiny : quick ? .quick : .standard, labs: labs)
            return try DemoRunner(plan: plan, options: settings).run()
        })
}
