import CotrainCore
import Foundation
import Testing
@testable import CotrainFederation

@Suite struct AuditLogTests {
    /// A fresh directory per test (Swift Testing makes a new suite value for each).
    let fixture = NodeFixture()

    /// A log with five entries; returns its path.
    func makeLog() throws -> AuditLog {
        let log = AuditLog(path: fixture.file("audit.log"))
        let id = try NodeFixture.peer("lab-b").nodeID
        for (i, action) in [AuditAction.joinRequest, .approve, .revoke, .unrevoke, .joinRequest].enumerated() {
            try log.append(action, actor: "alice", nodeID: id, lab: "lab-b", reason: "reason \(i)",
                           time: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)))
        }
        return log
    }

    func lines(_ log: AuditLog) throws -> [String] {
        String(decoding: try readFile(log.path, limit: 1 << 20), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func rewrite(_ log: AuditLog, _ lines: [String], trailingNewline: Bool = true) throws {
        try AtomicFile.write(Array((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8), to: log.path, mode: 0o600)
    }

    @Test func anUntouchedChainVerifies() throws {
        let log = try makeLog()
        let result = try log.verify()
        #expect(result.isIntact && result.tornLine == nil)
        #expect(result.entries.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(result.entries[0].prev == AuditEntry.genesis)
        #expect(zip(result.entries, result.entries.dropFirst()).allSatisfy { $1.prev == $0.hash })
        #expect(result.entries[1].action == "approve" && result.entries[1].time == "2027-01-15T08:00:01.000Z")
        #expect(try fixture.mode(of: log.path) == 0o600)
        // Each line is the canonical JSON of its entry.
        #expect(try lines(log)[0] == result.entries[0].json.canonicalString)
        #expect(try AuditLog(path: fixture.file("none.log")).verify() == AuditVerification())
    }

    @Test func anEditedLineIsFound() throws {
        let log = try makeLog()
        var text = try lines(log)
        text[2] = text[2].replacingOccurrences(of: "reason 2", with: "no reason")
        try rewrite(log, text)
        let result = try log.verify()
        #expect(result.problem?.line == 3 && result.problem?.reason.contains("hash does not match") == true)
        #expect(result.entries.count == 2)
    }

    @Test func anEditedLineWithARecomputedHashBreaksTheNextLink() throws {
        let log = try makeLog()
        var entries = try log.verify().entries
        entries[1].actor = "mallory"
        entries[1].hash = try entries[1].computedHash()
        var text = try lines(log)
        text[1] = entries[1].json.canonicalString
        try rewrite(log, text)
        #expect(try log.verify().problem?.line == 3)
    }

    @Test func aDeletedLineIsFound() throws {
        let log = try makeLog()
        var text = try lines(log)
        text.remove(at: 1)
        try rewrite(log, text)
        let problem = try #require(try log.verify().problem)
        #expect(problem.line == 2 && problem.reason.contains("seq is 3 but 2 was expected"))
    }

    @Test func aReorderedLineIsFound() throws {
        let log = try makeLog()
        var text = try lines(log)
        text.swapAt(3, 4)
        try rewrite(log, text)
        #expect(try log.verify().problem?.line == 4)
    }

    @Test func garbageIsFoundWithItsLineNumber() throws {
        let log = try makeLog()
        var text = try lines(log)
        text.insert("{\"seq\":3}", at: 2)
        try rewrite(log, text)
        let problem = try #require(try log.verify().problem)
        #expect(problem.line == 3 && problem.reason.contains("not a valid entry"))
        text[2] = "not json"
        try rewrite(log, text)
        #expect(try log.verify().problem?.line == 3)
    }

    @Test func aTornLastLineIsReportedThenDroppedAndRecordedByTheNextAppend() throws {
        let log = try makeLog()
        var text = try lines(log)
        let torn = String(text[4].prefix(40))
        text[4] = torn
        try rewrite(log, text, trailingNewline: false)
        let before = try log.verify()
        #expect(before.isIntact && before.tornLine == 5 && before.entries.count == 4)
        // A fresh AuditLog (as after the crash) repairs before appending.
        let reopened = AuditLog(path: log.path)
        let entry = try reopened.append(.approve, actor: "bob", reason: "after crash")
        let after = try reopened.verify()
        #expect(after.isIntact && after.tornLine == nil)
        #expect(after.entries.map(\.action).suffix(2) == ["log-repair", "approve"])
        #expect(after.entries[4].detail?.contains("dropped an incomplete last line of 40 bytes") == true)
        #expect(entry.seq == 6 && after.entries.count == 6)
        #expect(!(try lines(reopened)).contains(torn))
    }

    @Test func appendingAfterABrokenLastLineIsRefused() throws {
        let log = try makeLog()
        var text = try lines(log)
        text[4] = text[4].replacingOccurrences(of: "reason 4", with: "edited")
        try rewrite(log, text)
        let reopened = AuditLog(path: log.path)
        let error = try #require(throws: AuditLogError.self) { try reopened.append(.approve, actor: "bob") }
        #expect(error.description.contains("line 5"))
        #expect(try lines(reopened).count == 5)
    }

    @Test func appendsFromManyThreadsFormOneChain() async throws {
        let log = AuditLog(path: fixture.file("audit.log"))
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<16 { group.addTask { _ = try? log.append(.joinRequest, actor: "t\(i)") } }
        }
        let result = try log.verify()
        #expect(result.isIntact && result.entries.count == 16)
    }
}

extension AuditLogTests {
    @Test func twoWritersOnOneFileKeepOneChain() throws {
        let first = AuditLog(path: fixture.file("audit.log"))
        let second = AuditLog(path: fixture.file("audit.log"))
        try first.append(.approve, actor: "a")
        try second.append(.reject, actor: "b")
        try first.append(.revoke, actor: "a")
        let result = try first.verify()
        #expect(result.isIntact && result.entries.map(\.seq) == [1, 2, 3])
    }
}
