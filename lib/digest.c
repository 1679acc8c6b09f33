#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <unistd.h>

#include "gth/digest.h"

static void to_hex(const unsigned char *d, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[2 * n] = '\0';
}

int gth_sha256_init(struct gth_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = ctx;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		h->ctx = NULL;
		return -1;
	}
	return 0;
}

int gth_sha256_update(struct gth_sha256 *h, const void *data, size_t len)
{
	return h->ctx && EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : -1;
}

int gth_sha256_final(struct gth_sha256 *h, char hex[GTH_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;
	int ok;

	ok = h->ctx && EVP_DigestFinal_ex(h->ctx, md, &n) == 1 && n == 32;
	gth_sha256_release(h);
	if (!ok)
		return -1;
	to_hex(md, 32, hex);
	return 0;
}

void gth_sha256_release(struct gth_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int gth_sha256_hex(const void *data, size_t len, char hex[GTH_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	to_hex(md, 32, hex);
	return 0;
}

int gth_sha256_file(const char *path, char hex[GTH_SHA256_HEX_LEN + 1], struct gth_error *err)
{
	struct gth_sha256 h;
	char buf[65536];
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gth_error_set(err, GTH_EXIT_NOINPUT, "unable to open '%s': %s", path,
				     strerror(errno));
	if (gth_sha256_init(&h) < 0) {
		close(fd);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "sha256 unavailable");
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gth_error_set(err, GTH_EXIT_NOINPUT, "unable to read '%s': %s", path,
				      strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		gth_sha256_update(&h, buf, (size_t)n);
	}
	if (gth_sha256_final(&h, hex) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "sha256 failed");
		goto done;
	}
	r = 0;
done:
	gth_sha256_release(&h);
	close(fd);
	return r;
}

int gth_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
			char hex[GTH_SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &n) || n != 32)
		return -1;
	to_hex(md, 32, hex);
	return 0;
}
