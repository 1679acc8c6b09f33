/* gth-canary: follow Argo CD and Argo Rollouts, run Argo analyses, judge canaries.
 * Options, one call per verb, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/http.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"

#define TOOL "gth-canary"

static const char synopsis[] =
	"gth-canary status ROLLOUT [-n NS]\n"
	"gth-canary watch ROLLOUT [-n NS] [--app ARGOCD_APP] [--revision SHA] [--until healthy|paused] [--timeout DUR]\n"
	"gth-canary promote ROLLOUT [-n NS] [--full]\n"
	"gth-canary analyze TEMPLATE.yaml [--arg K=V]... [--prometheus URL] [--once | --interval DUR --count N]\n"
	"gth-canary judge --canary QUERY --baseline QUERY [--prometheus URL] [--range DUR]";

static const char commands[] =
	"commands:\n"
	"  status   the Rollout's phase, step, weights and analysis\n"
	"  watch    wait for the Argo CD sync, then follow the Rollout to its end\n"
	"  promote  resume a paused Rollout (or --full: skip every step)\n"
	"  analyze  run an AnalysisTemplate with Argo's semantics\n"
	"  judge    compare canary and baseline samples (Mann-Whitney U)\n"
	"\n";

struct opts {
	struct gth_common_opts common;
	const char *ns, *kubeconfig, *context;
	/* watch */
	const char *app, *app_ns, *revision, *until, *refresh;
	int64_t timeout_ms;
	/* promote */
	int full;
	/* analyze */
	struct gth_strlist args;
	const char *prometheus;
	int once;
	int64_t interval_ms;
	long count;
	/* judge */
	struct gth_strlist canary, baseline, names;
	int64_t range_ms, step_ms;
	const char *confidence, *tolerance, *direction, *pass_score, *marginal_score;
};

#define KUBE_OPTS(o) \
	{ GTH_OPT_STR, 'n', "namespace", &(o)->ns, "NS", "the Rollout's namespace (default: the context's)", 0, 0 }, \
	{ GTH_OPT_STR, 0, "kubeconfig", &(o)->kubeconfig, "FILE", "kubeconfig file (default $KUBECONFIG, ~/.kube/config, in-cluster)", 0, 0 }, \
	{ GTH_OPT_STR, 0, "context", &(o)->context, "NAME", "kubeconfig context (default current-context)", 0, 0 }

enum verb { V_STATUS, V_WATCH, V_PROMOTE, V_ANALYZE, V_JUDGE };

struct verb_def {
	const char *name;
	enum verb verb;
	const char *synopsis;
	size_t operands;        /* exact number of operands */
};

static const struct verb_def verbs[] = {
	{ "status", V_STATUS, "gth-canary status ROLLOUT [-n NS]", 1 },
	{ "watch", V_WATCH, "gth-canary watch ROLLOUT [-n NS] [--app ARGOCD_APP] [--revision SHA] [--until healthy|paused] [--timeout DUR]", 1 },
	{ "promote", V_PROMOTE, "gth-canary promote ROLLOUT [-n NS] [--full]", 1 },
	{ "analyze", V_ANALYZE, "gth-canary analyze TEMPLATE.yaml [--arg K=V]... [--prometheus URL] [--once | --interval DUR --count N]", 1 },
	{ "judge", V_JUDGE, "gth-canary judge --canary QUERY --baseline QUERY [--prometheus URL] [--range DUR]", 0 },
};

static void print_main_usage(FILE *out)
{
	struct gth_common_opts c = GTH_COMMON_OPTS_INIT;
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&c), GTH_OPTS_END };
	gth_opts_usage(out, synopsis, common);
	fputs("\n", out);
	fputs(commands, out);
	fputs("Run 'gth-canary VERB --help' for a verb's options.\n", out);
}

/* The verb's option table. */
static const struct gth_opt *verb_table(const struct verb_def *vd, struct opts *o)
{
	static struct gth_opt table[40];
	size_t n = 0;
	const struct gth_opt kube[] = { KUBE_OPTS(o) };
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&o->common), GTH_OPTS_END };
	const struct gth_opt watch[] = {
		{ GTH_OPT_STR, 0, "app", &o->app, "ARGOCD_APP", "first wait until this Argo CD Application has synced", 0, 0 },
		{ GTH_OPT_STR, 0, "app-namespace", &o->app_ns, "NS", "the Application's namespace (default argocd)", 0, 0 },
		{ GTH_OPT_STR, 0, "revision", &o->revision, "SHA", "the git revision the Application must sync", 0, 0 },
		{ GTH_OPT_STR, 0, "refresh", &o->refresh, "normal|hard", "ask Argo CD to refresh the Application first", 0, 0 },
		{ GTH_OPT_STR, 0, "until", &o->until, "healthy|paused", "what ends the watch with 0 (default healthy)", 0, 0 },
		{ GTH_OPT_DURATION, 0, "timeout", &o->timeout_ms, "DUR", "give up after DUR with status 2 (default 30m)", 0, 0 },
	};
	const struct gth_opt promote[] = {
		{ GTH_OPT_FLAG, 0, "full", &o->full, NULL, "skip the remaining steps and analyses", 0, 0 },
	};
	const struct gth_opt analyze[] = {
		{ GTH_OPT_LIST, 0, "arg", &o->args, "K=V", "set the template argument K", 0, 0 },
		{ GTH_OPT_STR, 0, "prometheus", &o->prometheus, "URL", "replace every Prometheus provider's address", 0, 0 },
		{ GTH_OPT_FLAG, 0, "once", &o->once, NULL, "take one measurement of each metric now", 0, 0 },
		{ GTH_OPT_DURATION, 0, "interval", &o->interval_ms, "DUR", "replace every metric's interval", 0, 0 },
		{ GTH_OPT_INT, 0, "count", &o->count, "N", "replace every metric's count", 1, 1000000 },
	};
	const struct gth_opt judge[] = {
		{ GTH_OPT_LIST, 0, "canary", &o->canary, "QUERY", "PromQL for the canary's samples (one per metric)", 0, 0 },
		{ GTH_OPT_LIST, 0, "baseline", &o->baseline, "QUERY", "PromQL for the baseline's samples", 0, 0 },
		{ GTH_OPT_LIST, 0, "metric", &o->names, "NAME", "the metrics' names, in order", 0, 0 },
		{ GTH_OPT_STR, 0, "prometheus", &o->prometheus, "URL", "Prometheus base URL (default $GTH_PROMETHEUS_URL)", 0, 0 },
		{ GTH_OPT_DURATION, 0, "range", &o->range_ms, "DUR", "how far back the samples go (default 10m)", 0, 0 },
		{ GTH_OPT_DURATION, 0, "step", &o->step_ms, "DUR", "range query resolution (default 15s)", 0, 0 },
		{ GTH_OPT_STR, 0, "confidence", &o->confidence, "P", "confidence level of the test (default 0.98)", 0, 0 },
		{ GTH_OPT_STR, 0, "tolerance", &o->tolerance, "F", "relative change of the mean tolerated (default 0.25)", 0, 0 },
		{ GTH_OPT_STR, 0, "direction", &o->direction, "DIR", "increase, decrease or either is bad (default either)", 0, 0 },
		{ GTH_OPT_STR, 0, "pass-score", &o->pass_score, "N", "overall score that passes (default 95)", 0, 0 },
		{ GTH_OPT_STR, 0, "marginal-score", &o->marginal_score, "N", "score below which it fails (default 75)", 0, 0 },
	};
	size_t i;
#define ADD(arr) for (i = 0; i < GTH_ARRAY_SIZE(arr); i++) table[n++] = (arr)[i]
	switch (vd->verb) {
	case V_STATUS: ADD(kube); break;
	case V_WATCH: ADD(kube); ADD(watch); break;
	case V_PROMOTE: ADD(kube); ADD(promote); break;
	case V_ANALYZE: ADD(analyze); break;
	case V_JUDGE: ADD(judge); break;
	}
	ADD(common);
#undef ADD
	return table;
}

static int parse_fraction(const char *s, const char *what, double min, double max, double *out,
			  struct gth_error *err)
{
	char *end;
	double v;
	if (!s)
		return 0;
	v = strtod(s, &end);
	if (end == s || *end || !(v >= min && v <= max))
		return gth_error_set(err, GTH_EXIT_USAGE, "%s: expected a number from %g to %g, got '%s'",
				     what, min, max, s);
	*out = v;
	return 0;
}

/* gth.yaml's canary section: defaults under the flags. */
static int apply_config(struct opts *o, struct gth_config *cfg, struct gth_error *err)
{
	static const char *const known[] = { "namespace", "context", "kubeconfig", "prometheus",
					     "timeout", "app-namespace", NULL };
	const struct gth_node *sec = NULL;
	int64_t t = 0;
	int r;
	if (gth_config_load(cfg, o->common.config, err) < 0)
		return -1;
	if (gth_config_section(&sec, cfg, "canary", err) < 0)
		return -1;
	if (!sec)
		return 0;
	if (gth_node_check_keys(sec, known, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->ns && gth_node_get_str(sec, "namespace", &o->ns, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->context && gth_node_get_str(sec, "context", &o->context, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->kubeconfig && gth_node_get_str(sec, "kubeconfig", &o->kubeconfig, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->prometheus && gth_node_get_str(sec, "prometheus", &o->prometheus, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->app_ns && gth_node_get_str(sec, "app-namespace", &o->app_ns, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if ((r = gth_node_get_duration(sec, "timeout", &t, GTH_EXIT_CONFIG, err)) < 0)
		return -1;
	if (r && !o->timeout_ms)
		o->timeout_ms = t;
	return 0;
}

static int run_verb(const struct verb_def *vd, int argc, char **argv)
{
	struct opts o;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	const struct gth_opt *table = NULL;
	struct kube_opts ko;
	int rc = GTH_EXIT_SOFTWARE, begun = 0;
	const char *env;

	memset(&o, 0, sizeof(o));
	table = verb_table(vd, &o);
	if ((rc = gth_opts_verb(&operands, table, &o.common, TOOL, vd->synopsis, argc, argv)) >= 0)
		goto done;
	if (operands.n != vd->operands) {
		gth_errorf("%s takes %s", vd->name, vd->operands ? (vd->verb == V_ANALYZE ? "one TEMPLATE.yaml" : "one ROLLOUT") : "no operands");
		fprintf(stderr, "usage: %s\n", vd->synopsis);
		rc = GTH_EXIT_USAGE;
		goto done;
	}
	if (apply_config(&o, &cfg, &err) < 0) {
		rc = gth_fail(&err);
		goto done;
	}
	if (!o.prometheus && (env = getenv("GTH_PROMETHEUS_URL")) && *env)
		o.prometheus = env;
	if (gth_http_global_init(&err) < 0) {
		rc = gth_fail(&err);
		goto done;
	}
	if (gth_event_begin(&ev, TOOL) < 0) {
		gth_errorf("out of memory");
		goto done;
	}
	begun = 1;
	ko.kubeconfig = o.kubeconfig;
	ko.context = o.context;
	ko.ns = o.ns;
	switch (vd->verb) {
	case V_STATUS:
		gth_event_set_app(&ev, operands.v[0]);
		rc = canary_status(&ko, operands.v[0], ev.data, &err);
		break;
	case V_WATCH: {
		struct watch_opts wo;
		memset(&wo, 0, sizeof(wo));
		wo.app = o.app;
		wo.app_ns = o.app_ns;
		wo.revision = o.revision;
		wo.until = o.until ? o.until : "healthy";
		wo.refresh = o.refresh;
		wo.timeout_ms = o.timeout_ms ? o.timeout_ms : 30 * 60 * 1000;
		if (strcmp(wo.until, "healthy") && strcmp(wo.until, "paused")) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--until: expected healthy or paused, got '%s'", wo.until);
			rc = GTH_EXIT_USAGE;
			break;
		}
		if (wo.refresh && strcmp(wo.refresh, "normal") && strcmp(wo.refresh, "hard")) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--refresh: expected normal or hard, got '%s'", wo.refresh);
			rc = GTH_EXIT_USAGE;
			break;
		}
		if ((wo.revision || wo.refresh) && !wo.app) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--revision and --refresh need --app");
			rc = GTH_EXIT_USAGE;
			break;
		}
		gth_event_set_app(&ev, operands.v[0]);
		rc = canary_watch(&ko, operands.v[0], &wo, ev.data, &err);
		break;
	}
	case V_PROMOTE:
		gth_event_set_app(&ev, operands.v[0]);
		rc = canary_promote(&ko, operands.v[0], o.full, ev.data, &err);
		break;
	case V_ANALYZE: {
		struct analyze_opts ao;
		memset(&ao, 0, sizeof(ao));
		ao.args = &o.args;
		ao.prometheus = o.prometheus;
		ao.once = o.once;
		ao.interval_ms = o.interval_ms;
		ao.count = o.count;
		ao.error_retry_ms = 10000;
		if ((env = getenv("GTH_CANARY_ERROR_RETRY")) && *env &&
		    gth_parse_duration(env, &ao.error_retry_ms) < 0)
			ao.error_retry_ms = 10000;
		if (o.once && (o.interval_ms || o.count)) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--once excludes --interval and --count");
			rc = GTH_EXIT_USAGE;
			break;
		}
		rc = canary_analyze(operands.v[0], &ao, ev.data, &err);
		break;
	}
	case V_JUDGE: {
		struct judge_opts jo;
		memset(&jo, 0, sizeof(jo));
		jo.canary = &o.canary;
		jo.baseline = &o.baseline;
		jo.names = &o.names;
		jo.prometheus = o.prometheus;
		jo.range_ms = o.range_ms ? o.range_ms : 10 * 60 * 1000;
		jo.step_ms = o.step_ms ? o.step_ms : 15000;
		jo.confidence = 0.98;
		jo.tolerance = 0.25;
		jo.pass_score = 95;
		jo.marginal_score = 75;
		jo.direction = o.direction ? o.direction : "either";
		if (parse_fraction(o.confidence, "--confidence", 0.5, 0.9999, &jo.confidence, &err) < 0 ||
		    parse_fraction(o.tolerance, "--tolerance", 0, 10, &jo.tolerance, &err) < 0 ||
		    parse_fraction(o.pass_score, "--pass-score", 0, 100, &jo.pass_score, &err) < 0 ||
		    parse_fraction(o.marginal_score, "--marginal-score", 0, 100, &jo.marginal_score, &err) < 0) {
			rc = GTH_EXIT_USAGE;
			break;
		}
		if (strcmp(jo.direction, "increase") && strcmp(jo.direction, "decrease") &&
		    strcmp(jo.direction, "either")) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--direction: expected increase, decrease or either, got '%s'",
				      jo.direction);
			rc = GTH_EXIT_USAGE;
			break;
		}
		if (o.canary.n == 0 || o.canary.n != o.baseline.n ||
		    (o.names.n && o.names.n != o.canary.n)) {
			gth_error_set(&err, GTH_EXIT_USAGE, "judge needs as many --baseline as --canary queries "
				      "(and --metric names, when given)");
			rc = GTH_EXIT_USAGE;
			break;
		}
		if (jo.marginal_score > jo.pass_score) {
			gth_error_set(&err, GTH_EXIT_USAGE, "--marginal-score is above --pass-score");
			rc = GTH_EXIT_USAGE;
			break;
		}
		rc = canary_judge(&jo, ev.data, &err);
		break;
	}
	}
	if (rc != 0 && err.exit == 0)
		err.exit = rc;
	if (rc != 0) {
		if (rc == GTH_EXIT_FAIL || rc == GTH_EXIT_UNDECIDED)
			gth_note("%s", err.msg);
		else
			gth_fail(&err);
	}
	gth_event_set_summary(&ev, "%s", rc == 0 ? "ok" : err.msg);
	if (cJSON_GetObjectItemCaseSensitive(ev.data, "summary")) {
		const char *s = cJSON_GetObjectItemCaseSensitive(ev.data, "summary")->valuestring;
		if (s)
			gth_event_set_summary(&ev, "%s", s);
		cJSON_DeleteItemFromObjectCaseSensitive(ev.data, "summary");
	}
done:
	rc = gth_event_end(begun ? &ev : NULL, o.common.json, rc);
	if (begun)
		gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&operands);
	gth_strlist_release(&o.args);
	gth_strlist_release(&o.canary);
	gth_strlist_release(&o.baseline);
	gth_strlist_release(&o.names);
	gth_http_global_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	size_t v = 0;
	int rc;

	gth_log_init(TOOL);
	rc = gth_opts_dispatch(&v, argc, argv, TOOL, verbs, GTH_ARRAY_SIZE(verbs),
			       sizeof(verbs[0]), print_main_usage);
	return rc >= 0 ? rc : run_verb(&verbs[v], argc - 1, argv + 1);
}
