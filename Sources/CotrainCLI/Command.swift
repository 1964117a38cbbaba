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

    /// Help text for a group: its own help plus a list of its subcommands.
    func fullHelp(path: String) -> String {
        guard !subcommands.isEmpty else { return help }
        let width = subcommands.map(\.name.count).max() ?? 0
        let list = subcommands.map {
            "  \($0.name.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.summary)"
        }.joined(separator: "\n")
        let prefix = path.isEmpty ? "cotrain" : "cotrain \(path)"
        return "\(help)\n\nCommands:\n\(list)\n\nRun `\(prefix) COMMAND --help` for a command's options."
    }
}

/// Finds the command named by `argv`, applies global flags, and runs it.
/// Returns the process exit status; prints errors as one line on stderr.
func dispatch(_ argv: [String], root: Command) -> Int32 {
    var command = root
    var path: [String] = []
    var rest = argv[...]
    while let word = rest.first, !command.subcommands.isEmpty, !word.hasPrefix("-") {
        guard let next = command.subcommands.first(where: { $0.name == word }) else {
            let where_ = path.isEmpty ? "cotrain" : "cotrain \(path.joined(separator: " "))"
            printError("unknown command '\(word)' for \(where_) (see `\(where_) --help`)")
            return ExitCode.usage
        }
        command = next
        path.append(word)
        rest = rest.dropFirst()
    }
    let pathText = path.joined(separator: " ")
    var args = Arguments(Array(rest), command: pathText)
    if args.flag("--help") || args.flag("-h") || command.run == nil {
        if command.run == nil && !args.items.isEmpty {
            printError("'\(args.items[0])' is not a command of `cotrain \(pathText)`")
            print(command.fullHelp(path: pathText))
            return ExitCode.usage
        }
        print(command.fullHelp(path: pathText))
        return ExitCode.ok
    }
    let options = GlobalOptions.take(from: &args)
    do {
        return try command.run!(&args, options)
    } catch let error as UsageError {
        printError(error.description)
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
    Console.error("cotrain: error: \(message)\n")
}
