import CotrainCore

/// A mistake in how a command was called; exits with status 2 and a hint to `--help`.
struct UsageError: CotrainError {
    let message: String
    /// The command path, e.g. "bench core", so the hint names the right help.
    var command: String = ""
    var description: String {
        let help = command.isEmpty ? "cotrain --help" : "cotrain \(command) --help"
        return "\(message) (see `\(help)`)"
    }
}

/// Thrown by ``Arguments/finish()`` under `--check-args`: every argument was read and
/// validated, and the command stops before doing any work (exit status 0).
struct ArgumentsChecked: Error {}

/// The arguments left for one command, consumed by name as the command reads them;
/// `finish()` rejects anything the command did not ask for.
///
/// Every command reads and validates all its arguments, then calls `finish()`, then
/// works. That is what makes the hidden global `--check-args` flag safe: `finish()`
/// ends the command there (see `docs/cli.md`).
struct Arguments {
    private(set) var items: [String]
    let command: String
    /// Set by the hidden global `--check-args`: `finish()` stops the command.
    let checkOnly: Bool
    /// The options the command's help documents, for "did you mean" hints.
    let knownOptions: [String]

    init(_ items: [String], command: String, checkOnly: Bool = false, knownOptions: [String] = []) {
        self.items = items
        self.command = command
        self.checkOnly = checkOnly
        self.knownOptions = knownOptions
    }

    /// True if `--name` is present (all occurrences are consumed).
    mutating func flag(_ name: String) -> Bool {
        let before = items.count
        items.removeAll { $0 == name }
        return items.count != before
    }

    /// The value of `--name VALUE` or `--name=VALUE`, or nil when absent.
    mutating func option(_ name: String) throws -> String? {
        let values = try repeated(name)
        guard values.count <= 1 else { throw UsageError(message: "\(name) given twice", command: command) }
        return values.first
    }

    /// Every value of a repeatable `--name VALUE` / `--name=VALUE` option, in order.
    mutating func repeated(_ name: String) throws -> [String] {
        var values: [String] = [], rest: [String] = []
        var index = 0
        while index < items.count {
            let item = items[index]
            if item == name {
                guard index + 1 < items.count, !items[index + 1].hasPrefix("--") else {
                    throw UsageError(message: "\(name) needs a value", command: command)
                }
                values.append(items[index + 1])
                index += 2
            } else {
                if item.hasPrefix(name + "=") { values.append(String(item.dropFirst(name.count + 1))) } else { rest.append(item) }
                index += 1
            }
        }
        items = rest
        return values
    }

    /// An integer option within `range`, or `defaultValue` when absent.
    mutating func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = try option(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'", command: command)
        }
        return value
    }

    /// A finite number option within `range`, or `defaultValue` when absent.
    mutating func double(_ name: String, default defaultValue: Double, range: ClosedRange<Double>) throws -> Double {
        guard let text = try option(name) else { return defaultValue }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw UsageError(message: "\(name) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'", command: command)
        }
        return value
    }

    /// The next positional argument, or nil when none is left.
    mutating func positional() -> String? {
        guard let index = items.firstIndex(where: { !$0.hasPrefix("--") }) else { return nil }
        return items.remove(at: index)
    }

    /// The next positional argument; `what` names it in the error when missing.
    mutating func requiredPositional(_ what: String) throws -> String {
        guard let value = positional() else { throw UsageError(message: "missing \(what)", command: command) }
        return value
    }

    /// Throws for any argument the command did not consume; under `--check-args`,
    /// then throws ``ArgumentsChecked`` so the command stops before doing any work.
    func finish() throws {
        if let first = items.first {
            guard first.hasPrefix("-") else { throw UsageError(message: "unexpected argument '\(first)'", command: command) }
            let name = String(first.prefix { $0 != "=" })
            let hint = Self.closest(to: name, in: knownOptions).map { "; did you mean \($0)?" } ?? ""
            throw UsageError(message: "unknown option '\(name)'\(hint)", command: command)
        }
        if checkOnly { throw ArgumentsChecked() }
    }

    /// An error for a leftover option that the help does not document but that is
    /// close to one it does (a likely typo), or nil.
    func misspelledOption() -> UsageError? {
        for item in items where item.hasPrefix("--") {
            let name = String(item.prefix { $0 != "=" })
            guard !knownOptions.contains(name), !GlobalOptions.flags.contains(name),
                  let guess = Self.closest(to: name, in: knownOptions) else { continue }
            return UsageError(message: "unknown option '\(name)'; did you mean \(guess)?", command: command)
        }
        return nil
    }

    /// The candidate nearest to `word` (edit distance at most 2, or a unique prefix
    /// match), for "did you mean" hints.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word, $0)) }.filter { $0.1 <= min(2, max(1, word.count / 3)) }
        if let best = scored.min(by: { $0.1 < $1.1 }) { return best.0 }
        let prefixed = candidates.filter { $0.hasPrefix(word) || word.hasPrefix($0) && $0.count > 3 }
        return prefixed.count == 1 ? prefixed[0] : nil
    }

    /// Levenshtein distance between two short strings.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Flags every command accepts, with the same meaning everywhere (documented in
/// `cotrain --help` and docs/cli.md).
struct GlobalOptions: Sendable {
    /// Machine-readable output: the result as one JSON document on stdout; no progress
    /// or narrative on stderr (errors still go there).
    var json = false
    /// Only errors and the final result: no progress, hints or narrative.
    var quiet = false
    /// More detail: one line per episode in `eval`, debug log lines in `serve`, …
    var verbose = false

    /// The global flags; they may also come before the command's name.
    static let flags: Set<String> = ["--json", "--quiet", "--verbose"]

    static func take(from args: inout Arguments) throws -> GlobalOptions {
        let options = GlobalOptions(json: args.flag("--json"), quiet: args.flag("--quiet"), verbose: args.flag("--verbose"))
        if options.quiet && options.verbose {
            throw UsageError(message: "--quiet and --verbose exclude each other; give one", command: args.command)
        }
        return options
    }

    /// How long jobs show their progress on stderr: not at all with --quiet or --json,
    /// else redrawn in place on a terminal and as plain lines every few seconds otherwise.
    var progressStyle: ProgressReporter.Style { .automatic(quiet: quiet || json) }
}
