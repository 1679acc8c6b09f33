/* After a GitOps revert: wait until Argo CD has synced it, so auto-sync keeps the
 * stable image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/argo.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"
#include "rollback.h"

struct app_wait {
	const char *revision;
	struct gth_argo_app last;
	int seen;
};

static int on_app(void *ctx, const char *type, const cJSON *obj, struct gth_error *err)
{
	struct app_wait *w = ctx;
	int r;

	if (!strcmp(type, "DELETED"))
		return gth_error_set(err, GTH_EXIT_NOINPUT, "the Application was deleted");
	gth_argo_app_from(&w->last, obj);
	w->seen = 1;
	r = gth_argo_app_synced(&w->last, w->revision);
	if (r < 0)
		return gth_error_set(err, GTH_EXIT_FAIL, "Argo CD failed to sync %.12s: %s",
				     w->revision, w->last.message[0] ? w->last.message : w->last.operation);
	return r;
}

int rb_wait_app(const struct rb_kube *o, const char *app, const char *app_ns,
		const char *revision, cJSON *data, struct gth_error *err)
{
	struct gth_kube_options ko = o->ko;
	struct gth_kube_watch w = GTH_KUBE_WATCH_INIT;
	struct gth_kube *k = NULL;
	struct app_wait aw;
	char *coll = NULL, sel[300];
	cJSON *a;
	int r, rc = GTH_EXIT_SOFTWARE;

	memset(&aw, 0, sizeof(aw));
	aw.revision = revision;
	ko.ns = app_ns ? app_ns : "argocd";
	if (gth_kube_open(&k, &ko, err) < 0)
		goto fail;
	coll = gth_kube_path("argoproj.io/v1alpha1", ko.ns, "applications", NULL);
	if (!coll) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto fail;
	}
	snprintf(sel, sizeof(sel), "metadata.name=%s", app);
	w.path = coll;
	w.field_selector = sel;
	w.must_exist = 1;
	w.deadline_ms = gth_now_ms() + (o->timeout_ms ? o->timeout_ms : 10 * 60 * 1000);
	w.fn = on_app;
	w.ctx = &aw;
	r = gth_kube_watch(k, &w, err);
	a = cJSON_AddObjectToObject(data, "application");
	cJSON_AddStringToObject(a, "name", app);
	cJSON_AddStringToObject(a, "namespace", ko.ns);
	cJSON_AddStringToObject(a, "sync", aw.seen ? aw.last.sync : "Unknown");
	cJSON_AddStringToObject(a, "revision", aw.seen ? aw.last.revision : "");
	cJSON_AddStringToObject(a, "health", aw.seen ? aw.last.health : "");
	if (r == GTH_KUBE_TIMEOUT) {
		gth_error_set(err, GTH_EXIT_UNDECIDED,
			      "Argo CD has not synced %.12s to '%s' yet (out of time)", revision, app);
		rc = GTH_EXIT_UNDECIDED;
		goto out;
	}
	if (r < 0)
		goto fail;
	gth_note("Argo CD synced %.12s to '%s'", revision, app);
	rc = 0;
	goto out;
fail:
	rc = err->exit ? err->exit : GTH_EXIT_SOFTWARE;
out:
	gth_kube_watch_release(&w);
	free(coll);
	gth_kube_free(k);
	return rc;
}
