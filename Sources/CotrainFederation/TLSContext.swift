// The TLS configuration every cotrain connection uses: TLS 1.3 only, both sides show
// their self-signed Ed25519 node certificate, no CA (trust is the pinned node id), no
// session resumption (every connection authenticates afresh).
import COpenSSL
import CotrainCore

/// This node's TLS identity: its Ed25519 key and the self-signed certificate for it.
public struct TLSIdentity: Sendable {
    /// The private key (never leaves the process).
    public let key: Ed25519PrivateKey
    /// The certificate shown to peers.
    public let certificate: Certificate

    /// Pairs a key with its certificate; throws if the certificate is for another key.
    public init(key: Ed25519PrivateKey, certificate: Certificate) throws(CryptoError) {
        guard try certificate.publicKey() == key.publicKey else {
            throw CryptoError.openSSL(operation: "pairing key and certificate",
                                      details: ["the certificate certifies another key than node.key"])
        }
        self.key = key
        self.certificate = certificate
    }

    /// This node's id (the certificate's SPKI SHA-256).
    public var nodeID: NodeID { certificate.nodeID }
}

/// An owned `SSL_CTX` configured for one role. Immutable once built, so one context
/// serves every connection of a listener or dialer, from any thread.
final class TLSContext: @unchecked Sendable {
    /// Which side of the handshake the context is for.
    enum Role: Sendable { case server, client }

    /// The `SSL_CTX*`. Owned.
    let raw: OpaquePointer
    let role: Role

    /// A context presenting `identity`, requiring and checking the peer's certificate.
    init(identity: TLSIdentity, role: Role) throws(TLSError) {
        ignoreSIGPIPE()  // a peer that vanishes must give EPIPE, not kill the node
        self.role = role
        raw = try Self.call("SSL_CTX_new") { SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) }
        try configure(identity: identity)
    }

    /// Wraps a context built elsewhere (tests build deliberately wrong clients).
    init(taking context: OpaquePointer, role: Role) {
        raw = context
        self.role = role
    }

    deinit { SSL_CTX_free(raw) }

    private func configure(identity: TLSIdentity) throws(TLSError) {
        let ctx = raw
        try Self.check("SSL_CTX_set_min_proto_version") { cotrain_SSL_CTX_set_min_proto_version(ctx, cotrain_TLS1_3_VERSION()) }
        try Self.check("SSL_CTX_set_max_proto_version") { cotrain_SSL_CTX_set_max_proto_version(ctx, cotrain_TLS1_3_VERSION()) }
        _ = SSL_CTX_set_options(ctx, cotrain_SSL_OP_NO_TICKET() | cotrain_SSL_OP_NO_RENEGOTIATION() | cotrain_SSL_OP_NO_COMPRESSION())
        try Self.check("SSL_CTX_set_num_tickets") { SSL_CTX_set_num_tickets(ctx, 0) }
        _ = cotrain_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        // Partial writes let the connection loop resume a large write where the socket
        // stopped taking bytes; the buffer may move between retries (Swift arrays do).
        _ = cotrain_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        // Read ahead into a large buffer: one read(2) per several records instead of
        // two per record (measured: see TLSBenchmark).
        _ = cotrain_SSL_CTX_set_read_ahead(ctx, 1)
        SSL_CTX_set_default_read_buffer_len(ctx, 1 << 18)
        try Self.check("SSL_CTX_use_certificate") { SSL_CTX_use_certificate(ctx, identity.certificate.raw) }
        try Self.check("SSL_CTX_use_PrivateKey") { SSL_CTX_use_PrivateKey(ctx, identity.key.raw) }
        try Self.check("SSL_CTX_check_private_key") { SSL_CTX_check_private_key(ctx) }
        let mode = role == .server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER
        SSL_CTX_set_verify(ctx, mode, acceptSelfSignedNodeCertificate)
    }

    private static func call(_ operation: String, _ body: () -> OpaquePointer?) throws(TLSError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        guard let object = body() else { throw .contextSetup(operation: operation, details: OpenSSLErrorQueue.drain()) }
        return object
    }

    private static func check(_ operation: String, _ body: () -> Int32) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard body() == 1 else { throw .contextSetup(operation: operation, details: OpenSSLErrorQueue.drain()) }
    }
}

/// The certificate verification callback. There is no CA: a peer presents exactly one
/// self-signed certificate, and trust comes from pinning its node id afterwards. So
/// this accepts the "self-signed / no issuer" verdicts for the leaf, and only when the
/// leaf is an Ed25519 key whose self-signature verifies; every other failure (expired,
/// not yet valid, a chain, another key type) fails the handshake.
private let acceptSelfSignedNodeCertificate: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
    guard let store, X509_STORE_CTX_get_error_depth(store) == 0,
        let certificate = X509_STORE_CTX_get_current_cert(store),
        let key = X509_get0_pubkey(certificate), EVP_PKEY_get_id(key) == EVP_PKEY_ED25519
    else { return 0 }
    let error = X509_STORE_CTX_get_error(store)
    let selfSignedVerdicts: [Int32] = [
        X509_V_OK, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED,
    ]
    guard preverified == 1 || selfSignedVerdicts.contains(error) else { return 0 }
    guard X509_verify(certificate, key) == 1 else {
        ERR_clear_error()
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_SIGNATURE_FAILURE)
        return 0
    }
    X509_STORE_CTX_set_error(store, X509_V_OK)
    return 1
}
