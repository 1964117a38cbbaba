// Waiting on descriptors with deadlines: poll(2) with a timeout computed from a
// monotonic deadline, retried on EINTR.
import CotrainCore

/// poll(2) with deadlines on the monotonic clock.
enum Poll {
    /// Milliseconds from now until `deadline` (rounded up, clamped to 0…Int32.max), or
    /// -1 (wait forever) when there is no deadline.
    static func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }

    /// Polls `fds` until one is ready or `deadline` passes; returns the number ready
    /// (0 on timeout). Each `revents` is filled in.
    @discardableResult
    static func wait(_ fds: inout [pollfd], until deadline: ContinuousClock.Instant?) throws(SystemError) -> Int {
        let count = nfds_t(fds.count)
        let result = try fds.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(SystemError) in
                try sysCall("poll") { poll(buffer.baseAddress, count, milliseconds(until: deadline)) }
            }
        }.get()
        return Int(result)
    }

    /// Waits until `fd` has one of `events` (or an error/hang-up) or `deadline` passes;
    /// true if it is ready.
    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant?) throws(SystemError) -> Bool {
        var fds = [pollfd(fd: fd, events: events, revents: 0)]
        return try wait(&fds, until: deadline) > 0
    }
}

/// A self-pipe that wakes a thread blocked in poll(2) from another thread: the
/// connection and listener threads poll its read end beside their socket.
final class SocketWakeup: @unchecked Sendable {
    /// Poll this for POLLIN.
    let readFD: Int32
    private let writeFD: Int32

    init() throws(SystemError) {
        var fds: [Int32] = [-1, -1]
        // Glibc's Swift module lacks pipe2, so the flags are set just after; a child
        // spawned in between could inherit the pipe, which is harmless.
        try sysCall("pipe") { pipe(&fds) }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Makes the read end readable (idempotent while not drained). Any thread.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)  // EAGAIN: already signalled, which is all we need
    }

    /// Empties the pipe; call on the polling thread after a wake-up.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }
}
