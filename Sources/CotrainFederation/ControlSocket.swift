// A Unix-domain stream socket for the control protocol: create/bind/connect, peer
// credentials (SO_PEERCRED), timeouts, and line-based reads with a size limit.
import CotrainCore

/// An owned Unix socket descriptor; closed when the value is destroyed.
struct ControlSocket: ~Copyable {
    let fd: Int32
    /// The socket path, for error messages.
    let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// The `sockaddr_un` of `path`, or an error when the path is too long.
    static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let limit = MemoryLayout.size(ofValue: address.sun_path) - 1
        guard bytes.count <= limit else { throw NodeHomeError.socketPathTooLong(path, length: bytes.count, limit: limit) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    private static func newSocket(_ path: String) throws -> ControlSocket {
        let fd = try sysCall("socket", path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        return ControlSocket(fd: fd, path: path)
    }

    /// Binds and listens at `path` with mode 0600, replacing a stale socket file. The
    /// caller must hold the node lock (so no live node owns the old file).
    static func listen(at path: String) throws -> ControlSocket {
        var address = try Self.address(path)
        let socket = try newSocket(path)
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw ControlError.noSocket(path: path, reason: "a non-socket file is in the way") }
            unlink(path)
        }
        try sysCall("bind", path) {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        // The directory is 0700, so the default mode of the new file was never reachable.
        try sysCall("chmod", path) { chmod(path, 0o600) }
        try sysCall("listen", path) { Glibc.listen(socket.fd, 16) }
        return socket
    }

    /// Connects to the socket at `path`.
    static func connect(to path: String) throws -> ControlSocket {
        var address = try Self.address(path)
        let socket = try newSocket(path)
        try sysCall("connect", path) {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        return socket
    }

    /// Accepts one connection.
    func accept() throws -> ControlSocket {
        // accept4 is not exported to Swift; nothing forks meanwhile, so set CLOEXEC after.
        let client = try sysCall("accept", path) { Glibc.accept(fd, nil, nil) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        return ControlSocket(fd: client, path: path)
    }

    /// The uid of the process at the other end (SO_PEERCRED).
    func peerUID() throws -> uid_t {
        #if os(Linux)
        // Linux `struct ucred` (pid_t, uid_t, gid_t); Glibc does not export it to Swift
        // without _GNU_SOURCE.
        var credentials = (pid: Int32(0), uid: UInt32(0), gid: UInt32(0))
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        try sysCall("getsockopt(SO_PEERCRED)", path) { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) }
        return credentials.uid
        #else
        var uid = uid_t(0)
        var gid = gid_t(0)
        try sysCall("getpeereid", path) { getpeereid(fd, &uid, &gid) }
        return uid
        #endif
    }

    /// Bounds every read and write to `seconds`, so a stuck peer cannot hang the other end.
    func setTimeout(seconds: Int) throws {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            try sysCall("setsockopt", path) { setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) }
        }
    }

    /// Writes `line` and a newline.
    func writeLine(_ bytes: [UInt8]) throws {
        let data = bytes + [0x0A]
        var sent = 0
        while sent < data.count {
            let n = try data.withUnsafeBytes { raw in
                try sysCall("send", path) { send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL)) }
            }
            sent += n
        }
    }

    /// Reads up to the first newline (not included); at most `limit` bytes.
    func readLine(limit: Int) throws -> [UInt8] {
        var line: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = try buffer.withUnsafeMutableBytes { raw in try sysCall("recv", path) { recv(fd, raw.baseAddress, raw.count, 0) } }
            guard n > 0 else { throw ControlError.protocolError("the other side closed the connection before a full line") }
            if let newline = buffer[..<n].firstIndex(of: 0x0A) {
                line += buffer[..<newline]
                guard line.count <= limit else { break }
                return line
            }
            line += buffer[..<n]
            guard line.count <= limit else { break }
        }
        throw ControlError.protocolError("a line is longer than \(limit) bytes")
    }
}
