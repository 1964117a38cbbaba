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

/// The arguments left for one command, consumed by name as the command reads them;
/// `finish()` rejects anything the command did not ask for.
struct Arguments {
    private(set) var items: [String]
    let command: String

    init(_ items: [String], command: String) {
        self.items = items
        self.command = command
    }

    /// True if `--name` is present (all occurrences are consumed).
    mutating func flag(_ name: String) -> Bool {
        let before = items.count
        items.removeAll { $0 == name }
        return items.count != before
    }

    /// The value of `--name VALUE` or `--name=VALUE`, or nil when absent.
    mutating func option(_ name: String) throws -> String? {
        var value: String?
        var index = 0
        while index < items.count {
            let item = items[index]
            if item == name {
                guard index + 1 < items.count, !items[index + 1].hasPrefix("--") else {
                    throw UsageError(message: "\(name) needs a value", command: command)
                }
                guard value == nil else { throw UsageError(message: "\(name) given twice", command: command) }
                value = items[index + 1]
                items.removeSubrange(index ... index + 1)
            } else if item.hasPrefix(name + "=") {
                guard value == nil else { throw UsageError(message: "\(name) given twice", command: command) }
                value = String(item.dropFirst(name.count + 1))
                items.remove(at: index)
            } else {
                index += 1
            }
        }
        return value
    }

    /// An integer option within `range`, or `defaultValue` when absent.
    mutating func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = try option(name) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw UsageError(message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'", command: command)
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

    /// Throws for any argument the command did not consume.
    func finish() throws {
        if let first = items.first {
            let kind = first.hasPrefix("-") ? "unknown option" : "unexpected argument"
            throw UsageError(message: "\(kind) '\(first)'", command: command)
        }
    }
}

/// Flags every command accepts (documented in `cotrain --help`).
struct GlobalOptions: Sendable {
    /// Machine-readable output: one JSON object on stdout.
    var json = false
    /// Only errors and the final result.
    var quiet = false
    /// Debug-level log lines.
    var verbose = false

    static func take(from args: inout Arguments) -> GlobalOptions {
        GlobalOptions(json: args.flag("--json"), quiet: args.flag("--quiet"), verbose: args.flag("--verbose"))
    }
}
