// CotrainRuntime/BridgeSocket.swift: plain TCP for the arm bridge (loopback or a lab
// network), with deadlines on every wait. Reads poll first, so a stalled peer can never
// block the control loop past its deadline.
import CotrainCore
import Synchronization

/// A connected TCP socket; closed when released.
public final class BridgeSocket: Sendable {
    let fd: Int32
    /// "HOST:PORT" of the peer, for messages.
    public let peer: String
    let closed = Atomic<Bool>(false)

    init(fd: Int32, peer: String) {
        self.fd = fd; self.peer = peer
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // A peer that stops reading must not block our writes forever.
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    public func close() {
        if !closed.exchange(true, ordering: .sequentiallyConsistent) { Glibc.close(fd) }
    }

    /// Shuts both directions down (wakes a reader on another thread).
    public func shutdownBoth() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Connects to `address` ("HOST:PORT") within `timeout` seconds.
    public static func connect(_ address: String, timeout: Double = 5) throws(BridgeError) -> BridgeSocket {
        let (host, port) = try parseAddress(address)
        var last = "no address found"
        for info in try resolve(host, port, passive: false) {
            let fd = socket(info.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { last = String(cString: strerror(errno)); continue }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var result = info.address.withUnsafeBytes { Glibc.connect(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), info.length) }
            if result != 0 && errno == EINPROGRESS {
                if waitFor(fd, Int16(POLLOUT), timeout: timeout) {
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    result = code == 0 ? 0 : -1
                    errno = code
                } else {
                    errno = ETIMEDOUT
                }
            }
            if result == 0 {
                _ = fcntl(fd, F_SETFL, flags)
                return BridgeSocket(fd: fd, peer: address)
            }
            last = String(cString: strerror(errno))
            Glibc.close(fd)
        }
        throw .io(operation: "connect to \(address)", reason: last)
    }

    /// Writes all of `bytes`.
    public func send(_ bytes: [UInt8]) throws(BridgeError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .disconnected(during: "a write") }
                throw .io(operation: "write to \(peer)", reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }

    /// Reads exactly `count` bytes before the monotonic `deadline`. `interrupted` is
    /// polled every 50 ms; when it returns true the read gives up with `stalled`.
    public func receive(
        _ count: Int, deadline: Double, waitingFor what: String, interrupted: () -> Bool = { false }
    ) throws(BridgeError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        let started = monotonicSeconds()
        while filled < count {
            let left = deadline - monotonicSeconds()
            if left <= 0 || interrupted() { throw .stalled(waitingFor: what, seconds: monotonicSeconds() - started) }
            guard Self.waitFor(fd, Int16(POLLIN), timeout: min(left, 0.05)) else { continue }
            let n = out.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            if n == 0 { throw .disconnected(during: "waiting for \(what)") }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { throw .disconnected(during: "waiting for \(what)") }
                throw .io(operation: "read from \(peer)", reason: String(cString: strerror(errno)))
            }
            filled += n
        }
        return out
    }

    /// Waits up to `timeout` seconds for data (or hang-up) to read.
    public func waitReadable(timeout: Double) -> Bool { Self.waitFor(fd, Int16(POLLIN), timeout: timeout) }

    /// Polls `fd` for `events` up to `timeout` seconds; true when ready (or on error/hang-up,
    /// which the following read reports).
    static func waitFor(_ fd: Int32, _ events: Int16, timeout: Double) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let ms = Int32(max(0, min(timeout, 3600)) * 1000)
        let r = poll(&p, 1, ms)
        return r > 0
    }
}

/// A listening TCP socket.
public final class BridgeListener: Sendable {
    let fd: Int32
    /// The port actually bound (useful with port 0).
    public let port: Int

    /// Listens on `address` ("HOST:PORT"; port 0 picks a free port).
    public init(_ address: String) throws(BridgeError) {
        let (host, port) = try parseAddress(address)
        guard let info = try resolve(host, port, passive: true).first else { throw .badAddress(address, reason: "no address found") }
        let fd = socket(info.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io(operation: "socket", reason: String(cString: strerror(errno))) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = info.address.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), info.length) }
        guard bound == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .badAddress(address, reason: "cannot listen (\(reason))")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        let raw = withUnsafeBytes(of: &storage) { b in UInt16(b[2]) << 8 | UInt16(b[3]) }  // sin_port / sin6_port, big-endian
        self.fd = fd
        self.port = Int(raw)
    }

    deinit { Glibc.close(fd) }

    /// Waits up to `timeout` seconds for a client; nil when none came.
    public func accept(timeout: Double) throws(BridgeError) -> BridgeSocket? {
        guard BridgeSocket.waitFor(fd, Int16(POLLIN), timeout: timeout) else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            throw .io(operation: "accept", reason: String(cString: strerror(errno)))
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return BridgeSocket(fd: client, peer: "client")
    }
}

/// Splits "HOST:PORT" or "[IPv6]:PORT".
func parseAddress(_ address: String) throws(BridgeError) -> (host: String, port: Int) {
    guard let colon = address.lastIndex(of: ":") else { throw .badAddress(address, reason: "no port") }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
        throw .badAddress(address, reason: "the port must be a number in 0...65535")
    }
    guard !host.isEmpty else { throw .badAddress(address, reason: "no host") }
    return (host, port)
}

struct ResolvedAddress {
    var family: Int32
    var address: [UInt8]
    var length: socklen_t
}

/// Resolves a host with getaddrinfo (numeric addresses and names).
func resolve(_ host: String, _ port: Int, passive: Bool) throws(BridgeError) -> [ResolvedAddress] {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = passive ? AI_PASSIVE : 0
    var list: UnsafeMutablePointer<addrinfo>? = nil
    let rc = getaddrinfo(host, String(port), &hints, &list)
    guard rc == 0 else { throw .badAddress("\(host):\(port)", reason: String(cString: gai_strerror(rc))) }
    defer { freeaddrinfo(list) }
    var out: [ResolvedAddress] = []
    var cursor = list
    while let info = cursor?.pointee {
        if let addr = info.ai_addr {
            let bytes = Array(UnsafeRawBufferPointer(start: addr, count: Int(info.ai_addrlen)))
            out.append(ResolvedAddress(family: info.ai_family, address: bytes, length: info.ai_addrlen))
        }
        cursor = info.ai_next
    }
    return out
}
