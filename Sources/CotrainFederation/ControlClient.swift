// How an admin command reaches the registry: when no node runs, it takes the node
// lock and acts on the files itself; when a node runs (it holds the lock), it sends
// the request over the control socket. Both paths run the same ControlHandler.
import CotrainCore
import Foundation

/// Runs admin requests against a node home, whether or not a node is running.
public enum NodeAdmin {
    /// How a request reached the registry.
    public enum Path: String, Sendable {
        /// This process took the node lock and acted on the files.
        case direct
        /// A running node answered over its control socket.
        case controlSocket = "control-socket"
    }

    /// Carries out `request` on `home` and returns its result and the path taken.
    ///
    /// - Parameters:
    ///   - environment: for `COTRAIN_*` config overrides on the direct path.
    ///   - dialer: sends `join` requests on the direct path.
    ///   - lockWait: how long to wait for a lock held by a process without a control
    ///     socket (most likely another admin command) before giving up.
    /// - Throws: the registry's typed errors (direct), ``ControlError`` (socket).
    public static func perform(
        _ request: ControlRequest, home: NodeHome, environment: [String: String] = [:],
        dialer: any JoinDialer = UnavailableJoinDialer(), lockWait: Double = 3
    ) throws -> (result: JSONValue, path: Path) {
        try home.validate()
        var attempts = 0
        let lock: NodeLock
        while true {
            do {
                lock = try NodeLock(directory: home.root)
                break
            } catch let error as LockError {
                // A running node has a socket; without one, the holder is most likely
                // another short admin command: wait for it before failing.
                var st = stat()
                if lstat(home.controlSocketPath, &st) == 0 || Double(attempts) >= lockWait * 10 {
                    return (try send(request, to: home.controlSocketPath, holder: error), .controlSocket)
                }
                attempts += 1
                usleep(100_000)
            }
        }
        let config = try home.loadConfig(environment: environment)
        let certificate = try home.loadCertificate()
        let registry = try PeerRegistry(home: home, lock: lock, limits: config.limits)
        let handler = ControlHandler(registry: registry, config: config, nodeID: certificate.nodeID, dialer: dialer)
        let result = try handler.perform(request, uid: geteuid())
        _ = consume lock
        return (result, .direct)
    }

    /// Sends `request` to the node listening at `path` and returns its result.
    public static func send(_ request: ControlRequest, to path: String, holder: LockError? = nil) throws -> JSONValue {
        let socket: ControlSocket
        do {
            socket = try ControlSocket.connect(to: path)
        } catch let error as SystemError {
            let who = holder?.holder.map { "process \($0) holds the node lock; " } ?? ""
            throw ControlError.noSocket(path: path, reason: who + error.description)
        }
        try socket.setTimeout(seconds: 30)
        try socket.writeLine(request.json.canonicalBytes)
        let line = try socket.readLine(limit: ControlRequest.maximumLineBytes)
        var object: ConfigObject
        do {
            object = try ConfigObject.parse(line, source: "control response", limits: .default)
        } catch {
            throw ControlError.protocolError(error.description)
        }
        guard let ok = try object.optionalBool("ok") else { throw ControlError.protocolError("the response has no 'ok'") }
        if !ok { throw ControlError.failed(try object.optionalString("error") ?? "the node reported an unspecified error") }
        guard let result = object.take(optional: "result") else { throw ControlError.protocolError("the response has no 'result'") }
        return result
    }
}
