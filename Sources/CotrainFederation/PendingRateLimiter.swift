// Rate limiting of join requests per source address: a token bucket per address,
// as a value type with the time passed in, so tests drive it with no clock at all.
import CotrainCore

/// Token buckets keyed by source address: each address may send `burst` requests at
/// once and then `perMinute` per minute. IPv6 addresses are grouped by /64, the block
/// one host usually controls.
public struct PendingRateLimiter: Sendable {
    /// What ``admit(_:at:)`` decided.
    public enum Decision: Sendable, Equatable {
        /// The request may proceed (a token was taken).
        case allowed
        /// Too many requests from this address; the next token comes in `retryAfter` seconds.
        case limited(retryAfter: Double)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    /// Tokens per address when idle (the burst size).
    public let burst: Double
    /// Tokens added per second.
    public let refillPerSecond: Double
    /// Addresses tracked at most; beyond it, idle (full) buckets are forgotten first.
    public let maximumAddresses: Int
    private var buckets: [String: Bucket] = [:]

    /// A limiter allowing `perMinute` requests per minute per address, in bursts of
    /// up to `burst` (default: `perMinute`).
    public init(perMinute: Int, burst: Int? = nil, maximumAddresses: Int = 4096) {
        self.burst = Double(max(1, burst ?? perMinute))
        self.refillPerSecond = Double(max(1, perMinute)) / 60
        self.maximumAddresses = max(1, maximumAddresses)
    }

    /// Takes a token for `address` at time `now` (seconds on any clock that does not
    /// run backwards much; a backwards step adds no tokens).
    public mutating func admit(_ address: String, at now: Double) -> Decision {
        let key = Self.key(for: address)
        var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updated) * refillPerSecond)
        bucket.updated = max(bucket.updated, now)
        guard bucket.tokens >= 1 else {
            buckets[key] = bucket
            return .limited(retryAfter: (1 - bucket.tokens) / refillPerSecond)
        }
        bucket.tokens -= 1
        buckets[key] = bucket
        if buckets.count > maximumAddresses { forgetIdle(at: now) }
        return .allowed
    }

    /// The number of addresses tracked (for tests and metrics).
    public var trackedAddresses: Int { buckets.count }

    /// Drops buckets that have refilled (they behave like new ones); if still over the
    /// limit, drops the least recently used.
    private mutating func forgetIdle(at now: Double) {
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.updated) * refillPerSecond < burst }
        if buckets.count > maximumAddresses {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumAddresses)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    /// The bucket key of an address given as `HOST`, `HOST:PORT` or `[V6]:PORT`:
    /// the IPv4 address, the IPv6 /64 prefix, or the text itself.
    static func key(for address: String) -> String {
        var host = address
        if let endpoint = try? NodeEndpoint(parsing: address) { host = endpoint.host }
        var v6 = in6_addr()
        guard host.contains(":"), inet_pton(AF_INET6, host, &v6) == 1 else { return host }
        let bytes = withUnsafeBytes(of: &v6) { Array($0.prefix(8)) }
        return bytes.map { String($0, radix: 16) }.joined(separator: ".") + "/64"
    }
}
