// CotrainRuntime/ArmSimSession.swift: one client connection of `arm-sim`, as the state
// machine a real bridge follows: hello → capabilities; reset → state; command → state
// (one control period); stop → hold until the next reset; end_episode → result.
import CotrainCore
import CotrainSim

struct ArmSimSession {
    enum Phase { case greeting, ready, episode }

    let server: ArmSimServer
    let channel: BridgeChannel
    var env: SimEnvironment
    let capabilities: RobotCapabilities
    var phase = Phase.greeting
    var lastRequest: UInt64 = 0
    var stateSequence: UInt64 = 0
    var holding = false
    var stopped = false
    var commands = 0
    var lastCommandTime = monotonicSeconds()
    var lastMessageTime = monotonicSeconds()

    init(server: ArmSimServer, channel: BridgeChannel) {
        self.server = server
        self.channel = channel
        let embodiment = Embodiment.make(server.options.embodiment)
        env = SimEnvironment(embodiment: embodiment, config: server.options.config)
        var caps = RobotCapabilities.simulated(embodiment, config: server.options.config)
        caps.hasSuccessSignal = server.options.successSignal
        capabilities = caps
    }

    /// Serves the connection until the client leaves, the framing breaks, or a stop.
    mutating func run(stop: StopRequest) {
        let options = server.options
        while !stop.isRequested && !server.stopping.isRequested {
            guard channel.socket.waitReadable(timeout: 0.05) else {
                let now = monotonicSeconds()
                if phase == .episode && !holding && now - lastCommandTime > options.watchdog {
                    // Watchdog: a real bridge commands the current position here. The
                    // simulated arm only moves on commands, so holding is not moving.
                    holding = true
                    server.record { $0.watchdogHolds += 1 }
                    server.log("watchdog: no command for \(format(options.watchdog, 2)) s, holding position")
                }
                if let idle = options.idleTimeout, now - lastMessageTime > idle { server.log("idle connection closed"); return }
                continue
            }
            let frame: BridgeFrame
            do {
                frame = try channel.receiveFrame(within: 2, waitingFor: "the rest of a frame")
            } catch {
                if case .disconnected = error { holding = true; return }
                sendError("bad_frame", error.description)
                return  // the byte stream can no longer be trusted
            }
            lastMessageTime = monotonicSeconds()
            do {
                let message = try BridgeMessage.decode(frame, limits: channel.limits)
                if try !handle(message) { return }
            } catch {
                if phase == .episode { holding = true }
                sendError("bad_message", error.description)
            }
        }
    }

    /// Handles one message; false ends the connection.
    mutating func handle(_ message: BridgeMessage) throws(BridgeError) -> Bool {
        switch message {
        case let .hello(version, client):
            guard version == BridgeProtocol.version else {
                sendError("version", "this bridge speaks protocol \(BridgeProtocol.version), the client \(version)")
                return false
            }
            server.log("hello from \(client)")
            try channel.send(.capabilities(capabilities, bridge: "cotrain arm-sim (\(capabilities.embodiment.rawValue))", watchdogSeconds: server.options.watchdog))
            phase = .ready
        case let .reset(sequence, request):
            guard phase != .greeting else { sendError("not_ready", "send hello first"); return true }
            guard sequence > lastRequest else { sendError("sequence", "reset seq \(sequence) does not increase"); return true }
            do { try request.task.validate() } catch { sendError("bad_message", error.description); return true }
            lastRequest = sequence
            let resets = server.stats.resets
            let observation = server.options.fixedTask.map { env.reset(task: $0, seed: server.options.fixedSeed + UInt64(resets)) }
                ?? env.reset(task: request.task, seed: request.seed, shifts: request.shift)
            phase = .episode; holding = false; stopped = false
            lastCommandTime = monotonicSeconds()
            server.record { $0.resets += 1 }
            try sendState(observation, instruction: env.task.instruction)
        case let .command(sequence, space, deltas, gripper):
            guard phase == .episode else { sendError("not_ready", "no episode is running; send reset first"); return true }
            guard sequence > lastRequest else { sendError("sequence", "command seq \(sequence) does not increase (last \(lastRequest))"); return true }
            lastRequest = sequence
            guard !stopped else { sendError("stopped", "the arm was stopped; send reset to start a new episode"); return true }
            guard space == capabilities.actionSpace, deltas.count == capabilities.dof else {
                holding = true
                sendError("bad_message", "expected \(capabilities.dof) \(capabilities.actionSpace.wireName) values")
                return true
            }
            let action = deltas + [gripper]
            for i in action.indices where !(capabilities.actionLower[i] - 1e-4...capabilities.actionUpper[i] + 1e-4).contains(action[i]) {
                holding = true
                sendError("out_of_range", "\(capabilities.actionNames[i]) = \(action[i]) is outside its bounds; holding position")
                return true
            }
            commands += 1
            server.record { $0.commands += 1 }
            lastCommandTime = monotonicSeconds()
            holding = false
            if let fault = server.options.fault, commands > fault.after { return try inject(fault) }
            let (observation, _) = env.step(action)
            try sendState(observation)
        case let .stop(reason):
            holding = true; stopped = true
            server.record { $0.stopsReceived += 1; $0.lastStopReason = reason }
            server.log("stop: \(reason)")
            if phase == .episode { try? sendState(env.observe()) }
        case let .endEpisode(sequence):
            lastRequest = max(lastRequest, sequence)
            let signal = server.options.successSignal
            try channel.send(.episodeResult(
                success: signal ? env.success : nil, completion: signal ? env.completion : nil, steps: env.stepCount))
            phase = .ready; holding = true
        case .heartbeat:
            try channel.send(.heartbeat(time: monotonicSeconds()))
        case .bye:
            return false
        case .capabilities, .state, .episodeResult, .error:
            sendError("unexpected", "a bridge does not accept '\(message.type)'")
        }
        return true
    }

    mutating func state(_ observation: Observation, instruction: String? = nil) -> BridgeState {
        stateSequence += 1
        let signal = server.options.successSignal
        var frames = [CameraFrame(camera: capabilities.cameras[0], pixels: observation.image)]
        if let wrist = observation.wristImage, capabilities.cameras.count > 1 {
            frames.append(CameraFrame(camera: capabilities.cameras[1], pixels: wrist))
        }
        let p = observation.proprio
        return BridgeState(
            sequence: stateSequence, acknowledged: lastRequest, time: monotonicSeconds(), joints: Array(p.dropLast()),
            gripper: p.last ?? 0, success: signal ? env.success : nil, completion: signal ? env.completion : nil,
            done: env.isDone, holding: holding, instruction: instruction, frames: frames)
    }

    mutating func sendState(_ observation: Observation, instruction: String? = nil) throws(BridgeError) {
        try channel.send(.state(state(observation, instruction: instruction)))
    }

    /// Misbehaves as `fault` says; false ends the connection.
    mutating func inject(_ fault: ArmSimFault) throws(BridgeError) -> Bool {
        server.log("injecting fault \(fault)")
        switch fault {
        case .garbage:
            var rng = SimRandom(seed: UInt64(commands))
            try channel.socket.send([0x7F, 0xFF, 0x00, 0x10] + (0..<60).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            return true
        case .disconnect:
            return false
        case .stall:
            return true
        case .outOfRange:
            var s = state(env.observe())
            s.joints[0] = capabilities.jointUpper[0] + 1
            try channel.send(.state(s))
            return true
        case .nonFinite:
            var s = state(env.observe())
            s.joints[0] = 12345.5
            var frame = BridgeMessage.state(s).frame
            let text = frame.header.canonicalString.replacingAll("12345.5", "NaN")
            var bytes: [UInt8] = []
            appendBigEndian(UInt32(text.utf8.count), to: &bytes)
            appendBigEndian(UInt32(frame.payload.count), to: &bytes)
            frame.payload = bytes + Array(text.utf8) + frame.payload
            try channel.socket.send(frame.payload)
            return true
        }
    }

    func sendError(_ code: String, _ message: String) {
        server.record { $0.errorsSent += 1; $0.lastError = "\(code): \(message)" }
        server.log("error sent: \(code): \(message)")
        try? channel.send(.error(code: code, message: String(message.prefix(1000))))
    }
}

extension String {
    /// Replaces every occurrence of `target`.
    func replacingAll(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
