/* gth-canary judge: canary against baseline samples from Prometheus range
 * queries, a two-sided Mann-Whitney U test per metric, and an overall score. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "judge.h"
#include "gth/buf.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"

const char *verdict_name(enum verdict v)
{
	static const char *const names[] = { "Pass", "High", "Low", "Nodata" };
	return names[v];
}

struct ranked {
	double v;
	int from_x;
};

static int cmp_ranked(const void *a, const void *b)
{
	double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;
	return x < y ? -1 : x > y;
}

int mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u, double *p)
{
	size_t n = nx + ny, i, j;
	struct ranked *r;
	double rx = 0, ties = 0, mu, sigma, z, n1 = (double)nx, n2 = (double)ny;
	if (nx == 0 || ny == 0)
		return -1;
	r = malloc(n * sizeof(*r));
	if (!r)
		return -1;
	for (i = 0; i < nx; i++) {
		r[i].v = x[i];
		r[i].from_x = 1;
	}
	for (i = 0; i < ny; i++) {
		r[nx + i].v = y[i];
		r[nx + i].from_x = 0;
	}
	qsort(r, n, sizeof(*r), cmp_ranked);
	for (i = 0; i < n; i = j) {
		double rank, t;
		for (j = i + 1; j < n && r[j].v == r[i].v; j++)
			;
		rank = ((double)(i + 1) + (double)j) / 2.0; /* average of ranks i+1..j */
		t = (double)(j - i);
		ties += t * t * t - t;
		for (size_t k = i; k < j; k++)
			if (r[k].from_x)
				rx += rank;
	}
	free(r);
	*u = rx - n1 * (n1 + 1) / 2.0;
	mu = n1 * n2 / 2.0;
	sigma = sqrt(n1 * n2 / 12.0 * (((double)n + 1) - ties / ((double)n * ((double)n - 1))));
	if (!(sigma > 0)) {
		*p = 1.0;
		return 0;
	}
	z = (fabs(*u - mu) - 0.5) / sigma;
	if (z < 0)
		z = 0;
	*p = erfc(z / sqrt(2.0));
	if (*p > 1)
		*p = 1;
	return 0;
}

static size_t drop_nan(double *out, const double *in, size_t n)
{
	size_t i, m = 0;
	for (i = 0; i < n; i++)
		if (!isnan(in[i]))
			out[m++] = in[i];
	return m;
}

static double mean(const double *v, size_t n)
{
	double s = 0;
	size_t i;
	for (i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : NAN;
}

int judge_metric(struct judgement *j, const double *canary, size_t nc, const double *baseline,
		 size_t nb, double confidence, double tolerance, const char *direction)
{
	double *c = malloc((nc ? nc : 1) * sizeof(double)), *b = malloc((nb ? nb : 1) * sizeof(double));
	int rc = -1;
	memset(j, 0, sizeof(*j));
	if (!c || !b)
		goto done;
	j->canary_n = drop_nan(c, canary, nc);
	j->baseline_n = drop_nan(b, baseline, nb);
	j->nan_dropped = (nc - j->canary_n) + (nb - j->baseline_n);
	j->canary_mean = mean(c, j->canary_n);
	j->baseline_mean = mean(b, j->baseline_n);
	j->p = NAN;
	j->u = NAN;
	j->ratio = NAN;
	rc = 0;
	if (!j->canary_n || !j->baseline_n) {
		j->verdict = V_NODATA;
		goto done;
	}
	if (mann_whitney(c, j->canary_n, b, j->baseline_n, &j->u, &j->p) < 0) {
		rc = -1;
		goto done;
	}
	if (j->baseline_mean == 0)
		j->ratio = j->canary_mean == 0 ? 1.0 : (j->canary_mean > 0 ? INFINITY : -INFINITY);
	else
		j->ratio = j->canary_mean / j->baseline_mean;
	j->verdict = V_PASS;
	if (j->p < 1.0 - confidence) {
		int up = j->ratio > 1.0 + tolerance, down = j->ratio < 1.0 - tolerance;
		if (up && strcmp(direction, "decrease") != 0)
			j->verdict = V_HIGH;
		else if (down && strcmp(direction, "increase") != 0)
			j->verdict = V_LOW;
	}
done:
	free(c);
	free(b);
	return rc;
}

/* A range query's values, all series flattened, in order. */
static int range_samples(double **out, size_t *n, struct gth_http_client *http, const char *base,
			 const char *query, const struct judge_opts *o, struct gth_error *err)
{
	struct gth_buf url = GTH_BUF_INIT;
	struct gth_http_request req;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	cJSON *doc = NULL;
	const cJSON *s, *pair;
	double end = (double)gth_wall_ms() / 1000.0;
	size_t cap = 0;
	int rc = -1;
	*out = NULL;
	*n = 0;
	gth_buf_printf(&url, "%s/api/v1/query_range?query=", base);
	gth_url_escape(&url, query);
	gth_buf_printf(&url, "&start=%.3f&end=%.3f&step=%.3f", end - (double)o->range_ms / 1000.0, end,
		       (double)o->step_ms / 1000.0);
	memset(&req, 0, sizeof(req));
	req.url = gth_buf_cstr(&url);
	if (gth_http_do(&resp, http, &req, err) < 0)
		goto done;
	if (gth_json_parse(&doc, gth_buf_cstr(&resp.body), resp.body.len, "prometheus answer", err) < 0) {
		if (resp.status < 200 || resp.status > 299)
			gth_http_status_error(err, &resp, "prometheus");
		goto done;
	}
	if (resp.status < 200 || resp.status > 299 || !gth_json_str(doc, "status") ||
	    strcmp(gth_json_str(doc, "status"), "success") != 0) {
		gth_error_set(err, resp.status == 400 || resp.status == 422 ? GTH_EXIT_DATAERR : GTH_EXIT_UNAVAILABLE,
			      "prometheus: %s: %s",
			      gth_json_str(doc, "errorType") ? gth_json_str(doc, "errorType") : "error",
			      gth_json_str(doc, "error") ? gth_json_str(doc, "error") : "unexpected answer");
		goto done;
	}
	cJSON_ArrayForEach(s, gth_json_arr(gth_json_obj(doc, "data"), "result")) {
		cJSON_ArrayForEach(pair, gth_json_arr(s, "values")) {
			const cJSON *v = cJSON_GetArrayItem(pair, 1);
			char *e;
			if (!cJSON_IsString(v))
				continue;
			if (*n == cap) {
				double *nv;
				cap = cap ? cap * 2 : 64;
				nv = realloc(*out, cap * sizeof(double));
				if (!nv) {
					gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
					goto done;
				}
				*out = nv;
			}
			(*out)[*n] = strtod(v->valuestring, &e);
			if (!*e)
				(*n)++;
		}
	}
	rc = 0;
done:
	cJSON_Delete(doc);
	gth_buf_release(&url);
	gth_http_response_release(&resp);
	return rc;
}

static void num_or_null(cJSON *o, const char *key, double v)
{
	if (isnan(v) || isinf(v))
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddNumberToObject(o, key, v);
}

int canary_judge(const struct judge_opts *o, cJSON *data, struct gth_error *err)
{
	struct gth_http_client http = GTH_HTTP_CLIENT_INIT;
	cJSON *arr, *jo;
	char *base = NULL;
	size_t i, with_data = 0, passed = 0;
	double score = NAN;
	int rc = -1;
	if (!o->prometheus || !*o->prometheus) {
		gth_error_set(err, GTH_EXIT_CONFIG, "no Prometheus: give --prometheus URL or "
			      "set GTH_PROMETHEUS_URL");
		return GTH_EXIT_CONFIG;
	}
	base = strdup(o->prometheus);
	while (base && *base && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = '\0';
	jo = cJSON_AddObjectToObject(data, "judge");
	cJSON_AddNumberToObject(jo, "confidence", o->confidence);
	cJSON_AddNumberToObject(jo, "tolerance", o->tolerance);
	cJSON_AddStringToObject(jo, "direction", o->direction);
	arr = cJSON_AddArrayToObject(jo, "metrics");
	for (i = 0; i < o->canary->n; i++) {
		double *c = NULL, *b = NULL;
		size_t nc = 0, nb = 0;
		struct judgement j;
		char name[64];
		const char *nm = o->names && o->names->n ? o->names->v[i] : NULL;
		cJSON *m;
		if (!nm) {
			snprintf(name, sizeof(name), "metric%zu", i + 1);
			nm = name;
		}
		if (range_samples(&c, &nc, &http, base, o->canary->v[i], o, err) < 0 ||
		    range_samples(&b, &nb, &http, base, o->baseline->v[i], o, err) < 0) {
			free(c);
			free(b);
			gth_error_prefix(err, "metric %s: ", nm);
			goto done;
		}
		if (judge_metric(&j, c, nc, b, nb, o->confidence, o->tolerance, o->direction) < 0) {
			free(c);
			free(b);
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		free(c);
		free(b);
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", nm);
		cJSON_AddStringToObject(m, "verdict", verdict_name(j.verdict));
		num_or_null(m, "p_value", j.p);
		num_or_null(m, "u", j.u);
		num_or_null(m, "effect_size", j.ratio);
		num_or_null(m, "canary_mean", j.canary_mean);
		num_or_null(m, "baseline_mean", j.baseline_mean);
		cJSON_AddNumberToObject(m, "canary_samples", (double)j.canary_n);
		cJSON_AddNumberToObject(m, "baseline_samples", (double)j.baseline_n);
		cJSON_AddNumberToObject(m, "nan_dropped", (double)j.nan_dropped);
		cJSON_AddItemToArray(arr, m);
		if (j.verdict != V_NODATA) {
			with_data++;
			if (j.verdict == V_PASS)
				passed++;
		}
		if (j.verdict == V_NODATA)
			gth_note("%s: Nodata (canary %zu samples, baseline %zu)", nm, j.canary_n, j.baseline_n);
		else
			gth_note("%s: %s (p=%.4g, canary mean %.6g, baseline mean %.6g, effect %.3g)", nm,
				 verdict_name(j.verdict), j.p, j.canary_mean, j.baseline_mean, j.ratio);
	}
	if (with_data)
		score = 100.0 * (double)passed / (double)with_data;
	num_or_null(jo, "score", score);
	cJSON_AddNumberToObject(jo, "pass_score", o->pass_score);
	cJSON_AddNumberToObject(jo, "marginal_score", o->marginal_score);
	if (!with_data) {
		cJSON_AddStringToObject(jo, "result", "Nodata");
		rc = GTH_EXIT_UNDECIDED;
		gth_error_set(err, rc, "judge: no metric had data");
	} else if (score >= o->pass_score) {
		cJSON_AddStringToObject(jo, "result", "Pass");
		gth_note("score %.0f: Pass", score);
		rc = GTH_EXIT_OK;
	} else if (score < o->marginal_score) {
		cJSON_AddStringToObject(jo, "result", "Fail");
		rc = GTH_EXIT_FAIL;
		gth_error_set(err, rc, "judge: score %.0f is below %.0f: Fail", score, o->marginal_score);
	} else {
		cJSON_AddStringToObject(jo, "result", "Marginal");
		rc = GTH_EXIT_UNDECIDED;
		gth_error_set(err, rc, "judge: score %.0f is marginal (below %.0f)", score, o->pass_score);
	}
	cJSON_AddStringToObject(data, "summary", rc == 0 ? "judge: Pass" : err->msg);
done:
	free(base);
	gth_http_client_release(&http);
	return rc < 0 ? (err->exit ? err->exit : GTH_EXIT_SOFTWARE) : rc;
}
