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
                let fd = accept4(self.fd, address, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                if fd == -1 && errno == EINTR { continue }
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
        do throws(SystemError) {
            guard try Poll.wait(socket.fd, for: Int16(POLLOUT), until: deadline) else { throw ConnectionError.connectTimedOut(name) }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            try sysCall("getsockopt(SO_ERROR)", name) { getsockopt(socket.fd, SOL_SOCKET, SO_ERROR, &code, &length) }
            guard code == 0 else { throw ConnectionError.system(SystemError("connect", name, code: code)) }
        } catch { throw .system(error) }
        return socket
    }

    /// Wakes any thread polling this socket and ends both directions; the descriptor
    /// stays open until `deinit`. Safe to call from any thread, more than once.
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

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
