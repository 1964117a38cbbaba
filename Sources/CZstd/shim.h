#ifndef COTRAIN_CZSTD_SHIM_H
#define COTRAIN_CZSTD_SHIM_H
#include <zstd.h>
#include <zstd_errors.h>

/// ZSTD_isError is a function, but ZSTD_CONTENTSIZE_* are macros of unsigned long long.
static inline unsigned long long cotrain_zstd_contentsize_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long cotrain_zstd_contentsize_error(void) { return ZSTD_CONTENTSIZE_ERROR; }
#endif
