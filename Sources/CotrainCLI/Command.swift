import CotrainCore
import Foundation

/// Exit statuses, documented in `cotrain --help` and docs/cli.md.
enum ExitCode {
    static let ok: Int32 = 0
    /// The command ran and failed (a check failed, input was bad, I/O failed).
    static let failure: Int32 = 1
    /// The command was called wrongly (unknown flag, missing argument).
    static let usage: Int32 = 2
    /// The node home is locked by another process.
    static let locked: Int32 = 3
}

/// One command or command group of the `cotrain` executable.
struct Command: Sendable {
    /// The word that selects it, e.g. "bench" or "core".
    let name: String
    /// One line for the parent's command list.
    let summary: String
    /// Usage, options and examples, printed by `--help`.
    let help: String
    /// Subcommands, for a group such as `bench`.
    var subcommands: [Command] = []
    /// The action; nil for a pure group.
    var run: (@Sendable (inout Arguments, GlobalOptions) throws -> Int32)?
    /// Headed sections of `subcommands` for the help (the root's "Node:", …); empty:
    /// one plain list.
    var groups: [CommandGroup] = []
    /// Why `--json` is refused, for commands without a JSON result (servers); nil: accepted.
    var noJSONReason: String?

    /// A group whose help lists its subcommands under headings, in the given order.
    static func grouped(name: String, summary: String, help: String, groups: [CommandGroup]) -> Command {
        Command(name: name, summary: summary, help: help, subcommands: groups.flatMap(\.commands), groups: groups)
    }

    /// This command, refusing `--json` with `reason` (e.g. where its log goes instead).
    func refusingJSON(_ reason: String) -> Command {
        var copy = self
        copy.noJSONReason = reason
        return copy
    }

    /// Help text for a group: its own help plus a list of its subcommands.
    func fullHelp(path: String) -> String {
        guard !subcommands.isEmpty else { return help }
        let width = subcommands.map(\.name.count).max() ?? 0
        func list(_ commands: [Command]) -> String {
            commands.map { "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)" }.joined(separator: "\n")
        }
        let prefix = path.isEmpty ? "cotrain" : "cotrain \(path)"
        let body = groups.isEmpty
            ? "Commands:\n" + list(subcommands)
            : groups.map { "\($0.title):\n" + list($0.commands) }.joined(separator: "\n\n")
        return "\(help)\n\n\(body)\n\nRun `\(prefix) COMMAND --help` for a command's options and examples."
    }

    /// The `--name` options the help mentions, for "did you mean" hints.
    var documentedOptions: [String] {
        var seen = Set<String>()
        return help.matches(of: /--[a-z0-9][a-z0-9-]*/).map { String($0.output) }.filter { seen.insert($0).inserted }
    }
}

/// A headed section of a group's subcommands in its help.
struct CommandGroup: Sendable {
    let title: String
    let commands: [Command]
}

/// Finds the command named by `argv`, applies global flags, and runs it.
/// Returns the process exit status; prints errors as one line on stderr.
///
/// The hidden global flag `--check-args` (anywhere on the line) resolves the command
/// and runs it only up to `Arguments.finish()`: every option is parsed and validated as
/// a real run would, then it exits 0 without doing any work (docs/cli.md; the test
/// DocsCommandsTests checks every command line in the docs this way).
func dispatch(_ argv: [String], root: Command) -> Int32 {
    let checkOnly = argv.contains("--check-args")
    var command = root
    var path: [String] = []
    var leading: [String] = []  // global flags given before the command's name
    var rest = argv.filter { $0 != "--check-args" }[...]
    while let word = rest.first, !command.subcommands.isEmpty {
        if GlobalOptions.flags.contains(word) {
            leading.append(word)
            rest = rest.dropFirst()
            continue
        }
        if word.hasPrefix("-") { break }
        guard let next = command.subcommands.first(where: { $0.name == word }) else {
            let where_ = path.isEmpty ? "cotrain" : "cotrain \(path.joined(separator: " "))"
            let hint = Arguments.closest(to: word, in: command.subcommands.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            printError("unknown command '\(word)' for \(where_)\(hint) (see `\(where_) --help`)")
            return ExitCode.usage
        }
        command = next
        path.append(word)
        rest = rest.dropFirst()
    }
    let pathText = path.joined(separator: " ")
    let prefix = path.isEmpty ? "cotrain" : "cotrain \(pathText)"
    var args = Arguments(leading + Array(rest), command: pathText, checkOnly: checkOnly, knownOptions: command.documentedOptions)
    if args.flag("--help") || args.flag("-h") || command.run == nil {
        if command.run == nil, let first = args.items.first(where: { !GlobalOptions.flags.contains($0) }) {
            let names = command.subcommands.map(\.name).joined(separator: ", ")
            printError("'\(first)' is not a command of `\(prefix)`; give one of \(names) (see `\(prefix) --help`)")
            return ExitCode.usage
        }
        if !checkOnly { print(command.fullHelp(path: pathText)) }
        return ExitCode.ok
    }
    do {
        let options = try GlobalOptions.take(from: &args)
        if options.json, let reason = command.noJSONReason {
            throw UsageError(message: "\(prefix) has no --json output: \(reason)", command: pathText)
        }
        let status = try command.run!(&args, options)
        if checkOnly {
            // The command worked without calling finish() first: a bug in the command.
            printError("--check-args: `\(prefix)` ran without validating its arguments first; report this bug")
            return ExitCode.failure
        }
        return status
    } catch is ArgumentsChecked {
        return ExitCode.ok
    } catch let error as UsageError {
        // A misspelled option often surfaces first as a missing one ("--policy is
        // required" for --polcy): name the misspelling, which is what to fix.
        printError(args.misspelledOption()?.description ?? error.description)
        return ExitCode.usage
    } catch let error as LockError {
        printError(error.description)
        return ExitCode.locked
    } catch {
        printError("\(error)")
        return ExitCode.failure
    }
}

/// Prints one error line to stderr, prefixed so it stands out in logs.
func printError(_ message: String) {
    let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    Console.error("cotrain: error: \(line)\n")
}
