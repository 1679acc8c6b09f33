/* gth-rollback's modules: the in-cluster rollbacks (cluster.c: abort and undo of an
 * Argo Rollout) and the GitOps revert of a gth-bump commit (revert.c). Each verb
 * fills the event's data object and returns an exit status with err set when it is
 * not 0. */
#ifndef GTH_ROLLBACK_H
#define GTH_ROLLBACK_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gth/error.h"
#include "gth/kube.h"
#include "gth/opts.h"

struct rb_kube {
	struct gth_kube_options ko;
	int wait;               /* abort: wait until the stable version has all traffic */
	int64_t timeout_ms;
	long to_revision;       /* undo: 0 for the previous revision */
};

int rb_abort(const struct rb_kube *o, const char *name, cJSON *data, struct gth_error *err);
int rb_undo(const struct rb_kube *o, const char *name, cJSON *data, struct gth_error *err);

struct rb_revert {
	const char *repo;       /* URL or work tree; NULL: the current directory's */
	const char *branch;
	const char *commit;     /* revert this commit, else the newest gth-bump commit */
	const char *service;    /* of this app (its Gth-App trailer); NULL: any app */
	const struct gth_strlist *paths; /* only files under these folders */
	const char *author;
	long retries;
	int no_push;
	int dry_run;
};

int rb_revert(const struct rb_revert *o, cJSON *data, struct gth_error *err);

/* The Argo CD wait after a GitOps revert: until the Application has synced the
 * revert commit. */
int rb_wait_app(const struct rb_kube *o, const char *app, const char *app_ns,
		const char *revision, cJSON *data, struct gth_error *err);

#endif
