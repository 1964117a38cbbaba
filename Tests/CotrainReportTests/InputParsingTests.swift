import CotrainCore
import Testing
@testable import CotrainReport

@Suite struct EvaluationParsingTests {
    @Test func readsFixture() throws {
        let r = try EvaluationResults.load(path: fixture("eval-vl.json"))
        #expect(r.policy == "vl+cross-embodiment" && r.suite == "quick" && r.cells.count == 9 && r.complete)
        let cell = try #require(r.cell(task: "pick", condition: "distractors"))
        #expect(cell.success.successes == 16 && cell.success.trials == 20)
        #expect(abs(cell.success.lower - 0.584) < 0.001 && abs(cell.success.upper - 0.919) < 0.001)
    }

    @Test func rejectsBadFields() {
        expectReportError("e.json", "successes", "more than") { _ = try EvaluationResults.parse(bytes(evaluationJSON(successes: 5)), file: "e.json") }
        expectReportError("cells[0].episodes", "not an integer") { _ = try EvaluationResults.parse(bytes(evaluationJSON(episodes: "\"4\"")), file: "e.json") }
        expectReportError("mean_completion", "not in 0…1") { _ = try EvaluationResults.parse(bytes(evaluationJSON(completion: 1.5)), file: "e.json") }
        expectReportError("format") { _ = try EvaluationResults.parse(bytes(#"{"format":"other"}"#), file: "e.json") }
        expectReportError("not valid JSON") { _ = try EvaluationResults.parse(bytes(#"{"format":"cotrain.evaluation.v1",}"#), file: "e.json") }
        expectReportError("not valid JSON") { _ = try EvaluationResults.parse(bytes(String(evaluationJSON().dropLast(3))), file: "e.json") }
        expectReportError("cannot read", "missing.json") { _ = try EvaluationResults.load(path: "/nonexistent/missing.json") }
    }

    @Test func wilsonAndNewcombeMatchDocumentedExample() {
        // docs/evaluation.md: 56/70 vs 48/80 is +20 points (95 % CI +5 to +33, p = 0.008): better.
        let d = RateDifference(a: SuccessRate(successes: 56, trials: 70), b: SuccessRate(successes: 48, trials: 80))
        #expect(NumberText.points(d.difference) == "+20")
        #expect(NumberText.points(d.lower) == "+5" && NumberText.points(d.upper) == "+33")
        #expect(NumberText.fixed(d.pValue, 3) == "0.008" && d.verdict == .better)
        let none = SuccessRate(successes: 0, trials: 0)
        #expect(none.lower == 0 && none.upper == 1)
        #expect(RateDifference(a: SuccessRate(successes: 5, trials: 10), b: SuccessRate(successes: 6, trials: 10)).verdict == .noClearDifference)
    }
}

@Suite struct TrainingLogParsingTests {
    @Test func readsFixtureWithPhasesAndObjectives() throws {
        let log = try TrainingLog.load(path: fixture("training-vl.jsonl"), name: "vl")
        #expect(log.points.count == 600)
        #expect(log.objectives == ["total", "action", "text"])  // tokens had no samples
        #expect(log.phaseStarts.map(\.phase) == ["pretrain", "finetune"] && log.phaseStarts[1].step == 401)
        let robot = try TrainingLog.load(path: fixture("training-robot-only.jsonl"), name: "robot-only")
        #expect(robot.objectives == ["total", "action"])
    }

    @Test func tornTailIgnoredRepeatsReplacedNullsSkipped() throws {
        let text = """
            {"step":1,"phase":"a","loss":2.0,"action":1.5}
            {"step":2,"phase":"a","loss":null,"action":1.0}
            {"step":1,"phase":"a","loss":1.8,"action":1.4,"custom_aux":0.5,"samples_per_s":310.5,"elapsed_s":2,"total_steps":9}
            {"step":3,"loss":
            """
        let log = try TrainingLog.parse(bytes(text), name: "r", file: "t.jsonl")
        #expect(log.points.map(\.step) == [1, 2])
        #expect(log.points[0].losses == ["total": 1.8, "action": 1.4, "custom_aux": 0.5])
        #expect(log.points[1].losses == ["action": 1.0])
        #expect(log.objectives == ["total", "action", "custom_aux"])
    }

    @Test func rejectsBadLines() {
        expectReportError("t.jsonl line 2", "field step", "missing") { _ = try TrainingLog.parse(bytes("{\"step\":1}\n{\"loss\":1}\n"), name: "r", file: "t.jsonl") }
        expectReportError("line 1", "field action", "not a number") { _ = try TrainingLog.parse(bytes("{\"step\":1,\"action\":\"low\"}\n"), name: "r", file: "t.jsonl") }
        expectReportError("line 1", "field lr", "not a number") { _ = try TrainingLog.parse(bytes("{\"step\":1,\"lr\":\"x\"}\n"), name: "r", file: "t.jsonl") }
        expectReportError("line 1", "not a JSON object") { _ = try TrainingLog.parse(bytes("[1,2]\n"), name: "r", file: "t.jsonl") }
        expectReportError("line 1", "not valid JSON") { _ = try TrainingLog.parse(bytes("{\"step\":1,,}\n"), name: "r", file: "t.jsonl") }
        expectReportError("field step", "below 0") { _ = try TrainingLog.parse(bytes("{\"step\":-1}\n"), name: "r", file: "t.jsonl") }
    }
}

@Suite struct JournalParsingTests {
    @Test func readsFixtureAndVerifiesChain() throws {
        let t = try FederationTimeline.load(journal: fixture("round-journal.jsonl"))
        #expect(t.rounds.map(\.round) == [1, 2, 3, 4, 6, 7, 8])
        #expect(t.chainProblems.isEmpty)
        #expect(t.nodes.count == 4)
        #expect(t.rounds[0].rule == "median, clip 2× median norm")
        let id = t.rounds[0].contributions[0].nodeID
        #expect(t.name(of: id).count == 14)
        var named = t
        named.labs[id] = "Lab <A>"
        #expect(named.name(of: id).hasPrefix("Lab <A> ("))
    }

    @Test func reportsEditedRecordsWithoutRefusing() throws {
        var lines = try readFile(fixture("round-journal.jsonl"), limit: 1 << 20)
        // Change one sample count: the record hash no longer matches.
        let text = String(decoding: lines, as: UTF8.self).replacingOccurrences(of: "\"sample_count\":1600", with: "\"sample_count\":9600")
        lines = Array(text.utf8)
        let t = try FederationTimeline.parse(journal: lines, file: "j")
        #expect(!t.chainProblems.isEmpty && t.chainProblems[0].contains("record_hash"))
    }

    @Test func rejectsMalformedLines() {
        expectReportError("j line 1", "field round") { _ = try FederationTimeline.parse(journal: bytes("{\"version\":1}\n"), file: "j") }
        expectReportError("j line 1", "field version", "is not 1") { _ = try FederationTimeline.parse(journal: bytes("{\"version\":2}\n"), file: "j") }
        let zero = String(repeating: "0", count: 64)
        let bad = "{\"version\":1,\"round\":1,\"deltas\":[{\"node_id\":\"XYZ\",\"delta_hash\":\"\(zero)\",\"sample_count\":1}]}\n"
        expectReportError("deltas[0].node_id", "64 lower-case hex") { _ = try FederationTimeline.parse(journal: bytes(bad), file: "j") }
        // A torn last line (no newline) is ignored, as the node does.
        #expect((try? FederationTimeline.parse(journal: bytes("{\"version\":"), file: "j"))?.rounds.isEmpty == true)
    }
}

@Suite struct GIFInputTests {
    @Test func readsSizeAndCaption() throws {
        let a = try RolloutAnimation.load(path: fixture("vl+cross-embodiment-pick-distractors-seed1000.gif"))
        #expect(a.width == 48 && a.height == 48)
        #expect(a.caption == "vl+cross-embodiment · pick · distractors · seed 1000")
        #expect(a.dataURI.hasPrefix("data:image/gif;base64,R0lGODlh"))
        #expect(RolloutAnimation.caption(fileName: "dir/clip.gif") == "clip")
    }

    @Test func rejectsNonGIF() {
        expectReportError("x.png", "not a GIF") { _ = try RolloutAnimation(caption: "c", gif: [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0], file: "x.png") }
        expectReportError("zero width") { _ = try RolloutAnimation(caption: "c", gif: bytes("GIF89a") + [0, 0, 0, 0, 0, 0, 0], file: "g") }
    }
}
