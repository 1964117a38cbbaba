// CotrainRuntime/ArmBridgeClient.swift: a real (or `arm-sim`) arm behind the arm-bridge
// protocol, as a `Robot`.
//
// Every request waits for its answer within a deadline; a late, malformed or
// out-of-range answer stops the arm (a `stop` is sent while the connection is up) and
// surfaces as one clear `RuntimeError.bridge`.
import CotrainCore
import CotrainSim

/// Client-side timing and naming.
public struct ArmBridgeClientOptions: Sendable {
    /// Client watchdog: a state must answer each command within this many seconds.
    public var stateTimeout: Double = 1.0
    /// Time allowed for connecting and for the capabilities answer.
    public var connectTimeout: Double = 5
    /// Time allowed for a reset (a real arm moves home first).
    public var resetTimeout: Double = 60
    /// Largest accepted excess of a reported joint position beyond its limit.
    public var jointTolerance: Float = 0.05
    /// Sent in hello, shown in the bridge's log.
    public var clientName = "cotrain"

    public init(stateTimeout: Double = 1.0, connectTimeout: Double = 5, resetTimeout: Double = 60) {
        self.stateTimeout = stateTimeout; self.connectTimeout = connectTimeout; self.resetTimeout = resetTimeout
    }
}

/// The arm-bridge client. One instance per connection; not thread-safe.
public final class ArmBridgeClient: Robot {
    public let capabilities: RobotCapabilities
    /// The bridge's name and its watchdog deadline, from its capabilities.
    public let bridgeName: String
    public let bridgeWatchdog: Double
    /// `stop` messages sent so far (tests check that failures stopped the arm).
    public private(set) var stopsSent = 0
    let channel: BridgeChannel
    let options: ArmBridgeClientOptions
    let stop: StopRequest
    var requestSequence: UInt64 = 0
    var lastState: BridgeState? = nil
    var instruction = ""
    var connected = true

    /// Connects to `address`, says hello and reads the capabilities. `stop` is polled
    /// while waiting, so Ctrl-C never waits for a deadline.
    public init(address: String, options: ArmBridgeClientOptions = ArmBridgeClientOptions(), stop: StopRequest = StopRequest()) throws(RuntimeError) {
        self.options = options
        self.stop = stop
        do throws(BridgeError) {
            let socket = try BridgeSocket.connect(address, timeout: options.connectTimeout)
            channel = BridgeChannel(socket: socket)
            try channel.send(.hello(version: BridgeProtocol.version, client: options.clientName))
            let answer = try channel.receive(within: options.connectTimeout, waitingFor: "capabilities")
            switch answer {
            case let .capabilities(caps, bridge, watchdog):
                let sim = Embodiment.make(caps.embodiment)
                guard caps.dof == sim.dof else {
                    throw BridgeError.invalidField(message: "capabilities", field: "joints", reason: "\(caps.embodiment.rawValue) has \(sim.dof) joints, the bridge reports \(caps.dof)")
                }
                capabilities = caps; bridgeName = bridge; bridgeWatchdog = watchdog
            case let .error(code, message): throw BridgeError.remote(code: code, message: message)
            default: throw BridgeError.unexpected(message: answer.type, state: "waiting for capabilities")
            }
        } catch {
            throw .bridge(error)
        }
    }

    deinit {
        if connected { try? channel.send(.bye) }
        channel.socket.close()
    }

    public func reset(_ request: EpisodeRequest) throws(RuntimeError) -> Observation {
        requestSequence += 1
        lastState = nil
        let state = try exchange(.reset(sequence: requestSequence, request: request), timeout: options.resetTimeout, what: "state after reset")
        instruction = state.instruction ?? request.prompt
        return observation(state)
    }

    public func observe() throws(RuntimeError) -> Observation {
        guard let lastState else { throw .bridge(.unexpected(message: "observe", state: "no episode has been reset yet")) }
        return observation(lastState)
    }

    public func act(_ action: [Float]) throws(RuntimeError) -> RobotStep {
        let n = capabilities.dof
        guard action.count == n + 1 else {
            safetyStop(reason: "bad action size")
            throw .badPolicyOutput("action has \(action.count) components, the bridge expects \(n + 1)")
        }
        requestSequence += 1
        let command = BridgeMessage.command(
            sequence: requestSequence, space: capabilities.actionSpace, deltas: Array(action[0..<n]), gripper: action[n])
        let state = try exchange(command, timeout: options.stateTimeout, what: "state after command \(requestSequence)")
        return RobotStep(observation: observation(state), success: state.success, completion: state.completion, done: state.done)
    }

    public func endEpisode() throws(RuntimeError) -> (success: Bool?, completion: Float?) {
        requestSequence += 1
        do throws(BridgeError) {
            try channel.send(.endEpisode(sequence: requestSequence))
            while true {
                let message = try channel.receive(within: options.stateTimeout, waitingFor: "episode result")
                switch message {
                case let .episodeResult(success, completion, _): return (success, completion)
                case .heartbeat, .state: continue
                case let .error(code, text): throw BridgeError.remote(code: code, message: text)
                default: throw BridgeError.unexpected(message: message.type, state: "waiting for the episode result")
                }
            }
        } catch {
            throw fail(error)
        }
    }

    public func safetyStop(reason: String) {
        guard connected else { return }
        stopsSent += 1
        do { try channel.send(.stop(reason: String(reason.prefix(200)))) } catch { connected = false }
    }

    /// Sends `request` and waits for the state that acknowledges it.
    func exchange(_ request: BridgeMessage, timeout: Double, what: String) throws(RuntimeError) -> BridgeState {
        do throws(BridgeError) {
            guard connected else { throw BridgeError.disconnected(during: "an earlier failure") }
            try channel.send(request)
            let deadline = monotonicSeconds() + timeout
            while true {
                let message = try channel.receive(
                    within: max(0, deadline - monotonicSeconds()), waitingFor: what, interrupted: { stop.isRequested })
                switch message {
                case .heartbeat: continue
                case let .state(state):
                    try validate(state)
                    lastState = state
                    if state.acknowledged == requestSequence { return state }
                case let .error(code, text): throw BridgeError.remote(code: code, message: text)
                default: throw BridgeError.unexpected(message: message.type, state: "waiting for \(what)")
                }
            }
        } catch {
            if stop.isRequested { safetyStop(reason: "stop requested (Ctrl-C)"); throw .interrupted }
            throw fail(error)
        }
    }

    /// Stops the arm after a bridge failure; returns the error to throw.
    func fail(_ error: BridgeError) -> RuntimeError {
        if case .disconnected = error { connected = false }
        safetyStop(reason: "client error: \(error.description)")
        return .bridge(error)
    }

    /// Checks a state against the capabilities and the previous state.
    func validate(_ s: BridgeState) throws(BridgeError) {
        guard s.joints.count == capabilities.dof else {
            throw .invalidField(message: "state", field: "joints", reason: "has \(s.joints.count) entries, the robot has \(capabilities.dof) joints")
        }
        let tolerance = options.jointTolerance
        for i in 0..<capabilities.dof {
            let lo = capabilities.jointLower[i] - tolerance, hi = capabilities.jointUpper[i] + tolerance
            guard (lo...hi).contains(s.joints[i]) else {
                throw .outOfRange(field: "joints[\(i)] (\(capabilities.jointNames[i]))", value: Double(s.joints[i]), range: Double(lo)...Double(hi))
            }
        }
        guard (-0.01...1.01).contains(s.gripper) else { throw .outOfRange(field: "gripper", value: Double(s.gripper), range: 0...1) }
        guard let main = s.frames.first, main.camera.width == capabilities.cameras[0].width, main.camera.height == capabilities.cameras[0].height else {
            throw .invalidField(message: "state", field: "cameras", reason: "the first frame must be the \(capabilities.cameras[0].width)x\(capabilities.cameras[0].height) camera announced in the capabilities")
        }
        if let last = lastState {
            guard s.sequence > last.sequence else { throw .invalidField(message: "state", field: "seq", reason: "\(s.sequence) does not increase (last \(last.sequence))") }
            guard s.time >= last.time else { throw .invalidField(message: "state", field: "t", reason: "time went backwards") }
        }
    }

    func observation(_ s: BridgeState) -> Observation {
        let main = s.frames[0]
        let wrist = s.frames.dropFirst().first { $0.camera.name == "wrist" && $0.camera.width == main.camera.width && $0.camera.height == main.camera.height }
        return Observation(
            image: main.pixels, wristImage: wrist?.pixels, imageWidth: main.camera.width, imageHeight: main.camera.height,
            proprio: s.joints + [s.gripper], instruction: instruction, embodiment: capabilities.embodiment)
    }
}
