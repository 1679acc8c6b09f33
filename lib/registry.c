#include "gth/registry.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gth/digest.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/oci.h"
#include "gth/ref.h"
#include "gth/util.h"

#define UPLOAD_TRIES 5

/* gth_secret_add is not thread-safe; clients in several threads may fetch tokens. */
static pthread_mutex_t secret_lock = PTHREAD_MUTEX_INITIALIZER;

static void add_secret(const char *s)
{
	pthread_mutex_lock(&secret_lock);
	gth_secret_add(s);
	pthread_mutex_unlock(&secret_lock);
}
#define CHUNK (256 * 1024)

const char gth_registry_manifest_accept[] =
	"Accept: " GTH_MT_OCI_MANIFEST ", " GTH_MT_OCI_INDEX ", " GTH_MT_DOCKER_MANIFEST
	", " GTH_MT_DOCKER_LIST ", application/vnd.docker.distribution.manifest.v1+prettyjws"
	", application/json";

struct token {
	char *scopes;   /* "scope1 scope2" */
	char *value;    /* "Bearer ..." */
};

struct gth_registry {
	char *domain;
	char *host;
	char *base;
	char **insecure;
	struct gth_http_client http;
	struct gth_registry_creds creds;
	int have_creds;
	int scheme;     /* 0 unknown, 1 Basic, 2 Bearer */
	char *realm;
	char *service;
	struct token *tokens;
	size_t ntokens;
	char *basic;    /* "Basic ..." */
};

/* ---- WWW-Authenticate ---- */

void gth_auth_challenge_release(struct gth_auth_challenge *c)
{
	if (!c)
		return;
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

int gth_auth_challenge_parse(struct gth_auth_challenge *c, const char *v)
{
	const char *p = v;
	size_t n;

	memset(c, 0, sizeof(*c));
	while (*p == ' ')
		p++;
	n = strcspn(p, " ");
	if (n == 0)
		return -1;
	c->scheme = strndup(p, n);
	p += n;
	while (*p) {
		char key[32];
		struct gth_buf val = GTH_BUF_INIT;
		size_t kn;

		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		kn = strcspn(p, "=, ");
		if (p[kn] != '=') {
			p += kn;
			continue;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(kn < 31 ? kn : 31), p);
		p += kn + 1;
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				gth_buf_putc(&val, *p++);
			}
			if (*p == '"')
				p++;
		} else {
			n = strcspn(p, ", ");
			gth_buf_put(&val, p, n);
			p += n;
		}
		{
			char **slot = NULL;

			if (!strcasecmp(key, "realm"))
				slot = &c->realm;
			else if (!strcasecmp(key, "service"))
				slot = &c->service;
			else if (!strcasecmp(key, "scope"))
				slot = &c->scope;
			else if (!strcasecmp(key, "error"))
				slot = &c->error;
			if (slot) {
				free(*slot);
				*slot = strdup(gth_buf_cstr(&val));
			}
		}
		gth_buf_release(&val);
	}
	return 0;
}

/* ---- open / close ---- */

static int host_in(const char *const *list, const char *domain)
{
	const char *const *h;
	size_t dl = strcspn(domain, ":");

	if (domain[0] == '[')
		dl = strcspn(domain, "]") + 1;
	for (h = list; h && *h; h++) {
		if (!strcasecmp(*h, domain))
			return 1;
		if (strlen(*h) == dl && !strncasecmp(*h, domain, dl))
			return 1;
	}
	return 0;
}

int gth_registry_open(struct gth_registry **out, const char *domain,
		      const struct gth_registry_opts *opts, struct gth_error *err)
{
	struct gth_registry *r = calloc(1, sizeof(*r));
	struct gth_registry_opts def = GTH_REGISTRY_OPTS_INIT;
	size_t n = 0, i;
	int found;

	*out = NULL;
	if (!opts)
		opts = &def;
	if (!r)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	r->domain = strdup(domain);
	r->host = strdup(strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain);
	while (opts->insecure_hosts && opts->insecure_hosts[n])
		n++;
	r->insecure = calloc(n + 1, sizeof(char *));
	for (i = 0; r->insecure && i < n; i++)
		r->insecure[i] = strdup(opts->insecure_hosts[i]);
	r->base = gth_strdupf("%s://%s", host_in(opts->insecure_hosts, domain) ? "http" : "https",
			      r->host);
	if (!r->domain || !r->host || !r->insecure || !r->base) {
		gth_registry_close(r);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	r->http.insecure_hosts = (const char *const *)r->insecure;
	r->http.user_agent = opts->user_agent;
	r->http.budget_ms = opts->budget_ms;
	if (!opts->no_creds) {
		found = gth_registry_creds_find(&r->creds, domain, err);
		if (found < 0) {
			gth_registry_close(r);
			return -1;
		}
		r->have_creds = found;
		if (found)
			gth_verbose("credentials for %s from %s", domain, r->creds.source);
	}
	*out = r;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int gth_registry_dup(struct gth_registry **out, const struct gth_registry *r,
		     struct gth_error *err)
{
	struct gth_registry *n = calloc(1, sizeof(*n));
	size_t i, ni = 0;

	*out = NULL;
	if (!n)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	while (r->insecure[ni])
		ni++;
	n->domain = strdup(r->domain);
	n->host = strdup(r->host);
	n->base = strdup(r->base);
	n->insecure = calloc(ni + 1, sizeof(char *));
	for (i = 0; n->insecure && i < ni; i++)
		n->insecure[i] = strdup(r->insecure[i]);
	n->http.insecure_hosts = (const char *const *)n->insecure;
	n->http.user_agent = r->http.user_agent;
	n->http.budget_ms = r->http.budget_ms;
	n->have_creds = r->have_creds;
	n->creds.user = dup_or_null(r->creds.user);
	n->creds.password = dup_or_null(r->creds.password);
	n->creds.source = dup_or_null(r->creds.source);
	n->scheme = r->scheme;
	n->realm = dup_or_null(r->realm);
	n->service = dup_or_null(r->service);
	n->basic = dup_or_null(r->basic);
	n->tokens = r->ntokens ? calloc(r->ntokens, sizeof(*n->tokens)) : NULL;
	if (n->tokens) {
		for (i = 0; i < r->ntokens; i++) {
			n->tokens[i].scopes = strdup(r->tokens[i].scopes);
			n->tokens[i].value = strdup(r->tokens[i].value);
		}
		n->ntokens = r->ntokens;
	}
	if (!n->domain || !n->host || !n->base || !n->insecure || (r->ntokens && !n->tokens)) {
		gth_registry_close(n);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	*out = n;
	return 0;
}

void gth_registry_close(struct gth_registry *r)
{
	size_t i;

	if (!r)
		return;
	gth_http_client_release(&r->http);
	for (i = 0; r->insecure && r->insecure[i]; i++)
		free(r->insecure[i]);
	free(r->insecure);
	for (i = 0; i < r->ntokens; i++) {
		free(r->tokens[i].scopes);
		free(r->tokens[i].value);
	}
	free(r->tokens);
	gth_registry_creds_release(&r->creds);
	free(r->basic);
	free(r->realm);
	free(r->service);
	free(r->domain);
	free(r->host);
	free(r->base);
	free(r);
}

const char *gth_registry_base_url(const struct gth_registry *r)
{
	return r->base;
}

unsigned long gth_registry_requests(const struct gth_registry *r)
{
	return r->http.requests;
}

/* ---- authentication ---- */

static const char *token_for(struct gth_registry *r, const char *scopes)
{
	size_t i;

	for (i = 0; i < r->ntokens; i++)
		if (!strcmp(r->tokens[i].scopes, scopes))
			return r->tokens[i].value;
	return NULL;
}

static int fetch_token(struct gth_registry *r, const char *scopes, struct gth_error *err)
{
	struct gth_buf url = GTH_BUF_INIT, esc = GTH_BUF_INIT;
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	cJSON *j = NULL;
	const char *tok, *s, *e;
	int ret = -1;
	struct token *nt;

	if (!r->realm)
		return gth_error_set(err, GTH_EXIT_NOPERM, "%s: Bearer challenge without a realm",
				     r->domain);
	gth_buf_puts(&url, r->realm);
	gth_buf_putc(&url, strchr(r->realm, '?') ? '&' : '?');
	if (r->service) {
		gth_url_escape(&esc, r->service);
		gth_buf_printf(&url, "service=%s", esc.ptr);
	}
	for (s = scopes; *s; s = e) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		e = s + strcspn(s, " ");
		{
			char *one = strndup(s, (size_t)(e - s));

			gth_buf_clear(&esc);
			gth_url_escape(&esc, one);
			free(one);
		}
		gth_buf_printf(&url, "%sscope=%s", url.ptr[url.len - 1] == '?' ? "" : "&", esc.ptr);
	}
	req.method = "GET";
	req.url = url.ptr;
	req.authorization = r->have_creds ? r->basic : NULL;
	if (gth_http_do(&resp, &r->http, &req, err) < 0) {
		gth_error_prefix(err, "token service: ");
		goto done;
	}
	if (resp.status != 200) {
		gth_http_status_error(err, &resp, "token service");
		goto done;
	}
	if (gth_json_parse(&j, resp.body.ptr, resp.body.len, "token answer", err) < 0)
		goto done;
	tok = gth_json_str(j, "token");
	if (!tok || !*tok)
		tok = gth_json_str(j, "access_token");
	if (!tok || !*tok) {
		gth_error_set(err, GTH_EXIT_NOPERM, "token service gave no token");
		goto done;
	}
	add_secret(tok);
	nt = realloc(r->tokens, (r->ntokens + 1) * sizeof(*nt));
	if (!nt) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	r->tokens = nt;
	nt[r->ntokens].scopes = strdup(scopes);
	nt[r->ntokens].value = gth_strdupf("Bearer %s", tok);
	r->ntokens++;
	ret = 0;
done:
	cJSON_Delete(j);
	gth_http_response_release(&resp);
	gth_buf_release(&url);
	gth_buf_release(&esc);
	return ret;
}

static const char *auth_value(struct gth_registry *r, const char *scopes)
{
	if (r->scheme == 1)
		return r->basic;
	if (r->scheme == 2)
		return token_for(r, scopes);
	return NULL;
}

/* Learn from a 401's challenge; returns 0 when a retry may succeed. */
static int handle_challenge(struct gth_registry *r, const struct gth_http_response *resp,
			    char **scopes, struct gth_error *err)
{
	const char *v = gth_http_header(resp, "www-authenticate");
	struct gth_auth_challenge c;
	int ret = -1;

	if (!v || gth_auth_challenge_parse(&c, v) < 0)
		return gth_http_status_error(err, resp, r->domain);
	if (!strcasecmp(c.scheme, "Basic")) {
		if (!r->have_creds || r->scheme == 1) {
			gth_error_set(err, GTH_EXIT_NOPERM, "%s: %s", r->domain,
				      r->have_creds ? "credentials refused"
						    : "authentication required and no credentials found");
			goto done;
		}
		r->scheme = 1;
		ret = 0;
	} else if (!strcasecmp(c.scheme, "Bearer")) {
		int had = r->scheme == 2 && token_for(r, *scopes);

		r->scheme = 2;
		free(r->realm);
		free(r->service);
		r->realm = c.realm ? strdup(c.realm) : NULL;
		r->service = c.service ? strdup(c.service) : NULL;
		if (had) {
			/* the token we had was not enough: ask again with the challenge's scope */
			char *more;

			if (!c.scope || (c.error && strcmp(c.error, "insufficient_scope") &&
					 strcmp(c.error, "invalid_token"))) {
				gth_error_set(err, GTH_EXIT_NOPERM, "%s: access denied%s%s", r->domain,
					      c.error ? ": " : "", c.error ? c.error : "");
				goto done;
			}
			more = strstr(*scopes, c.scope) ? strdup(*scopes)
							  : gth_strdupf("%s %s", *scopes, c.scope);
			{
				size_t i;

				for (i = 0; i < r->ntokens; i++)
					if (!strcmp(r->tokens[i].scopes, *scopes)) {
						free(r->tokens[i].scopes);
						r->tokens[i].scopes = strdup("");
					}
			}
			free(*scopes);
			*scopes = more;
		}
		if (fetch_token(r, *scopes, err) < 0)
			goto done;
		ret = 0;
	} else {
		gth_error_set(err, GTH_EXIT_NOPERM, "%s: unsupported authentication scheme '%s'",
			      r->domain, c.scheme);
	}
done:
	gth_auth_challenge_release(&c);
	return ret;
}

/* Send req with the authorization its scopes need; answer 401 challenges (twice at
 * most). scopes is space-separated. */
static int reg_do(struct gth_registry *r, struct gth_http_response *resp,
		  struct gth_http_request *req, const char *scopes_in, struct gth_error *err)
{
	char *scopes = strdup(scopes_in);
	int round, ret = -1;

	if (!scopes)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (r->have_creds && !r->basic) {
		struct gth_buf b = GTH_BUF_INIT;

		gth_http_basic_auth(&b, r->creds.user, r->creds.password);
		r->basic = gth_buf_detach(&b);
	}
	for (round = 0; round < 3; round++) {
		req->authorization = auth_value(r, scopes);
		if (gth_http_do(resp, &r->http, req, err) < 0)
			goto done;
		if (resp->status != 401 || round == 2)
			break;
		if (req->body_read && req->body_rewind && req->body_rewind(req->body_ctx) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot resend the request body");
			goto done;
		}
		if (handle_challenge(r, resp, &scopes, err) < 0)
			goto done;
		gth_http_response_release(resp);
	}
	ret = 0;
done:
	free(scopes);
	return ret;
}

static char *pull_scope(const char *repo)
{
	return gth_strdupf("repository:%s:pull", repo);
}

static char *push_scope(const char *repo)
{
	return gth_strdupf("repository:%s:pull,push", repo);
}

/* ---- API ---- */

int gth_registry_ping(struct gth_registry *r, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/", r->base);
	int ret = -1;

	req.method = "GET";
	req.url = url;
	if (reg_do(r, &resp, &req, "", err) < 0)
		goto done;
	if (resp.status != 200) {
		gth_http_status_error(err, &resp, r->domain);
		goto done;
	}
	ret = 0;
done:
	gth_http_response_release(&resp);
	free(url);
	return ret;
}

int gth_registry_blob_exists(struct gth_registry *r, const char *repo, const char *digest,
			     int64_t *size, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/blobs/%s", r->base, repo, digest);
	char *scope = push_scope(repo);
	int ret = -1;

	req.method = "HEAD";
	req.url = url;
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status == 200) {
		const char *cl = gth_http_header(&resp, "content-length");
		long v;

		if (size)
			*size = cl && gth_parse_long(cl, 0, 0x7fffffffffffffffL, &v) == 0 ? v : -1;
		ret = 1;
	} else if (resp.status == 404) {
		ret = 0;
	} else {
		gth_http_status_error(err, &resp, "checking a blob");
	}
done:
	gth_http_response_release(&resp);
	free(url);
	free(scope);
	return ret;
}

int gth_registry_blob_mount(struct gth_registry *r, const char *repo, const char *digest,
			    const char *from, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_buf ed = GTH_BUF_INIT, ef = GTH_BUF_INIT;
	char *url = NULL, *scope = NULL;
	int ret = -1;

	gth_url_escape(&ed, digest);
	gth_url_escape(&ef, from);
	url = gth_strdupf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, repo, ed.ptr, ef.ptr);
	scope = gth_strdupf("repository:%s:pull,push repository:%s:pull", repo, from);
	req.method = "POST";
	req.url = url;
	req.body = "";
	req.body_len = 0;
	req.retry = GTH_HTTP_RETRY_ALWAYS;
	req.no_redirect = 1;
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status == 201)
		ret = 1;
	else if (resp.status == 202 || resp.status == 401 || resp.status == 403 ||
		 resp.status == 404)
		ret = 0; /* declined: upload instead */
	else
		gth_http_status_error(err, &resp, "mounting a blob");
done:
	gth_http_response_release(&resp);
	gth_buf_release(&ed);
	gth_buf_release(&ef);
	free(url);
	free(scope);
	return ret;
}

struct upload_body {
	gth_registry_reader read;
	void *ctx;
	int64_t pos, size;
	struct gth_sha256 h;
	int hashing;
	char hex[GTH_SHA256_HEX_LEN + 1];
	int done;
	struct gth_error rerr;
	void (*progress)(void *ctx, int64_t sent);
	void *progress_ctx;
};

static int upload_read(void *ctx, char *buf, size_t n, size_t *got)
{
	struct upload_body *u = ctx;
	int64_t r;

	*got = 0;
	if (u->pos >= u->size) {
		if (!u->done && u->hashing) {
			gth_sha256_final(&u->h, u->hex);
			u->hashing = 0;
			u->done = 1;
		}
		return 0;
	}
	r = u->read(u->ctx, buf, n, u->pos, &u->rerr);
	if (r < 0)
		return -1;
	if (r == 0) {
		gth_error_set(&u->rerr, GTH_EXIT_DATAERR, "blob is shorter than its size %lld",
			      (long long)u->size);
		return -1;
	}
	if (u->hashing)
		gth_sha256_update(&u->h, buf, (size_t)r);
	u->pos += r;
	*got = (size_t)r;
	if (u->progress)
		u->progress(u->progress_ctx, u->pos);
	if (u->pos >= u->size && u->hashing) {
		gth_sha256_final(&u->h, u->hex);
		u->hashing = 0;
		u->done = 1;
	}
	return 0;
}

static int upload_rewind(void *ctx)
{
	struct upload_body *u = ctx;

	if (u->hashing)
		gth_sha256_release(&u->h);
	u->hashing = gth_sha256_init(&u->h) == 0;
	u->pos = 0;
	u->done = 0;
	if (u->progress)
		u->progress(u->progress_ctx, 0);
	return u->hashing ? 0 : -1;
}

static char *with_digest(const char *loc, const char *digest)
{
	struct gth_buf e = GTH_BUF_INIT;
	char *out;

	gth_url_escape(&e, digest);
	out = gth_strdupf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", e.ptr);
	gth_buf_release(&e);
	return out;
}

/* One try: 0 done, 1 worth restarting (5xx, dropped connection), -1 final error. */
static int upload_once(struct gth_registry *r, const char *repo, const char *digest,
		       struct upload_body *u, const char *scope, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/blobs/uploads/", r->base, repo);
	char *loc = NULL, *put = NULL;
	const char *hdrs[] = { "Content-Type: application/octet-stream", NULL };
	int ret = -1;

	/* POST: open a session */
	req.method = "POST";
	req.url = url;
	req.body = "";
	req.retry = GTH_HTTP_RETRY_ALWAYS;
	req.no_redirect = 1;
	if (reg_do(r, &resp, &req, scope, err) < 0) {
		ret = err && err->exit == GTH_EXIT_UNAVAILABLE ? 1 : -1;
		goto done;
	}
	if (resp.status != 202 || !gth_http_header(&resp, "location")) {
		gth_http_status_error(err, &resp, "starting an upload");
		if (resp.status == 202)
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "starting an upload: no Location");
		ret = resp.status >= 500 ? 1 : -1;
		goto done;
	}
	loc = gth_url_resolve(resp.url ? resp.url : url, gth_http_header(&resp, "location"));
	gth_http_response_release(&resp);
	if (!loc) {
		gth_error_set(err, GTH_EXIT_UNAVAILABLE, "starting an upload: bad Location");
		goto done;
	}
	/* PATCH: the whole body, streamed */
	if (upload_rewind(u) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "sha256 failed");
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.method = "PATCH";
	req.url = loc;
	req.headers = hdrs;
	req.body_read = upload_read;
	req.body_rewind = upload_rewind;
	req.body_ctx = u;
	req.body_size = u->size;
	req.retry = GTH_HTTP_RETRY_NEVER;
	req.no_redirect = 1;
	req.timeout_ms = 0;
	gth_error_clear(&u->rerr);
	if (reg_do(r, &resp, &req, scope, err) < 0) {
		if (u->rerr.exit) {
			*err = u->rerr;
			ret = -1;
		} else {
			ret = err && err->exit == GTH_EXIT_UNAVAILABLE ? 1 : -1;
		}
		goto done;
	}
	if (!u->done || strcmp(u->hex, digest + 7) != 0) {
		if (u->done)
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "blob %s does not match its digest (content is sha256:%s)", digest,
				      u->hex);
		else
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "upload of %s stopped early", digest);
		ret = u->done ? -1 : 1;
		goto done;
	}
	if (resp.status != 202) {
		gth_http_status_error(err, &resp, "uploading a blob");
		ret = resp.status >= 500 ? 1 : -1;
		goto done;
	}
	if (gth_http_header(&resp, "location")) {
		char *n = gth_url_resolve(loc, gth_http_header(&resp, "location"));

		if (n) {
			free(loc);
			loc = n;
		}
	}
	gth_http_response_release(&resp);
	/* PUT: close the session with the digest */
	put = with_digest(loc, digest);
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = put;
	req.headers = hdrs;
	req.body = "";
	req.body_len = 0;
	req.retry = GTH_HTTP_RETRY_NEVER;
	req.no_redirect = 1;
	if (reg_do(r, &resp, &req, scope, err) < 0) {
		ret = err && err->exit == GTH_EXIT_UNAVAILABLE ? 1 : -1;
		goto done;
	}
	if (resp.status != 201) {
		gth_http_status_error(err, &resp, "finishing an upload");
		ret = resp.status >= 500 ? 1 : -1;
		if (resp.status == 400 && strstr(gth_buf_cstr(&resp.body), "DIGEST_INVALID"))
			err->exit = GTH_EXIT_DATAERR;
		goto done;
	}
	ret = 0;
done:
	gth_http_response_release(&resp);
	free(url);
	free(loc);
	free(put);
	return ret;
}

int gth_registry_blob_upload(struct gth_registry *r, const char *repo, const char *digest,
			     int64_t size, gth_registry_reader read, void *read_ctx,
			     void (*progress)(void *ctx, int64_t sent), void *progress_ctx,
			     struct gth_error *err)
{
	struct upload_body u;
	char *scope = push_scope(repo);
	int tries, rc = -1;
	int64_t wait = 500;

	memset(&u, 0, sizeof(u));
	u.read = read;
	u.ctx = read_ctx;
	u.size = size;
	u.progress = progress;
	u.progress_ctx = progress_ctx;
	if (strncmp(digest, "sha256:", 7) != 0) {
		free(scope);
		return gth_error_set(err, GTH_EXIT_DATAERR, "cannot upload %s: only sha256 digests",
				     digest);
	}
	for (tries = 1; tries <= UPLOAD_TRIES; tries++) {
		rc = upload_once(r, repo, digest, &u, scope, err);
		if (rc <= 0)
			break;
		if (tries < UPLOAD_TRIES) {
			gth_verbose("upload of %s failed (%s); restarting", digest, err ? err->msg : "");
			gth_sleep_ms(wait);
			wait *= 2;
		}
	}
	if (u.hashing)
		gth_sha256_release(&u.h);
	free(scope);
	if (rc > 0) {
		gth_error_prefix(err, "upload of %s failed %d times: ", digest, UPLOAD_TRIES);
		return -1;
	}
	return rc;
}

struct get_sink {
	int (*sink)(void *ctx, const char *data, size_t len);
	void *ctx;
	struct gth_sha256 h;
	int hashing;
};

static int get_sink_cb(void *ctx, const char *data, size_t len)
{
	struct get_sink *g = ctx;

	if (g->hashing)
		gth_sha256_update(&g->h, data, len);
	return g->sink(g->ctx, data, len);
}

int gth_registry_blob_get(struct gth_registry *r, const char *repo, const char *digest,
			  int (*sink)(void *ctx, const char *data, size_t len), void *sink_ctx,
			  struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/blobs/%s", r->base, repo, digest);
	char *scope = pull_scope(repo);
	struct get_sink g;
	char hex[GTH_SHA256_HEX_LEN + 1];
	int ret = -1;

	memset(&g, 0, sizeof(g));
	g.sink = sink;
	g.ctx = sink_ctx;
	g.hashing = strncmp(digest, "sha256:", 7) == 0 && gth_sha256_init(&g.h) == 0;
	req.method = "GET";
	req.url = url;
	req.sink = get_sink_cb;
	req.sink_ctx = &g;
	req.retry = GTH_HTTP_RETRY_NEVER; /* the sink cannot be rewound */
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status != 200) {
		gth_http_status_error(err, &resp, "fetching a blob");
		goto done;
	}
	if (g.hashing) {
		gth_sha256_final(&g.h, hex);
		g.hashing = 0;
		if (strcmp(hex, digest + 7) != 0) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "blob %s from %s does not match its digest (got sha256:%s)", digest,
				      r->domain, hex);
			goto done;
		}
	}
	ret = 0;
done:
	if (g.hashing)
		gth_sha256_release(&g.h);
	gth_http_response_release(&resp);
	free(url);
	free(scope);
	return ret;
}

int gth_registry_manifest_get(struct gth_registry *r, const char *repo, const char *reference,
			      struct gth_buf *body, char **media_type, char *digest,
			      struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/manifests/%s", r->base, repo, reference);
	char *scope = pull_scope(repo);
	const char *hdrs[] = { gth_registry_manifest_accept, NULL };
	char hex[GTH_SHA256_HEX_LEN + 1];
	int ret = -1;

	if (media_type)
		*media_type = NULL;
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.max_body = 4u << 20;
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status != 200) {
		gth_http_status_error(err, &resp, "fetching a manifest");
		if (resp.status == 404)
			gth_error_set(err, GTH_EXIT_NOINPUT, "%s/%s:%s: manifest unknown", r->domain,
				      repo, reference);
		goto done;
	}
	gth_sha256_hex(resp.body.ptr ? resp.body.ptr : "", resp.body.len, hex);
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(hex, reference + 7) != 0) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "manifest %s from %s does not match its digest (got sha256:%s)",
			      reference, r->domain, hex);
		goto done;
	}
	if (digest)
		snprintf(digest, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	if (media_type) {
		const char *ct = gth_http_header(&resp, "content-type");
		cJSON *j = NULL;

		if (ct && (gth_oci_is_index(ct) || gth_oci_is_manifest(ct))) {
			*media_type = strndup(ct, strcspn(ct, "; "));
		} else if (gth_json_parse(&j, resp.body.ptr, resp.body.len, "manifest", NULL) == 0) {
			const char *mt = gth_json_str(j, "mediaType");

			if (mt)
				*media_type = strdup(mt);
			else if (gth_json_arr(j, "manifests"))
				*media_type = strdup(GTH_MT_OCI_INDEX);
			else
				*media_type = strdup(GTH_MT_OCI_MANIFEST);
		}
		cJSON_Delete(j);
		if (!*media_type && ct)
			*media_type = strndup(ct, strcspn(ct, "; "));
	}
	gth_buf_clear(body);
	if (gth_buf_put(body, resp.body.ptr ? resp.body.ptr : "", resp.body.len) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	ret = 0;
done:
	gth_http_response_release(&resp);
	free(url);
	free(scope);
	return ret;
}

int gth_registry_manifest_head(struct gth_registry *r, const char *repo, const char *reference,
			       char *digest, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/manifests/%s", r->base, repo, reference);
	char *scope = push_scope(repo);
	const char *hdrs[] = { gth_registry_manifest_accept, NULL };
	int ret = -1;

	if (digest)
		digest[0] = '\0';
	req.method = "HEAD";
	req.url = url;
	req.headers = hdrs;
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status == 200) {
		const char *d = gth_http_header(&resp, "docker-content-digest");

		if (digest && d && gth_ref_check_digest(d, NULL) == 0)
			snprintf(digest, GTH_DIGEST_STR_LEN, "%s", d);
		ret = 1;
	} else if (resp.status == 404) {
		ret = 0;
	} else {
		gth_http_status_error(err, &resp, "checking a manifest");
	}
done:
	gth_http_response_release(&resp);
	free(url);
	free(scope);
	return ret;
}

int gth_registry_manifest_put(struct gth_registry *r, const char *repo, const char *reference,
			      const char *media_type, const void *body, size_t len,
			      char *digest_out, struct gth_error *err)
{
	struct gth_http_request req = { 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = gth_strdupf("%s/v2/%s/manifests/%s", r->base, repo, reference);
	char *scope = push_scope(repo);
	char *ct = gth_strdupf("Content-Type: %s", media_type);
	const char *hdrs[] = { ct, NULL };
	char hex[GTH_SHA256_HEX_LEN + 1];
	const char *dcd;
	int ret = -1;

	gth_sha256_hex(body, len, hex);
	if (digest_out)
		snprintf(digest_out, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	req.method = "PUT";
	req.url = url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = len;
	if (reg_do(r, &resp, &req, scope, err) < 0)
		goto done;
	if (resp.status != 201 && resp.status != 200) {
		gth_http_status_error(err, &resp, "putting a manifest");
		if (resp.status == 400 || resp.status == 404) {
			/* MANIFEST_BLOB_UNKNOWN, MANIFEST_INVALID, ...: the image is wrong */
			err->exit = GTH_EXIT_DATAERR;
		}
		goto done;
	}
	dcd = gth_http_header(&resp, "docker-content-digest");
	if (dcd && strncmp(dcd, "sha256:", 7) == 0 && strncmp(dcd + 7, hex, 64) != 0) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "registry stored the manifest as %s, expected sha256:%s", dcd, hex);
		goto done;
	}
	ret = 0;
done:
	gth_http_response_release(&resp);
	free(url);
	free(scope);
	free(ct);
	return ret;
}
