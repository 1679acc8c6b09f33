/* Argo CD's view of an Application, read the way its own tools read it: the sync
 * status and revision, the last operation and its revision, health, and whether a
 * refresh asked for through the argocd.argoproj.io/refresh annotation is pending.
 * gth-canary waits for a sync before following a Rollout; gth-rollback waits for
 * the sync of its revert. Pure functions over the Application object. */
#ifndef GTH_ARGO_H
#define GTH_ARGO_H

#include <cjson/cJSON.h>

struct gth_argo_app {
	char sync[32];          /* Synced, OutOfSync, Unknown */
	char revision[128];     /* status.sync.revision */
	char operation[32];     /* operationState.phase */
	char op_revision[128];  /* operationState.syncResult.revision or operation.sync.revision */
	char health[32];
	char message[512];
	int refresh_pending;    /* the refresh annotation is still there */
};

void gth_argo_app_from(struct gth_argo_app *ai, const cJSON *app);
/* 1: synced to rev (NULL: any revision; an abbreviation of 7 or more hex digits
 * matches its prefix); -1: the sync of rev failed; 0: not yet. */
int gth_argo_app_synced(const struct gth_argo_app *ai, const char *rev);

#endif
