/* status, watch and promote: the verbs that read and patch the cluster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"

#define APPS_DEFAULT_NS "argocd"
#define CONFLICT_RETRIES 5

static int open_kube(struct gth_kube **k, const struct kube_opts *ko, struct gth_error *err)
{
	struct gth_kube_options o = GTH_KUBE_OPTIONS_INIT;
	o.kubeconfig = ko->kubeconfig;
	o.context = ko->context;
	o.ns = ko->ns;
	return gth_kube_open(k, &o, err);
}

/* The measurements of an AnalysisRun, as the event's analysis object. */
static cJSON *analysis_json(const cJSON *run)
{
	cJSON *a = cJSON_CreateObject(), *ms = cJSON_AddArrayToObject(a, "metrics");
	const cJSON *st = gth_json_obj(run, "status"), *mr, *m;
	cJSON_AddStringToObject(a, "name", gth_json_str(gth_json_obj(run, "metadata"), "name")
					       ? gth_json_str(gth_json_obj(run, "metadata"), "name") : "");
	cJSON_AddStringToObject(a, "phase", gth_json_str(st, "phase") ? gth_json_str(st, "phase")
								      : "Pending");
	cJSON_ArrayForEach(mr, gth_json_arr(st, "metricResults")) {
		cJSON *o = cJSON_CreateObject(), *meas = NULL;
		cJSON_AddStringToObject(o, "name", gth_json_str(mr, "name") ? gth_json_str(mr, "name") : "");
		cJSON_AddStringToObject(o, "phase", gth_json_str(mr, "phase") ? gth_json_str(mr, "phase") : "");
		meas = cJSON_AddArrayToObject(o, "measurements");
		cJSON_ArrayForEach(m, gth_json_arr(mr, "measurements")) {
			cJSON *x = cJSON_CreateObject();
			const char *v = gth_json_str(m, "value");
			const char *p = gth_json_str(m, "phase");
			const char *at = gth_json_str(m, "finishedAt");
			cJSON_AddStringToObject(x, "value", v ? v : "");
			cJSON_AddStringToObject(x, "phase", p ? p : "");
			cJSON_AddStringToObject(x, "at", at ? at : (gth_json_str(m, "startedAt") ? gth_json_str(m, "startedAt") : ""));
			cJSON_AddItemToArray(meas, x);
		}
		cJSON_AddItemToArray(ms, o);
	}
	return a;
}

static void print_block(const char *name, const struct ro_info *ri, const cJSON *analysis)
{
	const cJSON *m;
	if (gth_log_quiet())
		return;
	fprintf(stderr, "Name:      %s\n", name);
	fprintf(stderr, "Status:    %s%s%s\n", ri->phase, ri->message[0] ? " - " : "", ri->message);
	if (ri->steps >= 0)
		fprintf(stderr, "Step:      %ld/%ld\n", ri->step, ri->steps);
	fprintf(stderr, "Weights:   canary %ld, stable %ld\n", ri->weight, ri->stable_weight);
	if (ri->revision[0])
		fprintf(stderr, "Revision:  %s\n", ri->revision);
	if (analysis) {
		fprintf(stderr, "Analysis:  %s %s\n", gth_json_str(analysis, "name"),
			gth_json_str(analysis, "phase"));
		cJSON_ArrayForEach(m, gth_json_arr(analysis, "metrics")) {
			const cJSON *x;
			fprintf(stderr, "  %s: %s", gth_json_str(m, "name"), gth_json_str(m, "phase"));
			cJSON_ArrayForEach(x, gth_json_arr(m, "measurements"))
				fprintf(stderr, " %s(%s)", gth_json_str(x, "value"), gth_json_str(x, "phase"));
			fputc('\n', stderr);
		}
	}
}

static int phase_exit(const struct ro_info *ri)
{
	if (!strcmp(ri->phase, "Healthy"))
		return GTH_EXIT_OK;
	if (!strcmp(ri->phase, "Degraded"))
		return GTH_EXIT_FAIL;
	return GTH_EXIT_UNDECIDED;
}

static int fetch_analysis(cJSON **out, struct gth_kube *k, const char *run, struct gth_error *err)
{
	char *path = gth_kube_path(ROLLOUTS_GV, gth_kube_namespace(k), "analysisruns", run);
	int rc = gth_kube_get(out, k, path, NULL, err);
	free(path);
	return rc;
}

int canary_status(const struct kube_opts *ko, const char *name, cJSON *data,
		  struct gth_error *err)
{
	struct gth_kube *k = NULL;
	cJSON *ro = NULL, *run = NULL, *analysis = NULL;
	char *path = NULL;
	struct ro_info ri;
	int rc = -1;
	if (open_kube(&k, ko, err) < 0)
		goto done;
	path = gth_kube_path(ROLLOUTS_GV, gth_kube_namespace(k), "rollouts", name);
	if (gth_kube_get(&ro, k, path, NULL, err) < 0)
		goto done;
	ro_info_from(&ri, ro);
	if (ri.analysis_run[0]) {
		struct gth_error e2 = GTH_ERROR_INIT;
		if (fetch_analysis(&run, k, ri.analysis_run, &e2) == 0)
			analysis = analysis_json(run);
		else
			gth_warn("analysis run %s: %s", ri.analysis_run, e2.msg);
	}
	print_block(name, &ri, analysis);
	cJSON_AddItemToObject(data, "rollout", ro_info_json(&ri, name, gth_kube_namespace(k)));
	if (analysis) {
		cJSON_AddItemToObject(data, "analysis", analysis);
		analysis = NULL;
	}
	cJSON_AddNumberToObject(data, "requests", (double)gth_kube_requests(k));
	rc = phase_exit(&ri);
	if (rc == GTH_EXIT_FAIL)
		gth_error_set(err, GTH_EXIT_FAIL, "rollout %s is Degraded: %s", name, ri.message);
	else if (rc == GTH_EXIT_UNDECIDED)
		gth_error_set(err, GTH_EXIT_UNDECIDED, "rollout %s is %s", name, ri.phase);
done:
	cJSON_Delete(analysis);
	cJSON_Delete(run);
	cJSON_Delete(ro);
	free(path);
	gth_kube_free(k);
	return rc < 0 ? (err->exit ? err->exit : GTH_EXIT_SOFTWARE) : rc;
}

/* ---- watch ---- */

struct wctx {
	struct gth_kube *k;
	const char *name;
	const struct watch_opts *wo;
	int live;               /* redraw a block on the terminal */
	int block_lines;
	char last[1024];
	unsigned long changes;
	/* app phase */
	struct gth_argo_app ai;
	int app_result;         /* 1 synced, -1 failed */
	/* rollout phase */
	struct ro_info ri;
	int seen;
	int result;             /* exit status once decided, -1 before */
	char last_run[300];
	cJSON *analysis;
};

static void live_draw(struct wctx *c, const char *l1, const char *l2)
{
	int i;
	if (gth_log_quiet())
		return;
	for (i = 0; i < c->block_lines; i++)
		fputs("\033[1A\033[2K", stderr);
	fprintf(stderr, "%s: %s\n", gth_tool_name(), l1);
	c->block_lines = 1;
	if (l2 && *l2) {
		fprintf(stderr, "  %s\n", l2);
		c->block_lines++;
	}
	fflush(stderr);
}

static void report(struct wctx *c, const char *line, const char *detail)
{
	if (!strcmp(line, c->last))
		return;
	gth_strlcpy(c->last, line, sizeof(c->last));
	c->changes++;
	if (c->live)
		live_draw(c, line, detail);
	else
		gth_note("%s", line);
}

static int on_app(void *ctx, const char *type, const cJSON *obj, struct gth_error *err)
{
	struct wctx *c = ctx;
	char line[1024];
	int r;
	(void)err;
	if (!strcmp(type, "DELETED"))
		return gth_error_set(err, GTH_EXIT_NOINPUT, "application %s was deleted", c->wo->app);
	gth_argo_app_from(&c->ai, obj);
	snprintf(line, sizeof(line), "application %s: %s %.12s, operation %s%s%s", c->wo->app,
		 c->ai.sync, c->ai.revision[0] ? c->ai.revision : "-",
		 c->ai.operation[0] ? c->ai.operation : "none",
		 c->ai.refresh_pending ? ", refresh requested" : "",
		 c->ai.health[0] ? "" : "");
	report(c, line, c->ai.message);
	r = gth_argo_app_synced(&c->ai, c->wo->revision);
	if (r != 0) {
		c->app_result = r;
		return 1;
	}
	return 0;
}

static void update_analysis(struct wctx *c)
{
	cJSON *run = NULL;
	struct gth_error e2 = GTH_ERROR_INIT;
	char key[300];
	snprintf(key, sizeof(key), "%s/%s", c->ri.analysis_run, c->ri.analysis_status);
	if (!c->ri.analysis_run[0] || !strcmp(key, c->last_run))
		return;
	gth_strlcpy(c->last_run, key, sizeof(c->last_run));
	if (fetch_analysis(&run, c->k, c->ri.analysis_run, &e2) < 0) {
		gth_verbose("analysis run %s: %s", c->ri.analysis_run, e2.msg);
		return;
	}
	cJSON_Delete(c->analysis);
	c->analysis = analysis_json(run);
	cJSON_Delete(run);
}

static int on_rollout(void *ctx, const char *type, const cJSON *obj, struct gth_error *err)
{
	struct wctx *c = ctx;
	char line[1024], detail[512] = "";
	if (!strcmp(type, "DELETED"))
		return gth_error_set(err, GTH_EXIT_NOINPUT, "rollout %s was deleted", c->name);
	ro_info_from(&c->ri, obj);
	c->seen = 1;
	update_analysis(c);
	ro_info_line(&c->ri, line, sizeof(line));
	{
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "rollout %.200s: %.800s", c->name, line);
		if (c->ri.analysis_run[0])
			snprintf(detail, sizeof(detail), "analysis %s %s", c->ri.analysis_run,
				 c->ri.analysis_status);
		report(c, tmp, detail);
	}
	if (!strcmp(c->ri.phase, "Degraded")) {
		c->result = GTH_EXIT_FAIL;
		return 1;
	}
	if (!strcmp(c->ri.phase, "Healthy") && c->ri.fully_promoted) {
		c->result = GTH_EXIT_OK;
		return 1;
	}
	if (c->ri.paused && c->ri.waits_for_approval) {
		c->result = !strcmp(c->wo->until, "paused") ? GTH_EXIT_OK : GTH_EXIT_UNDECIDED;
		return 1;
	}
	return 0;
}

static int request_refresh(struct gth_kube *k, const char *path, const char *how,
			   struct gth_error *err)
{
	char *body = gth_strdupf("{\"metadata\":{\"annotations\":{\"argocd.argoproj.io/refresh\":\"%s\"}}}",
				 how);
	int rc = gth_kube_patch(NULL, k, path, GTH_KUBE_MERGE_PATCH, body, err);
	free(body);
	return rc;
}

int canary_watch(const struct kube_opts *ko, const char *name, const struct watch_opts *wo,
		 cJSON *data, struct gth_error *err)
{
	struct wctx c;
	struct gth_kube_watch w = GTH_KUBE_WATCH_INIT, wa = GTH_KUBE_WATCH_INIT;
	char *path = NULL, *apath = NULL, *sel = NULL;
	int64_t deadline = wo->timeout_ms > 0 ? gth_now_ms() + wo->timeout_ms : 0;
	int rc = -1, r;
	memset(&c, 0, sizeof(c));
	c.name = name;
	c.wo = wo;
	c.result = -1;
	c.live = gth_log_interactive() && !getenv("CI");
	if (open_kube(&c.k, ko, err) < 0)
		goto done;
	sel = gth_strdupf("metadata.name=%s", name);
	if (wo->app) {
		const char *ans = wo->app_ns ? wo->app_ns : APPS_DEFAULT_NS;
		char *asel = gth_strdupf("metadata.name=%s", wo->app);
		apath = gth_kube_path(ROLLOUTS_GV, ans, "applications", NULL);
		if (wo->refresh) {
			char *one = gth_kube_path(ROLLOUTS_GV, ans, "applications", wo->app);
			r = request_refresh(c.k, one, wo->refresh, err);
			free(one);
			if (r < 0) {
				free(asel);
				gth_error_prefix(err, "application %s: ", wo->app);
				goto done;
			}
		}
		wa.path = apath;
		wa.field_selector = asel;
		wa.deadline_ms = deadline;
		wa.must_exist = 1;
		wa.fn = on_app;
		wa.ctx = &c;
		r = gth_kube_watch(c.k, &wa, err);
		free(asel);
		if (r == GTH_KUBE_TIMEOUT) {
			gth_error_set(err, GTH_EXIT_UNDECIDED, "timed out waiting for application %s to sync%s%s",
				      wo->app, wo->revision ? " " : "", wo->revision ? wo->revision : "");
			rc = GTH_EXIT_UNDECIDED;
			goto out;
		}
		if (r < 0) {
			if (err->exit == GTH_EXIT_NOINPUT && wa.events == 0)
				gth_error_set(err, GTH_EXIT_NOINPUT, "applications.argoproj.io \"%s\" not found in namespace %s",
					      wo->app, ans);
			goto done;
		}
		if (c.app_result < 0) {
			gth_error_set(err, GTH_EXIT_FAIL, "application %s: sync %s: %s", wo->app,
				      c.ai.operation, c.ai.message);
			rc = GTH_EXIT_FAIL;
			goto out;
		}
	}
	path = gth_kube_path(ROLLOUTS_GV, gth_kube_namespace(c.k), "rollouts", NULL);
	w.path = path;
	w.field_selector = sel;
	w.deadline_ms = deadline;
	w.must_exist = 1;
	w.fn = on_rollout;
	w.ctx = &c;
	r = gth_kube_watch(c.k, &w, err);
	if (r == GTH_KUBE_TIMEOUT) {
		gth_error_set(err, GTH_EXIT_UNDECIDED, "timed out: rollout %s is %s", name,
			      c.seen ? c.ri.phase : "not seen");
		rc = GTH_EXIT_UNDECIDED;
		goto out;
	}
	if (r < 0) {
		if (err->exit == GTH_EXIT_NOINPUT && !c.seen)
			gth_error_set(err, GTH_EXIT_NOINPUT, "rollouts.argoproj.io \"%s\" not found in namespace %s",
				      name, gth_kube_namespace(c.k));
		goto done;
	}
	rc = c.result;
	if (rc == GTH_EXIT_FAIL)
		gth_error_set(err, GTH_EXIT_FAIL, "rollout %s is Degraded: %s", name, c.ri.message);
	else if (rc == GTH_EXIT_UNDECIDED)
		gth_error_set(err, GTH_EXIT_UNDECIDED, "rollout %s is paused: %s", name, c.ri.message);
out:
	if (c.seen)
		cJSON_AddItemToObject(data, "rollout", ro_info_json(&c.ri, name, gth_kube_namespace(c.k)));
	if (c.analysis) {
		cJSON_AddItemToObject(data, "analysis", c.analysis);
		c.analysis = NULL;
	}
	if (wo->app) {
		cJSON *a = cJSON_AddObjectToObject(data, "app");
		cJSON_AddStringToObject(a, "name", wo->app);
		cJSON_AddStringToObject(a, "sync", c.ai.sync);
		cJSON_AddStringToObject(a, "revision", c.ai.revision);
		cJSON_AddStringToObject(a, "operation", c.ai.operation);
		cJSON_AddStringToObject(a, "health", c.ai.health);
	}
	cJSON_AddNumberToObject(data, "changes", (double)c.changes);
	cJSON_AddNumberToObject(data, "requests", (double)gth_kube_requests(c.k));
	cJSON_AddNumberToObject(data, "watch_resumes", (double)(w.watches + wa.watches));
	cJSON_AddNumberToObject(data, "relists", (double)(w.gone + wa.gone));
done:
	cJSON_Delete(c.analysis);
	gth_kube_watch_release(&w);
	gth_kube_watch_release(&wa);
	free(path);
	free(apath);
	free(sel);
	gth_kube_free(c.k);
	return rc < 0 ? (err->exit ? err->exit : GTH_EXIT_SOFTWARE) : rc;
}

/* ---- promote ---- */

int canary_promote(const struct kube_opts *ko, const char *name, int full, cJSON *data,
		   struct gth_error *err)
{
	struct gth_kube *k = NULL;
	cJSON *ro = NULL, *out = NULL;
	char *path = NULL, *spec_p = NULL, *status_p = NULL, *unified_p = NULL;
	struct ro_info ri;
	int rc = -1, attempt, r = 0, fell_back = 0;
	if (open_kube(&k, ko, err) < 0)
		goto done;
	path = gth_kube_path(ROLLOUTS_GV, gth_kube_namespace(k), "rollouts", name);
	for (attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
		cJSON_Delete(ro);
		ro = NULL;
		free(spec_p);
		free(status_p);
		free(unified_p);
		spec_p = status_p = unified_p = NULL;
		if (gth_kube_get(&ro, k, path, NULL, err) < 0)
			goto done;
		ro_promote_patches(ro, full, &spec_p, &status_p, &unified_p);
		r = 0;
		fell_back = 0;
		if (status_p) {
			cJSON_Delete(out);
			out = NULL;
			r = gth_kube_patch_status(&out, k, path, GTH_KUBE_MERGE_PATCH, status_p,
						  unified_p ? unified_p : status_p, &fell_back, err);
		}
		if (r == 0 && spec_p && !fell_back) {
			cJSON_Delete(out);
			out = NULL;
			r = gth_kube_patch(&out, k, path, GTH_KUBE_MERGE_PATCH, spec_p, err);
		}
		if (r != GTH_KUBE_CONFLICT || attempt + 1 == CONFLICT_RETRIES)
			break;
		gth_verbose("conflict promoting %s, reading it again", name);
		gth_error_clear(err);
	}
	if (r < 0)
		goto done;
	ro_info_from(&ri, out ? out : ro);
	if (!status_p && !spec_p)
		gth_note("rollout %s is already fully promoted", name);
	else
		gth_note("rollout %s promoted%s", name, full ? " fully" : "");
	cJSON_AddItemToObject(data, "rollout", ro_info_json(&ri, name, gth_kube_namespace(k)));
	cJSON_AddBoolToObject(data, "full", full);
	cJSON_AddBoolToObject(data, "status_subresource", !fell_back);
	cJSON_AddNumberToObject(data, "requests", (double)gth_kube_requests(k));
	rc = 0;
done:
	cJSON_Delete(ro);
	cJSON_Delete(out);
	free(path);
	free(spec_p);
	free(status_p);
	free(unified_p);
	gth_kube_free(k);
	return rc < 0 ? (err->exit ? err->exit : GTH_EXIT_SOFTWARE) : rc;
}
