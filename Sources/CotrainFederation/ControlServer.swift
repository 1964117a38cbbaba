// The running node's end of the control socket: one thread accepts connections and
// answers each request in turn (admin traffic is a few requests per day; a stuck
// client is cut by a 5 s timeout). Only the node's own user and root may connect.
import CotrainCore
import Dispatch
import Foundation
import Synchronization

/// Serves admin requests on `DIR/state/control.sock` while a node runs.
///
/// Create it while holding the node lock; ``start()`` it, and ``stop()`` it before the
/// node exits (the socket file is removed). Revocations made through it reach the
/// transport through ``PeerRegistry/onRevoke(_:)``.
public final class ControlServer: Sendable {
    /// The socket path.
    public let path: String
    private let handler: ControlHandler
    private let listener: ControlSocket
    private let wake: (read: Int32, write: Int32)
    private let finished = DispatchSemaphore(value: 0)
    private let state = Mutex<(started: Bool, stopped: Bool)>((false, false))
    private let log: Logger?

    /// Binds the socket (mode 0600) in `home`'s state directory.
    public init(home: NodeHome, handler: ControlHandler, log: Logger? = nil) throws {
        path = home.controlSocketPath
        self.handler = handler
        self.log = log
        listener = try ControlSocket.listen(at: path)
        var fds: [Int32] = [0, 0]
        try sysCall("pipe", path) { pipe(&fds) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wake = (fds[0], fds[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// Starts the accepting thread (once).
    public func start() {
        guard state.withLock({ state in
            defer { state.started = true }
            return !state.started
        }) else { return }
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "cotrain-control"
        thread.start()
    }

    /// Stops accepting, waits for the thread, and removes the socket file.
    public func stop() {
        let (started, alreadyStopped) = state.withLock { state in
            defer { state.stopped = true }
            return (state.started, state.stopped)
        }
        guard !alreadyStopped else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        if started { finished.wait() }
        unlink(path)
    }

    private func serve() {
        var fds = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 || fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            do {
                let connection = try listener.accept()
                handle(connection)
            } catch {
                log?.warning("control socket accept failed", ["error": "\(error)"])
            }
        }
    }

    /// Answers one connection; never throws (a failure only ends that connection).
    private func handle(_ connection: borrowing ControlSocket) {
        let response: JSONValue
        do {
            try connection.setTimeout(seconds: 5)
            let uid = try connection.peerUID()
            guard uid == geteuid() || uid == 0 else { throw ControlError.permissionDenied(uid: uid) }
            let request = try ControlRequest.parse(connection.readLine(limit: ControlRequest.maximumLineBytes))
            let result = try handler.perform(request, uid: uid)
            response = .object([("ok", true), ("result", result)])
        } catch {
            response = .object([("ok", false), ("error", .string("\(error)"))])
        }
        try? connection.writeLine(response.canonicalBytes)
    }
}
