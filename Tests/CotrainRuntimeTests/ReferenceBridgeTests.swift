// Interop: our client against the Python reference bridge (tools/arm_bridge_reference.py).
// Skipped without python3 unless COTRAIN_INTEROP=required.
import Foundation
import Testing
import CotrainCore
import CotrainSim
@testable import CotrainRuntime

@Suite(.serialized) struct ReferenceBridgeTests {
    /// Starts the reference bridge; nil (after recording an issue if required) without python3.
    func startReference() throws -> (Process, Pipe, Int)? {
        guard let python = ExternalTool.find("python3") else {
            if ProcessInfo.processInfo.environment["COTRAIN_INTEROP"] == "required" {
                Issue.record("python3 is not installed but COTRAIN_INTEROP=required")
            }
            return nil
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/arm_bridge_reference.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--listen", "127.0.0.1:0", "--watchdog-ms", "100"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }, "bridge said: \(line)")
        return (process, err, port)
    }

    @Test func evaluationAndSafetyAgainstThePythonBridge() throws {
        guard let (process, err, port) = try startReference() else { return }
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var client = try ArmBridgeClient(address: "127.0.0.1:\(port)")
        #expect(client.capabilities.embodiment == .ur5e && !client.capabilities.hasSuccessSignal)

        // A full episode: the bridge has no success signal, so the operator scores it.
        var person = ScriptedOperator(scores: [false])
        let report = try EvaluationHarness.run(
            suite: try EvaluationSuite.named("smoke"), robot: &client, robotName: "reference", provider: HoldPolicyProvider(),
            operator: &person, options: EvaluationOptions(episodes: 1))
        #expect(report.stoppedEarly == nil)
        #expect(report.cells[0].episodes.map(\.scoredBy) == [.operator] && report.cells[0].episodes[0].steps == 60)
        #expect(report.cells[0].episodes[0].instruction.hasPrefix("pick up") || report.cells[0].episodes[0].instruction.contains("objects:"))

        // A NaN from the policy stops the arm before anything is sent.
        var probe = ProbePolicy(HoldStillPolicy(actionDimension: 7))
        probe.nanAtCall = 3
        var envelope = SafetyEnvelope(capabilities: client.capabilities)
        #expect(throws: RuntimeError.self) {
            _ = try ControlLoop().run(robot: &client, policy: &probe, request: EpisodeRequest(task: TaskSpec(.pick), seed: 2), envelope: &envelope)
        }
        // Then silence: the bridge's watchdog must hold (it logs it).
        _ = try client.reset(EpisodeRequest(task: TaskSpec(.pick), seed: 3))
        usleep(300_000)
        // SIGKILL: the test runner's children may inherit a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("stop: action component 0 is nan"))
        #expect(log.contains("watchdog: no command for 100 ms"))
    }
}
