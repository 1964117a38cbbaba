import Foundation
import Testing
@testable import CotrainReport

@Suite struct ReportTests {
    static func sampleSources() -> ReportSources {
        var s = ReportSources()
        s.title = "Lab A: VL co-training"
        s.evaluations = [fixture("eval-vl.json")]
        s.baseline = fixture("eval-robot-only.json")
        s.trainingLogs = [("vl", fixture("training-vl.jsonl")), ("robot-only", fixture("training-robot-only.jsonl"))]
        s.journal = fixture("round-journal.jsonl")
        s.gifs = [fixture("vl+cross-embodiment-pick-distractors-seed1000.gif")]
        return s
    }

    @Test func sampleReportHasEverySectionAndValue() throws {
        let html = try Self.sampleSources().load().render()
        #expect(xmlProblem(html) == nil, "\(xmlProblem(html) ?? "")")
        for id in ["evaluation", "comparison", "training", "federation", "rollouts"] { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(html.contains("<title>Lab A: VL co-training</title>"))
        #expect(html.contains("Task: pick") && html.contains("Objective: text") && html.contains("Objective: action"))
        // pick/paraphrase: 17/20 vs 6/20 → +55 points, better.
        #expect(html.contains("85% (17/20)") && html.contains("30% (6/20)") && html.contains(">+55</td>"))
        #expect(html.contains("▲ better") && html.contains("○ no clear difference"))
        #expect(html.contains("✓ Journal hash chain checks out: 7 records"))
        #expect(html.contains("median, clip 2× median norm"))
        #expect(html.contains("src=\"data:image/gif;base64,R0lGOD"))
        #expect(html.contains("finetune"))  // phase marker
    }

    @Test func selfContainedAndDeterministic() throws {
        let report = try Self.sampleSources().load()
        let html = report.render()
        #expect(html == report.render())
        for external in ["src=\"http", "href=\"http", "url(http", "@import", "<script", "<link"] { #expect(!html.contains(external)) }
        var dated = report
        dated.generatedAt = "2026-03-01"
        #expect(dated.render().contains("2026-03-01") && !html.contains("2026-03-01"))
    }

    @Test func hostileNamesAreEscaped() throws {
        let evil = "<script>alert(1)</script>"
        let a = try EvaluationResults.parse(bytes(evaluationJSON(policy: "p&q", task: "<script>alert(1)<\\/script>", condition: "x\\\"y")), file: "a")
        let training = TrainingLog(name: "run<img src=x onerror=alert(1)>", points: [TrainingPoint(step: 1, phase: "</svg>", losses: [evil: 1])])
        let journal = FederationTimeline(rounds: [FederationRound(round: 1, contributions: [RoundContribution(nodeID: "zz", sampleCount: 1)], rule: evil, baseHash: "b", resultHash: "\"r")], labs: ["zz": evil])
        let gif = try RolloutAnimation(caption: evil, gif: Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0])
        let html = HTMLReport(title: evil, evaluations: [a], baseline: a, training: [training], federation: journal, animations: [gif]).render()
        #expect(xmlProblem(html) == nil, "\(xmlProblem(html) ?? "")")
        #expect(!html.contains("<script") && !html.contains("<img src=x") && !html.contains("</svg>\"") )
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("p&amp;q"))
    }

    @Test func emptyReportStillRenders() {
        let html = HTMLReport().render()
        #expect(xmlProblem(html) == nil)
        #expect(html.contains("No inputs"))
    }

    @Test func writesAtomically() throws {
        let path = NSTemporaryDirectory() + "cotrain-report-test-\(getpid()).html"
        defer { unlink(path) }
        try HTMLReport(title: "t").write(to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
        #expect(throws: ReportError.self) { try HTMLReport().write(to: "/nonexistent-dir/r.html") }
    }

    @Test func labNamesMatchByPrefix() throws {
        var s = ReportSources()
        s.journal = fixture("round-journal.jsonl")
        let first = try FederationTimeline.load(journal: fixture("round-journal.jsonl")).nodes[0]
        s.labs = [(String(first.prefix(10)), "Lab A")]
        let html = try s.load().render()
        #expect(html.contains("Lab A ("))
        #expect(ReportSources.runName(forLog: "runs/vl/training-log.jsonl") == "vl" && ReportSources.runName(forLog: "x/a.jsonl") == "a")
    }
}
