/* Argo CD's view of an Application, as gth-canary and gth-rollback wait on it. */
#include <string.h>

#include "gth/argo.h"
#include "gth/json.h"
#include "gth/util.h"

static const char *str_or(const char *s, const char *def)
{
	return s ? s : def;
}

void gth_argo_app_from(struct gth_argo_app *ai, const cJSON *app)
{
	const cJSON *st = gth_json_obj(app, "status");
	const cJSON *sync = gth_json_obj(st, "sync"), *op = gth_json_obj(st, "operationState");
	const cJSON *ann = gth_json_obj(gth_json_obj(app, "metadata"), "annotations");
	const char *rev = gth_json_str(sync, "revision");
	const char *oprev = gth_json_str(gth_json_obj(op, "syncResult"), "revision");
	memset(ai, 0, sizeof(*ai));
	if (!rev) {
		const cJSON *revs = gth_json_arr(sync, "revisions");
		if (cJSON_IsString(cJSON_GetArrayItem(revs, 0)))
			rev = cJSON_GetArrayItem(revs, 0)->valuestring;
	}
	if (!oprev)
		oprev = gth_json_str(gth_json_obj(gth_json_obj(op, "operation"), "sync"), "revision");
	gth_strlcpy(ai->sync, str_or(gth_json_str(sync, "status"), "Unknown"), sizeof(ai->sync));
	gth_strlcpy(ai->revision, str_or(rev, ""), sizeof(ai->revision));
	gth_strlcpy(ai->operation, str_or(gth_json_str(op, "phase"), ""), sizeof(ai->operation));
	gth_strlcpy(ai->op_revision, str_or(oprev, ""), sizeof(ai->op_revision));
	gth_strlcpy(ai->health, str_or(gth_json_str(gth_json_obj(st, "health"), "status"), ""),
		    sizeof(ai->health));
	gth_strlcpy(ai->message, str_or(gth_json_str(op, "message"), ""), sizeof(ai->message));
	ai->refresh_pending = gth_json_str(ann, "argocd.argoproj.io/refresh") != NULL;
}

/* A full SHA matches itself; an abbreviated --revision matches its prefix. */
static int rev_match(const char *have, const char *want)
{
	size_t n = strlen(want);
	return *have && n >= 7 && !strncmp(have, want, n);
}

int gth_argo_app_synced(const struct gth_argo_app *ai, const char *rev)
{
	int op_for_rev = !rev || rev_match(ai->op_revision, rev);
	if (ai->refresh_pending)
		return 0;
	if (op_for_rev && (!strcmp(ai->operation, "Failed") || !strcmp(ai->operation, "Error")))
		return -1;
	if (strcmp(ai->sync, "Synced") != 0)
		return 0;
	if (rev && !rev_match(ai->revision, rev))
		return 0;
	/* An application synced without an operation (auto-sync already done) has no
	 * operationState; one with an operation must have finished it. */
	if (ai->operation[0] && (strcmp(ai->operation, "Succeeded") != 0 || !op_for_rev))
		return 0;
	return 1;
}
