// CotrainRuntime/BridgeMessage+Decoding.swift: strict decoding of arm-bridge frames.
//
// Every field is checked for presence, type, finiteness, count and range; unknown
// message types are rejected; unknown extra members are ignored so a bridge may add
// diagnostics without breaking clients of the same protocol version.
import CotrainCore
import CotrainSim

/// Reads typed fields of one message's header, throwing `BridgeError.invalidField`.
struct FieldReader {
    let header: JSONValue
    let type: String
    let limits: BridgeLimits

    func fail(_ field: String, _ reason: String) -> BridgeError { .invalidField(message: type, field: field, reason: reason) }

    func value(_ key: String) throws(BridgeError) -> JSONValue {
        guard let v = header[key] else { throw fail(key, "missing") }
        return v
    }

    func string(_ key: String) throws(BridgeError) -> String {
        guard let s = try value(key).string else { throw fail(key, "must be a string") }
        guard s.utf8.count <= limits.maxStringBytes else { throw fail(key, "longer than \(limits.maxStringBytes) bytes") }
        return s
    }

    func int(_ key: String, _ range: ClosedRange<Int64>) throws(BridgeError) -> Int64 {
        guard case .int(let i) = try value(key) else { throw fail(key, "must be an integer") }
        guard range.contains(i) else { throw fail(key, "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    func double(_ key: String, _ range: ClosedRange<Double> = -1e12...1e12) throws(BridgeError) -> Double {
        guard let d = try value(key).double, d.isFinite else { throw fail(key, "must be a finite number") }
        guard range.contains(d) else { throw fail(key, "\(d) is outside \(range.lowerBound)...\(range.upperBound)") }
        return d
    }

    func bool(_ key: String) throws(BridgeError) -> Bool {
        guard let b = try value(key).bool else { throw fail(key, "must be true or false") }
        return b
    }

    func optionalBool(_ key: String) throws(BridgeError) -> Bool? {
        let v = try value(key)
        if v.isNull { return nil }
        guard let b = v.bool else { throw fail(key, "must be true, false or null") }
        return b
    }

    func floats(_ key: String, in node: JSONValue? = nil, count: ClosedRange<Int>) throws(BridgeError) -> [Float] {
        let list: JSONValue
        if let node { list = node } else { list = try value(key) }
        guard let items = list.array else { throw fail(key, "must be an array of numbers") }
        guard count.contains(items.count) else { throw fail(key, "has \(items.count) entries, expected \(count.lowerBound)...\(count.upperBound)") }
        var out: [Float] = []
        for item in items {
            guard let d = item.double, d.isFinite, abs(d) < 1e6 else { throw fail(key, "entries must be finite numbers below 1e6 in magnitude") }
            out.append(Float(d))
        }
        return out
    }

    func cameras(_ key: String) throws(BridgeError) -> [CameraInfo] {
        guard let items = try value(key).array, items.count <= limits.maxCameras else {
            throw fail(key, "must be an array of at most \(limits.maxCameras) cameras")
        }
        var out: [CameraInfo] = []
        for item in items {
            let r = FieldReader(header: item, type: type, limits: limits)
            let side = Int64(1)...Int64(limits.maxImageSide)
            let camera = CameraInfo(name: try r.string("name"), width: Int(try r.int("width", side)), height: Int(try r.int("height", side)))
            guard try r.string("format") == "rgb8" else { throw fail("\(key).format", "only \"rgb8\" is supported") }
            out.append(camera)
        }
        return out
    }
}

extension BridgeMessage {
    /// Decodes and validates a frame. Sizes that depend on the robot (joint count,
    /// camera sizes) are checked by the client against the capabilities.
    public static func decode(_ frame: BridgeFrame, limits: BridgeLimits = BridgeLimits()) throws(BridgeError) -> BridgeMessage {
        guard let type = frame.header["type"]?.string else { throw .malformed("header has no string member \"type\"") }
        let r = FieldReader(header: frame.header, type: type, limits: limits)
        let seqRange = Int64(0)...Int64.max
        if type != "state" && !frame.payload.isEmpty {
            throw r.fail("payload", "only state messages carry a payload (got \(frame.payload.count) bytes)")
        }
        switch type {
        case "hello":
            return .hello(version: Int(try r.int("protocol", 0...1_000_000)), client: try r.string("client"))
        case "capabilities":
            return try decodeCapabilities(r)
        case "reset":
            let task: TaskSpec, shift: DistributionShift
            do {
                task = try r.value("task").decode(as: TaskSpec.self)
                shift = try r.value("shift").decode(as: DistributionShift.self)
            } catch let error as BridgeError {
                throw error
            } catch {
                throw r.fail("task/shift", "not a valid task spec or shift (\(error))")
            }
            let request = EpisodeRequest(
                task: task, seed: UInt64(try r.int("seed", seqRange)), shift: shift, condition: try r.string("condition"),
                prompt: try r.string("prompt"))
            return .reset(sequence: UInt64(try r.int("seq", seqRange)), request: request)
        case "state":
            return .state(try decodeState(r, payload: frame.payload))
        case "command":
            guard let space = ActionSpec.Space(wireName: try r.string("mode")) else { throw r.fail("mode", "must be \"joint_delta\" or \"ee_delta\"") }
            return .command(
                sequence: UInt64(try r.int("seq", 1...Int64.max)), space: space,
                deltas: try r.floats("deltas", count: 1...limits.maxJoints), gripper: Float(try r.double("gripper", -1...1)))
        case "stop":
            return .stop(reason: try r.string("reason"))
        case "end_episode":
            return .endEpisode(sequence: UInt64(try r.int("seq", seqRange)))
        case "episode_result":
            let completion = try r.value("completion").isNull ? nil : Float(try r.double("completion", 0...1))
            return .episodeResult(success: try r.optionalBool("success"), completion: completion, steps: Int(try r.int("steps", 0...10_000_000)))
        case "heartbeat":
            return .heartbeat(time: try r.double("t"))
        case "error":
            return .error(code: try r.string("code"), message: try r.string("message"))
        case "bye":
            return .bye
        default:
            throw .malformed("unknown message type '\(type.prefix(40))'")
        }
    }

    static func decodeCapabilities(_ r: FieldReader) throws(BridgeError) -> BridgeMessage {
        let version = Int(try r.int("protocol", 0...1_000_000))
        guard version == BridgeProtocol.version else { throw .unsupportedVersion(version) }
        guard let embodiment = EmbodimentKind(rawValue: try r.string("embodiment")) else {
            throw r.fail("embodiment", "must be one of \(EmbodimentKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let space = ActionSpec.Space(wireName: try r.string("action_space")) else {
            throw r.fail("action_space", "must be \"joint_delta\" or \"ee_delta\"")
        }
        guard let joints = try r.value("joints").array, (1...r.limits.maxJoints).contains(joints.count) else {
            throw r.fail("joints", "must be an array of 1...\(r.limits.maxJoints) joints")
        }
        var names: [String] = [], lower: [Float] = [], upper: [Float] = [], speed: [Float] = []
        for j in joints {
            let jr = FieldReader(header: j, type: r.type, limits: r.limits)
            names.append(try jr.string("name"))
            let lo = try jr.double("lower", -100...100), hi = try jr.double("upper", -100...100)
            guard lo < hi else { throw r.fail("joints.lower", "must be below upper") }
            lower.append(Float(lo)); upper.append(Float(hi))
            speed.append(Float(try jr.double("max_velocity", 1e-6...100)))
        }
        let action = try r.value("action")
        let n = joints.count + 1
        guard let actionNames = action["names"]?.array?.compactMap(\.string), actionNames.count == n else {
            throw r.fail("action.names", "must name \(n) components (joints + gripper)")
        }
        let aLower = try r.floats("action.lower", in: action["lower"] ?? .null, count: n...n)
        let aUpper = try r.floats("action.upper", in: action["upper"] ?? .null, count: n...n)
        guard zip(aLower, aUpper).allSatisfy({ $0 <= 0 && 0 <= $1 && $0 < $1 }) else {
            throw r.fail("action", "each bound pair must satisfy lower <= 0 <= upper and lower < upper")
        }
        let cameras = try r.cameras("cameras")
        guard !cameras.isEmpty else { throw r.fail("cameras", "at least one camera is required") }
        let caps = RobotCapabilities(
            embodiment: embodiment, actionSpace: space, actionNames: actionNames, actionLower: aLower, actionUpper: aUpper,
            jointNames: names, jointLower: lower, jointUpper: upper, jointMaxVelocity: speed, cameras: cameras,
            controlRate: try r.double("control_rate_hz", 1...1000), hasSuccessSignal: try r.bool("has_success_signal"),
            isSimulated: try r.bool("simulated"))
        let watchdog = Double(try r.int("watchdog_ms", 10...10_000)) / 1000
        return .capabilities(caps, bridge: try r.string("bridge"), watchdogSeconds: watchdog)
    }

    static func decodeState(_ r: FieldReader, payload: [UInt8]) throws(BridgeError) -> BridgeState {
        let cameras = try r.cameras("cameras")
        var frames: [CameraFrame] = []
        var offset = 0
        for c in cameras {
            guard offset + c.byteCount <= payload.count else {
                throw r.fail("cameras", "the payload (\(payload.count) bytes) is shorter than the frames it announces")
            }
            frames.append(CameraFrame(camera: c, pixels: Array(payload[offset..<(offset + c.byteCount)])))
            offset += c.byteCount
        }
        guard offset == payload.count else { throw r.fail("cameras", "the payload has \(payload.count - offset) bytes beyond the announced frames") }
        let completion = try r.value("completion").isNull ? nil : Float(try r.double("completion", 0...1))
        let instruction = r.header["instruction"] == nil ? nil : try r.string("instruction")
        return BridgeState(
            sequence: UInt64(try r.int("seq", 0...Int64.max)), acknowledged: UInt64(try r.int("ack", 0...Int64.max)),
            time: try r.double("t"), joints: try r.floats("joints", count: 1...r.limits.maxJoints),
            gripper: Float(try r.double("gripper", -1e6...1e6)), success: try r.optionalBool("success"), completion: completion,
            done: try r.bool("done"), holding: try r.bool("holding"), instruction: instruction, frames: frames)
    }
}

extension ActionSpec.Space {
    init?(wireName: String) {
        switch wireName {
        case "joint_delta": self = .jointDelta
        case "ee_delta": self = .endEffectorDelta
        default: return nil
        }
    }
}
