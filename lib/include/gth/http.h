/* The one HTTP module, over libcurl. Every request has a connect timeout and a
 * total time budget. Retries (connection errors, 408, 429, 500, 502, 503, 504) use
 * doubling backoff with jitter, honour Retry-After (seconds or an HTTP date) and stop
 * when the next wait would pass the budget. Redirects are followed by this module,
 * not by curl, and the Authorization value is dropped when a redirect leaves the
 * original scheme, host and port. Authorization is never logged. Buffered bodies
 * are capped. TLS verification is on unless the client says otherwise for a host.
 *
 * A gth_http_do() that got an HTTP answer returns 0 whatever the status (the last
 * answer after retries); the caller judges the status, e.g. with gth_http_status_error.
 * Transport failures after retries return -1 with a 69 error (75 when the budget ran
 * out while the server kept answering 429). Not thread-safe per client; use one
 * client per thread (they may share nothing). */
#ifndef GTH_HTTP_H
#define GTH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"

enum gth_http_retry {
	GTH_HTTP_RETRY_AUTO = 0, /* retry GET, HEAD, PUT, DELETE, OPTIONS only */
	GTH_HTTP_RETRY_ALWAYS,   /* retry any method (the caller knows it is safe) */
	GTH_HTTP_RETRY_NEVER
};

struct gth_http_client {
	const char *user_agent;       /* default "gth/VERSION" */
	int64_t connect_timeout_ms;   /* default 10 s, or $GTH_HTTP_CONNECT_TIMEOUT */
	int64_t budget_ms;            /* default total per request incl. retries: 120 s, or $GTH_HTTP_BUDGET */
	int64_t backoff_ms;           /* first backoff, default 500 ms; doubles, cap 30 s */
	int max_attempts;             /* default 6 */
	/* TLS */
	const char *ca_file;          /* extra CA bundle file, or NULL ($GTH_CA_FILE) */
	const char *ca_pem;           /* CA certificates as PEM text, or NULL */
	const char *client_cert_pem;  /* client certificate and key as PEM text, or NULL */
	const char *client_key_pem;
	const char *client_cert_file;
	const char *client_key_file;
	int insecure_skip_verify;     /* no certificate check at all (kubeconfig's option) */
	const char *const *insecure_hosts; /* NULL-terminated: hosts (host or host:port) allowed plain HTTP and unverified TLS */
	/* Observability: called for each attempt with method, URL, status (0 on a
	 * transport error) and elapsed ms. Never given headers. May be NULL. */
	void (*trace)(void *ctx, const char *method, const char *url, long status, int64_t ms);
	void *trace_ctx;
	/* Counters, for tests and benchmarks. */
	unsigned long requests;
	void *priv;                   /* curl handle, reused between requests */
};

#define GTH_HTTP_CLIENT_INIT { 0 }

struct gth_http_request {
	const char *method;           /* default "GET", or "POST" when a body is set */
	const char *url;
	const char *const *headers;   /* NULL-terminated "Name: value" lines */
	const char *authorization;    /* Authorization value, e.g. "Bearer x"; never logged */
	const void *body;             /* in-memory body, or */
	size_t body_len;
	/* a streamed body: read fills buf with up to n bytes, sets *got (0 at the end)
	 * and returns 0, or -1 to abort; rewind restarts it for a retry (when NULL the
	 * request is not retried after any byte was sent). */
	int (*body_read)(void *ctx, char *buf, size_t n, size_t *got);
	int (*body_rewind)(void *ctx);
	void *body_ctx;
	int64_t body_size;            /* streamed body size, or -1 for chunked */
	/* a streamed answer: sink gets the body in pieces (only for 2xx answers; other
	 * answers are buffered so their error text can be read); return -1 to abort.
	 * reset is called before a retry starts the body again (may be NULL). */
	int (*sink)(void *ctx, const char *data, size_t len);
	int (*sink_reset)(void *ctx);
	void *sink_ctx;
	size_t max_body;              /* cap for a buffered body; 0: 16 MiB. Past it: 65 error */
	enum gth_http_retry retry;
	int no_redirect;              /* give 3xx answers back instead of following them */
	int64_t timeout_ms;           /* per attempt; 0: the client's budget */
	int64_t budget_ms;            /* 0: the client's budget */
};

struct gth_http_response {
	long status;
	struct gth_buf body;
	char **headers;               /* "name: value", names lower-cased, in order */
	size_t nheaders;
	char *url;                    /* the URL that answered, after redirects */
	int attempts;
};

#define GTH_HTTP_RESPONSE_INIT { 0, GTH_BUF_INIT, NULL, 0, NULL, 0 }

int gth_http_global_init(struct gth_error *err);
void gth_http_global_cleanup(void);

int gth_http_do(struct gth_http_response *resp, struct gth_http_client *c,
		const struct gth_http_request *req, struct gth_error *err);
void gth_http_response_release(struct gth_http_response *resp);
void gth_http_client_release(struct gth_http_client *c);

/* First header value by name (case-insensitive), or NULL. */
const char *gth_http_header(const struct gth_http_response *resp, const char *name);

/* Set an error for a non-2xx answer: 401/403 -> 77, 404 -> 66, 429 -> 75,
 * 5xx -> 69, other 4xx -> 65; the message is "WHAT: HTTP STATUS: first line of
 * the body (capped)". Returns -1. */
int gth_http_status_error(struct gth_error *err, const struct gth_http_response *resp,
			  const char *what);

/* "Basic base64(user:pass)" into out. */
int gth_http_basic_auth(struct gth_buf *out, const char *user, const char *pass);
/* base64 (standard alphabet, padded) and its decoder (whitespace ignored). */
int gth_base64_encode(struct gth_buf *out, const void *data, size_t len);
int gth_base64_decode(struct gth_buf *out, const char *text, size_t len);
/* Percent-encode for a URL path segment or query value. */
int gth_url_escape(struct gth_buf *out, const char *s);
/* Resolve a possibly relative reference (a Location header) against base. */
char *gth_url_resolve(const char *base, const char *ref);

#endif
