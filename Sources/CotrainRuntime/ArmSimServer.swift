// CotrainRuntime/ArmSimServer.swift: `cotrain arm-sim`, an arm bridge backed by the
// simulator, so the real-arm path (client, protocol, watchdogs, operator flow) runs end
// to end without hardware. It behaves as a real bridge must (docs/arm-bridge.md):
// strict validation, one state per command, and a watchdog that holds position when
// commands stop coming. Faults can be injected to rehearse failures.
import CotrainCore
import CotrainSim
import Foundation
import Synchronization

/// A failure `arm-sim` can simulate after a number of commands.
public enum ArmSimFault: Sendable, Equatable {
    /// Send random bytes instead of a state.
    case garbage(afterCommands: Int)
    /// Close the connection.
    case disconnect(afterCommands: Int)
    /// Stop answering commands (still reads, so stops are seen).
    case stall(afterCommands: Int)
    /// Report the first joint 1 rad (or m) past its upper limit.
    case outOfRange(afterCommands: Int)
    /// Write `NaN` for a joint (what Python's json.dumps does by default).
    case nonFinite(afterCommands: Int)

    var after: Int {
        switch self {
        case .garbage(let n), .disconnect(let n), .stall(let n), .outOfRange(let n), .nonFinite(let n): n
        }
    }

    /// Parses "KIND:N", e.g. "stall:20" (for the CLI).
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]), n >= 0 else { return nil }
        switch parts[0] {
        case "garbage": self = .garbage(afterCommands: n)
        case "disconnect": self = .disconnect(afterCommands: n)
        case "stall": self = .stall(afterCommands: n)
        case "out-of-range": self = .outOfRange(afterCommands: n)
        case "nan": self = .nonFinite(afterCommands: n)
        default: return nil
        }
    }
}

/// How `arm-sim` behaves.
public struct ArmSimOptions: Sendable {
    /// The simulated robot and its cameras.
    public var embodiment: EmbodimentKind
    public var config: SimConfig
    /// Bridge watchdog: no command within this many seconds during an episode ⇒ hold.
    public var watchdog: Double = 0.5
    /// Whether to report task success (off rehearses operator scoring).
    public var successSignal = true
    /// Close a connection that sends nothing at all for this long (nil: never; an
    /// operator may take minutes to set up a scene between episodes).
    public var idleTimeout: Double? = nil
    /// A failure to inject, if any.
    public var fault: ArmSimFault? = nil
    /// When set, every reset uses this task (and `fixedSeed` + episode number) whatever
    /// the client asks, as a real arm's scene is whatever the operator set up.
    public var fixedTask: TaskSpec? = nil
    public var fixedSeed: UInt64 = 0

    public init(embodiment: EmbodimentKind, config: SimConfig = SimConfig(), watchdog: Double = 0.5) {
        self.embodiment = embodiment; self.config = config; self.watchdog = watchdog
    }
}

/// What the server saw (for tests and the log).
public struct ArmSimStats: Sendable, Equatable {
    public var connections = 0
    public var resets = 0
    public var commands = 0
    /// Stop messages received, and the last reason given.
    public var stopsReceived = 0
    public var lastStopReason: String? = nil
    /// Times the watchdog fired and held position.
    public var watchdogHolds = 0
    /// Error messages sent to clients.
    public var errorsSent = 0
    public var lastError: String? = nil
}

/// The `arm-sim` bridge server: serves one client at a time, as a real arm would.
public final class ArmSimServer: Sendable {
    let listener: BridgeListener
    let options: ArmSimOptions
    let statistics = Mutex(ArmSimStats())
    let stopping = StopRequest()
    let running = Mutex(false)
    /// Called with each log line (connection, reset, stop, watchdog, error).
    let log: @Sendable (String) -> Void

    /// Listens on `address` ("HOST:PORT"; port 0 picks a free port).
    public init(address: String, options: ArmSimOptions, log: @escaping @Sendable (String) -> Void = { _ in }) throws(BridgeError) {
        listener = try BridgeListener(address)
        self.options = options
        self.log = log
    }

    /// The bound port.
    public var port: Int { listener.port }
    /// A snapshot of what the server saw.
    public var stats: ArmSimStats { statistics.withLock { $0 } }

    /// Serves clients until `shutdown` (or `stop`) is requested. Blocks.
    public func serve(stop: StopRequest = StopRequest()) {
        running.withLock { $0 = true }
        defer { running.withLock { $0 = false } }
        while !stopping.isRequested && !stop.isRequested {
            guard let socket = try? listener.accept(timeout: 0.1) else { continue }
            statistics.withLock { $0.connections += 1 }
            log("client connected")
            var session = ArmSimSession(server: self, channel: BridgeChannel(socket: socket))
            session.run(stop: stop)
            socket.close()
            log("client disconnected")
        }
    }

    /// Serves on a background thread; returns at once.
    public func start() {
        Thread.detachNewThread { [self] in serve() }
    }

    /// Asks `serve` to return and waits (up to 2 s) until it has.
    public func shutdown() {
        stopping.request()
        let deadline = monotonicSeconds() + 2
        while running.withLock({ $0 }) && monotonicSeconds() < deadline { usleep(5_000) }
    }

    func record(_ body: (inout ArmSimStats) -> Void) { statistics.withLock { body(&$0) } }
}
