// Helpers shared by the runtime tests: an in-process arm-sim and small policies.
import Foundation
import Testing
import CotrainSim
@testable import CotrainRuntime

/// Starts arm-sim on an ephemeral loopback port; call `shutdown()` when done.
func startArmSim(
    _ kind: EmbodimentKind = .ur5e, watchdog: Double = 0.5, fault: ArmSimFault? = nil, successSignal: Bool = true
) throws -> ArmSimServer {
    var options = ArmSimOptions(embodiment: kind, config: SimConfig(), watchdog: watchdog)
    options.fault = fault
    options.successSignal = successSignal
    let server = try ArmSimServer(address: "127.0.0.1:0", options: options)
    server.start()
    return server
}

/// Polls `condition` for up to `seconds` (the server thread processes messages asynchronously).
func eventually(_ seconds: Double = 2, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// Wraps a policy: counts calls, can inject a NaN or a stop request at a given call.
final class ProbePolicy<Inner: Policy>: Policy, ExecutionFeedback {
    var inner: Inner
    var calls = 0
    var nanAtCall: Int?
    var stopAtCall: (Int, StopRequest)?

    init(_ inner: Inner) { self.inner = inner }

    func reset() { calls = 0; inner.reset() }

    func executed(_ action: [Float]) { (inner as? any ExecutionFeedback)?.executed(action) }

    func act(_ observation: Observation) -> [[Float]] {
        calls += 1
        var chunk = inner.act(observation)
        if calls == nanAtCall { chunk[0][0] = .nan }
        if let (n, stop) = stopAtCall, calls == n { stop.request() }
        return chunk
    }
}

/// The expert for an episode request on `kind`.
func expert(_ kind: EmbodimentKind, _ request: EpisodeRequest) -> ExpertOraclePolicy {
    ExpertOraclePolicy(embodiment: Embodiment.make(kind), request: request)
}
