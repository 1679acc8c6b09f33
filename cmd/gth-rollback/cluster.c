/* Rollbacks inside the cluster: abort (the Argo Rollouts kubectl plugin's status
 * patch) and undo (the plugin's template rollback to an older ReplicaSet). */
#include <stdlib.h>
#include <string.h>

#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"
#include "rollback.h"

#define ROLLOUTS_GV "argoproj.io/v1alpha1"
#define REVISION_ANN "rollout.argoproj.io/revision"

static long canary_weight(const cJSON *ro)
{
	const cJSON *w = gth_json_path(ro, "status.canary.weights.canary.weight");

	return cJSON_IsNumber(w) ? (long)w->valuedouble : -1;
}

static int is_aborted(const cJSON *ro)
{
	return cJSON_IsTrue(gth_json_path(ro, "status.abort"));
}

static void rollout_json(cJSON *data, const cJSON *ro, const char *name, const char *ns)
{
	cJSON *r = cJSON_AddObjectToObject(data, "rollout");
	const char *phase = gth_json_str(gth_json_obj(ro, "status"), "phase");
	const char *msg = gth_json_str(gth_json_obj(ro, "status"), "message");
	const char *rev = gth_json_str(gth_json_path(ro, "metadata.annotations"), REVISION_ANN);
	long w = canary_weight(ro);

	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "namespace", ns);
	if (phase)
		cJSON_AddStringToObject(r, "phase", phase);
	else
		cJSON_AddNullToObject(r, "phase");
	cJSON_AddBoolToObject(r, "aborted", is_aborted(ro));
	if (w >= 0)
		cJSON_AddNumberToObject(r, "weight", (double)w);
	else
		cJSON_AddNullToObject(r, "weight");
	if (rev)
		cJSON_AddStringToObject(r, "revision", rev);
	else
		cJSON_AddNullToObject(r, "revision");
	if (msg)
		cJSON_AddStringToObject(r, "message", msg);
	else
		cJSON_AddNullToObject(r, "message");
}

struct abort_wait {
	cJSON *last;
};

/* Stable has every request again: the controller reports the abort and a canary
 * weight of 0 (or no weights at all, for a Rollout without traffic routing once it
 * reports Degraded). */
static int stable_has_traffic(const cJSON *ro)
{
	const char *phase = gth_json_str(gth_json_obj(ro, "status"), "phase");
	long w = canary_weight(ro);

	if (!is_aborted(ro))
		return 0;
	if (w >= 0)
		return w == 0;
	return phase && !strcmp(phase, "Degraded");
}

static int on_abort_event(void *ctx, const char *type, const cJSON *object,
			  struct gth_error *err)
{
	struct abort_wait *w = ctx;

	if (!strcmp(type, "DELETED"))
		return gth_error_set(err, GTH_EXIT_NOINPUT, "the Rollout was deleted");
	cJSON_Delete(w->last);
	w->last = cJSON_Duplicate(object, 1);
	return stable_has_traffic(object) ? 1 : 0;
}

static int open_kube(struct gth_kube **k, const struct rb_kube *o, struct gth_error *err)
{
	return gth_kube_open(k, &o->ko, err);
}

int rb_abort(const struct rb_kube *o, const char *name, cJSON *data, struct gth_error *err)
{
	struct gth_kube *k = NULL;
	cJSON *ro = NULL;
	char *path = NULL, *coll = NULL;
	char sel[512];
	int fell_back = 0, rc = GTH_EXIT_SOFTWARE;
	const char *ns;

	if (open_kube(&k, o, err) < 0)
		goto fail;
	ns = gth_kube_namespace(k);
	path = gth_kube_path(ROLLOUTS_GV, ns, "rollouts", name);
	if (!path)
		goto oom;
	if (gth_kube_get(&ro, k, path, NULL, err) < 0)
		goto fail;
	if (is_aborted(ro)) {
		gth_note("rollout '%s' is aborted already", name);
	} else {
		cJSON_Delete(ro);
		ro = NULL;
		if (gth_kube_patch_status(&ro, k, path, GTH_KUBE_MERGE_PATCH,
					  "{\"status\":{\"abort\":true}}", NULL, &fell_back, err) < 0)
			goto fail;
		gth_note("rollout '%s' aborted%s", name,
			 fell_back ? " (no status subresource: patched the object)" : "");
	}
	cJSON_AddBoolToObject(data, "aborted", 1);
	if (o->wait && !stable_has_traffic(ro)) {
		struct gth_kube_watch w = GTH_KUBE_WATCH_INIT;
		struct abort_wait aw = { NULL };
		int r;

		coll = gth_kube_path(ROLLOUTS_GV, ns, "rollouts", NULL);
		if (!coll)
			goto oom;
		snprintf(sel, sizeof(sel), "metadata.name=%s", name);
		w.path = coll;
		w.field_selector = sel;
		w.must_exist = 1;
		w.deadline_ms = gth_now_ms() + (o->timeout_ms ? o->timeout_ms : 5 * 60 * 1000);
		w.fn = on_abort_event;
		w.ctx = &aw;
		r = gth_kube_watch(k, &w, err);
		gth_kube_watch_release(&w);
		if (aw.last) {
			cJSON_Delete(ro);
			ro = aw.last;
		}
		if (r == GTH_KUBE_TIMEOUT) {
			rollout_json(data, ro, name, ns);
			rc = GTH_EXIT_UNDECIDED;
			gth_error_set(err, GTH_EXIT_UNDECIDED,
				      "rollout '%s': the stable version does not have all the "
				      "traffic yet (out of time)", name);
			goto out;
		}
		if (r < 0)
			goto fail;
		gth_note("rollout '%s': the stable version has all the traffic", name);
	}
	rollout_json(data, ro, name, ns);
	cJSON_AddStringToObject(data, "summary", "aborted: traffic back to the stable version");
	rc = 0;
	goto out;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
fail:
	rc = err->exit ? err->exit : GTH_EXIT_SOFTWARE;
out:
	free(path);
	free(coll);
	cJSON_Delete(ro);
	gth_kube_free(k);
	return rc;
}

/* The pod template without the pod-template-hash label, serialised, for comparing. */
static char *template_key(const cJSON *tmpl)
{
	cJSON *t = cJSON_Duplicate(tmpl, 1);
	cJSON *labels = (cJSON *)gth_json_path(t, "metadata.labels");
	char *s;

	if (labels)
		cJSON_DeleteItemFromObjectCaseSensitive(labels, "rollouts-pod-template-hash");
	if (labels)
		cJSON_DeleteItemFromObjectCaseSensitive(labels, "pod-template-hash");
	s = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	return s;
}

static int owned_by(const cJSON *rs, const char *uid)
{
	const cJSON *refs = gth_json_path(rs, "metadata.ownerReferences"), *r;

	cJSON_ArrayForEach(r, refs) {
		const char *u = gth_json_str(r, "uid");

		if (u && !strcmp(u, uid))
			return 1;
	}
	return 0;
}

static long revision_of(const cJSON *obj)
{
	const char *v = gth_json_str(gth_json_path(obj, "metadata.annotations"), REVISION_ANN);
	long r;

	if (!v || gth_parse_long(v, 0, 1L << 40, &r) < 0)
		return -1;
	return r;
}

int rb_undo(const struct rb_kube *o, const char *name, cJSON *data, struct gth_error *err)
{
	struct gth_kube *k = NULL;
	cJSON *ro = NULL, *list = NULL, *patched = NULL, *patch = NULL, *op;
	const cJSON *rs, *target = NULL, *tmpl;
	char *path = NULL, *rspath = NULL, *wlpath = NULL, *body = NULL, *a = NULL, *b = NULL;
	const char *ns, *uid;
	long current, want = -1, best = -1;
	int rc = GTH_EXIT_SOFTWARE;
	const cJSON *wl;

	if (open_kube(&k, o, err) < 0)
		goto fail;
	ns = gth_kube_namespace(k);
	path = gth_kube_path(ROLLOUTS_GV, ns, "rollouts", name);
	rspath = gth_kube_path("apps/v1", ns, "replicasets", NULL);
	if (!path || !rspath)
		goto oom;
	if (gth_kube_get(&ro, k, path, NULL, err) < 0)
		goto fail;
	uid = gth_json_str(gth_json_obj(ro, "metadata"), "uid");
	current = revision_of(ro);
	if (gth_kube_get(&list, k, rspath, NULL, err) < 0)
		goto fail;
	/* The kubectl plugin's choice: --to-revision N exactly, else the newest
	 * revision older than the current one. */
	cJSON_ArrayForEach(rs, gth_json_arr(list, "items")) {
		long r = revision_of(rs);

		if (!uid || !owned_by(rs, uid) || r < 0)
			continue;
		if (o->to_revision) {
			if (r == o->to_revision)
				target = rs;
		} else if ((current < 0 || r < current) && r > best) {
			best = r;
			target = rs;
		}
	}
	if (!target) {
		if (o->to_revision)
			gth_error_set(err, GTH_EXIT_NOINPUT,
				      "rollout '%s' has no ReplicaSet of revision %ld", name,
				      o->to_revision);
		else
			gth_error_set(err, GTH_EXIT_NOINPUT,
				      "rollout '%s' has no earlier revision to go back to", name);
		goto fail;
	}
	want = revision_of(target);
	tmpl = gth_json_path(target, "spec.template");
	if (!tmpl) {
		gth_error_set(err, GTH_EXIT_DATAERR, "ReplicaSet of revision %ld has no pod template",
			      want);
		goto fail;
	}
	/* A Rollout may keep its template in a Deployment (spec.workloadRef). */
	wl = gth_json_path(ro, "spec.workloadRef");
	if (wl && gth_json_str(wl, "name")) {
		const char *kind = gth_json_str(wl, "kind");

		if (kind && strcmp(kind, "Deployment")) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "rollout '%s' refers to a %s; only Deployments are supported",
				      name, kind);
			goto fail;
		}
		wlpath = gth_kube_path("apps/v1", ns, "deployments", gth_json_str(wl, "name"));
		if (!wlpath)
			goto oom;
		cJSON_Delete(ro);
		ro = NULL;
		if (gth_kube_get(&ro, k, wlpath, NULL, err) < 0)
			goto fail;
	}
	a = template_key(gth_json_path(ro, "spec.template"));
	b = template_key(tmpl);
	cJSON_AddStringToObject(data, "rollout", name);
	cJSON_AddNumberToObject(data, "from_revision", (double)current);
	cJSON_AddNumberToObject(data, "to_revision", (double)want);
	if (a && b && !strcmp(a, b)) {
		gth_note("rollout '%s' already runs the template of revision %ld", name, want);
		cJSON_AddBoolToObject(data, "changed", 0);
		cJSON_AddStringToObject(data, "summary", "nothing to undo");
		rc = 0;
		goto out;
	}
	{
		cJSON *t = cJSON_Duplicate(tmpl, 1);
		cJSON *labels = (cJSON *)gth_json_path(t, "metadata.labels");

		if (labels)
			cJSON_DeleteItemFromObjectCaseSensitive(labels, "rollouts-pod-template-hash");
		patch = cJSON_CreateArray();
		op = cJSON_CreateObject();
		cJSON_AddStringToObject(op, "op", "replace");
		cJSON_AddStringToObject(op, "path", "/spec/template");
		cJSON_AddItemToObject(op, "value", t);
		cJSON_AddItemToArray(patch, op);
	}
	body = cJSON_PrintUnformatted(patch);
	if (!body)
		goto oom;
	if (gth_kube_patch(&patched, k, wlpath ? wlpath : path, GTH_KUBE_JSON_PATCH, body, err) < 0)
		goto fail;
	gth_note("rollout '%s': pod template of revision %ld restored%s", name, want,
		 wlpath ? " (in its Deployment)" : "");
	cJSON_AddBoolToObject(data, "changed", 1);
	{
		char *s = gth_strdupf("back to the pod template of revision %ld", want);

		cJSON_AddStringToObject(data, "summary", s ? s : "");
		free(s);
	}
	rc = 0;
	goto out;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
fail:
	rc = err->exit ? err->exit : GTH_EXIT_SOFTWARE;
out:
	free(path);
	free(rspath);
	free(wlpath);
	free(body);
	free(a);
	free(b);
	cJSON_Delete(patch);
	cJSON_Delete(patched);
	cJSON_Delete(ro);
	cJSON_Delete(list);
	gth_kube_free(k);
	return rc;
}
