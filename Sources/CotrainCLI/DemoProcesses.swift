// The demo's child processes: every step runs this same `cotrain` executable
// (/proc/self/exe) with its output in a log file. Each child leads its own process
// group, so a Ctrl-C on the terminal reaches only the demo, which then stops every child
// it started (SIGTERM to the group, SIGKILL after a grace period) — no orphans.
import CotrainCore
import Dispatch
import Foundation

/// Set by SIGINT, SIGTERM or SIGHUP; the demo's waits check it and stop.
final class DemoStopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []

    /// The first signal received, if any.
    var signal: Int32? { lock.withLock { received } }

    /// Catches SIGINT, SIGTERM and SIGHUP from now on.
    func install() {
        let queue = DispatchQueue(label: "cotrain-demo-signals")
        for number in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { if self.received == nil { self.received = number } }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Throws ``DemoInterrupted`` once a signal arrived.
    func check() throws {
        if let signal { throw DemoInterrupted(signal: signal) }
    }
}

/// The demo was interrupted (Ctrl-C or a termination signal).
struct DemoInterrupted: Error {
    let signal: Int32
    var name: String { signal == SIGINT ? "Ctrl-C (SIGINT)" : signal == SIGTERM ? "SIGTERM" : "SIGHUP" }
}

/// Something a step needed did not happen; `log` says where to look.
struct DemoFailure: CotrainError {
    let message: String
    var log: String?
    var description: String { message }
}

/// A child process the demo started.
final class DemoChild {
    /// Who runs it, e.g. `lab-b`, and the words after `cotrain`.
    let lab: String
    let arguments: [String]
    let pid: pid_t
    /// Where its stderr (and stdout, unless captured) goes.
    let log: String
    /// Its exit status once reaped: the code, or 128 + the signal that ended it.
    private(set) var status: Int32?

    init(lab: String, arguments: [String], pid: pid_t, log: String) {
        self.lab = lab
        self.arguments = arguments
        self.pid = pid
        self.log = log
    }

    /// Reaps the child if it has exited; returns its status (nil while it runs).
    @discardableResult
    func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else {
            if result < 0 && errno == ECHILD { status = 255 }  // not ours any more
            return status
        }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    var isRunning: Bool { poll() == nil }

    /// The status as words: "exit 0", "exit 1", "killed by signal 9".
    var statusText: String {
        guard let status else { return "running" }
        return status > 128 ? "killed by signal \(status - 128)" : "exit \(status)"
    }
}

/// Starts and tracks the demo's child processes.
final class DemoProcesses {
    /// The running executable (resolved from /proc/self/exe).
    let executable: String
    /// The children's environment: the demo's, without COTRAIN_* settings (so a
    /// COTRAIN_LISTEN or COTRAIN_HOME in the caller's shell cannot redirect a lab), plus
    /// ``extraEnvironment``.
    private let baseEnvironment: [String: String]
    var extraEnvironment: [String: String] = [:]
    let stop: DemoStopSignal
    /// Every child started and not yet known to have exited.
    private(set) var children: [DemoChild] = []

    init(stop: DemoStopSignal) throws {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw DemoFailure(message: "cannot resolve /proc/self/exe (\(String(cString: strerror(errno))))") }
        executable = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        baseEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COTRAIN_") }
        self.stop = stop
    }

    /// Where a child's standard output goes.
    enum Output {
        /// Appended to the log, with stderr.
        case log
        /// Written to this file (truncated first); stderr still goes to the log.
        case file(String)
    }

    /// Starts `cotrain arguments…` in its own process group, stdin from /dev/null,
    /// stderr appended to `log` (after a line naming the command).
    func start(lab: String, _ arguments: [String], log: String, output: Output = .log) throws -> DemoChild {
        try stop.check()
        let header = "\n$ cotrain \(DemoShell.quote(arguments))   [\(lab), \(ISO8601.format(Date()))]\n"
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DemoFailure(message: "cannot open \(log): \(String(cString: strerror(errno)))") }
        _ = header.withCString { write(fd, $0, strlen($0)) }
        close(fd)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .log: posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        case let .file(path): posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group; default dispositions for the signals the demo catches or
        // ignores (ignored signals would otherwise stay ignored across exec); no mask.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)

        let environment = baseEnvironment.merging(extraEnvironment) { $1 }.map { "\($0.key)=\($0.value)" }.sorted()
        let argv = (["cotrain"] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw DemoFailure(message: "cannot start \(executable): \(String(cString: strerror(result)))", log: log)
        }
        let child = DemoChild(lab: lab, arguments: arguments, pid: pid, log: log)
        children.append(child)
        return child
    }

    /// Waits until every child in `group` has exited, calling `tick` about 5 times a
    /// second (progress, liveness checks); returns when all are done. Throws
    /// ``DemoInterrupted`` on a signal and whatever `tick` throws.
    func wait(_ group: [DemoChild], tick: () throws -> Void = {}) throws {
        while group.contains(where: \.isRunning) {
            try stop.check()
            try tick()
            usleep(50_000)
            prune()
        }
        prune()
    }

    /// Sends `signal` to the child's process group, then waits up to `grace` for it to
    /// exit, killing the group if it does not. Returns the exit status.
    @discardableResult
    func terminate(_ child: DemoChild, signal: Int32 = SIGTERM, grace: Double = 15) -> Int32? {
        guard child.isRunning else { prune(); return child.status }
        kill(-child.pid, signal)
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        while child.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if child.isRunning {
            kill(-child.pid, SIGKILL)
            while child.isRunning { usleep(20_000) }
        }
        prune()
        return child.status
    }

    /// Stops every child still running (all at once, then waits). Returns what was stopped.
    @discardableResult
    func terminateAll(grace: Double = 15) -> [DemoChild] {
        let running = children.filter(\.isRunning)
        for child in running { kill(-child.pid, SIGTERM) }
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        while running.contains(where: \.isRunning) && ContinuousClock.now < deadline { usleep(20_000) }
        for child in running where child.isRunning { kill(-child.pid, SIGKILL) }
        while running.contains(where: \.isRunning) { usleep(20_000) }
        prune()
        return running
    }

    /// Forgets children that have exited and been reaped.
    private func prune() {
        children.removeAll { !$0.isRunning }
    }

    /// Stops tracking `child` without stopping it (`--keep-running`).
    func release(_ child: DemoChild) {
        children.removeAll { $0 === child }
    }
}

/// Shell quoting for commands the demo prints (so they can be pasted).
enum DemoShell {
    /// Words joined with spaces; a word with characters the shell treats specially is
    /// quoted.
    static func quote(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,@+-%")
        if !word.isEmpty, word.allSatisfy({ plain.contains($0) }) { return word }
        if !word.contains(where: { "\"$`\\!".contains($0) }) { return "\"\(word)\"" }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
