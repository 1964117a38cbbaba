// The evaluation harness on the simulator: determinism, comparisons, animations,
// chunking and suite files.
import Foundation
import Testing
import CotrainCore
import CotrainSim
@testable import CotrainRuntime

@Suite struct EvaluationTests {
    var suite: EvaluationSuite {
        EvaluationSuite(
            name: "test", tasks: [TaskSpec(.pick), TaskSpec(.push)],
            conditions: [EvalCondition.builtIn["nominal"]!, EvalCondition.builtIn["distractors"]!], episodes: 3)
    }

    func evaluate<P: PolicyProvider>(_ provider: P, suite: EvaluationSuite, options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        var robot = SimRobot(.ur5e)
        var quiet = UnattendedOperator()
        return try EvaluationHarness.run(suite: suite, robot: &robot, robotName: "sim", provider: provider, operator: &quiet, options: options)
    }

    @Test func sameSeedsGiveSameResults() throws {
        let a = try evaluate(ExpertPolicyProvider(), suite: suite)
        let b = try evaluate(ExpertPolicyProvider(), suite: suite)
        #expect(a.cells == b.cells)
        #expect(a.cells.map { "\($0.task)/\($0.condition)" } == ["pick/nominal", "pick/distractors", "push/nominal", "push/distractors"])
        #expect(a.cells.allSatisfy { $0.episodes.map(\.seed) == [1000, 1001, 1002] })
        let json = a.json
        #expect(json["format"] == "cotrain.evaluation.v1" && json["complete"] == true && json["episodes"] == 12)
    }

    @Test func expertBeatsHoldingStill() throws {
        var s = suite
        s.tasks = [TaskSpec(.pick)]
        s.conditions = [EvalCondition.builtIn["nominal"]!]
        s.episodes = 12
        let expert = try evaluate(ExpertPolicyProvider(), suite: s)
        let hold = try evaluate(HoldPolicyProvider(), suite: s)
        #expect(hold.cells[0].success.successes == 0)
        #expect(hold.cells[0].episodes.allSatisfy { $0.steps == TaskFamily.pick.maxSteps })
        let comparison = expert.compare(with: hold)
        #expect(comparison.count == 1)
        #expect(comparison[0].comparison.verdict == .better)
        #expect(comparison[0].comparison.pairedPValue != nil)
    }

    /// The simulator reports where each episode's first close began; the expert's are
    /// aligned, holding still never closes, and push cells have no grasp attempts.
    @Test func reportsFirstGraspAttempts() throws {
        let expert = try evaluate(ExpertPolicyProvider(), suite: suite)
        let pick = try #require(expert.cells[0].firstGrasps)
        #expect(pick.episodes == 3 && pick.attempted == 3 && pick.aligned == 3 && pick.medianPlanarOffset < 0.016)
        #expect(expert.cells[2].firstGrasps == nil && expert.cells[2].task == "push")
        let episode = try #require(expert.json["cells"]?.array?.first?["results"]?.array?.first)
        #expect(episode["first_grasp"]?["aligned"] == true && (episode["grasp_attempts"]?.int ?? 0) >= 1)
        let hold = try evaluate(HoldPolicyProvider(), suite: suite)
        #expect(hold.cells.allSatisfy { $0.firstGrasps == nil })
        #expect(hold.json["cells"]?.array?.first?["results"]?.array?.first?["first_grasp"] == .null)
    }

    /// On a task with a destination the simulator reports where the object was let go
    /// of: the expert's land within the tolerance; the summary counts the episodes that
    /// grasped and never let go, and those that ended holding the object over the bowl.
    @Test func reportsReleases() throws {
        var s = suite
        (s.tasks, s.conditions) = ([TaskSpec(.place)], [EvalCondition.builtIn["nominal"]!])
        let expert = try evaluate(ExpertPolicyProvider(), suite: s)
        let place = try #require(expert.cells[0].firstReleases)
        #expect(place.episodes == 3 && place.grasped == 3 && place.released == 3 && place.landed == 3 && place.withinTolerance == 3)
        #expect(place.neverReleased == 0 && (place.medianPlanarOffset ?? 1) < 0.02)
        let episode = try #require(expert.json["cells"]?.array?.first?["results"]?.array?.first)
        #expect(episode["first_release"]?["landed"] == true && episode["releases"] == 1 && episode["carried_at_end"] == .null)
        #expect(try evaluate(ExpertPolicyProvider(), suite: suite).cells.allSatisfy { $0.firstReleases == nil }, "pick and push have no destination")

        func result(_ completion: Double, release: Release? = nil, carried: Release? = nil) -> EpisodeResult {
            EpisodeResult(
                seed: 0, success: release?.landed ?? false, completion: completion, steps: 90, scoredBy: .robot, instruction: "",
                releases: release == nil ? 0 : 1, firstRelease: release, carriedAtEnd: carried)
        }
        func fit(_ offset: Float, landed: Bool = false) -> Release {
            Release(step: 40, planarOffset: offset, tolerance: 0.044, height: 0.05, landed: landed)
        }
        let summary = try #require(ReleaseSummary([
            result(1, release: fit(0.01, landed: true)), result(0.5, release: fit(0.06)),
            result(0.5, carried: fit(0.02)), result(0.5, carried: fit(0.09)), result(0),
        ]))
        #expect(summary.episodes == 5 && summary.grasped == 4 && summary.released == 2 && summary.neverReleased == 2)
        #expect(summary.heldOverDestination == 1 && summary.withinTolerance == 1 && summary.landed == 1)
        #expect(abs((summary.medianPlanarOffset ?? 0) - 0.035) < 1e-6)
        // Every episode held on to the object: still a summary, with no release offset.
        let held = try #require(ReleaseSummary([result(0.5, carried: fit(0.02))]))
        #expect(held.neverReleased == 1 && held.heldOverDestination == 1 && held.medianPlanarOffset == nil)
        #expect(ReleaseSummary([result(0), result(0.5)]) == nil)
    }

    @Test func writesRolloutAnimations() throws {
        let dir = NSTemporaryDirectory() + "cotrain-gif-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = try EvaluationSuite.named("smoke")
        s.episodes = 2
        let report = try evaluate(ExpertPolicyProvider(), suite: s, options: EvaluationOptions(gifDirectory: dir, gifEpisodes: 1, gifScale: 1))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files == ["expert-pick-nominal-seed1000.gif"])
        let bytes = try readFile("\(dir)/\(files[0])", limit: 1 << 24)
        let gif = try #require(gifFrames(bytes))
        #expect(gif.width == 64 && gif.frames.count == report.cells[0].episodes[0].steps + 1)
    }

    @Test func chunksAreExecutedKAtATime() throws {
        var robot = SimRobot(.ur5e)
        var policy = ProbePolicy(HoldStillPolicy(actionDimension: 7, chunk: 5))
        var envelope = SafetyEnvelope(capabilities: robot.capabilities)
        let loop = ControlLoop(options: ControlLoopOptions(executeSteps: 2))
        let run = try loop.run(robot: &robot, policy: &policy, request: EpisodeRequest(task: TaskSpec(.pick), seed: 1), envelope: &envelope)
        #expect(run.steps == 60 && policy.calls == 30)
        let whole = ControlLoop(options: ControlLoopOptions())
        _ = try whole.run(robot: &robot, policy: &policy, request: EpisodeRequest(task: TaskSpec(.pick), seed: 1), envelope: &envelope)
        #expect(policy.calls == 12)
    }

    @Test func pacedLoopMeasuresJitter() throws {
        var robot = SimRobot(.ur5e, config: SimConfig(renderImages: false))
        var policy = HoldStillPolicy(actionDimension: 7)
        var envelope = SafetyEnvelope(capabilities: robot.capabilities)
        let loop = ControlLoop(options: ControlLoopOptions(rate: 200, paced: true))
        let run = try loop.run(robot: &robot, policy: &policy, request: EpisodeRequest(task: TaskSpec(.pick), seed: 1), envelope: &envelope)
        #expect(run.timing.targetPeriod == 0.005 && run.timing.count == 59)
        #expect(run.timing.meanError < 0.005)  // a 5 ms period held to better than its own length on average
    }

    @Test func suiteFilesParseAndReportMistakes() throws {
        let json = try JSONValue.parse("""
            {"name": "lab", "episodes": 4, "seed": 7, "tasks": ["pick", "stack"],
             "conditions": ["nominal", {"name": "dim", "shift": "lighting", "light_intensity": [0.3, 0.5]},
                            {"name": "words", "phrasing": "held_out", "colours": ["orange", "cyan"]}],
             "unseen_tasks": ["sort_by_colour"]}
            """)
        let suite = try EvaluationSuite.parse(json)
        #expect(suite.cells.count == 7 && suite.cells.last?.condition == "unseen_task")
        #expect(suite.conditions[1].shift.lightIntensity == 0.3...0.5 && suite.conditions[1].shift.lightDirectionJitter == 0.6)
        #expect(suite.cells[2].spec.phrasing == .heldOut && suite.cells[2].spec.scene.colours == [.orange, .cyan])
        #expect(suite.cells[0].seeds == [7, 8, 9, 10])
        for bad in [#"{"tasks": ["fly"]}"#, #"{"tasks": ["pick"], "conditions": ["foggy"]}"#, #"{"tasks": ["pick"], "extra": 1}"#,
                    #"{"tasks": ["pick"], "conditions": [{"name": "x", "colours": ["mauve"]}]}"#,
                    #"{"tasks": ["sort_by_colour"], "conditions": [{"name": "x", "colours": ["red"]}]}"#, #"{"tasks": []}"#] {
            #expect(throws: RuntimeError.self, "\(bad)") { try EvaluationSuite.parse(try JSONValue.parse(bad)) }
        }
        #expect(throws: RuntimeError.self) { try EvaluationSuite.named("huge") }
        for name in EvaluationSuite.builtInNames { try EvaluationSuite.named(name).validate() }
    }
}
