// `HOST:PORT` as written in configs and peer records, parsed strictly, and resolved
// with getaddrinfo into the socket addresses to bind or dial.
import CotrainCore

/// A TCP endpoint: a host (name, IPv4 or IPv6 literal) and a port.
///
/// Text form: `host:port`, `1.2.3.4:port` or `[v6]:port`; port 0 (listening only)
/// asks the kernel for an ephemeral port.
public struct SocketEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address literal (IPv6 without brackets).
    public let host: String
    /// The TCP port.
    public let port: UInt16

    /// An endpoint from parts; `host` must be non-empty.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// The endpoint of a node record or config (same host and port).
    public init(_ endpoint: NodeEndpoint) {
        self.init(host: endpoint.host, port: endpoint.port)
    }

    /// Parses `HOST:PORT` (`[V6]:PORT` for IPv6 literals); throws
    /// ``ConnectionError/invalidEndpoint(_:reason:)`` naming the text.
    public init(parsing text: String) throws(ConnectionError) {
        func fail(_ reason: String) -> ConnectionError { .invalidEndpoint(text, reason: reason) }
        guard text.utf8.count <= 261 else { throw fail("it is longer than 261 characters") }
        guard let colon = text.lastIndex(of: ":") else { throw fail("expected HOST:PORT") }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { throw fail("unbalanced brackets around the IPv6 address") }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw fail("write IPv6 addresses in brackets, e.g. [::1]:7443")
        }
        guard !host.isEmpty else { throw fail("the host is empty") }
        guard host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") }) else {
            throw fail("the host has characters a host name or address cannot have")
        }
        guard !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let port = UInt16(portText)
        else { throw fail("the port must be a number from 0 to 65535") }
        self.init(host: host, port: port)
    }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The socket addresses for this endpoint (IPv4 and/or IPv6, TCP), in getaddrinfo
    /// order. `passive` resolves for binding (e.g. `0.0.0.0`).
    func resolve(passive: Bool) throws(ConnectionError) -> [ResolvedAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw ConnectionError.unresolvable(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var next = list
        while let entry = next {
            if let address = entry.pointee.ai_addr, entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                let length = Int(entry.pointee.ai_addrlen)
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length)) }
                addresses.append(ResolvedAddress(family: entry.pointee.ai_family, storage: storage, length: socklen_t(length)))
            }
            next = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw ConnectionError.unresolvable(host: host, reason: "no IPv4 or IPv6 address") }
        return addresses
    }
}

/// One resolved socket address (a `sockaddr_in` or `sockaddr_in6`).
struct ResolvedAddress {
    let family: Int32
    var storage: sockaddr_storage
    let length: socklen_t

    /// Calls `body` with the address as a `sockaddr` pointer.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    /// `1.2.3.4:port` or `[v6]:port`, numeric.
    var description: String { withSockAddr { Self.describe($0, $1) } }

    /// The numeric `host:port` text of any socket address.
    static func describe(_ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = getnameinfo(address, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                                 NI_NUMERICHOST | NI_NUMERICSERV)
        guard status == 0 else { return "unknown address" }
        let h = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let s = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return h.contains(":") ? "[\(h)]:\(s)" : "\(h):\(s)"
    }
}
