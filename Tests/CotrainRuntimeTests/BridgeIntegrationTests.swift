// The real-arm path end to end against an in-process arm-sim: protocol round trips, a
// full evaluation through the bridge, the bridge watchdog and the operator flow.
import Testing
import CotrainCore
import CotrainSim
@testable import CotrainRuntime

@Suite(.serialized) struct BridgeIntegrationTests {
    @Test func capabilitiesMatchTheSimulatedRobot() throws {
        let server = try startArmSim(.panda)
        defer { server.shutdown() }
        let client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        #expect(client.capabilities == RobotCapabilities.simulated(.panda, config: SimConfig()))
        #expect(client.bridgeWatchdog == 0.5)
        #expect(client.bridgeName.contains("arm-sim"))
    }

    @Test func bridgeEvaluationMatchesLocalSimulation() throws {
        let server = try startArmSim(.ur5e)
        defer { server.shutdown() }
        var suite = try EvaluationSuite.named("smoke")
        suite.tasks = [TaskSpec(.pick), TaskSpec(.push)]
        var local = SimRobot(.ur5e)
        var quiet = UnattendedOperator()
        let a = try EvaluationHarness.run(suite: suite, robot: &local, robotName: "sim", provider: ExpertPolicyProvider(), operator: &quiet)
        var remote = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        let b = try EvaluationHarness.run(suite: suite, robot: &remote, robotName: "bridge", provider: ExpertPolicyProvider(), operator: &quiet)
        #expect(a.stoppedEarly == nil && b.stoppedEarly == nil)
        // The simulator also reports where grasps began; a bridge cannot know.
        #expect(a.cells[0].firstGrasps?.attempted == 2 && b.cells.allSatisfy { $0.firstGrasps == nil })
        var blind = a.cells
        for c in blind.indices {
            for e in blind[c].episodes.indices { (blind[c].episodes[e].graspAttempts, blind[c].episodes[e].firstGrasp) = (0, nil) }
        }
        #expect(blind == b.cells)
        #expect(a.cells.flatMap(\.episodes).filter(\.success).count >= 3)
        #expect(server.stats.resets == 4 && server.stats.stopsReceived == 0)
        #expect(remote.stopsSent == 0)
    }

    @Test func watchdogHoldsPositionWhenCommandsStop() throws {
        let server = try startArmSim(.ur5e, watchdog: 0.2)
        defer { server.shutdown() }
        let client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        let first = try client.reset(EpisodeRequest(task: TaskSpec(.pick), seed: 3))
        var action = [Float](repeating: 0, count: 7)
        action[0] = 0.05
        let moved = try client.act(action)
        #expect(moved.observation.proprio[0] != first.proprio[0])
        let before = server.stats.watchdogHolds  // 0 unless this machine stalled us for 0.2 s
        #expect(eventually { server.stats.watchdogHolds == before + 1 })
        // A fresh command resumes control.
        let resumed = try client.act(action)
        #expect(resumed.observation.proprio[0] != moved.observation.proprio[0])
        #expect(client.lastState?.holding == false)
    }

    @Test func bridgeRejectsOutOfRangeCommands() throws {
        let server = try startArmSim(.ur5e)
        defer { server.shutdown() }
        let client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        _ = try client.reset(EpisodeRequest(task: TaskSpec(.pick), seed: 3))
        // Bypass the envelope: 2 rad in one step is far past the UR5e's 0.314 rad bound.
        #expect(throws: RuntimeError.bridge(.remote(code: "out_of_range", message: "shoulder_pan.delta = 2.0 is outside its bounds; holding position"))) {
            _ = try client.act([2, 0, 0, 0, 0, 0, 0])
        }
        #expect(eventually { server.stats.stopsReceived == 1 })
    }

    @Test func operatorConfirmsSkipsAndScoresRealEpisodes() throws {
        let server = try startArmSim(.ur5e, successSignal: false)
        defer { server.shutdown() }
        var client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        var person = ScriptedOperator(decisions: [.go, .skip], scores: [true])
        let suite = try EvaluationSuite.named("smoke")
        let report = try EvaluationHarness.run(
            suite: suite, robot: &client, robotName: "bridge", provider: HoldPolicyProvider(), operator: &person,
            options: EvaluationOptions(confirmEpisodes: true))
        #expect(person.confirmations == 2 && person.scorings == 1)
        let episodes = report.cells[0].episodes
        #expect(episodes.map(\.scoredBy) == [.operator, .skipped])
        #expect(report.cells[0].success == Proportion(successes: 1, trials: 1))

        var quitter = ScriptedOperator(decisions: [.abort])
        let aborted = try EvaluationHarness.run(
            suite: suite, robot: &client, robotName: "bridge", provider: HoldPolicyProvider(), operator: &quitter,
            options: EvaluationOptions(confirmEpisodes: true))
        #expect(aborted.stoppedEarly == RuntimeError.operatorAborted.description)
        #expect(aborted.episodeCount == 0)
    }

    @Test func expertRefusesRealArms() throws {
        var caps = RobotCapabilities.simulated(.ur5e, config: SimConfig())
        caps.isSimulated = false
        let context = EpisodeContext(capabilities: caps, request: EpisodeRequest(task: TaskSpec(.pick), seed: 1))
        #expect(throws: RuntimeError.self) { _ = try ExpertPolicyProvider().makePolicy(for: context) }
    }
}
