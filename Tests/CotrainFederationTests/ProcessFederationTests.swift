import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

/// The built `cotrain` executable, beside this test bundle (`swift build --build-tests`
/// builds both), or nil.
let cotrainBinary: String? = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for directory in [bundle, bundle.deletingLastPathComponent()] {
        let path = directory.appendingPathComponent("cotrain").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

/// Three labs as three `cotrain` processes: init, join and approve through the CLI,
/// rounds, a node killed with SIGKILL mid-round and restarted, every node restarted.
@Suite(.serialized, .enabled(if: cotrainBinary != nil, "needs the cotrain executable (swift build --build-tests)"))
struct ProcessFederationTests {
    /// One node home and its `cotrain serve` process.
    final class Lab {
        let name: String
        let home: String
        let port: UInt16
        private(set) var id = ""
        private(set) var process: Process?
        private(set) var launches = 0

        init(_ name: String, in directory: String) throws {
            self.name = name
            home = "\(directory)/\(name)"
            port = try freeLoopbackPort()
        }

        var endpoint: String { "127.0.0.1:\(port)" }

        func initialise(embodiment: String) throws {
            let output = try cotrain(["init", home, "--lab", "lab-\(name)", "--embodiment", embodiment, "--listen", endpoint, "--json"])
            id = try #require(try JSONValue.parse(output)["node_id"]?.string)
        }

        func serve(_ arguments: [String]) throws {
            launches += 1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: cotrainBinary!)
            process.arguments = ["serve", "--home", home] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["COTRAIN_LIMITS_JOIN_REQUESTS_PER_MINUTE": "600"]) { $1 }
            FileManager.default.createFile(atPath: "\(home).serve\(launches).log", contents: nil)
            let log = FileHandle(forWritingAtPath: "\(home).serve\(launches).log")
            process.standardOutput = log
            process.standardError = log
            try process.run()
            self.process = process
        }

        /// Sends `signal` and waits (up to 15 s) for the exit; returns the exit status.
        @discardableResult
        func stop(_ signal: Int32 = SIGTERM) -> Int32? {
            guard let process else { return nil }
            kill(process.processIdentifier, signal)
            let deadline = Date() + 15
            while process.isRunning && Date() < deadline { usleep(20_000) }
            self.process = nil
            if process.isRunning { kill(process.processIdentifier, SIGKILL); return nil }
            return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
        }

        var status: RoundStatus? { try? RoundStatus.read(home: NodeHome(root: home)) }
        var records: [RoundRecord] { status?.records ?? [] }

        deinit { stop(SIGKILL) }
    }

    /// Runs `cotrain arguments…` to completion; returns stdout, throws on a non-zero exit.
    static func cotrain(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cotrainBinary!)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LocalTrainerError("cotrain \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func waitUntil(_ what: String, timeout: Double = 30, labs: [Lab], sourceLocation: SourceLocation = #_sourceLocation,
                          _ condition: () -> Bool) throws {
        let deadline = Date() + timeout
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        // The node log, and what the serve process printed and whether it still runs
        // (a process that exited early, e.g. on a port taken meanwhile, logs nothing).
        let logs = labs.map { lab in
            let text = (try? String(contentsOfFile: "\(lab.home)/state/node.log.jsonl", encoding: .utf8)) ?? ""
            let printed = (try? String(contentsOfFile: "\(lab.home).serve\(lab.launches).log", encoding: .utf8)) ?? ""
            let state = lab.process.map { $0.isRunning ? "running" : "exited \($0.terminationStatus)" } ?? "not started"
            return "--- \(lab.name) (serve \(state)) ---\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
                + (printed.isEmpty ? "" : "\n  printed: " + printed.split(separator: "\n").suffix(5).joined(separator: "\n  "))
        }.joined(separator: "\n")
        Issue.record("timed out waiting until \(what)\n\(logs)", sourceLocation: sourceLocation)
        throw CancellationError()
    }

    @Test func threeLabsFederateSurviveAKillAndResumeFromDisk() throws {
        let fixture = NodeFixture()
        let a = try Lab("a", in: fixture.path), b = try Lab("b", in: fixture.path), c = try Lab("c", in: fixture.path)
        let labs = [a, b, c]
        for (lab, embodiment) in zip(labs, ["ur5e", "panda", "scara"]) { try lab.initialise(embodiment: embodiment) }

        // Phase 1: serve, join and approve through the CLI, three rounds with everyone.
        let first = ["--rounds", "3", "--deadline", "2", "--quorum", "2", "--min-peers", "2", "--synthetic-train-seconds", "0.05"]
        for lab in labs { try lab.serve(first) }
        try Self.waitUntil("every node listens", labs: labs) { labs.allSatisfy { access("\($0.home)/state/control.sock", F_OK) == 0 } }
        for (joiner, target) in [(b, a), (c, a), (c, b)] {
            _ = try Self.cotrain(["peers", "join", target.endpoint, "--id", target.id, "--home", joiner.home, "--message", "test"])
            _ = try Self.cotrain(["peers", "approve", joiner.id, "--home", target.home, "--reason", "test"])
        }
        try Self.waitUntil("three rounds everywhere", labs: labs) { labs.allSatisfy { $0.records.count == 3 } }
        let phase1 = a.records
        #expect(labs.allSatisfy { $0.records == phase1 && $0.status?.baseHash == phase1.last?.resultHash })
        #expect(phase1.allSatisfy { $0.entries.count == 3 })
        for lab in labs { #expect(lab.stop() == 0, "\(lab.name) stops cleanly on SIGTERM") }

        // Phase 2: every node restarts from disk; c is killed mid-round, the others go
        // on at the deadline with their quorum, c catches up after its restart.
        let second = ["--rounds", "6", "--deadline", "1.5", "--quorum", "2", "--min-peers", "1", "--synthetic-train-seconds", "0.3"]
        for lab in labs { try lab.serve(second) }
        try Self.waitUntil("c resumed and closed round 4", labs: labs) { c.records.count >= 4 }
        #expect(Array(c.records.prefix(3)) == phase1, "the restart resumed the journal")
        c.stop(SIGKILL)
        let killedAt = c.records.count
        try Self.waitUntil("a and b finish without c", labs: labs) { [a, b].allSatisfy { $0.records.count == 6 } }
        #expect(a.records.dropFirst(killedAt + 1).allSatisfy { $0.entries.count == 2 }, "c was left out at the deadline")
        #expect(a.records.last?.entries.count == 2)
        try c.serve(second)
        try Self.waitUntil("c catches up and all journals agree", labs: labs) {
            labs.allSatisfy { $0.records.count == 6 && $0.records == a.records }
        }
        #expect(labs.allSatisfy { $0.status?.baseHash == a.records.last?.resultHash })
        let statusLine = try JSONValue.parse(try Self.cotrain(["round", "status", "--home", c.home, "--json"]))
        #expect(statusLine["head"]?.string == a.records.last?.recordHash.hex && statusLine["round"]?.int == 7)
        let log = try String(contentsOfFile: "\(c.home)/state/node.log.jsonl", encoding: .utf8)
        #expect(log.contains("\"message\":\"caught up\""))
        for lab in labs { #expect(lab.stop() == 0) }
    }
}
