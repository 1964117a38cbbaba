// Bridge messages: every type round-trips through its frame; hostile bytes give typed
// errors, never a crash.
import Testing
import CotrainCore
import CotrainSim
@testable import CotrainRuntime

@Suite struct BridgeProtocolTests {
    static let caps = RobotCapabilities.simulated(.panda, config: SimConfig(imageWidth: 4, imageHeight: 2, wristCamera: true))

    static let messages: [BridgeMessage] = [
        .hello(version: 1, client: "test"),
        .capabilities(caps, bridge: "unit", watchdogSeconds: 0.25),
        .reset(sequence: 3, request: EpisodeRequest(task: TaskSpec(.stack, phrasing: .heldOut), seed: 42, shift: .lighting, condition: "lighting", prompt: "two cubes")),
        .state(BridgeState(
            sequence: 9, acknowledged: 3, time: 12.5, joints: [0, 0.5, -1, 0.25, 0, 1.5, 0.75], gripper: 0.5, success: nil,
            completion: 0.5, done: false, holding: true, instruction: "stack the red cube on the blue cube",
            frames: [CameraFrame(camera: CameraInfo(name: "main", width: 4, height: 2), pixels: Array(0..<24)),
                     CameraFrame(camera: CameraInfo(name: "wrist", width: 4, height: 2), pixels: Array(100..<124))])),
        .command(sequence: 4, space: .jointDelta, deltas: [0.01, -0.02, 0, 0, 0, 0, 0.125], gripper: -1),
        .stop(reason: "operator"), .endEpisode(sequence: 5), .episodeResult(success: true, completion: 1, steps: 40),
        .episodeResult(success: nil, completion: nil, steps: 0), .heartbeat(time: 1.25), .error(code: "out_of_range", message: "no"), .bye,
    ]

    @Test(arguments: messages)
    func roundTrips(message: BridgeMessage) throws {
        let bytes = message.frame.encoded
        let decoded = try BridgeMessage.decode(try BridgeFrame.decode(bytes))
        #expect(decoded == message)
    }

    @Test func rejectsOversizedAndTruncatedFrames() {
        #expect(throws: BridgeError.frameTooLarge(part: "header", size: 0x7FFF_FFFF, limit: 64 << 10)) {
            try BridgeFrame.decode([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        }
        #expect(throws: BridgeError.frameTooLarge(part: "payload", size: 1 << 30, limit: 16 << 20)) {
            try BridgeFrame.decode([0, 0, 0, 2, 0x40, 0, 0, 0])
        }
        let good = BridgeMessage.heartbeat(time: 1).frame.encoded
        for cut in [0, 5, 8, good.count - 1] {
            #expect(throws: BridgeError.self) { try BridgeFrame.decode(Array(good.prefix(cut))) }
        }
    }

    @Test func rejectsInvalidFields() throws {
        func decode(_ header: JSONValue, payload: [UInt8] = []) throws -> BridgeMessage {
            try BridgeMessage.decode(BridgeFrame(header: header, payload: payload))
        }
        #expect(throws: BridgeError.malformed("unknown message type 'launch'")) { try decode(["type": "launch"]) }
        #expect(throws: BridgeError.self) { try decode(["type": "command", "seq": 1, "mode": "joint_delta", "deltas": ["x"], "gripper": 0]) }
        #expect(throws: BridgeError.self) { try decode(["type": "command", "seq": 0, "mode": "joint_delta", "deltas": [0.1], "gripper": 0]) }
        #expect(throws: BridgeError.self) { try decode(["type": "command", "seq": 1, "mode": "warp", "deltas": [0.1], "gripper": 0]) }
        #expect(throws: BridgeError.self) { try decode(["type": "command", "seq": 1, "mode": "joint_delta", "deltas": [0.1], "gripper": 2]) }
        #expect(throws: BridgeError.self) { try decode(["type": "heartbeat", "t": 1], payload: [1]) }
        // A state whose payload does not match its cameras.
        var state = BridgeMessage.state(BridgeState(sequence: 1, acknowledged: 0, time: 0, joints: [0], gripper: 0,
            frames: [CameraFrame(camera: CameraInfo(name: "main", width: 2, height: 2), pixels: Array(repeating: 0, count: 12))])).frame
        state.payload.removeLast()
        #expect(throws: BridgeError.self) { try BridgeMessage.decode(state) }
        // Capabilities of another protocol version.
        var caps = BridgeMessage.capabilities(Self.caps, bridge: "b", watchdogSeconds: 1).frame.header
        if case .object(var members) = caps { members.removeAll { $0.0 == "protocol" }; members.append(("protocol", 2)); caps = .object(members) }
        #expect(throws: BridgeError.unsupportedVersion(2)) { try decode(caps) }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix(seed: 7)
        let valid = Self.messages.map { $0.frame.encoded }
        for round in 0..<3000 {
            var bytes = valid[round % valid.count]
            // Flip, cut or replace bytes.
            switch round % 3 {
            case 0: for _ in 0..<3 { let i = Int(rng.next() % UInt64(bytes.count)); bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
            case 1: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            default: bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            if let frame = try? BridgeFrame.decode(bytes) { _ = try? BridgeMessage.decode(frame) }
        }
    }
}
