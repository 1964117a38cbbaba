// One wrapper for system calls: retries EINTR and turns -1 into a typed SystemError.
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#elseif canImport(Darwin)
@_exported import Darwin
#endif

/// Runs a system call until it does not fail with EINTR; throws ``SystemError`` on -1.
///
/// - Parameters:
///   - operation: the name printed in the error, e.g. "open".
///   - subject: the path or object the call was about, printed in the error.
@discardableResult
@inline(__always)
public func sysCall<T: FixedWidthInteger>(
    _ operation: String, _ subject: String? = nil, _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(operation, subject, code: code)
    }
}

/// Ignores SIGPIPE for the process, so a peer closing a socket gives EPIPE, not death.
/// Call once at start-up (the CLI does).
public func ignoreSIGPIPE() {
    _ = signal(SIGPIPE, SIG_IGN)
}
