// The demo's narrative: step headings, every command as an admin would type it (so the
// output doubles as a tutorial), one-line results, and a progress line for long steps
// (redrawn in place on a terminal, a plain line every 5 seconds otherwise).
import CotrainCore
import CotrainData

final class DemoConsole {
    /// `--json`: stdout holds only demo.json, so nothing is printed but errors (which
    /// the runner writes to stderr itself).
    private let silent: Bool
    /// Only the final tables and errors (`--quiet`).
    let quiet: Bool
    /// Progress is drawn on stderr.
    private let terminal = Console.isTerminal(STDERR_FILENO)
    private var progressShown = false
    private var lastProgress = ContinuousClock.now - .seconds(60)
    /// The width commands are wrapped at (the terminal's, else 100).
    let width: Int

    init(json: Bool, quiet: Bool) {
        silent = json
        self.quiet = quiet || json
        var size = winsize()
        let columns = withUnsafeMutablePointer(to: &size) { ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), $0) } == 0 ? Int(size.ws_col) : 0
        width = columns >= 60 ? columns : 100
    }

    /// A narrative line (suppressed by `--quiet`).
    func say(_ text: String = "") {
        guard !quiet else { return }
        emit(text + "\n")
    }

    /// A line that is shown even with `--quiet` (final results, where things are).
    func always(_ text: String = "") {
        emit(text + "\n")
    }

    private func emit(_ text: String) {
        guard !silent else { return }
        clearProgress()
        Console.output(text)
    }

    /// "[2/6] Start the nodes…" with a blank line before it.
    func heading(_ number: Int, of total: Int, _ title: String) {
        notes = []
        say()
        say("[\(number)/\(total)] \(title)")
    }

    /// A command as typed at `lab`'s shell: `  lab-b $ cotrain peers join …`, wrapped with
    /// `\\` at the terminal width. `note` follows as a shell comment when it fits on the
    /// line, else it goes on its own line above; a note already printed in this step is
    /// not printed again.
    func command(_ lab: String, _ words: [String], program: String = "cotrain", suffix: String = "", note: String? = nil) {
        guard !quiet else { return }
        let lead = lab.isEmpty ? "  $ " : "  \(lab) $ "
        var text = ([program] + words.map(DemoShell.quote)).joined(separator: " ") + suffix
        if let note, !notes.contains(note) {
            notes.insert(note)
            if lead.count + text.count + 5 + note.count <= width {
                text += "   # \(note)"
            } else {
                say(wrapText(note, first: "  # ", rest: "  # "))
            }
        }
        say(wrap(text, lead: lead))
    }

    /// Notes printed in the current step (each is printed once per step).
    private var notes: Set<String> = []

    /// Plain words wrapped at the width, each line starting with `first`/`rest`.
    func wrapText(_ text: String, first: String, rest: String) -> String {
        var lines: [String] = [], line = first, empty = true
        for word in text.split(separator: " ") {
            if !empty && line.count + 1 + word.count > width {
                lines.append(line)
                line = rest + word
            } else {
                line += (empty ? "" : " ") + word
            }
            empty = false
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// Wraps a command after `lead` at word boundaries, continuing lines with ` \\` and
    /// an indent, as one would split a long command in a shell. An option stays on the
    /// line of its value.
    func wrap(_ text: String, lead: String) -> String {
        let indent = String(repeating: " ", count: lead.count + 4)
        var units: [String] = []
        for word in splitKeepingQuotes(text) {
            if let last = units.last, (last.hasPrefix("--") && !last.contains(" ") && !word.hasPrefix("-") && !word.hasPrefix("#") && word != "&") || last == ">" {
                units[units.count - 1] += " " + word
            } else {
                units.append(word)
            }
        }
        var lines: [String] = []
        var line = lead
        var started = false
        for unit in units {
            if started && line.count + 1 + unit.count + 2 > width && !unit.hasPrefix("#") && unit != "&" {
                lines.append(line + " \\")
                line = indent + unit
            } else {
                line += (started ? (unit.hasPrefix("#") ? "   " : " ") : "") + unit
            }
            started = true
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// A result line under a command.
    func result(_ text: String) {
        say("        → " + text)
    }

    /// An explanatory line.
    func note(_ text: String) {
        say("  " + text)
    }

    /// Words of a command line, keeping quoted strings (and a trailing `# comment`) whole.
    private func splitKeepingQuotes(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var comment = false
        for c in text {
            if comment { current.append(c); continue }
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
                current.append(c)
            } else if c == "#" && current.isEmpty {
                comment = true
                current.append(c)
            } else if c == " " {
                if !current.isEmpty { words.append(current); current = "" }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Shows a progress line on stderr: redrawn at most 10 times a second on a terminal,
    /// otherwise printed as a plain line at most every 5 seconds (`force` prints it now);
    /// nothing with `--quiet` or `--json` (docs/cli.md).
    func progress(_ line: String, force: Bool = false) {
        guard !quiet else { return }
        let now = ContinuousClock.now
        guard force || now - lastProgress >= (terminal ? .milliseconds(100) : .seconds(5)) else { return }
        lastProgress = now
        if terminal {
            let text = line.count > width - 1 ? String(line.prefix(width - 2)) + "…" : line
            Console.error("\r\u{1B}[K" + text)
            progressShown = true
        } else {
            Console.error("  … " + line + "\n")
        }
    }

    /// Removes a progress line drawn in place.
    func clearProgress() {
        guard progressShown else { return }
        Console.error("\r\u{1B}[K")
        progressShown = false
    }

    /// Lets the next progress line print at once (a new long step starts).
    func resetProgress() {
        clearProgress()
        lastProgress = ContinuousClock.now - .seconds(60)
    }

    /// "1 min 05 s" etc.
    static func duration(_ seconds: Double) -> String {
        seconds < 10 ? format(seconds, 1) + " s" : ProgressMeter.duration(seconds)
    }
}
