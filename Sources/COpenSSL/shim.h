#ifndef COTRAIN_COPENSSL_SHIM_H
#define COTRAIN_COPENSSL_SHIM_H
// OpenSSL 3 headers plus static inline wrappers for the function-like macros Swift
// cannot import.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

static inline int cotrain_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_min_proto_version(ctx, v);
}
static inline int cotrain_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) {
    return (int)SSL_CTX_set_max_proto_version(ctx, v);
}
static inline long cotrain_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline int cotrain_TLS1_3_VERSION(void) { return TLS1_3_VERSION; }
static inline int cotrain_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
static inline long cotrain_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long cotrain_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int cotrain_SSL_set_tlsext_host_name(SSL *s, const char *name) {
    return (int)SSL_set_tlsext_host_name(s, name);
}
static inline const char *cotrain_OPENSSL_version_text(void) { return OpenSSL_version(OPENSSL_VERSION); }
static inline void cotrain_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline int cotrain_MBSTRING_UTF8(void) { return MBSTRING_UTF8; }
// --- TLS transport (CotrainFederation) ---
static inline uint64_t cotrain_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t cotrain_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t cotrain_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline long cotrain_SSL_CTX_set_read_ahead(SSL_CTX *ctx, long yes) { return SSL_CTX_set_read_ahead(ctx, yes); }
#endif
