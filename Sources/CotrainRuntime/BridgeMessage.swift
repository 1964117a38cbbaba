// CotrainRuntime/BridgeMessage.swift: the arm-bridge messages as typed values, and how
// they become frames. Decoding (with every check) lives in BridgeMessage+Decoding.swift.
import CotrainCore
import CotrainSim

/// One camera frame carried in a `state` payload.
public struct CameraFrame: Sendable, Equatable {
    public var camera: CameraInfo
    /// RGB8, row-major, top row first: `width × height × 3` bytes.
    public var pixels: [UInt8]

    public init(camera: CameraInfo, pixels: [UInt8]) {
        self.camera = camera; self.pixels = pixels
    }
}

/// The robot's state as the bridge reports it after a reset, a command or a stop.
public struct BridgeState: Sendable, Equatable {
    /// The bridge's own message counter (strictly increasing).
    public var sequence: UInt64
    /// The last command sequence number applied (0 after a reset).
    public var acknowledged: UInt64
    /// Bridge monotonic time in seconds when the state was sampled.
    public var time: Double
    /// Joint positions (rad or m) and gripper opening in [0, 1] (suction: 1 = on).
    public var joints: [Float]
    public var gripper: Float
    /// Task success and completion, when the bridge has a success signal.
    public var success: Bool?
    public var completion: Float?
    /// The bridge ended the episode (its own budget, or success).
    public var done: Bool
    /// The bridge is holding position (watchdog fired or a stop was received).
    public var holding: Bool
    /// The instruction for this episode (sent with the state that answers a reset).
    public var instruction: String?
    /// Camera frames, in the order of the capabilities' cameras.
    public var frames: [CameraFrame]

    public init(
        sequence: UInt64, acknowledged: UInt64, time: Double, joints: [Float], gripper: Float, success: Bool? = nil,
        completion: Float? = nil, done: Bool = false, holding: Bool = false, instruction: String? = nil,
        frames: [CameraFrame] = []
    ) {
        self.sequence = sequence; self.acknowledged = acknowledged; self.time = time; self.joints = joints
        self.gripper = gripper; self.success = success; self.completion = completion; self.done = done
        self.holding = holding; self.instruction = instruction; self.frames = frames
    }
}

/// Every message of protocol version 1. See docs/arm-bridge.md for who sends what when.
public enum BridgeMessage: Sendable, Equatable {
    /// Client → bridge, first message: protocol version and client name.
    case hello(version: Int, client: String)
    /// Bridge → client, answer to hello: what the robot is and accepts.
    case capabilities(RobotCapabilities, bridge: String, watchdogSeconds: Double)
    /// Client → bridge: start an episode (the bridge answers with a state).
    case reset(sequence: UInt64, request: EpisodeRequest)
    /// Bridge → client: robot state and camera frames.
    case state(BridgeState)
    /// Client → bridge: one action (joint or end-effector deltas, then the gripper).
    case command(sequence: UInt64, space: ActionSpec.Space, deltas: [Float], gripper: Float)
    /// Client → bridge: stop all motion now and hold (the bridge answers with a state).
    case stop(reason: String)
    /// Client → bridge: the episode is over (the bridge answers with a result).
    case endEpisode(sequence: UInt64)
    /// Bridge → client: the bridge's success verdict, if it has one.
    case episodeResult(success: Bool?, completion: Float?, steps: Int)
    /// Either side: keep-alive; the bridge echoes it.
    case heartbeat(time: Double)
    /// Either side: something was wrong; `code` is one of the documented codes.
    case error(code: String, message: String)
    /// Client → bridge: closing the connection (the bridge holds position).
    case bye

    /// The "type" member on the wire.
    public var type: String {
        switch self {
        case .hello: "hello"
        case .capabilities: "capabilities"
        case .reset: "reset"
        case .state: "state"
        case .command: "command"
        case .stop: "stop"
        case .endEpisode: "end_episode"
        case .episodeResult: "episode_result"
        case .heartbeat: "heartbeat"
        case .error: "error"
        case .bye: "bye"
        }
    }

    /// The frame for this message.
    public var frame: BridgeFrame {
        func floats(_ xs: [Float]) -> JSONValue { .array(xs.map { .double(Double($0)) }) }
        func optional<T>(_ x: T?, _ f: (T) -> JSONValue) -> JSONValue { x.map(f) ?? .null }
        var m: [(String, JSONValue)] = [("type", .string(type))]
        var payload: [UInt8] = []
        switch self {
        case let .hello(version, client):
            m += [("protocol", .int(Int64(version))), ("client", .string(client))]
        case let .capabilities(c, bridge, watchdog):
            let joints: [JSONValue] = c.jointNames.indices.map { i in
                .object([("name", .string(c.jointNames[i])), ("lower", .double(Double(c.jointLower[i]))),
                         ("upper", .double(Double(c.jointUpper[i]))), ("max_velocity", .double(Double(c.jointMaxVelocity[i])))])
            }
            m += [
                ("protocol", .int(Int64(BridgeProtocol.version))), ("bridge", .string(bridge)),
                ("embodiment", .string(c.embodiment.rawValue)), ("action_space", .string(c.actionSpace.wireName)),
                ("action", .object([("names", .array(c.actionNames.map { .string($0) })), ("lower", floats(c.actionLower)),
                                    ("upper", floats(c.actionUpper))])),
                ("joints", .array(joints)),
                ("cameras", .array(c.cameras.map(\.json))),
                ("control_rate_hz", .double(c.controlRate)), ("watchdog_ms", .int(Int64((watchdog * 1000).rounded()))),
                ("has_success_signal", .bool(c.hasSuccessSignal)), ("simulated", .bool(c.isSimulated)),
            ]
        case let .reset(sequence, r):
            m += [
                ("seq", .int(Int64(sequence))), ("task", (try? JSONValue(encoding: r.task)) ?? .null),
                ("seed", .int(Int64(clamping: r.seed))), ("shift", (try? JSONValue(encoding: r.shift)) ?? .null),
                ("condition", .string(r.condition)), ("prompt", .string(r.prompt)),
            ]
        case let .state(s):
            m += [
                ("seq", .int(Int64(s.sequence))), ("ack", .int(Int64(s.acknowledged))), ("t", .double(s.time)),
                ("joints", floats(s.joints)), ("gripper", .double(Double(s.gripper))),
                ("success", optional(s.success) { .bool($0) }), ("completion", optional(s.completion) { .double(Double($0)) }),
                ("done", .bool(s.done)), ("holding", .bool(s.holding)),
                ("cameras", .array(s.frames.map(\.camera.json))),
            ]
            if let instruction = s.instruction { m.append(("instruction", .string(instruction))) }
            for f in s.frames { payload += f.pixels }
        case let .command(sequence, space, deltas, gripper):
            m += [("seq", .int(Int64(sequence))), ("mode", .string(space.wireName)), ("deltas", floats(deltas)),
                  ("gripper", .double(Double(gripper)))]
        case let .stop(reason):
            m += [("reason", .string(reason))]
        case let .endEpisode(sequence):
            m += [("seq", .int(Int64(sequence)))]
        case let .episodeResult(success, completion, steps):
            m += [("success", optional(success) { .bool($0) }), ("completion", optional(completion) { .double(Double($0)) }),
                  ("steps", .int(Int64(steps)))]
        case let .heartbeat(time):
            m += [("t", .double(time))]
        case let .error(code, message):
            m += [("code", .string(code)), ("message", .string(message))]
        case .bye:
            break
        }
        return BridgeFrame(header: .object(m), payload: payload)
    }
}

extension ActionSpec.Space {
    /// The protocol's spelling: "joint_delta" or "ee_delta".
    public var wireName: String { self == .jointDelta ? "joint_delta" : "ee_delta" }
}

extension CameraInfo {
    var json: JSONValue {
        .object([("name", .string(name)), ("width", .int(Int64(width))), ("height", .int(Int64(height))), ("format", "rgb8")])
    }
}
