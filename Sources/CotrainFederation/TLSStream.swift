// One TLS session over a non-blocking socket: the handshake with a deadline, the peer's
// node identity, and non-blocking reads and writes for the connection loop.
//
// Output goes through a BIO pair rather than straight to the socket: OpenSSL writes
// one 16 KiB record per write(2), which made syscalls the main cost of bulk transfer;
// buffering up to `outputBuffer` bytes of records and writing them in one call cuts
// that (see TLSBenchmark). Input is read from the socket directly, with read-ahead.
import COpenSSL
import CotrainCore
import Foundation

/// An owned `SSL` on a ``Socket``. Not thread-safe: one thread (the connection's) uses
/// it; other threads may only call `socket.shutdown()` to wake it.
final class TLSStream {
    /// The `SSL*`. Owned.
    private let ssl: OpaquePointer
    /// Our end of the output BIO pair (the other end is the SSL's write BIO). Owned.
    private let output: OpaquePointer
    /// Bytes of encrypted records buffered before they are written to the socket.
    static let outputBuffer = 256 << 10
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
        var internalEnd: OpaquePointer? = nil
        var networkEnd: OpaquePointer? = nil
        guard BIO_new_bio_pair(&internalEnd, Self.outputBuffer, &networkEnd, Self.outputBuffer) == 1,
            let internalEnd, let networkEnd, let input = BIO_new_socket(socket.fd, BIO_NOCLOSE)
        else {
            SSL_free(ssl)
            throw .contextSetup(operation: "BIO_new_bio_pair", details: OpenSSLErrorQueue.drain())
        }
        self.ssl = ssl
        output = networkEnd
        SSL_set_bio(ssl, input, internalEnd)  // the SSL owns both; we own `output`
        if context.role == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit {
        SSL_free(ssl)
        BIO_free(output)
    }

    /// Outcome of writing buffered records to the socket.
    enum Flush: Equatable {
        /// Everything buffered is on the socket.
        case done
        /// The socket is full; poll for writability and flush again.
        case blocked
        /// The peer is gone (EPIPE, ECONNRESET).
        case closed
    }

    /// Whether encrypted records are waiting for the socket.
    var hasPendingOutput: Bool { BIO_ctrl_pending(output) > 0 }

    /// Writes buffered records to the socket, in as few write(2) calls as it takes.
    func flushOutput() throws(TLSError) -> Flush {
        while true {
            var bytes: UnsafeMutablePointer<CChar>? = nil
            let available = BIO_nread0(output, &bytes)
            guard available > 0, let start = bytes else { return .done }
            let written = Glibc.write(socket.fd, start, Int(available))
            if written > 0 {
                _ = BIO_nread(output, &bytes, Int32(written))  // consumes what the socket took
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .blocked
            case EPIPE, ECONNRESET: return .closed
            default: throw .streamFailed(peer: peerLabel, operation: "write", details: [String(cString: strerror(errno))])
            }
        }
    }

    /// Flushes until done, the peer is gone, or `deadline` (best effort, for closing).
    func flushOutput(until deadline: ContinuousClock.Instant) {
        while (try? flushOutput()) == .blocked {
            guard (try? Poll.wait(socket.fd, for: Int16(POLLOUT), until: deadline)) == true else { return }
        }
    }

    /// Runs the handshake until done, failed, or `deadline`.
    func handshake(deadline: ContinuousClock.Instant, timeout: Duration) throws(TLSError) {
        while true {
            OpenSSLErrorQueue.clear()
            let result = SSL_do_handshake(ssl)
            let code = SSL_get_error(ssl, result)
            let flushed: Flush
            do { flushed = try flushOutput() } catch {
                throw .handshakeFailed(peer: peerLabel, reason: error.description, details: [])
            }
            if result == 1 && flushed == .done { return }
            let events: Int16
            switch (result == 1 ? SSL_ERROR_WANT_WRITE : code, flushed) {
            case (_, .closed): throw .handshakeFailed(peer: peerLabel, reason: "the peer closed the connection", details: [])
            case (SSL_ERROR_WANT_READ, .done): events = Int16(POLLIN)
            case (SSL_ERROR_WANT_READ, .blocked): events = Int16(POLLIN | POLLOUT)
            case (SSL_ERROR_WANT_WRITE, .done): continue  // the pair had filled up; it is empty again
            case (SSL_ERROR_WANT_WRITE, .blocked): events = Int16(POLLOUT)
            default:
                let error = handshakeError(code)
                flushOutput(until: .now + .milliseconds(100))  // let our alert reach the peer
                throw error
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

    /// Encrypts what the output buffer takes from `buffer` without blocking; when the
    /// buffer is full it is flushed to the socket first. Call ``flushOutput()`` before
    /// waiting, so buffered records do not sit there.
    func write(_ buffer: UnsafeRawBufferPointer) throws(TLSError) -> Progress {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .bytes(0) }
        while true {
            var count = 0
            OpenSSLErrorQueue.clear()
            let result = SSL_write_ex(ssl, base, buffer.count, &count)
            if result == 1 { return .bytes(count) }
            let progress = try progress(SSL_get_error(ssl, result), "write")
            guard progress == .wouldBlock(wantsWrite: true) else { return progress }
            switch try flushOutput() {
            case .done: continue
            case .blocked: return progress
            case .closed: return .closed
            }
        }
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

    /// Sends close_notify and flushes buffered records, waiting at most until
    /// `deadline` for the socket (best effort).
    func sendCloseNotify(flushingUntil deadline: ContinuousClock.Instant = .now + .milliseconds(100)) {
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrorQueue.clear()
        flushOutput(until: deadline)
    }
}
