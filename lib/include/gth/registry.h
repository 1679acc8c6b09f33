/* An OCI distribution (registry API v2) client over gth/http.h.
 *
 * One struct gth_registry talks to one registry host and belongs to one thread (it
 * owns its HTTP client and its token cache). gth_registry_open reads credentials
 * and registers secrets, so call it from the main thread; then gth_registry_dup a
 * client per worker thread (tokens fetched later in workers are registered under a
 * lock). Hosts named in insecure_hosts ("host" or "host:port") are spoken to
 * over plain HTTP; all others over HTTPS with verification.
 *
 * Authentication follows the registry's WWW-Authenticate challenge: Basic with the
 * credentials found for the host, or Bearer through the token service named by the
 * challenge's realm (GET realm?service=S&scope=..., with Basic credentials when
 * there are any, else anonymously; the answer's "token" or "access_token"). Scopes
 * are "repository:REPO:pull" for reads, "repository:REPO:pull,push" for writes plus
 * "repository:FROM:pull" for a mount; a 401 whose challenge says
 * error="insufficient_scope" gets a new token for the challenge's scope, once.
 * Tokens are cached per scope set. Authorization never goes to a redirect on
 * another host (gth/http.h).
 *
 * Credentials (gth_registry_creds_find), first found wins:
 *   1. GTH_REGISTRY_USER and GTH_REGISTRY_PASSWORD (any host)
 *   2. REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json
 *   3. docker config.json ($DOCKER_CONFIG/config.json, else ~/.docker/config.json):
 *      credHelpers[host] (docker-credential-NAME get), auths[host] ("auth" base64
 *      user:password, or "username"/"password"), then credsStore
 * docker.io is looked up as "https://index.docker.io/v1/", "index.docker.io" and
 * "docker.io"; other hosts as "host", "https://host" and "http://host". Every
 * password found is registered with gth_secret_add.
 *
 * Errors: 401/403 after authenticating are 77; a missing manifest or blob 66; a
 * registry that cannot be reached or answers 5xx after retries 69; 429 past the
 * budget 75; a digest the registry disagrees with 65. */
#ifndef GTH_REGISTRY_H
#define GTH_REGISTRY_H

#include <stdint.h>
#include "buf.h"
#include "error.h"
#include "http.h"

struct gth_registry_creds {
	char *user;
	char *password;
	char *source;   /* where they came from, for -v: "GTH_REGISTRY_USER", a file, a helper */
};

#define GTH_REGISTRY_CREDS_INIT { NULL, NULL, NULL }

/* Find credentials for host (a reference's domain, e.g. "docker.io",
 * "localhost:5000"). Returns 1 and fills creds when found, 0 when none are
 * configured (anonymous), -1 on a broken config file (78) or a failing helper (77
 * when it says the credentials are missing is not an error: 0). */
int gth_registry_creds_find(struct gth_registry_creds *creds, const char *host,
			    struct gth_error *err);
void gth_registry_creds_release(struct gth_registry_creds *creds);

struct gth_registry_opts {
	const char *const *insecure_hosts;   /* NULL-terminated, or NULL */
	const char *user_agent;              /* NULL: the HTTP default */
	int64_t budget_ms;                   /* per request; 0: the HTTP default */
	int no_creds;                        /* 1: anonymous, do not look credentials up */
};

#define GTH_REGISTRY_OPTS_INIT { NULL, NULL, 0, 0 }

struct gth_registry;

/* domain is a reference's domain ("docker.io" is spoken to at registry-1.docker.io).
 * Looks up credentials once, here. */
int gth_registry_open(struct gth_registry **out, const char *domain,
		      const struct gth_registry_opts *opts, struct gth_error *err);
/* A new client for the same registry that starts with r's credentials and tokens
 * (for another thread; r must not be in use by another thread while this runs). */
int gth_registry_dup(struct gth_registry **out, const struct gth_registry *r,
		     struct gth_error *err);
void gth_registry_close(struct gth_registry *r);
/* "http://host" or "https://host". */
const char *gth_registry_base_url(const struct gth_registry *r);
/* Number of HTTP requests sent so far (for tests and benchmarks). */
unsigned long gth_registry_requests(const struct gth_registry *r);

/* GET /v2/ and authenticate if asked to. */
int gth_registry_ping(struct gth_registry *r, struct gth_error *err);

/* HEAD a blob: 1 when present (size in *size if not NULL), 0 when absent. */
int gth_registry_blob_exists(struct gth_registry *r, const char *repo, const char *digest,
			     int64_t *size, struct gth_error *err);

/* Try a cross-repository mount of digest from repository from into repo: 1 when
 * mounted, 0 when the registry declined (the caller uploads instead). */
int gth_registry_blob_mount(struct gth_registry *r, const char *repo, const char *digest,
			    const char *from, struct gth_error *err);

/* A blob's bytes for an upload: read up to n bytes at pos; returns bytes read, 0 at
 * the end, -1 on error (with err set). Called again from pos 0 when an upload is
 * restarted. */
typedef int64_t (*gth_registry_reader)(void *ctx, char *buf, size_t n, int64_t pos,
				       struct gth_error *err);

/* Upload a blob of size bytes with digest: POST, PATCH (the whole body,
 * application/octet-stream), PUT ?digest= to the Location given (relative or
 * absolute, its query kept). The bytes are hashed on the way and the upload is
 * refused with 65 when they do not match digest. A 5xx answer or a dropped
 * connection restarts the upload from a new session, up to 4 times with backoff.
 * progress (may be NULL) is called with bytes sent so far. */
int gth_registry_blob_upload(struct gth_registry *r, const char *repo, const char *digest,
			     int64_t size, gth_registry_reader read, void *read_ctx,
			     void (*progress)(void *ctx, int64_t sent), void *progress_ctx,
			     struct gth_error *err);

/* Stream a blob to sink (verifying its digest: 65 on a mismatch). */
int gth_registry_blob_get(struct gth_registry *r, const char *repo, const char *digest,
			  int (*sink)(void *ctx, const char *data, size_t len), void *sink_ctx,
			  struct gth_error *err);

/* The Accept header for manifests: OCI manifest and index, Docker schema 2
 * manifest and manifest list. */
extern const char gth_registry_manifest_accept[];

/* GET a manifest or index by tag or digest. body gets the bytes, media_type
 * (malloc'd, may be NULL) the Content-Type (or the body's mediaType), digest
 * (GTH_DIGEST_STR_LEN bytes, may be NULL) the sha256 of the body. When reference is
 * a digest the body must hash to it (65 otherwise). */
int gth_registry_manifest_get(struct gth_registry *r, const char *repo, const char *reference,
			      struct gth_buf *body, char **media_type, char *digest,
			      struct gth_error *err);

/* HEAD a manifest by tag or digest: 1 when present, with its digest (from
 * Docker-Content-Digest, GTH_DIGEST_STR_LEN bytes, may be NULL; "" when the
 * registry did not say), 0 when absent. */
int gth_registry_manifest_head(struct gth_registry *r, const char *repo, const char *reference,
			       char *digest, struct gth_error *err);

/* PUT a manifest or index under reference (a tag or its digest). digest_out
 * (GTH_DIGEST_STR_LEN bytes, may be NULL) gets the sha256 of body; a
 * Docker-Content-Digest answer that differs is a 65 error. */
int gth_registry_manifest_put(struct gth_registry *r, const char *repo, const char *reference,
			      const char *media_type, const void *body, size_t len,
			      char *digest_out, struct gth_error *err);

/* Parse a WWW-Authenticate value: scheme ("Bearer", "Basic") and the parameters
 * realm, service, scope, error (each malloc'd or NULL). Exposed for tests. */
struct gth_auth_challenge {
	char *scheme;
	char *realm;
	char *service;
	char *scope;
	char *error;
};

int gth_auth_challenge_parse(struct gth_auth_challenge *c, const char *value);
void gth_auth_challenge_release(struct gth_auth_challenge *c);

#endif
