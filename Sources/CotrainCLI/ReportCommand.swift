import CotrainCore
import CotrainReport

/// `cotrain report`: one self-contained HTML page from result files.
enum ReportCommand {
    static let command = Command(
        name: "report",
        summary: "write an HTML report: success rates, comparisons, training curves, rounds, GIFs",
        help: """
            Usage: cotrain report --out FILE.html [--eval FILE.json ...] [--baseline-eval FILE.json]
                                  [--training [NAME=]LOG.jsonl ...] [--journal round-journal.jsonl]
                                  [--lab NODE=NAME ...] [--gif FILE.gif ...] [--title T] [--date TEXT]
                                  [--log-y | --linear-y]

            Writes one self-contained HTML file (inline CSS and SVG, GIFs embedded; no
            scripts, fonts or URLs to fetch) that opens offline and prints cleanly:
              - success rates per task and condition with 95 % interval whiskers
                (from `cotrain eval --out` files; one colour per policy);
              - with --baseline-eval, each --eval policy compared with it cell by cell
                (difference, 95 % interval, p, verdict);
              - training loss per objective, runs overlaid, phase starts marked
                (from training-log.jsonl; NAME defaults to the run directory);
              - the federation timeline from a round journal, its hash chain checked
                (--lab names a node: full hex id or a prefix of 8+ characters of its
                hex or grouped form, e.g. --lab MFRG-GZDF=lab-a);
              - rollout GIFs with captions.
            The same inputs give the same bytes; --date adds a line of your choosing.
            Loss axes are log when losses span a factor of 30 or more, unless
            --log-y or --linear-y says otherwise. See docs/reports.md.

            Options:
              --out FILE          the HTML file to write (atomically)
              --eval FILE         evaluation results (repeatable)
              --baseline-eval F   results the --eval policies are compared with
              --training LOG      a training log, optionally NAME=LOG (repeatable)
              --journal FILE      a node's round-journal.jsonl
              --lab NODE=NAME     a lab name for a node in the timeline (repeatable)
              --gif FILE          a rollout GIF (repeatable)
              --title T           the page title (default "cotrain report")
              --date TEXT         shown under the title, e.g. --date "$(date -I)"

            Examples:
              cotrain report --out report.html --eval vl.json --baseline-eval robot-only.json \\
                --training runs/vl/training-log.jsonl --training runs/robot-only/training-log.jsonl \\
                --journal lab/state/round-journal.jsonl --gif gifs/*.gif
            """,
        run: { args, options in
            guard let out = try args.option("--out") else { throw UsageError(message: "missing --out FILE.html", command: "report") }
            var sources = ReportSources()
            sources.evaluations = try args.repeated("--eval")
            sources.baseline = try args.option("--baseline-eval")
            sources.trainingLogs = try args.repeated("--training").map { text in
                if let eq = text.firstIndex(of: "="), access(text, F_OK) != 0 {
                    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
                }
                return (ReportSources.runName(forLog: text), text)
            }
            sources.journal = try args.option("--journal")
            sources.labs = try args.repeated("--lab").map { text in
                guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                    throw UsageError(message: "--lab needs NODE=NAME, got '\(text)'", command: "report")
                }
                return (String(text[..<eq]), String(text[text.index(after: eq)...]))
            }
            sources.gifs = try args.repeated("--gif")
            if let title = try args.option("--title") { sources.title = title }
            sources.generatedAt = try args.option("--date")
            let logY = args.flag("--log-y"), linearY = args.flag("--linear-y")
            guard !(logY && linearY) else { throw UsageError(message: "--log-y and --linear-y exclude each other", command: "report") }
            sources.options.lossAxis = logY ? .log : linearY ? .linear : .automatic
            if sources.evaluations.isEmpty && sources.trainingLogs.isEmpty && sources.journal == nil && sources.gifs.isEmpty {
                throw UsageError(message: "nothing to report: give at least one of --eval, --training, --journal or --gif", command: "report")
            }
            if sources.baseline != nil && sources.evaluations.isEmpty {
                throw UsageError(message: "--baseline-eval needs at least one --eval to compare", command: "report")
            }
            try args.finish()
            let report = try sources.load()
            try report.write(to: out)
            if options.json {
                print(JSONValue.object([("report", .string(out)), ("sections", .string(report.summaryText))]).canonicalString)
            } else if !options.quiet {
                print("wrote \(out): \(report.summaryText)")
            }
            return ExitCode.ok
        })
}
