// `cotrain demo` as a user runs it: the tiny preset with two labs, as a process (the
// same code path as on the command line), checked by its outcomes on disk and through
// the CLI — not by its wording.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite(.serialized, .enabled(if: cotrainBinary != nil, "needs the cotrain executable (swift build --build-tests)"))
struct DemoProcessTests {
    static func cotrain(_ arguments: [String]) throws -> String { try ProcessFederationTests.cotrain(arguments) }

    /// Runs `cotrain demo arguments…` with stdout and stderr in files; returns the exit
    /// status (nil on a timeout, after stopping it), stdout and stderr.
    static func demo(_ arguments: [String], in directory: String, timeout: Double) throws -> (status: Int32?, stdout: String, stderr: String) {
        let stdoutPath = "\(directory)/demo.stdout", stderrPath = "\(directory)/demo.stderr"
        for path in [stdoutPath, stderrPath] { FileManager.default.createFile(atPath: path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cotrainBinary!)
        process.arguments = ["demo"] + arguments
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        let deadline = Date() + timeout
        while process.isRunning && Date() < deadline { usleep(100_000) }
        var status: Int32? = nil
        if process.isRunning {
            process.terminate()  // SIGTERM: the demo stops every process it started
            process.waitUntilExit()
        } else {
            status = process.terminationStatus
        }
        func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (status, read(stdoutPath), read(stderrPath))
    }

    static func tail(_ text: String, _ lines: Int = 40) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    @Test func tinyTwoLabDemoFederatesEvaluatesAndReports() throws {
        let fixture = NodeFixture()
        let out = fixture.file("demo")
        let started = Date()
        let run = try Self.demo(["--tiny", "--labs", "2", "--out", out, "--json"], in: fixture.path, timeout: 170)
        let seconds = Date().timeIntervalSince(started)
        try #require(run.status != nil, "the demo did not finish within 170 s:\n\(Self.tail(run.stderr))")
        try #require(run.status == 0, "the demo failed (exit \(run.status!)):\n\(Self.tail(run.stderr))")
        #expect(seconds < 170)

        // demo.json, also printed on stdout with --json.
        let summary = try JSONValue.parse(try readFile("\(out)/demo.json", limit: 16 << 20))
        #expect(try JSONValue.parse(run.stdout) == summary)
        #expect(summary["format"]?.string == "cotrain.demo.v1" && summary["trainer"]?.string == "recipe")
        let labs = try #require(summary["labs"]?.array)
        #expect(labs.map { $0["name"]?.string } == ["lab-a", "lab-b"])
        #expect(labs.map { $0["embodiment"]?.string } == ["ur5e", "panda"])
        let homes = labs.compactMap { $0["home"]?.string }
        try #require(homes.count == 2)

        // Both nodes closed two rounds and hold the same base, as the CLI reports it.
        let federation = try #require(summary["federation"])
        #expect(federation["rounds"]?.int == 2 && federation["rounds_with_every_lab"]?.int == 2)
        var bases: [String] = []
        for home in homes {
            let status = try JSONValue.parse(try Self.cotrain(["round", "status", "--home", home, "--json"]))
            #expect(status["records"]?.int == 2 && status["round"]?.int == 3, "\(home): \(status.canonicalString)")
            bases.append(status["base_hash"]?.string ?? "")
        }
        #expect(bases[0].count == 64 && bases[0] == bases[1], "both labs report the same base hash")
        #expect(federation["base_hash"]?.string == bases[0])
        #expect(labs.allSatisfy { $0["base_hash"]?.string == bases[0] }, "the exported policies carry that base")

        // The audit logs verify and record the join requests and approvals on both sides.
        var actions: [[String]] = []
        for home in homes {
            _ = try Self.cotrain(["audit", "verify", "--home", home])  // throws unless exit 0
            let entries = try JSONValue.parse(try Self.cotrain(["audit", "show", "--home", home, "--json"]))["entries"]?.array ?? []
            actions.append(entries.compactMap { $0["action"]?.string })
        }
        #expect(actions[0].contains("join-request") && actions[0].contains("approve"), "lab-a: \(actions[0])")
        #expect(actions[1].contains("join-sent") && actions[1].contains("join-accepted"), "lab-b: \(actions[1])")

        // lab-a's shards reached lab-b's node, from lab-a.
        let published = Set((summary["shards"]?.array ?? []).compactMap { $0["sha256"]?.string })
        #expect(!published.isEmpty)
        let listed = try JSONValue.parse(try Self.cotrain(["shards", "list", "--home", homes[1], "--json"]))["shards"]?.array ?? []
        let fetched = listed.filter { published.contains($0["hash"]?.string ?? "") }
        #expect(fetched.count == published.count, "lab-b fetched every shard lab-a published")
        #expect(fetched.allSatisfy { $0["origin"]?.string == labs[0]["node_hex"]?.string })

        // Each lab's report: an HTML page naming both labs, with charts, well-formed.
        for lab in labs {
            let path = try #require(lab["report"]?.string)
            let html = try String(contentsOfFile: path, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.contains("lab-a") && html.contains("lab-b") && html.contains("<svg"))
            #expect(Self.unbalancedTag(html) == nil, "\(path): \(Self.unbalancedTag(html) ?? "")")
        }

        // Per-lab figures for every condition, both policies on the same episodes.
        let conditions: Set<String> = ["nominal", "lighting", "distractors", "held_out_colours", "paraphrase", "unseen_task"]
        for lab in labs {
            let rows = lab["conditions"]?.array ?? []
            #expect(Set(rows.compactMap { $0["condition"]?.string }) == conditions, "\(lab["name"]?.string ?? "?")")
            for row in rows {
                let local = row["local_only"]?["episodes"]?.int ?? 0, federated = row["federated"]?["episodes"]?.int ?? 0
                #expect(local > 0 && local == federated)
                #expect(["better", "worse", "no clear difference"].contains(row["verdict"]?.string ?? ""))
                #expect(row["difference_ci95"]?.array?.count == 2)
            }
        }
        #expect(summary["wall_seconds"]?["steps"]?.array?.count == 6)
        #expect((summary["wall_seconds"]?["total"]?.double ?? 0) > 0)
        // Every node was stopped (no --keep-running): the homes are free.
        for home in homes { #expect(throws: Never.self) { _ = try NodeLock(directory: home) } }
    }

    @Test func refusesAForeignNonEmptyDirectoryAndConflictingPresets() throws {
        let fixture = NodeFixture()
        let out = fixture.file("precious")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: "\(out)/notes.txt"))
        let refused = try Self.demo(["--tiny", "--labs", "2", "--out", out], in: fixture.path, timeout: 30)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not empty") && refused.stderr.contains("--fresh"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["notes.txt"])
        let usage = try Self.demo(["--quick", "--tiny", "--out", fixture.file("x")], in: fixture.path, timeout: 30)
        #expect(usage.status == 2)
    }

    /// The first tag that does not balance (nil when tags nest properly): enough to catch
    /// a page cut short or a tag left open. Void HTML elements must be self-closed, as the
    /// report writes XHTML.
    static func unbalancedTag(_ html: String) -> String? {
        var stack: [Substring] = []
        var rest = html[...]
        while let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...]
            if rest.hasPrefix("!--") {
                guard let end = rest.range(of: "-->") else { return "an unclosed comment" }
                rest = rest[end.upperBound...]
                continue
            }
            guard let close = rest.firstIndex(of: ">") else { return "a tag without '>'" }
            let tag = rest[..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("!") || tag.hasPrefix("?") || tag.hasSuffix("/") { continue }
            let name = tag.prefix { !$0.isWhitespace && $0 != "/" }
            if tag.hasPrefix("/") {
                let closing = tag.dropFirst().prefix { !$0.isWhitespace }
                guard stack.last == closing else { return "</\(closing)> closes <\(stack.last ?? "nothing")>" }
                stack.removeLast()
            } else {
                stack.append(name)
                if name == "style" || name == "script" {
                    guard let end = rest.range(of: "</\(name)>") else { return "<\(name)> never closed" }
                    rest = rest[end.lowerBound...]
                }
            }
        }
        return stack.isEmpty ? nil : "<\(stack.last!)> never closed"
    }
}
