// One TLS session over a non-blocking socket: the handshake with a deadline, the peer's
// node identity, and non-blocking reads and writes for the connection loop.
import COpenSSL
import CotrainCore
import Foundation

/// An owned `SSL` on a ``Socket``. Not thread-safe: one thread (the connection's) uses
/// it; other threads may only call `socket.shutdown()` to wake it.
final class TLSStream {
    /// The `SSL*`. Owned.
    private let ssl: OpaquePointer
    let socket: Socket
    let context: TLSContext
    /// The peer as named in errors (address, later with node id).
    var peerLabel: String

    /// Outcome of a non-blocking read or write.
    enum Progress: Equatable {
        /// This many bytes were transferred (> 0).
        case bytes(Int)
        /// Nothing now: poll for readability (`wantsWrite == false`) or writability.
        case wouldBlock(wantsWrite: Bool)
        /// The peer closed the stream (close_notify or end of file).
        case closed
    }

    init(context: TLSContext, socket: Socket) throws(TLSError) {
        self.context = context
        self.socket = socket
        peerLabel = socket.address
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.raw) else {
            throw .contextSetup(operation: "SSL_new", details: OpenSSLErrorQueue.drain())
        }
        self.ssl = ssl
        guard SSL_set_fd(ssl, socket.fd) == 1 else {
            throw .contextSetup(operation: "SSL_set_fd", details: OpenSSLErrorQueue.drain())
        }
        if context.role == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit { SSL_free(ssl) }

    /// Runs the handshake until done, failed, or `deadline`.
    func handshake(deadline: ContinuousClock.Instant, timeout: Duration) throws(TLSError) {
        while true {
            OpenSSLErrorQueue.clear()
            let result = SSL_do_handshake(ssl)
            if result == 1 { return }
            let code = SSL_get_error(ssl, result)
            let events: Int16
            switch code {
            case SSL_ERROR_WANT_READ: events = Int16(POLLIN)
            case SSL_ERROR_WANT_WRITE: events = Int16(POLLOUT)
            default: throw handshakeError(code)
            }
            let ready: Bool
            do { ready = try Poll.wait(socket.fd, for: events, until: deadline) } catch {
                throw .handshakeFailed(peer: peerLabel, reason: error.description, details: [])
            }
            guard ready else {
                throw .handshakeTimedOut(peer: peerLabel, seconds: Double(timeout.components.seconds))
            }
        }
    }

    private func handshakeError(_ code: Int32) -> TLSError {
        var details = OpenSSLErrorQueue.drain()
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            details.append("peer certificate: " + String(cString: text))
        }
        if code == SSL_ERROR_SYSCALL && details.isEmpty {
            let reason = errno == 0 ? "the peer closed the connection" : String(cString: strerror(errno))
            return .handshakeFailed(peer: peerLabel, reason: reason, details: [])
        }
        return .handshakeFailed(peer: peerLabel, reason: "TLS 1.3 with a node certificate is required", details: details)
    }

    /// The peer's certificate after the handshake, checked as a node identity: TLS 1.3,
    /// a fresh session, an Ed25519 key, a valid self-signature, within its validity.
    func peerCertificate(now: Date = Date()) throws(TLSError) -> Certificate {
        guard SSL_version(ssl) == cotrain_TLS1_3_VERSION() else {
            throw .unexpectedSession(peer: peerLabel, reason: "negotiated a protocol older than TLS 1.3")
        }
        guard SSL_session_reused(ssl) == 0 else {
            throw .unexpectedSession(peer: peerLabel, reason: "the session was resumed; cotrain re-authenticates every connection")
        }
        guard let x509 = SSL_get0_peer_certificate(ssl) else { throw .noPeerCertificate(peer: peerLabel) }
        let certificate: Certificate
        do {
            certificate = try Certificate(retaining: x509)
            _ = try certificate.publicKey()
        } catch {
            throw .badPeerCertificate(peer: peerLabel, reason: error.description)
        }
        guard certificate.hasValidSelfSignature() else {
            throw .badPeerCertificate(peer: peerLabel, reason: "its self-signature does not verify")
        }
        guard certificate.isValid(at: now) else {
            throw .badPeerCertificate(peer: peerLabel, reason: "it is valid only from \(certificate.notBefore) to \(certificate.notAfter)")
        }
        return certificate
    }

    /// Reads what is available into `buffer` without blocking.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Progress {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        var count = 0
        OpenSSLErrorQueue.clear()
        let result = SSL_read_ex(ssl, base, buffer.count, &count)
        if result == 1 { return .bytes(count) }
        return try progress(SSL_get_error(ssl, result), "read")
    }

    /// Writes what the socket takes from `buffer` without blocking.
    func write(_ buffer: UnsafeRawBufferPointer) throws(TLSError) -> Progress {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        var count = 0
        OpenSSLErrorQueue.clear()
        let result = SSL_write_ex(ssl, base, buffer.count, &count)
        if result == 1 { return .bytes(count) }
        return try progress(SSL_get_error(ssl, result), "write")
    }

    private func progress(_ code: Int32, _ operation: String) throws(TLSError) -> Progress {
        switch code {
        case SSL_ERROR_WANT_READ: return .wouldBlock(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(wantsWrite: true)
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let details = OpenSSLErrorQueue.drain()
            if details.isEmpty && (errno == 0 || errno == ECONNRESET || errno == EPIPE) { return .closed }
            throw .streamFailed(peer: peerLabel, operation: operation, details: details.isEmpty ? [String(cString: strerror(errno))] : details)
        default:
            let details = OpenSSLErrorQueue.drain()
            // OpenSSL 3 reports a peer that vanished without close_notify as an SSL error.
            if details.contains(where: { $0.contains("unexpected eof") }) { return .closed }
            throw .streamFailed(peer: peerLabel, operation: operation, details: details)
        }
    }

    /// Sends close_notify if the socket takes it now (best effort, never blocks).
    func sendCloseNotify() {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
    }
}
