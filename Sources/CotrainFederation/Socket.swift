// An owned, non-blocking TCP socket: listen, accept, connect with a deadline. Every
// call retries EINTR (sysCall) and failures name the address.
import CotrainCore

/// A TCP socket descriptor owned by this object and closed in `deinit`.
///
/// Always non-blocking and close-on-exec; waiting is done with ``Poll``. `shutdown()`
/// may be called from any thread to wake a thread polling the socket (the descriptor
/// itself is closed only when the last reference goes, so it is never reused while a
/// poll still holds its number).
final class Socket: @unchecked Sendable {
    /// The descriptor. Immutable; closed in `deinit`.
    let fd: Int32
    /// The remote (accepted/connected) or local (listening) address, for messages.
    let address: String

    private init(fd: Int32, address: String) {
        self.fd = fd
        self.address = address
    }

    deinit { close(fd) }

    /// A new non-blocking, close-on-exec TCP socket for `family`.
    private static func make(_ family: Int32, _ subject: String) throws(SystemError) -> Int32 {
        try sysCall("socket", subject) {
            socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// Binds and listens on `endpoint` (the first address that works, SO_REUSEADDR on;
    /// IPv6 sockets are v6-only so `[::]` and `0.0.0.0` can both be bound).
    static func listen(on endpoint: SocketEndpoint, backlog: Int32 = 128) throws(ConnectionError) -> Socket {
        var lastError: SystemError? = nil
        for address in try endpoint.resolve(passive: true) {
            do throws(SystemError) {
                let fd = try make(address.family, endpoint.description)
                var listening = false
                defer { if !listening { close(fd) } }
                try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", endpoint.description)
                if address.family == AF_INET6 {
                    try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY", endpoint.description)
                }
                try sysCall("bind", endpoint.description) { address.withSockAddr { bind(fd, $0, $1) } }
                try sysCall("listen", endpoint.description) { Glibc.listen(fd, backlog) }
                listening = true
                return Socket(fd: fd, address: localAddress(of: fd) ?? endpoint.description)
            } catch {
                lastError = error
            }
        }
        throw ConnectionError.system(lastError ?? SystemError("listen", endpoint.description, code: EADDRNOTAVAIL))
    }

    /// Accepts one pending connection, or returns nil when none is waiting (EAGAIN).
    /// The new socket is non-blocking with TCP_NODELAY.
    func accept() throws(SystemError) -> Socket? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutableBytes(of: &storage) { raw -> Int32 in
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            while true {
                // Glibc's Swift module lacks accept4: set the flags just after.
                let fd = Glibc.accept(self.fd, address, &length)
                if fd == -1 && errno == EINTR { continue }
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                }
                return fd
            }
        }
        if fd == -1 {
            // ECONNABORTED: the client gave up before we accepted; not the listener's fault.
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED { return nil }
            throw SystemError("accept", address, code: errno)
        }
        let remote = withUnsafeBytes(of: &storage) {
            ResolvedAddress.describe($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
        try? Self.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY", remote)
        return Socket(fd: fd, address: remote)
    }

    /// Connects to `endpoint`, trying each resolved address in turn until one answers or
    /// `deadline` passes. The socket is non-blocking with TCP_NODELAY.
    static func connect(to endpoint: SocketEndpoint, deadline: ContinuousClock.Instant) throws(ConnectionError) -> Socket {
        var lastError = ConnectionError.connectTimedOut(endpoint.description)
        for address in try endpoint.resolve(passive: false) {
            guard ContinuousClock.now < deadline else { break }
            do throws(ConnectionError) {
                return try connect(address, deadline: deadline, name: endpoint.description)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func connect(_ address: ResolvedAddress, deadline: ContinuousClock.Instant, name: String) throws(ConnectionError) -> Socket {
        let socket: Socket
        do throws(SystemError) {
            socket = Socket(fd: try make(address.family, name), address: name)
            try setOption(socket.fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY", name)
        } catch { throw .system(error) }
        let status = address.withSockAddr { Glibc.connect(socket.fd, $0, $1) }
        if status == 0 { return socket }
        guard errno == EINPROGRESS || errno == EINTR else { throw .system(SystemError("connect", name, code: errno)) }
        var code: Int32 = 0
        do throws(SystemError) {
            if try Poll.wait(socket.fd, for: Int16(POLLOUT), until: deadline) {
                var length = socklen_t(MemoryLayout<Int32>.size)
                try sysCall("getsockopt(SO_ERROR)", name) { getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &code, &length) }
            } else {
                code = ETIMEDOUT
            }
        } catch { throw .system(error) }
        if code == ETIMEDOUT { throw .connectTimedOut(name) }
        guard code == 0 else { throw .system(SystemError("connect", name, code: code)) }
        return socket
    }

    /// Wakes any thread polling this socket and ends both directions; the descriptor
    /// stays open until `deinit`. Safe to call from any thread, more than once.
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Ends our direction and reads (discarding) until the peer closes or `deadline`:
    /// closing with unread input would reset the connection and could destroy the
    /// TLS alert we just sent before the peer reads it.
    func linger(until deadline: ContinuousClock.Instant) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 << 10)
        while ContinuousClock.now < deadline {
            let n = read(fd, &scratch, scratch.count)
            if n > 0 { continue }
            guard n < 0, errno == EAGAIN || errno == EINTR else { return }
            guard (try? Poll.wait(fd, for: Int16(POLLIN), until: deadline)) == true else { return }
        }
    }

    /// The numeric local address, e.g. `127.0.0.1:41234` (what an ephemeral bind got).
    static func localAddress(of fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &storage) { raw in
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            guard getsockname(fd, address, &length) == 0 else { return nil }
            return ResolvedAddress.describe(address, length)
        }
    }

    /// The bound local port (for a listener on port 0, the ephemeral port chosen).
    var localPort: UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        guard withUnsafeMutableBytes(of: &storage, { getsockname(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }) == 0
        else { return 0 }
        return withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET: return UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
            case AF_INET6: return UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            default: return 0
            }
        }
    }

    private static func setOption(
        _ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String, _ subject: String
    ) throws(SystemError) {
        var value = value
        try sysCall("setsockopt(\(label))", subject) {
            setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }
}
