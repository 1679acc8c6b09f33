/* Metric providers: Prometheus (instant query) and web (JSON + jsonPath), each
 * turning an answer into a measurement as Argo Rollouts' providers do. */
#include <ctype.h>
#include <strings.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "gth/buf.h"
#include "gth/json.h"
#include "gth/util.h"

int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void format_go_float(char *buf, size_t size, double f)
{
	char e[40], digits[24], *p;
	int prec, exp10, nd = 0, i;
	struct gth_buf b = GTH_BUF_INIT;
	if (isnan(f)) {
		gth_strlcpy(buf, "NaN", size);
		return;
	}
	if (isinf(f)) {
		gth_strlcpy(buf, f > 0 ? "+Inf" : "-Inf", size);
		return;
	}
	if (f == 0) {
		gth_strlcpy(buf, signbit(f) ? "-0" : "0", size);
		return;
	}
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, f);
		if (strtod(e, NULL) == f)
			break;
	}
	/* e is [-]D[.DDD]e[+-]XX */
	p = e;
	if (*p == '-') {
		gth_buf_putc(&b, '-');
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	digits[nd] = '\0';
	{
		char *end;
		long x = strtol(p + 1, &end, 10);
		exp10 = *end ? 0 : (int)x;
	}
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (exp10 >= 0) {
		for (i = 0; i <= exp10; i++)
			gth_buf_putc(&b, i < nd ? digits[i] : '0');
		if (nd > exp10 + 1) {
			gth_buf_putc(&b, '.');
			gth_buf_puts(&b, digits + exp10 + 1);
		}
	} else {
		gth_buf_puts(&b, "0.");
		for (i = 0; i < -exp10 - 1; i++)
			gth_buf_putc(&b, '0');
		gth_buf_puts(&b, digits);
	}
	gth_strlcpy(buf, gth_buf_cstr(&b), size);
	gth_buf_release(&b);
}

/* "http://user:pass@host/..." -> the URL without userinfo and "Basic ..." */
static char *split_userinfo(const char *url, char **auth)
{
	const char *scheme_end = strstr(url, "://"), *host, *at, *slash;
	struct gth_buf b = GTH_BUF_INIT;
	*auth = NULL;
	if (!scheme_end)
		return strdup(url);
	host = scheme_end + 3;
	slash = strchr(host, '/');
	at = strchr(host, '@');
	if (!at || (slash && at > slash))
		return strdup(url);
	{
		char *ui = strndup(host, (size_t)(at - host)), *colon = strchr(ui, ':');
		struct gth_buf a = GTH_BUF_INIT;
		if (colon)
			*colon = '\0';
		if (gth_http_basic_auth(&a, ui, colon ? colon + 1 : "") == 0)
			*auth = gth_buf_detach(&a);
		gth_buf_release(&a);
		free(ui);
	}
	gth_buf_put(&b, url, (size_t)(host - url));
	gth_buf_puts(&b, at + 1);
	return gth_buf_detach(&b);
}

static void set_error(struct measurement *out, const char *fmt, const char *a, long n)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), fmt, a, n);
	out->phase = PH_ERROR;
	free(out->message);
	out->message = strdup(buf);
}

/* Headers for a metric: "Key: value" lines, NULL-terminated; the caller frees. */
static char **header_lines(const struct metric *m, const char *extra)
{
	char **h = calloc(m->nheaders + 2, sizeof(char *));
	size_t i, n = 0;
	if (!h)
		return NULL;
	if (extra)
		h[n++] = strdup(extra);
	for (i = 0; i < m->nheaders; i++)
		if (strcasecmp(m->headers[i].key, "Authorization") != 0)
			h[n++] = gth_strdupf("%s: %s", m->headers[i].key, m->headers[i].value);
	return h;
}

static const char *auth_header(const struct metric *m)
{
	size_t i;
	for (i = 0; i < m->nheaders; i++)
		if (!strcasecmp(m->headers[i].key, "Authorization"))
			return m->headers[i].value;
	return NULL;
}

static void free_lines(char **h)
{
	size_t i;
	for (i = 0; h && h[i]; i++)
		free(h[i]);
	free(h);
}

static int sample_value(const cJSON *pair, double *out)
{
	const cJSON *v = cJSON_GetArrayItem(pair, 1);
	char *end;
	if (!cJSON_IsString(v))
		return -1;
	*out = strtod(v->valuestring, &end);
	return *end ? -1 : 0;
}

static void list_str(struct gth_buf *b, const double *v, size_t n)
{
	size_t i;
	char num[64];
	gth_buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		format_go_float(num, sizeof(num), v[i]);
		if (i)
			gth_buf_putc(b, ',');
		gth_buf_puts(b, num);
	}
	gth_buf_putc(b, ']');
}

static void prometheus_measure(struct measurement *out, const struct metric *m,
			       struct gth_http_client *http, int64_t *io_us)
{
	struct gth_http_request req;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf url = GTH_BUF_INIT, val = GTH_BUF_INIT;
	char *base = NULL, *auth = NULL, **hl = NULL;
	cJSON *doc = NULL;
	const cJSON *data, *result, *s, *pair;
	const char *rtype;
	double *vals = NULL;
	size_t n = 0, cap = 0;
	struct xarena *arena = NULL;
	int64_t t0;
	base = split_userinfo(m->address, &auth);
	while (base && *base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	gth_buf_puts(&url, base ? base : "");
	gth_buf_puts(&url, "/api/v1/query?query=");
	gth_url_escape(&url, m->query);
	hl = header_lines(m, NULL);
	memset(&req, 0, sizeof(req));
	req.url = gth_buf_cstr(&url);
	req.headers = (const char *const *)hl;
	req.authorization = auth_header(m) ? auth_header(m) : auth;
	req.timeout_ms = m->timeout_ms;
	req.budget_ms = m->timeout_ms;
	http->insecure_skip_verify = m->insecure;
	t0 = mono_us();
	if (gth_http_do(&resp, http, &req, &err) < 0) {
		*io_us += mono_us() - t0;
		set_error(out, "%s", err.msg, 0);
		goto done;
	}
	*io_us += mono_us() - t0;
	{
		struct gth_error e2 = GTH_ERROR_INIT;
		if (gth_json_parse(&doc, gth_buf_cstr(&resp.body), resp.body.len, "prometheus answer", &e2) < 0) {
			if (resp.status < 200 || resp.status > 299)
				set_error(out, "server_error: server error: %ld", "", resp.status);
			else
				set_error(out, "%s", e2.msg, 0);
			goto done;
		}
	}
	if (resp.status < 200 || resp.status > 299 ||
	    !gth_json_str(doc, "status") || strcmp(gth_json_str(doc, "status"), "success") != 0) {
		char buf[800];
		snprintf(buf, sizeof(buf), "%s: %s",
			 gth_json_str(doc, "errorType") ? gth_json_str(doc, "errorType") : "server_error",
			 gth_json_str(doc, "error") ? gth_json_str(doc, "error") : "unexpected answer");
		set_error(out, "%s", buf, 0);
		goto done;
	}
	data = gth_json_obj(doc, "data");
	rtype = gth_json_str(data, "resultType");
	result = cJSON_GetObjectItemCaseSensitive(data, "result");
	arena = xarena_new();
	if (!rtype || !arena) {
		set_error(out, "%s", "Prometheus answer without a resultType", 0);
		goto done;
	}
	if (!strcmp(rtype, "scalar")) {
		double v;
		struct xv r;
		char num[64];
		if (sample_value(result, &v) < 0) {
			set_error(out, "%s", "invalid scalar in the Prometheus answer", 0);
			goto done;
		}
		format_go_float(num, sizeof(num), v);
		out->value = strdup(num);
		r = xv_float(v);
		out->phase = evaluate_result(m, &r, &out->message);
	} else if (!strcmp(rtype, "vector") || !strcmp(rtype, "matrix")) {
		int matrix = rtype[0] == 'm';
		struct xv r;
		cJSON_ArrayForEach(s, result) {
			const cJSON *pairs = matrix ? gth_json_arr(s, "values") : NULL;
			const cJSON *single = matrix ? NULL : cJSON_GetObjectItemCaseSensitive(s, "value");
			const cJSON *it = single;
			if (matrix)
				it = pairs ? pairs->child : NULL;
			for (pair = it; pair; pair = matrix ? pair->next : NULL) {
				double v;
				if (n == cap) {
					double *nv;
					cap = cap ? cap * 2 : 8;
					nv = realloc(vals, cap * sizeof(double));
					if (!nv) {
						set_error(out, "%s", "out of memory", 0);
						goto done;
					}
					vals = nv;
				}
				if (sample_value(pair, &v) < 0) {
					set_error(out, "%s", "invalid sample in the Prometheus answer", 0);
					goto done;
				}
				vals[n++] = v;
			}
		}
		list_str(&val, vals, n);
		out->value = gth_buf_detach(&val);
		if (!out->value)
			out->value = strdup("[]");
		r = xv_floats(arena, vals, n);
		out->phase = evaluate_result(m, &r, &out->message);
	} else {
		set_error(out, "%s", "Prometheus metric type not supported", 0);
	}
done:
	if (!out->value)
		out->value = strdup("");
	xarena_free(arena);
	free(vals);
	cJSON_Delete(doc);
	free_lines(hl);
	free(base);
	free(auth);
	gth_buf_release(&url);
	gth_buf_release(&val);
	gth_http_response_release(&resp);
}

/* Kubernetes-style jsonPath: {$.a.b[0]['c']}; "" or {$} is the whole document. */
static int json_path(const cJSON **out, const cJSON *doc, const char *path)
{
	const char *p = path;
	const cJSON *cur = doc;
	char key[256];
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '{')
		p++;
	if (*p == '$')
		p++;
	while (*p && *p != '}') {
		size_t n = 0;
		if (*p == '.') {
			p++;
			while (*p && *p != '.' && *p != '[' && *p != '}' && n < sizeof(key) - 1)
				key[n++] = *p++;
			key[n] = '\0';
			if (!n)
				return -1;
			cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
		} else if (*p == '[') {
			p++;
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q && n < sizeof(key) - 1)
					key[n++] = *p++;
				key[n] = '\0';
				if (*p++ != q || *p++ != ']')
					return -1;
				cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
			} else {
				long idx;
				while (*p && *p != ']' && n < sizeof(key) - 1)
					key[n++] = *p++;
				key[n] = '\0';
				if (*p++ != ']' || gth_parse_long(key, -1000000, 1000000, &idx) < 0)
					return -1;
				if (!cJSON_IsArray(cur))
					cur = NULL;
				else {
					if (idx < 0)
						idx += cJSON_GetArraySize(cur);
					cur = idx >= 0 ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
				}
			}
		} else {
			return -1;
		}
		if (!cur)
			return 1;
	}
	*out = cur;
	return 0;
}

static void web_measure(struct measurement *out, const struct metric *m,
			struct gth_http_client *http, int64_t *io_us)
{
	struct gth_http_request req;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char **hl = NULL, *url = NULL, *auth = NULL;
	cJSON *doc = NULL;
	const cJSON *found = NULL;
	struct xarena *arena = NULL;
	int64_t t0;
	int r;
	url = split_userinfo(m->url, &auth);
	hl = header_lines(m, m->body ? "Content-Type: application/json" : NULL);
	memset(&req, 0, sizeof(req));
	req.method = m->method ? m->method : "GET";
	req.url = url;
	req.headers = (const char *const *)hl;
	req.authorization = auth_header(m) ? auth_header(m) : auth;
	if (m->body) {
		req.body = m->body;
		req.body_len = strlen(m->body);
	}
	req.timeout_ms = m->timeout_ms;
	req.budget_ms = m->timeout_ms;
	http->insecure_skip_verify = m->insecure;
	t0 = mono_us();
	if (gth_http_do(&resp, http, &req, &err) < 0) {
		*io_us += mono_us() - t0;
		set_error(out, "%s", err.msg, 0);
		goto done;
	}
	*io_us += mono_us() - t0;
	if (resp.status < 200 || resp.status > 299) {
		set_error(out, "%sreceived non 2xx response code: %ld", "", resp.status);
		goto done;
	}
	{
		struct gth_error e2 = GTH_ERROR_INIT;
		if (gth_json_parse(&doc, gth_buf_cstr(&resp.body), resp.body.len, "web answer", &e2) < 0) {
			set_error(out, "Could not parse JSON body: %s", e2.msg, 0);
			goto done;
		}
	}
	r = json_path(&found, doc, m->json_path ? m->json_path : "");
	if (r != 0) {
		set_error(out, r < 0 ? "invalid jsonPath %s" : "Could not find JSONPath in body: %s is not found",
			  m->json_path, 0);
		goto done;
	}
	if (cJSON_IsString(found)) {
		out->value = strdup(found->valuestring);
	} else if (cJSON_IsNumber(found)) {
		char num[64];
		format_go_float(num, sizeof(num), found->valuedouble);
		out->value = strdup(num);
	} else {
		out->value = gth_json_print(found);
	}
	arena = xarena_new();
	if (!arena) {
		set_error(out, "%s", "out of memory", 0);
		goto done;
	}
	{
		struct xv v = xv_from_json(arena, found);
		out->phase = evaluate_result(m, &v, &out->message);
	}
done:
	if (!out->value)
		out->value = strdup("");
	xarena_free(arena);
	cJSON_Delete(doc);
	free_lines(hl);
	free(url);
	free(auth);
	gth_http_response_release(&resp);
}

void provider_measure(struct measurement *out, const struct metric *m,
		      struct gth_http_client *http, int64_t *io_us)
{
	out->started_wall_ms = gth_wall_ms();
	if (m->provider == PROV_PROMETHEUS)
		prometheus_measure(out, m, http, io_us);
	else
		web_measure(out, m, http, io_us);
	out->finished_wall_ms = gth_wall_ms();
}
