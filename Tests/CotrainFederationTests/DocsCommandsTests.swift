// The docs stay true to the CLI: every `cotrain …` command line in the fenced code
// blocks of README.md, SECURITY.md and docs/*.md is run with the hidden global
// `--check-args` flag, which resolves the subcommand and parses and validates every
// option as a real run would, then exits 0 without doing any work. An unknown
// subcommand, a misspelled flag or a bad value in the docs fails here with the file
// and line. (Which documented flows are also run for real: docs/cli.md.)
import Foundation
import Testing

/// The repository's root, from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// One `cotrain` invocation found in a document or a help text.
struct DocumentedInvocation: CustomStringConvertible {
    /// Where it was found, e.g. "docs/operations.md:315".
    let location: String
    /// The line as written (continuations joined).
    let text: String
    /// The arguments after `cotrain`, with shell variables replaced by placeholders.
    let arguments: [String]
    /// `NAME=value` assignments before the command.
    let environment: [String: String]
    /// The exit status the line should have under `--check-args`: 0, unless a comment
    /// on the line says otherwise ("# exit 2: …", for lines that show a mistake).
    var expectedStatus: Int32 = 0

    var description: String { "\(location): \(text)" }
}

/// Just enough of the POSIX shell to find `cotrain` invocations in documentation.
enum ShellText {
    /// Logical lines of fenced code blocks (`\` continuations joined), with the number
    /// of each one's first line.
    static func codeLines(markdown: String) -> [(line: Int, text: String)] {
        var result: [(Int, String)] = []
        var inFence = false
        var pending: (Int, String)?
        for (index, raw) in markdown.components(separatedBy: "\n").enumerated() {
            if raw.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                inFence.toggle()
                pending = nil
                continue
            }
            guard inFence else { continue }
            var line = raw
            let start = pending?.0 ?? index + 1
            if let (_, before) = pending { line = before + " " + raw.trimmingCharacters(in: .whitespaces) }
            if line.hasSuffix("\\") {
                pending = (start, String(line.dropLast()))
            } else {
                pending = nil
                result.append((start, line))
            }
        }
        return result
    }

    /// Logical lines of a help text's examples: everything after its "Example(s):" line.
    static func exampleLines(help: String) -> [String] {
        var lines: [String] = [], pending: String?
        var inExamples = false
        for raw in help.components(separatedBy: "\n") {
            if raw.hasPrefix("Example") { inExamples = true; continue }
            guard inExamples else { continue }
            let line = pending.map { $0 + " " + raw.trimmingCharacters(in: .whitespaces) } ?? raw
            if line.hasSuffix("\\") { pending = String(line.dropLast()) } else { pending = nil; lines.append(line) }
        }
        return lines
    }

    /// The `cotrain` invocations in one shell line (including those inside `$(…)`).
    static func invocations(in line: String, location: String) -> [DocumentedInvocation] {
        var text = line.trimmingCharacters(in: .whitespaces)
        // A prompt: "$ cotrain …" or "lab-b $ cotrain …".
        if let range = text.range(of: #"^(\S+ )?\$ "#, options: .regularExpression) { text.removeSubrange(range) }
        // Synopsis notation: optional groups "[--flag VALUE]" are unwrapped, "a|b" → a.
        while let range = text.range(of: #"\[(--[^\[\]]*)\]"#, options: .regularExpression) {
            var inner = String(text[range].dropFirst().dropLast())
            inner = inner.replacingOccurrences(of: #"([^\s|]+)(\|[^\s|]+)+"#, with: "$1", options: .regularExpression)
            text.replaceSubrange(range, with: inner)
        }
        var expected: Int32 = 0
        if let match = text.firstMatch(of: /\s#\s*exit ([0-9])\b/) { expected = Int32(match.1)! }
        var found: [DocumentedInvocation] = []
        for segment in segments(text, substitutions: { inner in
            found += invocations(in: inner, location: location)
        }) {
            var words = segment
            var environment: [String: String] = [:]
            while let first = words.first, ["do", "then", "else", "time", "exec", "!", "{", "("].contains(first) { words.removeFirst() }
            while let first = words.first, let eq = first.firstIndex(of: "="),
                  first[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !first[..<eq].isEmpty {
                environment[String(first[..<eq])] = String(first[first.index(after: eq)...])
                words.removeFirst()
            }
            guard let program = words.first, program == "cotrain" || program.hasSuffix("/cotrain") else { continue }
            found.append(DocumentedInvocation(location: location, text: line.trimmingCharacters(in: .whitespaces),
                                              arguments: Array(words.dropFirst()), environment: environment, expectedStatus: expected))
        }
        return found
    }

    /// Splits a line into simple commands (at `;`, `&&`, `||`, `|`, `&` outside quotes),
    /// each as its words: quotes removed, comments and redirections dropped, `$(…)`
    /// handed to `substitutions` and replaced by a placeholder, variables replaced by
    /// placeholders (see ``placeholder(for:)``).
    static func segments(_ line: String, substitutions: (String) -> Void) -> [[String]] {
        var segments: [[String]] = [], words: [String] = []
        var word = "", inWord = false, skipNextWord = false
        let chars = Array(line)
        var i = 0
        func endWord() {
            if inWord {
                if skipNextWord { skipNextWord = false } else { words.append(word) }
            }
            word = ""; inWord = false
        }
        func endSegment() {
            endWord()
            if !words.isEmpty { segments.append(words) }
            words = []
        }
        /// `$NAME`, `${NAME}` or `$(…)` at `i` (which is at the `$`): the replacement.
        func expansion() -> String {
            if i + 1 < chars.count, chars[i + 1] == "(" {
                var depth = 0, j = i + 1
                while j < chars.count {
                    if chars[j] == "(" { depth += 1 } else if chars[j] == ")" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                substitutions(String(chars[(i + 2)..<min(j, chars.count)]))
                i = j + 1
                return "x"
            }
            var j = i + 1, name = ""
            let braced = j < chars.count && chars[j] == "{"
            if braced { j += 1 }
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { name.append(chars[j]); j += 1 }
            if braced, j < chars.count, chars[j] == "}" { j += 1 }
            guard !name.isEmpty else { i += 1; return "$" }
            i = j
            return placeholder(for: name)
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t":
                endWord(); i += 1
            case "#" where !inWord:
                i = chars.count
            case "'":
                inWord = true
                var j = i + 1
                while j < chars.count, chars[j] != "'" { word.append(chars[j]); j += 1 }
                i = j + 1
            case "\"":
                inWord = true
                var j = i + 1
                while j < chars.count, chars[j] != "\"" {
                    if chars[j] == "\\", j + 1 < chars.count { word.append(chars[j + 1]); j += 2; continue }
                    if chars[j] == "$" {
                        i = j
                        word += expansion()
                        j = i
                        continue
                    }
                    word.append(chars[j]); j += 1
                }
                i = j + 1
            case "\\":
                inWord = true
                if i + 1 < chars.count { word.append(chars[i + 1]) }
                i += 2
            case "$":
                inWord = true
                word += expansion()
            case ";", "|", "&":
                endSegment()
                if c == "&", i + 1 < chars.count, chars[i + 1] == ">" { skipNextWord = true }  // &> file
                i += 1
                while i < chars.count, chars[i] == c { i += 1 }
            case ">", "<":
                // A redirection: drop it and its target ("2>&1", "> out", "<<< text").
                if inWord, word.allSatisfy(\.isNumber) { word = ""; inWord = false } else { endWord() }
                while i < chars.count, chars[i] == ">" || chars[i] == "<" || chars[i] == "&" { i += 1 }
                if i < chars.count, chars[i].isNumber { i += 1 } else { skipNextWord = true }
            default:
                inWord = true
                word.append(c); i += 1
            }
        }
        endSegment()
        return segments
    }

    /// A value for a shell variable that the command accepts where the docs use it:
    /// ports, robots, else "x" (node ids, names and paths are not checked by form).
    static func placeholder(for name: String) -> String {
        let lower = name.lowercased()
        if lower.contains("port") { return "7443" }
        if lower.contains("robot") || lower.contains("embodiment") { return "ur5e" }
        if lower.contains("seed") || lower.contains("count") || lower.contains("steps") { return "1" }
        return "x"
    }
}

/// Runs the built `cotrain` binary (see `cotrainBinary`) in a scratch directory, with
/// the caller's environment minus `COTRAIN_*` plus `environment`.
func runCotrain(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil)
    throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cotrainBinary!)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COTRAIN_") }
    env.merge(environment) { $1 }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

/// Checks `invocations` with `--check-args`; returns one line per failure.
func checkArguments(_ invocations: [DocumentedInvocation]) throws -> [String] {
    let scratch = NSTemporaryDirectory() + "cotrain-check-args-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    var failures: [String] = []
    for invocation in invocations {
        let run = try runCotrain(["--check-args"] + invocation.arguments, environment: invocation.environment, in: scratch)
        if run.status != invocation.expectedStatus || !run.output.isEmpty {
            let why = run.errors.trimmingCharacters(in: .whitespacesAndNewlines)
            let expected = invocation.expectedStatus == 0 ? "" : " (expected \(invocation.expectedStatus))"
            failures.append("\(invocation)\n    → exit \(run.status)\(expected): \(why.isEmpty ? "printed output under --check-args" : why)")
        }
        // Nothing may have been done: the scratch directory stays empty.
        if let left = try? FileManager.default.contentsOfDirectory(atPath: scratch), !left.isEmpty {
            failures.append("\(invocation)\n    → --check-args created \(left.joined(separator: ", "))")
            for name in left { try? FileManager.default.removeItem(atPath: "\(scratch)/\(name)") }
        }
    }
    return failures
}

@Suite(.enabled(if: cotrainBinary != nil, "needs the cotrain executable (swift build --build-tests)"))
struct DocsCommandsTests {
    /// README.md, SECURITY.md and docs/*.md, relative to the repository.
    static var documents: [String] {
        let docs = ((try? FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/docs")) ?? [])
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/\($0)" }
        return ["README.md", "SECURITY.md"] + docs
    }

    static func documentedInvocations() throws -> [DocumentedInvocation] {
        var found: [DocumentedInvocation] = []
        for document in documents {
            let path = "\(repositoryRoot)/\(document)"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for (line, code) in ShellText.codeLines(markdown: text) {
                found += ShellText.invocations(in: code, location: "\(document):\(line)")
            }
        }
        return found
    }

    @Test func everyDocumentedCommandParses() throws {
        let invocations = try Self.documentedInvocations()
        #expect(invocations.count >= 40, "found only \(invocations.count) documented commands; is the extraction broken?")
        let failures = try checkArguments(invocations)
        #expect(failures.isEmpty, "documented commands the CLI rejects:\n\(failures.joined(separator: "\n"))")
    }

    @Test func theCheckCatchesWhatItShould() throws {
        // The flag must fail on the mistakes the docs test is there to catch…
        for (arguments, status) in [
            (["data", "colect", "--store", "s"], Int32(2)),               // unknown subcommand
            (["eval", "--policy", "expert", "--suit", "quick"], 2),          // misspelled flag
            (["data", "collect", "--store", "s", "--embodiment", "ur5e", "--tasks", "pick", "--count", "x", "--seed", "1"], 2),  // bad value
            (["serve", "--quorum", "0"], 2),                                  // bad value checked as config.json would
            (["eval", "--policy", "expert", "--suite", "nonesuch"], 1),       // unknown suite
        ] {
            let run = try runCotrain(["--check-args"] + arguments)
            #expect(run.status == status, "cotrain --check-args \(arguments.joined(separator: " ")) → \(run.status): \(run.errors)")
            #expect(run.errors.hasPrefix("cotrain: error: ") && run.errors.filter { $0 == "\n" }.count == 1, "one error line: \(run.errors)")
        }
        // …and pass, silently and without side effects, on good lines.
        let scratch = NSTemporaryDirectory() + "cotrain-check-args-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let good = try runCotrain(["init", "./lab-a-node", "--lab", "lab-a", "--embodiment", "panda", "--check-args"], in: scratch)
        #expect(good.status == 0 && good.output.isEmpty && good.errors.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    @Test func theExtractionFollowsTheShell() {
        let lines = ShellText.codeLines(markdown: "text\n```sh\n$ cotrain id \\\n    --home a   # comment\nls\n```\ncotrain not-code\n")
        #expect(lines.map(\.line) == [3, 5])
        let id = ShellText.invocations(in: lines[0].text, location: "x.md:3")
        #expect(id.map(\.arguments) == [["id", "--home", "a"]])
        let loop = ShellText.invocations(in: #"for n in a b; do cotrain serve --home ./lab-$n --rounds 10 & done"#, location: "")
        #expect(loop.map(\.arguments) == [["serve", "--home", "./lab-x", "--rounds", "10"]])
        let nested = ShellText.invocations(in: #"A=$(cotrain id --home ./lab-a --json | jq -r .node_id)"#, location: "")
        #expect(nested.map(\.arguments) == [["id", "--home", "./lab-a", "--json"]])
        let failing = ShellText.invocations(in: "cotrain eval --suit quick   # exit 2: a typo", location: "")
        #expect(failing.first?.expectedStatus == 2 && failing.first?.arguments == ["eval", "--suit", "quick"])
        let env = ShellText.invocations(in: "COTRAIN_ROUND_QUORUM=3 cotrain serve 2>&1 > log", location: "")
        #expect(env.first?.environment == ["COTRAIN_ROUND_QUORUM": "3"] && env.first?.arguments == ["serve"])
        let quoted = ShellText.invocations(in: #"cotrain report --title "A \"b\" c" --date "$(date -I)" --lab 'x y'=z"#, location: "")
        #expect(quoted.first?.arguments == ["report", "--title", #"A "b" c"#, "--date", "x", "--lab", "x y=z"])
        let synopsis = ShellText.invocations(in: "cotrain data vl-import --in a.tar [--filter box|nearest] [--shard-size 256]", location: "")
        #expect(synopsis.first?.arguments == ["data", "vl-import", "--in", "a.tar", "--filter", "box", "--shard-size", "256"])
        let prompt = ShellText.invocations(in: "  lab-b $ cotrain peers join 127.0.0.1:7441 --id $A", location: "")
        #expect(prompt.first?.arguments == ["peers", "join", "127.0.0.1:7441", "--id", "x"])
        #expect(ShellText.invocations(in: "join        cotrain peers join host:1 --id X", location: "").isEmpty)
        #expect(ShellText.invocations(in: ".build/release/cotrain bench core # figures", location: "").first?.arguments == ["bench", "core"])
    }
}
