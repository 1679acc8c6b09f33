#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gth/http.h"
#include "gth/util.h"

#define DEFAULT_MAX_BODY (16u << 20)
#define MAX_REDIRECTS 10
#define BACKOFF_CAP_MS 30000

struct attempt {
	const struct gth_http_request *req;
	struct gth_http_response *resp;
	CURL *curl;
	size_t max_body;
	int too_big;
	int sink_failed;
	int body_failed;
	size_t sent;
	size_t body_off;        /* in-memory body position */
};

int gth_http_global_init(struct gth_error *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to initialise libcurl");
	return 0;
}

void gth_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static void free_headers(struct gth_http_response *resp)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		free(resp->headers[i]);
	free(resp->headers);
	resp->headers = NULL;
	resp->nheaders = 0;
}

void gth_http_response_release(struct gth_http_response *resp)
{
	if (!resp)
		return;
	free_headers(resp);
	gth_buf_release(&resp->body);
	free(resp->url);
	resp->url = NULL;
	resp->status = 0;
	resp->attempts = 0;
}

void gth_http_client_release(struct gth_http_client *c)
{
	if (!c)
		return;
	if (c->priv)
		curl_easy_cleanup(c->priv);
	c->priv = NULL;
}

const char *gth_http_header(const struct gth_http_response *resp, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < resp->nheaders; i++) {
		const char *h = resp->headers[i];

		if (!strncasecmp(h, name, n) && h[n] == ':') {
			h += n + 1;
			while (*h == ' ' || *h == '\t')
				h++;
			return h;
		}
	}
	return NULL;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct attempt *a = ctx;
	size_t len = size * nmemb, n = len, i;
	char *line, **h;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after 100 Continue, for instance): start over. */
		free_headers(a->resp);
		return len;
	}
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (!n || !memchr(data, ':', n))
		return len;
	line = strndup(data, n);
	if (!line)
		return 0;
	for (i = 0; line[i] && line[i] != ':'; i++)
		line[i] = (char)tolower((unsigned char)line[i]);
	h = realloc(a->resp->headers, (a->resp->nheaders + 1) * sizeof(*h));
	if (!h) {
		free(line);
		return 0;
	}
	a->resp->headers = h;
	h[a->resp->nheaders++] = line;
	return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct attempt *a = ctx;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	if (a->req->sink && status >= 200 && status < 300) {
		if (a->req->sink(a->req->sink_ctx, data, len) < 0) {
			a->sink_failed = 1;
			return 0;
		}
		return len;
	}
	if (a->resp->body.len + len > a->max_body) {
		a->too_big = 1;
		return 0;
	}
	if (gth_buf_put(&a->resp->body, data, len) < 0)
		return 0;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ctx)
{
	struct attempt *a = ctx;
	size_t want = size * nmemb, got = 0;

	if (a->req->body_read) {
		if (a->req->body_read(a->req->body_ctx, buf, want, &got) < 0) {
			a->body_failed = 1;
			return CURL_READFUNC_ABORT;
		}
	} else {
		got = a->req->body_len - a->body_off;
		if (got > want)
			got = want;
		memcpy(buf, (const char *)a->req->body + a->body_off, got);
		a->body_off += got;
	}
	a->sent += got;
	return got;
}

/* curl rewinds the body when it must send it again on another connection (a
 * reused connection the server had closed): without this, "necessary data
 * rewind wasn't possible". */
static int on_seek(void *ctx, curl_off_t offset, int origin)
{
	struct attempt *a = ctx;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (a->req->body_read) {
		if (offset != 0 || !a->req->body_rewind || a->req->body_rewind(a->req->body_ctx) < 0)
			return CURL_SEEKFUNC_CANTSEEK;
	} else if ((size_t)offset > a->req->body_len) {
		return CURL_SEEKFUNC_FAIL;
	} else {
		a->body_off = (size_t)offset;
	}
	a->sent = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* scheme://host:port of a URL, lower-cased, into out (size n). */
static int origin_of(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int r = -1;

	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		size_t i;

		snprintf(out, n, "%s://%s:%s", scheme, host, port);
		for (i = 0; out[i]; i++)
			out[i] = (char)tolower((unsigned char)out[i]);
		r = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

/* host and host:port of a URL, for the insecure list. */
static int host_is_insecure(const struct gth_http_client *c, const char *url)
{
	CURLU *u;
	char *host = NULL, *port = NULL;
	const char *const *h;
	int hit = 0;

	if (c->insecure_skip_verify)
		return 1;
	if (!c->insecure_hosts)
		return 0;
	u = curl_url();
	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		char hp[512];

		curl_url_get(u, CURLUPART_PORT, &port, 0);
		snprintf(hp, sizeof(hp), "%s:%s", host, port ? port : "");
		for (h = c->insecure_hosts; *h && !hit; h++)
			if (!strcasecmp(*h, host) || (port && !strcasecmp(*h, hp)))
				hit = 1;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return hit;
}

char *gth_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

static int64_t env_duration(const char *name, int64_t def)
{
	const char *v = getenv(name);
	int64_t ms;

	if (v && *v && gth_parse_duration(v, &ms) == 0)
		return ms;
	return def;
}

static int retryable_status(long s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Retry-After as milliseconds from now, or -1. */
static int64_t retry_after_ms(const struct gth_http_response *resp)
{
	const char *v = gth_http_header(resp, "retry-after");
	long secs;

	if (!v)
		return -1;
	if (gth_parse_long(v, 0, 86400 * 7, &secs) == 0)
		return (int64_t)secs * 1000;
	{
		time_t t = curl_getdate(v, NULL);

		if (t != (time_t)-1) {
			int64_t d = ((int64_t)t * 1000) - gth_wall_ms();

			return d < 0 ? 0 : d;
		}
	}
	return -1;
}

static int method_is_idempotent(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") ||
	       !strcmp(m, "DELETE") || !strcmp(m, "OPTIONS");
}

static const char *short_host(const char *url, char *buf, size_t n)
{
	char o[512];
	const char *p;

	if (origin_of(url, o, sizeof(o)) < 0) {
		gth_strlcpy(buf, "server", n);
		return buf;
	}
	p = strstr(o, "://");
	gth_strlcpy(buf, p ? p + 3 : o, n);
	return buf;
}

static int transport_error(struct gth_error *err, CURLcode rc, const char *url,
			   const char *detail)
{
	char host[256];

	short_host(url, host, sizeof(host));
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		return gth_error_set(err, GTH_EXIT_UNAVAILABLE,
				     "TLS certificate of %s is not trusted: %s", host,
				     *detail ? detail : curl_easy_strerror(rc));
	return gth_error_set(err, GTH_EXIT_UNAVAILABLE, "%s: %s", host,
			     *detail ? detail : curl_easy_strerror(rc));
}

int gth_http_do(struct gth_http_response *resp, struct gth_http_client *c,
		const struct gth_http_request *req, struct gth_error *err)
{
	const char *method = req->method ? req->method
					 : (req->body || req->body_read ? "POST" : "GET");
	int64_t budget = req->budget_ms ? req->budget_ms
			 : c->budget_ms ? c->budget_ms
			 : env_duration("GTH_HTTP_BUDGET", 120000);
	int64_t connect_ms = c->connect_timeout_ms ? c->connect_timeout_ms
				 : env_duration("GTH_HTTP_CONNECT_TIMEOUT", 10000);
	int64_t backoff = c->backoff_ms ? c->backoff_ms : 500;
	int max_attempts = c->max_attempts ? c->max_attempts : 6;
	int64_t deadline = gth_now_ms() + budget;
	int may_retry;
	char *url = NULL, *auth_header = NULL;
	char origin0[512] = "";
	const char *auth = req->authorization;
	int redirects = 0, r = -1;
	char method_buf[16];
	int have_body = req->body != NULL || req->body_read != NULL;
	CURL *curl;

	memset(resp, 0, sizeof(*resp));
	gth_strlcpy(method_buf, method, sizeof(method_buf));
	method = method_buf;
	may_retry = req->retry == GTH_HTTP_RETRY_ALWAYS ||
		    (req->retry == GTH_HTTP_RETRY_AUTO && method_is_idempotent(method));
	if (!c->priv)
		c->priv = curl_easy_init();
	curl = c->priv;
	if (!curl)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to initialise libcurl");
	url = strdup(req->url);
	if (!url || origin_of(url, origin0, sizeof(origin0)) < 0) {
		gth_error_set(err, GTH_EXIT_USAGE, "invalid URL '%s'", req->url);
		goto done;
	}

	for (;;) {
		struct attempt a;
		struct curl_slist *hl = NULL;
		char errbuf[CURL_ERROR_SIZE] = "";
		const char *const *h;
		CURLcode rc;
		long status = 0;
		int64_t t0, remaining, wait = -1;
		int insecure = host_is_insecure(c, url);

		remaining = deadline - gth_now_ms();
		if (remaining <= 0) {
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "%s %s: out of time", method, url);
			goto done;
		}
		memset(&a, 0, sizeof(a));
		a.req = req;
		a.resp = resp;
		a.curl = curl;
		a.max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
		free_headers(resp);
		gth_buf_clear(&resp->body);
		resp->attempts++;
		c->requests++;

		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(curl, CURLOPT_USERAGENT,
				 c->user_agent ? c->user_agent : "gth/" GTH_VERSION);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
		{
			int64_t t = req->timeout_ms && req->timeout_ms < remaining ? req->timeout_ms
										  : remaining;
			curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)t);
		}
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
		if (insecure) {
			curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		{
			const char *ca = c->ca_file ? c->ca_file : getenv("GTH_CA_FILE");

			if (ca && *ca)
				curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
		}
		if (c->ca_pem) {
			struct curl_blob blob = { (void *)c->ca_pem, strlen(c->ca_pem),
						  CURL_BLOB_COPY };
			curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
		}
		if (c->client_cert_pem) {
			struct curl_blob blob = { (void *)c->client_cert_pem,
						  strlen(c->client_cert_pem), CURL_BLOB_COPY };
			curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &blob);
			curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
		} else if (c->client_cert_file) {
			curl_easy_setopt(curl, CURLOPT_SSLCERT, c->client_cert_file);
		}
		if (c->client_key_pem) {
			struct curl_blob blob = { (void *)c->client_key_pem,
						  strlen(c->client_key_pem), CURL_BLOB_COPY };
			curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &blob);
			curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
		} else if (c->client_key_file) {
			curl_easy_setopt(curl, CURLOPT_SSLKEY, c->client_key_file);
		}

		if (!strcmp(method, "HEAD")) {
			curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
		} else if (have_body) {
			curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(curl, CURLOPT_READDATA, &a);
			curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
			curl_easy_setopt(curl, CURLOPT_SEEKDATA, &a);
			curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
					 (curl_off_t)(req->body_read ? req->body_size
								     : (int64_t)req->body_len));
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		} else if (strcmp(method, "GET")) {
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		}
		for (h = req->headers; h && *h; h++)
			hl = curl_slist_append(hl, *h);
		hl = curl_slist_append(hl, "Expect:");
		if (auth) {
			free(auth_header);
			auth_header = gth_strdupf("Authorization: %s", auth);
			hl = curl_slist_append(hl, auth_header);
		}
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);

		t0 = gth_now_ms();
		rc = curl_easy_perform(curl);
		curl_slist_free_all(hl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (c->trace)
			c->trace(c->trace_ctx, method, url, rc == CURLE_OK ? status : 0,
				 gth_now_ms() - t0);

		if (a.too_big) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s %s: answer larger than %zu bytes", method, url, a.max_body);
			goto done;
		}
		if (a.sink_failed) {
			if (err && !err->exit)
				gth_error_set(err, GTH_EXIT_SOFTWARE,
					      "%s %s: the receiver stopped the transfer", method, url);
			goto done;
		}
		if (a.body_failed) {
			if (err && !err->exit)
				gth_error_set(err, GTH_EXIT_SOFTWARE,
					      "%s %s: reading the request body failed", method, url);
			goto done;
		}

		if (rc != CURLE_OK) {
			int can = retryable_curl(rc) &&
				  (may_retry || rc == CURLE_COULDNT_CONNECT ||
				   rc == CURLE_COULDNT_RESOLVE_HOST);

			if (!can || resp->attempts >= max_attempts) {
				transport_error(err, rc, url, errbuf);
				goto done;
			}
		} else if (status >= 300 && status < 400 && status != 304 && !req->no_redirect &&
			   gth_http_header(resp, "location")) {
			char *next = gth_url_resolve(url, gth_http_header(resp, "location"));
			char o[512];

			if (!next || ++redirects > MAX_REDIRECTS) {
				free(next);
				gth_error_set(err, GTH_EXIT_UNAVAILABLE, "%s %s: too many redirects",
					      method, req->url);
				goto done;
			}
			/* Never hand credentials to another origin. */
			if (origin_of(next, o, sizeof(o)) < 0 || strcmp(o, origin0))
				auth = NULL;
			if (status == 303 || ((status == 301 || status == 302) &&
					      !strcmp(method, "POST"))) {
				gth_strlcpy(method_buf, strcmp(method, "HEAD") ? "GET" : "HEAD",
					    sizeof(method_buf));
				have_body = 0;
			}
			free(url);
			url = next;
			resp->attempts--;
			continue;
		} else if (!(may_retry || status == 429 || status == 503) ||
			   !retryable_status(status) || resp->attempts >= max_attempts) {
			break;
		}
		/* A streamed body or answer must start again from the beginning. */
		if (have_body && req->body_read && a.sent) {
			if (!req->body_rewind || req->body_rewind(req->body_ctx) < 0) {
				if (rc != CURLE_OK) {
					transport_error(err, rc, url, errbuf);
					goto done;
				}
				break;
			}
		}
		if (req->sink && req->sink_reset && req->sink_reset(req->sink_ctx) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "%s %s: cannot restart the transfer",
				      method, url);
			goto done;
		}
		if (rc == CURLE_OK)
			wait = retry_after_ms(resp);
		if (wait < 0) {
			int64_t b = backoff << (resp->attempts - 1 < 16 ? resp->attempts - 1 : 16);

			if (b > BACKOFF_CAP_MS || b <= 0)
				b = BACKOFF_CAP_MS;
			/* Jitter: between half and all of the backoff. */
			wait = b / 2 + (int64_t)gth_random_below((uint64_t)(b / 2 + 1));
		}
		if (gth_now_ms() + wait >= deadline) {
			if (rc != CURLE_OK) {
				transport_error(err, rc, url, errbuf);
				goto done;
			}
			break; /* give the last answer back */
		}
		gth_sleep_ms(wait);
	}
	resp->status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->url = url;
	url = NULL;
	r = 0;
done:
	if (auth_header) {
		memset(auth_header, 0, strlen(auth_header));
		free(auth_header);
	}
	free(url);
	if (r < 0) {
		int attempts = resp->attempts;

		gth_http_response_release(resp);
		resp->attempts = attempts;
	}
	return r;
}

int gth_http_status_error(struct gth_error *err, const struct gth_http_response *resp,
			  const char *what)
{
	char line[201];
	const char *b = gth_buf_cstr(&resp->body);
	size_t n = strcspn(b, "\r\n");
	int code;
	long s = resp->status;

	if (n > 200)
		n = 200;
	memcpy(line, b, n);
	line[n] = '\0';
	if (s == 401 || s == 403)
		code = GTH_EXIT_NOPERM;
	else if (s == 404)
		code = GTH_EXIT_NOINPUT;
	else if (s == 429)
		code = GTH_EXIT_TEMPFAIL;
	else if (s >= 500)
		code = GTH_EXIT_UNAVAILABLE;
	else if (s >= 400)
		code = GTH_EXIT_DATAERR;
	else
		code = GTH_EXIT_UNAVAILABLE;
	if (*line)
		return gth_error_set(err, code, "%s: HTTP %ld: %s", what, s, line);
	return gth_error_set(err, code, "%s: HTTP %ld", what, s);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int gth_base64_encode(struct gth_buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	if (gth_buf_grow(out, (len + 2) / 3 * 4) < 0)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		char q[4] = { b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			      b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)], b64[p[i + 2] & 63] };
		gth_buf_put(out, q, 4);
	}
	if (len - i == 1) {
		char q[4] = { b64[p[i] >> 2], b64[(p[i] & 3) << 4], '=', '=' };
		gth_buf_put(out, q, 4);
	} else if (len - i == 2) {
		char q[4] = { b64[p[i] >> 2], b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)],
			      b64[(p[i + 1] & 15) << 2], '=' };
		gth_buf_put(out, q, 4);
	}
	if (!out->ptr)
		gth_buf_puts(out, "");
	return 0;
}

int gth_base64_decode(struct gth_buf *out, const char *text, size_t len)
{
	unsigned v = 0;
	int bits = 0;
	size_t i;
	int pad = 0;

	gth_buf_puts(out, "");
	for (i = 0; i < len; i++) {
		char ch = text[i];
		const char *pos;

		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1;
		if (ch == '-')
			ch = '+';
		else if (ch == '_')
			ch = '/';
		pos = ch ? strchr(b64, ch) : NULL;
		if (!pos)
			return -1;
		v = (v << 6) | (unsigned)(pos - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (gth_buf_putc(out, (char)((v >> bits) & 0xff)) < 0)
				return -1;
		}
	}
	return pad > 2 ? -1 : 0;
}

int gth_http_basic_auth(struct gth_buf *out, const char *user, const char *pass)
{
	struct gth_buf raw = GTH_BUF_INIT;
	int r;

	gth_buf_printf(&raw, "%s:%s", user ? user : "", pass ? pass : "");
	gth_buf_clear(out);
	gth_buf_puts(out, "Basic ");
	r = gth_base64_encode(out, gth_buf_cstr(&raw), raw.len);
	if (raw.ptr)
		memset(raw.ptr, 0, raw.len);
	gth_buf_release(&raw);
	return r;
}

int gth_url_escape(struct gth_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	gth_buf_puts(out, "");
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			if (gth_buf_putc(out, (char)ch) < 0)
				return -1;
		} else {
			char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };

			if (gth_buf_put(out, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}
