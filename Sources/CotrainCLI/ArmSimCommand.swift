import CotrainCore
import CotrainRuntime
import CotrainSim

/// `cotrain arm-sim`: an arm bridge backed by the simulator.
enum ArmSimCommand {
    static let command = Command(
        name: "arm-sim",
        summary: "run a simulated arm behind the arm-bridge protocol (dry runs, tests)",
        help: """
            Usage: cotrain arm-sim [--listen HOST:PORT] [--embodiment E] [options]

            Serves the arm-bridge protocol (docs/arm-bridge.md) with the simulator
            behind it, so `cotrain eval --robot bridge` runs end to end without
            hardware. It behaves as a real bridge must: strict validation, one state
            per command, and a watchdog that holds position when commands stop.
            Serves one client at a time until Ctrl-C.

            Options:
              --listen HOST:PORT   address to listen on (default 127.0.0.1:7600)
              --embodiment E       ur5e (default), panda, scara, gantry, hand
              --task T             use this task for every episode, whatever the client
                                   asks (like a real scene); default: the client's task
              --seed N             first seed with --task (default 0, +1 per episode)
              --image WxH          camera size (default 64x64)
              --wrist              also send a wrist camera
              --wrist-fov DEG      its vertical field of view, 20…120 (default 70): the one
                                   the evaluated policy's episodes were recorded with
              --watchdog-ms N      hold position after N ms without a command (default 500)
              --no-success-signal  do not report success (rehearses operator scoring)
              --fault KIND:N       misbehave after N commands: garbage, disconnect,
                                   stall, out-of-range, nan (rehearses failures)

            Examples:
              cotrain arm-sim --listen 127.0.0.1:7600 --embodiment panda
              cotrain arm-sim --fault stall:20 --no-success-signal
            """,
        run: { args, options in
            let listen = try args.option("--listen") ?? "127.0.0.1:\(BridgeProtocol.defaultPort)"
            let kind = try parseEmbodiment(try args.option("--embodiment"), command: "arm-sim") ?? .ur5e
            let task = try args.option("--task").map { text -> TaskSpec in
                guard let family = TaskFamily(rawValue: text) else {
                    throw UsageError(message: "unknown task '\(text)'; use \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))", command: "arm-sim")
                }
                return TaskSpec(family)
            }
            let seed = try args.int("--seed", default: 0, range: 0...Int(Int32.max))
            let (width, height) = try parseImageSize(try args.option("--image"), command: "arm-sim")
            let wrist = args.flag("--wrist"), noSuccess = args.flag("--no-success-signal")
            let fov = try parseWristFieldOfView(&args)
            let watchdog = try args.int("--watchdog-ms", default: 500, range: 10...10_000)
            let fault = try args.option("--fault").map { text -> ArmSimFault in
                guard let f = ArmSimFault(text) else { throw UsageError(message: "--fault must be KIND:N with KIND garbage, disconnect, stall, out-of-range or nan", command: "arm-sim") }
                return f
            }
            try args.finish()
            var settings = ArmSimOptions(
                embodiment: kind, config: SimConfig(imageWidth: width, imageHeight: height, wristCamera: wrist, wristFieldOfView: fov),
                watchdog: Double(watchdog) / 1000)
            settings.successSignal = !noSuccess
            settings.fault = fault
            settings.fixedTask = task
            settings.fixedSeed = UInt64(seed)
            let quiet = options.quiet
            let server = try ArmSimServer(address: listen, options: settings) { line in
                if !quiet { Console.error("arm-sim: \(line)\n") }
            }
            StopRequest.installInterruptHandler()
            let host = listen.split(separator: ":").dropLast().joined(separator: ":")
            print("arm-sim: \(kind.rawValue) listening on \(host):\(server.port) (Ctrl-C to stop)")
            server.serve(stop: StopRequest(followsInterrupt: true))
            let s = server.stats
            print("arm-sim: served \(s.connections) connection(s), \(s.resets) episodes, \(s.commands) commands, \(s.stopsReceived) stops, \(s.watchdogHolds) watchdog holds")
            return ExitCode.ok
        })
}

/// `--wrist-fov DEG`: the wrist camera's vertical field of view, within the range the
/// simulator and the episode files accept (default 70).
func parseWristFieldOfView(_ args: inout Arguments) throws -> Float {
    let range = Camera.wristFieldOfViewRange
    return Float(try args.double("--wrist-fov", default: Double(Camera.defaultWristFieldOfView), range: Double(range.lowerBound)...Double(range.upperBound)))
}

/// Parses "WxH" (default 64x64).
func parseImageSize(_ text: String?, command: String) throws -> (Int, Int) {
    guard let text else { return (64, 64) }
    let parts = text.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, (8...1024).contains(parts[0]), (8...1024).contains(parts[1]) else {
        throw UsageError(message: "image size must be WxH with sides 8...1024, got '\(text)'", command: command)
    }
    return (parts[0], parts[1])
}
