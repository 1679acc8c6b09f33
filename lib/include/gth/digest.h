/* SHA-256 digests and HMAC through OpenSSL. */
#ifndef GTH_DIGEST_H
#define GTH_DIGEST_H

#include <stddef.h>
#include "error.h"

#define GTH_SHA256_HEX_LEN 64

struct gth_sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int gth_sha256_init(struct gth_sha256 *h);
int gth_sha256_update(struct gth_sha256 *h, const void *data, size_t len);
/* Writes 64 hex digits and a NUL into hex (65 bytes) and frees the context. */
int gth_sha256_final(struct gth_sha256 *h, char hex[GTH_SHA256_HEX_LEN + 1]);
void gth_sha256_release(struct gth_sha256 *h);

int gth_sha256_hex(const void *data, size_t len, char hex[GTH_SHA256_HEX_LEN + 1]);
/* SHA-256 of a file's contents; 66 when missing. */
int gth_sha256_file(const char *path, char hex[GTH_SHA256_HEX_LEN + 1], struct gth_error *err);
int gth_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
			char hex[GTH_SHA256_HEX_LEN + 1]);

#endif
