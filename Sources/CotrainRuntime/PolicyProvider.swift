// CotrainRuntime/PolicyProvider.swift: the seam where policies plug into the runtime.
//
// The evaluation harness asks a provider for a `CotrainSim.Policy` at the start of each
// episode. The learned VLA policy implements `PolicyProvider` in its own module (loading
// weights once, handing out cheap per-episode policies); until then `expert` and `hold`
// make the harness real and testable.
import CotrainSim

/// What a provider may know about the episode it makes a policy for.
public struct EpisodeContext: Sendable {
    /// The robot's interface (embodiment, action space, cameras, control rate).
    public var capabilities: RobotCapabilities
    /// The episode request. A learned policy must use only `capabilities` and the
    /// observations; task, seed and shift are here for oracles and logging.
    public var request: EpisodeRequest

    public init(capabilities: RobotCapabilities, request: EpisodeRequest) {
        self.capabilities = capabilities; self.request = request
    }
}

/// Makes policies for episodes. Implement this to evaluate a new kind of policy.
///
/// `makePolicy` is called once per episode, before the robot resets; `Policy.reset` is
/// called right after. Keep heavy state (weights) in the provider and share it.
public protocol PolicyProvider {
    /// The policy type handed out.
    associatedtype Made: Policy
    /// A short name for tables and result files, e.g. "expert" or a checkpoint name.
    var name: String { get }
    /// A policy for one episode; throws `RuntimeError.policyUnavailable` when this
    /// provider cannot drive the robot (wrong embodiment, missing checkpoint).
    func makePolicy(for context: EpisodeContext) throws(RuntimeError) -> Made
}

/// A policy that wants to know what was actually executed (after the safety envelope
/// adjusted it). The control loop calls `executed` after every action it sends.
public protocol ExecutionFeedback: AnyObject {
    /// `action` was sent to the robot (possibly changed from what the policy returned).
    func executed(_ action: [Float])
}

/// Provides `HoldStillPolicy`: the trivial baseline (arm still, gripper open).
public struct HoldPolicyProvider: PolicyProvider {
    /// Actions per chunk.
    public var chunk: Int
    public init(chunk: Int = 1) { self.chunk = chunk }
    public var name: String { "hold" }
    public func makePolicy(for context: EpisodeContext) throws(RuntimeError) -> HoldStillPolicy {
        HoldStillPolicy(actionDimension: context.capabilities.actionDimension, chunk: chunk)
    }
}

/// Provides the scripted expert as a policy (an oracle upper bound). It needs the
/// episode's task and seed, so it works with the simulator and with `arm-sim`, never
/// with a real arm.
public struct ExpertPolicyProvider: PolicyProvider {
    public init() {}
    public var name: String { "expert" }
    public func makePolicy(for context: EpisodeContext) throws(RuntimeError) -> ExpertOraclePolicy {
        guard context.capabilities.isSimulated else {
            throw .policyUnavailable("the scripted expert reads simulator state, so it only drives simulated robots (sim or arm-sim); use a learned policy on a real arm")
        }
        let embodiment = Embodiment.make(context.capabilities.embodiment)
        guard embodiment.action.dimension == context.capabilities.actionDimension else {
            throw .policyUnavailable("the robot's action size \(context.capabilities.actionDimension) does not match the simulated \(embodiment.kind.rawValue)")
        }
        return ExpertOraclePolicy(embodiment: embodiment, request: context.request)
    }
}

/// The scripted expert behind the observation-only `Policy` interface.
///
/// It keeps a shadow simulator reset from the same task, seed and shift as the robot and
/// steps it with every executed action, so its privileged view matches the robot's
/// scene exactly — locally or across the arm bridge.
public final class ExpertOraclePolicy: Policy, ExecutionFeedback {
    var shadow: SimEnvironment
    var expert: ScriptedExpert
    let request: EpisodeRequest

    /// An oracle for `embodiment` in the episode `request` describes.
    public init(embodiment: Embodiment, request: EpisodeRequest) {
        shadow = SimEnvironment(embodiment: embodiment, config: SimConfig(renderImages: false))
        expert = ScriptedExpert(embodiment: embodiment, seed: request.seed)
        self.request = request
        shadow.resetState(task: request.task, seed: request.seed, shifts: request.shift)
    }

    public func reset() {
        expert = ScriptedExpert(embodiment: shadow.embodiment, seed: request.seed)
        shadow.resetState(task: request.task, seed: request.seed, shifts: request.shift)
    }

    public func act(_ observation: Observation) -> [[Float]] {
        [expert.act(shadow).action]
    }

    public func executed(_ action: [Float]) {
        _ = shadow.advance(action)
    }
}
