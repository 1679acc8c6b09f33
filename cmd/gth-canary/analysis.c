/* AnalysisTemplates run with the semantics of Argo Rollouts' analysis controller
 * (analysis/analysis.go): measurement counters, assessMetricStatus,
 * assessMetricFailureInconclusiveOrError, assessRunStatus and termination. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "gth/buf.h"
#include "gth/log.h"
#include "gth/util.h"
#include "gth/yaml.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

const char *phase_name(enum phase p)
{
	static const char *const names[] = { "Pending", "Running", "Successful", "Inconclusive",
					     "Error", "Failed" };
	return names[p];
}

int phase_completed(enum phase p)
{
	return p >= PH_SUCCESSFUL;
}

int phase_worse(enum phase cur, enum phase cand)
{
	return cand > cur;
}

/* ---- loading ---- */

struct argv_set {
	char **names, **values;
	const struct gth_node **nodes;
	size_t n;
};

static void args_release(struct argv_set *a)
{
	size_t i;
	for (i = 0; i < a->n; i++) {
		free(a->names[i]);
		free(a->values[i]);
	}
	free(a->names);
	free(a->values);
	free(a->nodes);
	memset(a, 0, sizeof(*a));
}

static int args_add(struct argv_set *a, const char *name, const char *value,
		    const struct gth_node *node)
{
	char **n = realloc(a->names, (a->n + 1) * sizeof(char *));
	char **v;
	const struct gth_node **nd;
	if (!n)
		return -1;
	a->names = n;
	v = realloc(a->values, (a->n + 1) * sizeof(char *));
	if (!v)
		return -1;
	a->values = v;
	nd = realloc(a->nodes, (a->n + 1) * sizeof(*nd));
	if (!nd)
		return -1;
	a->nodes = nd;
	a->names[a->n] = strdup(name);
	a->values[a->n] = value ? strdup(value) : NULL;
	a->nodes[a->n] = node;
	a->n++;
	return 0;
}

/* Replace {{args.NAME}} and {{ args.NAME }}; an unknown or unset argument is an error. */
static int substitute(char **out, const char *s, const struct argv_set *a,
		      const struct gth_node *at, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *p = s;
	*out = NULL;
	while (*p) {
		const char *open = strstr(p, "{{"), *close, *q;
		size_t i, len;
		if (!open) {
			gth_buf_puts(&b, p);
			break;
		}
		close = strstr(open, "}}");
		if (!close) {
			gth_buf_puts(&b, p);
			break;
		}
		gth_buf_put(&b, p, (size_t)(open - p));
		q = open + 2;
		while (*q == ' ')
			q++;
		if (strncmp(q, "args.", 5) != 0) {
			/* not ours ({{workflow...}}): keep it */
			gth_buf_put(&b, open, (size_t)(close + 2 - open));
			p = close + 2;
			continue;
		}
		q += 5;
		len = (size_t)(close - q);
		while (len && q[len - 1] == ' ')
			len--;
		for (i = 0; i < a->n; i++)
			if (strlen(a->names[i]) == len && !strncmp(a->names[i], q, len))
				break;
		if (i == a->n) {
			gth_buf_release(&b);
			return gth_node_error(err, GTH_EXIT_DATAERR, at, "args.%.*s is not declared in spec.args",
					      (int)len, q);
		}
		if (!a->values[i]) {
			gth_buf_release(&b);
			return gth_node_error(err, GTH_EXIT_USAGE, a->nodes[i] ? a->nodes[i] : at,
					      "argument '%s' has no value: give --arg %s=VALUE",
					      a->names[i], a->names[i]);
		}
		gth_buf_puts(&b, a->values[i]);
		p = close + 2;
	}
	*out = b.ptr ? gth_buf_detach(&b) : strdup("");
	return 0;
}

static int get_sub(char **out, const struct gth_node *map, const char *key,
		   const struct argv_set *a, struct gth_error *err)
{
	const struct gth_node *n = gth_node_get(map, key);
	const char *s;
	*out = NULL;
	if (!n || gth_node_is_null(n))
		return 0;
	s = gth_node_str(n);
	if (!s || n->kind != GTH_NODE_SCALAR)
		return gth_node_error(err, GTH_EXIT_DATAERR, n, "expected a string");
	return substitute(out, s, a, n, err);
}

/* An int-or-string field ("3" or "{{args.count}}"). */
static int get_intstr(long *out, const struct gth_node *map, const char *key, long min,
		      const struct argv_set *a, struct gth_error *err)
{
	char *s = NULL;
	long v;
	const struct gth_node *n = gth_node_get(map, key);
	if (get_sub(&s, map, key, a, err) < 0)
		return -1;
	if (!s)
		return 0;
	if (gth_parse_long(s, min, 1000000000L, &v) < 0) {
		gth_node_error(err, GTH_EXIT_DATAERR, n, "expected an integer >= %ld, got '%s'", min, s);
		free(s);
		return -1;
	}
	free(s);
	*out = v;
	return 1;
}

static int get_duration(int64_t *out, const struct gth_node *map, const char *key,
			const struct argv_set *a, struct gth_error *err)
{
	char *s = NULL;
	const struct gth_node *n = gth_node_get(map, key);
	if (get_sub(&s, map, key, a, err) < 0)
		return -1;
	if (!s)
		return 0;
	if (gth_parse_duration(s, out) < 0 || *out < 0) {
		gth_node_error(err, GTH_EXIT_DATAERR, n, "expected a duration like 30s or 5m, got '%s'", s);
		free(s);
		return -1;
	}
	free(s);
	return 1;
}

static int compile_cond(struct expr **out, char *src, const struct gth_node *n,
			struct gth_error *err)
{
	char msg[256];
	if (!src)
		return 0;
	if (expr_compile(out, src, msg, sizeof(msg)) < 0)
		return gth_node_error(err, GTH_EXIT_DATAERR, n, "condition '%s' does not parse: %s",
				      src, msg);
	return 0;
}

static int load_headers(struct metric *m, const struct gth_node *prov, const struct argv_set *a,
			struct gth_error *err)
{
	const struct gth_node *hs = gth_node_get(prov, "headers");
	size_t i;
	if (!hs)
		return 0;
	if (hs->kind != GTH_NODE_SEQ)
		return gth_node_error(err, GTH_EXIT_DATAERR, hs, "expected a list of {key, value}");
	m->headers = calloc(hs->n ? hs->n : 1, sizeof(*m->headers));
	if (!m->headers)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < hs->n; i++) {
		struct header *h = &m->headers[m->nheaders];
		if (get_sub(&h->key, hs->items[i], "key", a, err) < 0 ||
		    get_sub(&h->value, hs->items[i], "value", a, err) < 0)
			return -1;
		m->nheaders++;
		if (!h->key)
			return gth_node_error(err, GTH_EXIT_DATAERR, hs->items[i], "header without a key");
		if (!h->value)
			h->value = strdup("");
	}
	return 0;
}

static int load_metric(struct metric *m, const struct gth_node *n, const struct argv_set *a,
		       struct gth_error *err)
{
	static const char *const known[] = {
		"name", "interval", "initialDelay", "count", "failureLimit", "inconclusiveLimit",
		"consecutiveErrorLimit", "consecutiveSuccessLimit", "successCondition",
		"failureCondition", "provider", NULL
	};
	const struct gth_node *prov, *p;
	int r;
	m->line = n->line;
	m->count = -1;
	m->consecutive_error_limit = 4;
	m->timeout_ms = 30000;
	if (n->kind != GTH_NODE_MAP)
		return gth_node_error(err, GTH_EXIT_DATAERR, n, "expected a metric (a map)");
	if (gth_node_check_keys(n, known, GTH_EXIT_DATAERR, err) < 0)
		return -1;
	if (get_sub(&m->name, n, "name", a, err) < 0)
		return -1;
	if (!m->name)
		return gth_node_error(err, GTH_EXIT_DATAERR, n, "metric without a name");
	if (get_duration(&m->interval_ms, n, "interval", a, err) < 0 ||
	    get_duration(&m->initial_delay_ms, n, "initialDelay", a, err) < 0)
		return -1;
	if (get_intstr(&m->count, n, "count", 0, a, err) < 0 ||
	    get_intstr(&m->failure_limit, n, "failureLimit", -1, a, err) < 0 ||
	    get_intstr(&m->inconclusive_limit, n, "inconclusiveLimit", 0, a, err) < 0 ||
	    get_intstr(&m->consecutive_error_limit, n, "consecutiveErrorLimit", 0, a, err) < 0 ||
	    get_intstr(&m->consecutive_success_limit, n, "consecutiveSuccessLimit", 0, a, err) < 0)
		return -1;
	if (m->count > 1 && m->interval_ms == 0)
		return gth_node_error(err, GTH_EXIT_DATAERR, gth_node_get(n, "count"),
				      "interval must be specified when count is greater than 1");
	if (get_sub(&m->success_src, n, "successCondition", a, err) < 0 ||
	    compile_cond(&m->success, m->success_src, gth_node_get(n, "successCondition"), err) < 0 ||
	    get_sub(&m->failure_src, n, "failureCondition", a, err) < 0 ||
	    compile_cond(&m->failure, m->failure_src, gth_node_get(n, "failureCondition"), err) < 0)
		return -1;
	prov = gth_node_get(n, "provider");
	if (!prov || prov->kind != GTH_NODE_MAP || prov->n != 1)
		return gth_node_error(err, GTH_EXIT_DATAERR, prov ? prov : n,
				      "expected exactly one provider (prometheus or web)");
	p = prov->items[0];
	if (!strcmp(prov->keys[0], "prometheus")) {
		static const char *const pk[] = { "address", "query", "timeout", "headers", "insecure",
						  "authentication", NULL };
		long t = 0;
		m->provider = PROV_PROMETHEUS;
		if (gth_node_check_keys(p, pk, GTH_EXIT_DATAERR, err) < 0)
			return -1;
		if (get_sub(&m->address, p, "address", a, err) < 0 || get_sub(&m->query, p, "query", a, err) < 0)
			return -1;
		if (!m->query)
			return gth_node_error(err, GTH_EXIT_DATAERR, p, "prometheus provider without a query");
		if ((r = get_intstr(&t, p, "timeout", 0, a, err)) < 0)
			return -1;
		if (r)
			m->timeout_ms = t * 1000;
		if (gth_node_get_bool(p, "insecure", &m->insecure, GTH_EXIT_DATAERR, err) < 0)
			return -1;
		if (load_headers(m, p, a, err) < 0)
			return -1;
	} else if (!strcmp(prov->keys[0], "web")) {
		static const char *const wk[] = { "url", "method", "headers", "body", "jsonPath",
						  "timeoutSeconds", "insecure", NULL };
		long t = 0;
		m->provider = PROV_WEB;
		m->timeout_ms = 10000;
		if (gth_node_check_keys(p, wk, GTH_EXIT_DATAERR, err) < 0)
			return -1;
		if (get_sub(&m->url, p, "url", a, err) < 0 || get_sub(&m->method, p, "method", a, err) < 0 ||
		    get_sub(&m->body, p, "body", a, err) < 0 || get_sub(&m->json_path, p, "jsonPath", a, err) < 0)
			return -1;
		if (!m->url)
			return gth_node_error(err, GTH_EXIT_DATAERR, p, "web provider without a url");
		if ((r = get_intstr(&t, p, "timeoutSeconds", 1, a, err)) < 0)
			return -1;
		if (r)
			m->timeout_ms = t * 1000;
		if (gth_node_get_bool(p, "insecure", &m->insecure, GTH_EXIT_DATAERR, err) < 0)
			return -1;
		if (load_headers(m, p, a, err) < 0)
			return -1;
	} else {
		return gth_node_error(err, GTH_EXIT_DATAERR, prov,
				      "unknown provider '%s' (gth-canary runs prometheus and web)",
				      prov->keys[0]);
	}
	return 0;
}

int template_load(struct template *t, const char *file, const struct gth_strlist *cli_args,
		  struct gth_error *err)
{
	struct gth_yaml_doc doc = GTH_YAML_DOC_INIT;
	struct argv_set a = { NULL, NULL, NULL, 0 };
	const struct gth_node *root = NULL, *spec, *args, *metrics;
	size_t i, j;
	int rc = -1;
	memset(t, 0, sizeof(*t));
	t->file = strdup(file);
	if (gth_yaml_parse_file(&doc, file, err) < 0)
		goto done;
	for (i = 0; i < doc.ndocs && !root; i++) {
		const char *kind = gth_node_str(gth_node_get(doc.docs[i], "kind"));
		if (kind && (!strcmp(kind, "AnalysisTemplate") || !strcmp(kind, "ClusterAnalysisTemplate")))
			root = doc.docs[i];
	}
	if (!root) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s:1: no AnalysisTemplate or ClusterAnalysisTemplate "
			      "in the file", file);
		goto done;
	}
	t->kind = strdup(gth_node_str(gth_node_get(root, "kind")));
	t->name = gth_node_str(gth_node_path(root, "metadata.name"))
		  ? strdup(gth_node_str(gth_node_path(root, "metadata.name"))) : strdup("");
	spec = gth_node_get(root, "spec");
	if (!spec || spec->kind != GTH_NODE_MAP) {
		gth_node_error(err, GTH_EXIT_DATAERR, spec ? spec : root, "expected spec (a map)");
		goto done;
	}
	args = gth_node_get(spec, "args");
	if (args && args->kind != GTH_NODE_SEQ) {
		gth_node_error(err, GTH_EXIT_DATAERR, args, "expected a list of arguments");
		goto done;
	}
	for (i = 0; args && i < args->n; i++) {
		const char *name = gth_node_str(gth_node_get(args->items[i], "name"));
		const char *value = gth_node_str(gth_node_get(args->items[i], "value"));
		if (!name) {
			gth_node_error(err, GTH_EXIT_DATAERR, args->items[i], "argument without a name");
			goto done;
		}
		if (args_add(&a, name, value, args->items[i]) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
	}
	for (i = 0; cli_args && i < cli_args->n; i++) {
		const char *eq = strchr(cli_args->v[i], '=');
		if (!eq || eq == cli_args->v[i]) {
			gth_error_set(err, GTH_EXIT_USAGE, "--arg: expected K=V, got '%s'", cli_args->v[i]);
			goto done;
		}
		for (j = 0; j < a.n; j++)
			if (strlen(a.names[j]) == (size_t)(eq - cli_args->v[i]) &&
			    !strncmp(a.names[j], cli_args->v[i], (size_t)(eq - cli_args->v[i])))
				break;
		if (j == a.n) {
			gth_error_set(err, GTH_EXIT_USAGE, "--arg %.*s: the template declares no such argument",
				      (int)(eq - cli_args->v[i]), cli_args->v[i]);
			goto done;
		}
		free(a.values[j]);
		a.values[j] = strdup(eq + 1);
	}
	metrics = gth_node_get(spec, "metrics");
	if (!metrics || metrics->kind != GTH_NODE_SEQ || metrics->n == 0) {
		gth_node_error(err, GTH_EXIT_DATAERR, metrics ? metrics : spec, "expected spec.metrics (a list)");
		goto done;
	}
	t->metrics = calloc(metrics->n, sizeof(*t->metrics));
	if (!t->metrics) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (i = 0; i < metrics->n; i++) {
		t->n++;
		if (load_metric(&t->metrics[i], metrics->items[i], &a, err) < 0)
			goto done;
		for (j = 0; j < i; j++)
			if (!strcmp(t->metrics[j].name, t->metrics[i].name)) {
				gth_node_error(err, GTH_EXIT_DATAERR, metrics->items[i],
					       "two metrics are named '%s'", t->metrics[i].name);
				goto done;
			}
	}
	rc = 0;
done:
	args_release(&a);
	gth_yaml_doc_release(&doc);
	return rc;
}

static void metric_release(struct metric *m)
{
	size_t i;
	free(m->name);
	free(m->success_src);
	free(m->failure_src);
	expr_free(m->success);
	expr_free(m->failure);
	free(m->address);
	free(m->query);
	free(m->url);
	free(m->method);
	free(m->body);
	free(m->json_path);
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].key);
		free(m->headers[i].value);
	}
	free(m->headers);
}

void template_release(struct template *t)
{
	size_t i;
	for (i = 0; i < t->n; i++)
		metric_release(&t->metrics[i]);
	free(t->metrics);
	free(t->file);
	free(t->name);
	free(t->kind);
	memset(t, 0, sizeof(*t));
}

/* ---- phases ---- */

enum phase evaluate_result(const struct metric *m, const struct xv *result, char **message)
{
	int ok = 0, bad = 0;
	char msg[512];
	if (m->success && expr_eval_bool(m->success, result, &ok, msg, sizeof(msg)) < 0) {
		*message = strdup(msg);
		return PH_ERROR;
	}
	if (m->failure && expr_eval_bool(m->failure, result, &bad, msg, sizeof(msg)) < 0) {
		*message = strdup(msg);
		return PH_ERROR;
	}
	if (!m->success && !m->failure)
		return PH_SUCCESSFUL;
	if (m->success && !m->failure)
		bad = !ok;
	else if (!m->success && m->failure)
		ok = !bad;
	if (bad)
		return PH_FAILED;
	if (!ok)
		return PH_INCONCLUSIVE;
	return PH_SUCCESSFUL;
}

static long effective_count(const struct metric *m)
{
	if (m->count >= 0)
		return m->count;
	return m->interval_ms ? -1 : 1;
}

static enum phase failure_inconclusive_or_error(const struct metric *m,
						const struct metric_result *r, char **message)
{
	enum phase p = PH_PENDING;
	char buf[128] = "";
	if (m->failure_limit >= 0 && r->failed > m->failure_limit) {
		p = PH_FAILED;
		snprintf(buf, sizeof(buf), "failed (%ld) > failureLimit (%ld)", r->failed, m->failure_limit);
	}
	if (r->inconclusive > m->inconclusive_limit) {
		p = PH_INCONCLUSIVE;
		snprintf(buf, sizeof(buf), "inconclusive (%ld) > inconclusiveLimit (%ld)",
			 r->inconclusive, m->inconclusive_limit);
	}
	if (r->consecutive_error > m->consecutive_error_limit) {
		p = PH_ERROR;
		snprintf(buf, sizeof(buf), "consecutiveErrors (%ld) > consecutiveErrorLimit (%ld)",
			 r->consecutive_error, m->consecutive_error_limit);
	}
	if (p != PH_PENDING && message)
		*message = strdup(buf);
	return p;
}

enum phase assess_metric(const struct metric *m, const struct metric_result *r, int terminating,
			 char **message)
{
	enum phase p;
	long count = effective_count(m);
	if (phase_completed(r->phase))
		return r->phase;
	if (r->n == 0)
		return terminating ? PH_SUCCESSFUL : PH_PENDING;
	p = failure_inconclusive_or_error(m, r, message);
	if (p != PH_PENDING)
		return p;
	if (m->consecutive_success_limit > 0 && r->consecutive_success >= m->consecutive_success_limit) {
		if (message)
			*message = gth_strdupf("consecutiveSuccess (%ld) >= consecutiveSuccessLimit (%ld)",
					       r->consecutive_success, m->consecutive_success_limit);
		return PH_SUCCESSFUL;
	}
	if (count >= 0 && r->count >= count) {
		int failure_applicable = m->failure_limit >= 0;
		int success_applicable = m->consecutive_success_limit > 0;
		if (failure_applicable && success_applicable) {
			if (message)
				*message = gth_strdupf("count (%ld) reached without consecutiveSuccessLimit (%ld) "
						       "or failureLimit", count, m->consecutive_success_limit);
			return PH_INCONCLUSIVE;
		}
		if (success_applicable) {
			if (message)
				*message = gth_strdupf("count (%ld) reached without consecutiveSuccessLimit (%ld)",
						       count, m->consecutive_success_limit);
			return PH_FAILED;
		}
		return PH_SUCCESSFUL;
	}
	if (terminating)
		return PH_SUCCESSFUL;
	return PH_RUNNING;
}

/* ---- the run ---- */

static void record(struct metric_result *r, struct measurement *ms)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct measurement *m = realloc(r->m, cap * sizeof(*m));
		if (!m) {
			free(ms->value);
			free(ms->message);
			return;
		}
		r->m = m;
		r->cap = cap;
	}
	r->m[r->n++] = *ms;
	switch (ms->phase) {
	case PH_SUCCESSFUL:
		r->successful++;
		r->count++;
		r->consecutive_error = 0;
		r->consecutive_success++;
		break;
	case PH_FAILED:
		r->failed++;
		r->count++;
		r->consecutive_error = 0;
		r->consecutive_success = 0;
		break;
	case PH_INCONCLUSIVE:
		r->inconclusive++;
		r->count++;
		r->consecutive_error = 0;
		r->consecutive_success = 0;
		break;
	default:
		r->error++;
		r->consecutive_error++;
		r->consecutive_success = 0;
		break;
	}
}

static cJSON *result_json(const struct metric *m, const struct metric_result *r)
{
	cJSON *o = cJSON_CreateObject(), *ms;
	char at[32];
	size_t i;
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "phase", phase_name(r->phase));
	if (r->message)
		cJSON_AddStringToObject(o, "message", r->message);
	cJSON_AddNumberToObject(o, "count", (double)r->count);
	cJSON_AddNumberToObject(o, "successful", (double)r->successful);
	cJSON_AddNumberToObject(o, "failed", (double)r->failed);
	cJSON_AddNumberToObject(o, "inconclusive", (double)r->inconclusive);
	cJSON_AddNumberToObject(o, "error", (double)r->error);
	cJSON_AddNumberToObject(o, "consecutive_error", (double)r->consecutive_error);
	cJSON_AddNumberToObject(o, "consecutive_success", (double)r->consecutive_success);
	ms = cJSON_AddArrayToObject(o, "measurements");
	for (i = 0; i < r->n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "value", r->m[i].value ? r->m[i].value : "");
		cJSON_AddStringToObject(x, "phase", phase_name(r->m[i].phase));
		gth_format_time((time_t)(r->m[i].finished_wall_ms / 1000), at, sizeof(at));
		cJSON_AddStringToObject(x, "at", at);
		if (r->m[i].message)
			cJSON_AddStringToObject(x, "message", r->m[i].message);
		cJSON_AddItemToArray(ms, x);
	}
	return o;
}

static int any_terminal_failure(const struct metric_result *rs, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (rs[i].phase == PH_FAILED || rs[i].phase == PH_ERROR || rs[i].phase == PH_INCONCLUSIVE)
			return 1;
	return 0;
}

/* assessRunStatus: Running until every metric completed; then the worst. */
static enum phase assess_run(const struct template *t, struct metric_result *rs, int terminating,
			     char *msg, size_t msgsize)
{
	enum phase worst = PH_PENDING;
	int all_done = 1;
	size_t i;
	msg[0] = '\0';
	for (i = 0; i < t->n; i++) {
		char *m = NULL;
		enum phase p = assess_metric(&t->metrics[i], &rs[i], terminating, &m);
		if (p != rs[i].phase) {
			if (phase_completed(p)) {
				free(rs[i].message);
				rs[i].message = m;
				m = NULL;
			}
			rs[i].phase = p;
		}
		free(m);
		if (!phase_completed(p)) {
			all_done = 0;
			continue;
		}
		if (worst == PH_PENDING || phase_worse(worst, p)) {
			/* Argo's worstMessage: only a limit exceeded gives one, with the
			 * last measurement's message when there is one */
			char *why = NULL;
			const struct metric_result *r = &rs[i];
			worst = p;
			msg[0] = '\0';
			if (failure_inconclusive_or_error(&t->metrics[i], r, &why) != PH_PENDING && why) {
				const char *last = r->n ? r->m[r->n - 1].message : NULL;
				if (last)
					snprintf(msg, msgsize, "Metric \"%s\" assessed %s due to %s: \"Error Message: %s\"",
						 t->metrics[i].name, phase_name(p), why, last);
				else
					snprintf(msg, msgsize, "Metric \"%s\" assessed %s due to %s",
						 t->metrics[i].name, phase_name(p), why);
			}
			free(why);
		}
	}
	if (terminating)
		return worst == PH_PENDING ? PH_SUCCESSFUL : worst;
	if (!all_done || worst == PH_PENDING)
		return PH_RUNNING;
	return worst;
}

static void note_measurement(const struct metric *m, const struct metric_result *r)
{
	const struct measurement *ms = &r->m[r->n - 1];
	if (ms->message)
		gth_note("%s #%zu: %s %s: %s", m->name, r->n, ms->value ? ms->value : "",
			 phase_name(ms->phase), ms->message);
	else
		gth_note("%s #%zu: %s %s", m->name, r->n, ms->value ? ms->value : "",
			 phase_name(ms->phase));
}

int canary_analyze(const char *file, const struct analyze_opts *o, cJSON *data,
		   struct gth_error *err)
{
	struct template t;
	struct metric_result *rs = NULL;
	struct gth_http_client http = GTH_HTTP_CLIENT_INIT;
	struct sigaction sa, old_int, old_term;
	enum phase run = PH_RUNNING;
	char msg[1024] = "";
	cJSON *an, *ms;
	int64_t start_mono, io_us = 0, work_start, work_us = 0;
	unsigned long measurements = 0;
	size_t i;
	int rc = -1, terminating = 0;

	if (template_load(&t, file, o->args, err) < 0) {
		template_release(&t);
		return err->exit;
	}
	for (i = 0; i < t.n; i++) {
		struct metric *m = &t.metrics[i];
		if (o->interval_ms)
			m->interval_ms = o->interval_ms;
		if (o->count)
			m->count = o->count;
		if (o->once) {
			m->count = 1;
			m->initial_delay_ms = 0;
		}
		if (m->provider == PROV_PROMETHEUS && o->prometheus) {
			free(m->address);
			m->address = strdup(o->prometheus);
		}
		if (m->provider == PROV_PROMETHEUS && (!m->address || !*m->address)) {
			const char *env = getenv("ARGO_ROLLOUTS_PROMETHEUS_ADDRESS");
			if (env && *env) {
				free(m->address);
				m->address = strdup(env);
			} else {
				gth_error_set(err, GTH_EXIT_CONFIG, "%s:%d: metric '%s': prometheus address is not "
					      "configured (give --prometheus URL)", file, m->line, m->name);
				rc = GTH_EXIT_CONFIG;
				goto done;
			}
		}
		if (m->count > 1 && m->interval_ms == 0) {
			gth_error_set(err, GTH_EXIT_USAGE, "metric '%s': --count above 1 needs an interval",
				      m->name);
			rc = GTH_EXIT_USAGE;
			goto done;
		}
	}
	rs = calloc(t.n, sizeof(*rs));
	if (!rs) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	http.max_attempts = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	gth_note("analysis %s %s: %zu metric%s", t.kind, t.name, t.n, t.n == 1 ? "" : "s");
	start_mono = gth_now_ms();
	while (run == PH_RUNNING) {
		int64_t now = gth_now_ms(), next = -1;
		size_t due = t.n;
		if (interrupted)
			terminating = 1;
		if (!terminating) {
			for (i = 0; i < t.n; i++) {
				const struct metric *m = &t.metrics[i];
				long count = effective_count(m);
				int64_t when;
				if (phase_completed(rs[i].phase) || (count >= 0 && rs[i].count >= count))
					continue;
				if (rs[i].n == 0)
					when = start_mono + m->initial_delay_ms;
				else if (rs[i].m[rs[i].n - 1].phase == PH_ERROR)
					when = rs[i].last_finished_mono + o->error_retry_ms;
				else if (m->interval_ms)
					when = rs[i].last_finished_mono + m->interval_ms;
				else
					continue;
				if (next < 0 || when < next) {
					next = when;
					due = i;
				}
			}
			if (due == t.n) {
				run = assess_run(&t, rs, 0, msg, sizeof(msg));
				if (run == PH_RUNNING) /* nothing left to measure */
					run = assess_run(&t, rs, 1, msg, sizeof(msg));
				break;
			}
			while (next > now && !interrupted) {
				int64_t step = next - now > 200 ? 200 : next - now;
				gth_sleep_ms(step);
				now = gth_now_ms();
			}
			if (interrupted)
				continue;
			{
				struct measurement m;
				int64_t io_before = io_us;
				work_start = mono_us();
				memset(&m, 0, sizeof(m));
				provider_measure(&m, &t.metrics[due], &http, &io_us);
				rs[due].last_finished_mono = gth_now_ms();
				record(&rs[due], &m);
				measurements++;
				if (o->once) {
					/* --once reports the measurement's own phase */
					rs[due].phase = m.phase;
					free(rs[due].message);
					rs[due].message = m.message ? strdup(m.message) : NULL;
				}
				run = assess_run(&t, rs, 0, msg, sizeof(msg));
				work_us += (mono_us() - work_start) - (io_us - io_before);
				note_measurement(&t.metrics[due], &rs[due]);
			}
			if (run == PH_RUNNING && !o->once && any_terminal_failure(rs, t.n))
				terminating = 1;
		}
		if (terminating)
			run = assess_run(&t, rs, 1, msg, sizeof(msg));
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);

	an = cJSON_AddObjectToObject(data, "analysis");
	cJSON_AddStringToObject(an, "template", t.name);
	cJSON_AddStringToObject(an, "kind", t.kind);
	cJSON_AddStringToObject(an, "phase", phase_name(run));
	if (interrupted) {
		char tmp[1100];
		snprintf(tmp, sizeof(tmp), "Run Terminated%s%.1000s", msg[0] ? " " : "", msg);
		gth_strlcpy(msg, tmp, sizeof(msg));
	}
	cJSON_AddStringToObject(an, "message", msg);
	ms = cJSON_AddArrayToObject(an, "metrics");
	for (i = 0; i < t.n; i++)
		cJSON_AddItemToArray(ms, result_json(&t.metrics[i], &rs[i]));
	cJSON_AddNumberToObject(an, "measurements", (double)measurements);
	cJSON_AddNumberToObject(an, "query_ms", (double)io_us / 1000.0);
	cJSON_AddNumberToObject(an, "overhead_ms", (double)work_us / 1000.0);
	cJSON_AddStringToObject(data, "summary", msg[0] ? msg : phase_name(run));
	switch (run) {
	case PH_SUCCESSFUL:
		rc = GTH_EXIT_OK;
		gth_note("analysis Successful%s%s", msg[0] ? ": " : "", msg);
		break;
	case PH_INCONCLUSIVE:
		rc = GTH_EXIT_UNDECIDED;
		gth_error_set(err, rc, "analysis Inconclusive%s%s", msg[0] ? ": " : "", msg);
		break;
	default:
		rc = GTH_EXIT_FAIL;
		gth_error_set(err, rc, "analysis %s%s%s", phase_name(run), msg[0] ? ": " : "", msg);
		break;
	}
done:
	for (i = 0; rs && i < t.n; i++) {
		size_t j;
		for (j = 0; j < rs[i].n; j++) {
			free(rs[i].m[j].value);
			free(rs[i].m[j].message);
		}
		free(rs[i].m);
		free(rs[i].message);
	}
	free(rs);
	gth_http_client_release(&http);
	template_release(&t);
	return rc < 0 ? (err->exit ? err->exit : GTH_EXIT_SOFTWARE) : rc;
}
