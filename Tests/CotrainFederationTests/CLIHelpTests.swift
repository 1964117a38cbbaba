// The command tree as a lab engineer meets it: every command and subcommand, found by
// walking `cotrain --help` from the root, has help with a usage line and at least one
// example; every example in the help parses (`--check-args`); the global flags and
// exit statuses behave the same everywhere.
import Foundation
import Testing

@Suite(.enabled(if: cotrainBinary != nil, "needs the cotrain executable (swift build --build-tests)"))
struct CLIHelpTests {
    /// The subcommand names a group's help lists: the block of "  NAME  summary"
    /// lines (under "Commands:" or section headings) just before its last line,
    /// "Run `cotrain … COMMAND --help` …".
    static func listedCommands(_ help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let end = lines.lastIndex(where: { $0.hasPrefix("Run `") }) else { return [] }
        var names: [String] = []
        for line in lines[..<end].reversed() {
            if let match = line.firstMatch(of: /^  ([a-z][a-z0-9-]*)  +\S/) {
                names.append(String(match.1))
            } else if !(line.isEmpty || (!line.hasPrefix(" ") && line.hasSuffix(":"))) {
                break
            }
        }
        return names.reversed()
    }

    /// Every command path with its help, depth first from the root ("" is the root).
    static func commandTree() throws -> [(path: [String], help: String)] {
        var result: [([String], String)] = []
        var queue: [[String]] = [[]]
        while let path = queue.popLast() {
            let run = try runCotrain(path + ["--help"])
            #expect(run.status == 0, "cotrain \(path.joined(separator: " ")) --help exited \(run.status): \(run.errors)")
            result.append((path, run.output))
            queue += listedCommands(run.output).reversed().map { path + [$0] }
        }
        return result
    }

    @Test func everyCommandHasUsageAndAnExample() throws {
        let tree = try Self.commandTree()
        let paths = tree.map { $0.path.joined(separator: " ") }
        // The walk found the whole tree (a sample of each level).
        for expected in ["init", "peers approve", "audit verify", "round status", "shards publish", "data collect", "bench core", "sim render"] {
            #expect(paths.contains(expected), "`cotrain \(expected)` not found by walking the help")
        }
        for (path, help) in tree {
            let name = (["cotrain"] + path).joined(separator: " ")
            #expect(help.contains("Usage:"), "`\(name) --help` has no \"Usage:\" line")
            #expect(help.contains("Example"), "`\(name) --help` has no example")
        }
    }

    @Test func theRootListsCommandsInTheOrderALabUsesThem() throws {
        let help = try runCotrain(["--help"]).output
        let order = Self.listedCommands(help)
        let expected = ["init", "id", "serve", "peers", "audit", "round", "shards", "data", "train", "eval", "eval-offline", "study", "arm-sim", "report", "bench"]
        #expect(Array(order.prefix(expected.count)) == expected)
        #expect(order.last == "demo" || !order.contains("demo"))
        for heading in ["Node:", "Federation:", "Data & training:", "Evaluation:", "Tools:"] { #expect(help.contains("\n\(heading)\n")) }
        for fact in ["--home DIR", "$COTRAIN_HOME", "./cotrain-node", "0 ok", "2 usage error", "3 node home"] { #expect(help.contains(fact)) }
    }

    @Test func everyHelpExampleParses() throws {
        var invocations: [DocumentedInvocation] = []
        for (path, help) in try Self.commandTree() {
            let name = (["cotrain"] + path).joined(separator: " ")
            for line in ShellText.exampleLines(help: help) {
                invocations += ShellText.invocations(in: line, location: "`\(name) --help`")
            }
        }
        #expect(invocations.count >= 60, "found only \(invocations.count) examples")
        let failures = try checkArguments(invocations)
        #expect(failures.isEmpty, "help examples the CLI rejects:\n\(failures.joined(separator: "\n"))")
    }

    @Test func nodeCommandsTakeHomeAndDefaultAlike() throws {
        // Every command that acts on a node home takes --home; its help says so.
        let nodeCommands = [["id"], ["serve"], ["peers", "pending"], ["peers", "approve"], ["peers", "reject"], ["peers", "revoke"],
                            ["peers", "unrevoke"], ["peers", "list"], ["peers", "join"], ["audit", "verify"], ["audit", "show"],
                            ["round", "status"], ["round", "export"], ["shards", "publish"], ["shards", "list"], ["init"]]
        for path in nodeCommands {
            let help = try runCotrain(path + ["--help"]).output
            #expect(help.contains("--home DIR"), "`cotrain \(path.joined(separator: " ")) --help` does not mention --home DIR")
        }
        // Without --home and COTRAIN_HOME, ./cotrain-node is used, and the error says so.
        let scratch = NSTemporaryDirectory() + "cotrain-home-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let id = try runCotrain(["id"], in: scratch)
        #expect(id.status == 1 && id.errors.contains("cotrain-node"), "\(id.errors)")
        let env = try runCotrain(["id"], environment: ["COTRAIN_HOME": "\(scratch)/elsewhere"], in: scratch)
        #expect(env.status == 1 && env.errors.contains("elsewhere"), "\(env.errors)")
        // init creates the same default home the other commands then find.
        let made = try runCotrain(["init", "--lab", "lab-a", "--embodiment", "ur5e", "--listen", "127.0.0.1:7443", "--json"], in: scratch)
        #expect(made.status == 0, "\(made.errors)")
        let found = try runCotrain(["id", "--json"], in: scratch)
        #expect(found.status == 0 && found.output.contains("\"lab\":\"lab-a\""), "\(found.errors)")
        let twice = try runCotrain(["init", "a", "--home", "b", "--lab", "x", "--embodiment", "ur5e"], in: scratch)
        #expect(twice.status == 2)
    }

    @Test func globalFlagsAndExitStatusesAreTheSameEverywhere() throws {
        // Global flags may come before the command's name.
        let version = try runCotrain(["--json", "version"])
        #expect(version.status == 0 && version.output.hasPrefix("{"))
        // Usage errors: exit 2, one line on stderr that says what to do.
        for arguments in [["nonesuch"], ["peers", "nonesuch"], ["version", "--nonesuch"], ["id", "--quiet", "--verbose"],
                          ["eval", "--polcy", "expert"], ["eval", "--policy", "expert", "--noise", "3"], ["eval", "--policy", "expert", "--oracle-points", "all"], ["eval", "--policy", "expert", "--oracle-points", "some"], ["serve", "--json"],
                          ["data", "collect", "--store"],
                          ["data", "collect", "--store", "s", "--embodiment", "ur5e", "--tasks", "pick", "--count", "1", "--seed", "1", "--expert-share", "0.5"]] {
            let run = try runCotrain(arguments)
            #expect(run.status == 2, "cotrain \(arguments.joined(separator: " ")) → \(run.status)")
            #expect(run.errors.hasPrefix("cotrain: error: ") && run.errors.filter { $0 == "\n" }.count == 1 && run.errors.contains("--help"),
                    "cotrain \(arguments.joined(separator: " ")): \(run.errors)")
            #expect(run.output.isEmpty)
        }
        let typo = try runCotrain(["eval", "--polcy", "expert"])
        #expect(typo.errors.contains("did you mean --policy?"), "\(typo.errors)")
        let command = try runCotrain(["pers"])
        #expect(command.errors.contains("did you mean 'peers'?"), "\(command.errors)")
        // Failures: exit 1 (here: no node home).
        let missing = try runCotrain(["audit", "verify", "--home", "/nonexistent/cotrain-home"])
        #expect(missing.status == 1 && missing.errors.hasPrefix("cotrain: error: "))
    }
}
