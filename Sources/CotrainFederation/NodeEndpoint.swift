// HOST:PORT as a node listens on it, advertises it and dials it. IPv6 literals are
// written in brackets ("[::1]:7443") so the port is never ambiguous.
import CotrainCore

/// A validated `HOST:PORT`: a DNS name, an IPv4 address or a bracketed IPv6 address,
/// and a port in 1...65535.
public struct NodeEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets: `lab-a.example.org`, `10.0.0.5` or `::1`.
    public let host: String
    /// The TCP port.
    public let port: UInt16

    /// The default port a node listens on.
    public static let defaultPort: UInt16 = 7443

    /// An endpoint from parts; `host` is validated like in ``init(parsing:)``.
    public init(host: String, port: UInt16) throws(NodeEndpointError) {
        guard port > 0 else { throw NodeEndpointError(text: "\(host):0", reason: "port 0 is not allowed; use 1-65535") }
        if host.contains(":") {
            guard Self.isIPv6(host) else { throw NodeEndpointError(text: host, reason: "'\(host)' is not an IPv6 address") }
        } else if !Self.isIPv4(host) {
            if let reason = Self.hostNameProblem(host) { throw NodeEndpointError(text: host, reason: reason) }
        }
        self.host = host.lowercased()
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPV6]:PORT`, e.g. `lab-a.example.org:7443`, `[::1]:7443`.
    public init(parsing text: String) throws(NodeEndpointError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw NodeEndpointError(text: text, reason: "the '[' of an IPv6 address has no ']'")
            }
            host = text[text.index(after: text.startIndex)..<close]
            guard Self.isIPv6(String(host)) else {
                throw NodeEndpointError(text: text, reason: "only IPv6 addresses go in brackets, '\(host)' is not one")
            }
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw NodeEndpointError(text: text, reason: "expected ':PORT' after ']', e.g. [::1]:7443")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw NodeEndpointError(text: text, reason: "expected HOST:PORT, e.g. lab-a.example.org:7443")
            }
            host = text[..<colon]
            guard !host.contains(":") else {
                throw NodeEndpointError(text: text, reason: "write IPv6 addresses in brackets, e.g. [::1]:7443")
            }
            portText = text[text.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
            portText.count <= 5, let port = Int(portText), (1...65535).contains(port)
        else {
            throw NodeEndpointError(text: text, reason: "the port must be a number in 1-65535, got '\(portText)'")
        }
        do {
            try self.init(host: String(host), port: UInt16(port))
        } catch {
            throw NodeEndpointError(text: text, reason: error.reason)
        }
    }

    /// `HOST:PORT`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for the wildcard addresses `0.0.0.0` and `::` (listen on every interface).
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// Why `name` is not a DNS host name (RFC 1123 labels), or nil if it is one.
    static func hostNameProblem(_ name: String) -> String? {
        guard !name.isEmpty else { return "the host is empty" }
        guard name.utf8.count <= 253 else { return "the host name is longer than 253 characters" }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else {
                return "'\(name)' has an empty or over-long (>63) label between dots"
            }
            guard label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                return "'\(name)' may only contain letters, digits, '-' and '.'"
            }
            guard label.first != "-", label.last != "-" else { return "'\(name)' has a label starting or ending with '-'" }
        }
        if labels.last!.allSatisfy(\.isNumber) { return "'\(name)' is neither an IPv4 address nor a host name" }
        return nil
    }
}

/// Text that is not a valid `HOST:PORT`.
public struct NodeEndpointError: CotrainError, Equatable {
    /// The text given.
    public let text: String
    /// What is wrong with it.
    public let reason: String

    public var description: String { "'\(text)' is not a valid HOST:PORT: \(reason)" }
}
