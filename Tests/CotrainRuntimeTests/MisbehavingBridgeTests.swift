// The safety envelope against a misbehaving bridge or policy: every failure stops the
// arm (the bridge sees a `stop`) and surfaces as one clear error.
import Testing
import CotrainCore
import CotrainSim
@testable import CotrainRuntime

@Suite(.serialized) struct MisbehavingBridgeTests {
    let request = EpisodeRequest(task: TaskSpec(.pick), seed: 11)

    /// Runs an expert episode against arm-sim with `fault`; returns the error and the server.
    func runEpisode(fault: ArmSimFault?, stop: StopRequest = StopRequest()) throws -> (RuntimeError?, ArmSimServer, ArmBridgeClient) {
        let server = try startArmSim(.ur5e, fault: fault)
        var client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)", options: ArmBridgeClientOptions(stateTimeout: 0.3), stop: stop)
        var policy = expert(.ur5e, request)
        return try run(&client, &policy, server, stop)
    }

    func run<P: Policy>(_ client: inout ArmBridgeClient, _ policy: inout P, _ server: ArmSimServer, _ stop: StopRequest)
        throws -> (RuntimeError?, ArmSimServer, ArmBridgeClient)
    {
        var envelope = SafetyEnvelope(capabilities: client.capabilities)
        let loop = ControlLoop(stop: stop)
        do {
            _ = try loop.run(robot: &client, policy: &policy, request: request, envelope: &envelope)
            return (nil, server, client)
        } catch {
            return (error, server, client)
        }
    }

    @Test func garbageBytesStopTheArm() throws {
        let (error, server, client) = try runEpisode(fault: .garbage(afterCommands: 5))
        defer { server.shutdown() }
        guard case .bridge(.frameTooLarge)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(client.stopsSent == 1)
        #expect(eventually { server.stats.stopsReceived == 1 })
    }

    @Test func stalledStateStopsTheArm() throws {
        let (error, server, client) = try runEpisode(fault: .stall(afterCommands: 5))
        defer { server.shutdown() }
        guard case .bridge(.stalled(let what, _))? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(what == "state after command 7")  // reset is request 1, commands 2…
        #expect(error!.description.contains("the arm was told to stop"))
        #expect(client.stopsSent == 1)
        #expect(eventually { server.stats.stopsReceived == 1 })
    }

    @Test func outOfRangeStateStopsTheArm() throws {
        let (error, server, _) = try runEpisode(fault: .outOfRange(afterCommands: 3))
        defer { server.shutdown() }
        guard case .bridge(.outOfRange(let field, _, _))? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(field.contains("shoulder_pan"))
        #expect(eventually { server.stats.stopsReceived == 1 })
    }

    @Test func nanStateStopsTheArm() throws {
        let (error, server, _) = try runEpisode(fault: .nonFinite(afterCommands: 3))
        defer { server.shutdown() }
        guard case .bridge(.malformed(let reason))? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("not valid JSON"))
        #expect(eventually { server.stats.stopsReceived == 1 })
    }

    @Test func disconnectMidEpisodeIsReported() throws {
        let (error, server, client) = try runEpisode(fault: .disconnect(afterCommands: 4))
        defer { server.shutdown() }
        guard case .bridge(.disconnected)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error!.description.contains("closed the connection"))
        // Nothing left to send the stop to; later calls fail fast without hanging.
        let robot = client
        #expect(throws: RuntimeError.self) { _ = try robot.act([Float](repeating: 0, count: 7)) }
    }

    @Test func nanActionFromThePolicyStopsTheArm() throws {
        let server = try startArmSim(.ur5e)
        defer { server.shutdown() }
        var client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)")
        var probe = ProbePolicy(expert(.ur5e, request))
        probe.nanAtCall = 4
        let (error, _, _) = try run(&client, &probe, server, StopRequest())
        guard case .unsafeAction(let reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("not a finite number"))
        #expect(eventually { server.stats.stopsReceived == 1 && server.stats.commands == 3 })
    }

    @Test func stopRequestStopsTheArm() throws {
        let server = try startArmSim(.ur5e)
        defer { server.shutdown() }
        let stop = StopRequest()
        var client = try ArmBridgeClient(address: "127.0.0.1:\(server.port)", stop: stop)
        var probe = ProbePolicy(expert(.ur5e, request))
        probe.stopAtCall = (6, stop)
        let (error, _, _) = try run(&client, &probe, server, stop)
        #expect(error == .interrupted)
        #expect(eventually { server.stats.stopsReceived == 1 && server.stats.commands == 5 })
        #expect(server.stats.lastStopReason?.contains("Ctrl-C") == true)
    }
}
