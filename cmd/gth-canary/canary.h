/* gth-canary's modules: the Rollout and Application views (rollout.c), the
 * status/watch/promote verbs (watch.c), the analysis expression language
 * (expr.c), AnalysisTemplates and their runs (analysis.c, providers.c) and the
 * statistical judge (judge.c). */
#ifndef GTH_CANARY_H
#define GTH_CANARY_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gth/argo.h"
#include "gth/error.h"
#include "gth/kube.h"
#include "gth/opts.h"

#define ROLLOUTS_GV "argoproj.io/v1alpha1"

/* ---- rollout.c: what Argo's own tools show for a Rollout ---- */

struct ro_info {
	char phase[32];         /* Healthy, Progressing, Paused, Degraded */
	char message[512];
	long step, steps;       /* currentStepIndex and the number of canary steps; -1 when none */
	long weight;            /* canary weight, 0..100 */
	long stable_weight;
	char revision[32];      /* rollout.argoproj.io/revision annotation */
	char analysis_run[256]; /* the current step's or background AnalysisRun, or "" */
	char analysis_status[32];
	int aborted;
	int paused;             /* Paused phase */
	int waits_for_approval; /* paused with nothing but a person to resume it */
	int fully_promoted;     /* stableRS == currentPodHash */
};

/* Argo's GetRolloutPhase and the kubectl plugin's step and weight. */
void ro_info_from(struct ro_info *ri, const cJSON *rollout);
/* One-line summary: "Paused step 1/4 weight 20: CanaryPauseStep". */
void ro_info_line(const struct ro_info *ri, char *buf, size_t size);
cJSON *ro_info_json(const struct ro_info *ri, const char *name, const char *ns);

/* The kubectl plugin's promote patches for rollout (any may be NULL; malloc'd). */
void ro_promote_patches(const cJSON *rollout, int full, char **spec_patch,
			char **status_patch, char **unified_patch);


/* ---- watch.c: the verbs that talk to the cluster ---- */

struct kube_opts {
	const char *kubeconfig;
	const char *context;
	const char *ns;
};

struct watch_opts {
	const char *app;
	const char *app_ns;
	const char *revision;
	const char *until;      /* healthy | paused */
	const char *refresh;    /* normal | hard | NULL */
	int64_t timeout_ms;
};

/* Each fills data (the event's data object) and returns an exit status. */
int canary_status(const struct kube_opts *ko, const char *name, cJSON *data,
		  struct gth_error *err);
int canary_watch(const struct kube_opts *ko, const char *name, const struct watch_opts *wo,
		 cJSON *data, struct gth_error *err);
int canary_promote(const struct kube_opts *ko, const char *name, int full, cJSON *data,
		   struct gth_error *err);

/* ---- analysis.c: AnalysisTemplates run with Argo's semantics ---- */

struct analyze_opts {
	const struct gth_strlist *args;   /* "K=V" */
	const char *prometheus;           /* replaces every Prometheus address */
	int once;
	int64_t interval_ms;              /* 0: the template's */
	long count;                       /* 0: the template's */
	int64_t error_retry_ms;           /* wait after an Error measurement (Argo: 10 s) */
};

int canary_analyze(const char *file, const struct analyze_opts *o, cJSON *data,
		   struct gth_error *err);

/* ---- judge.c: canary against baseline, Mann-Whitney U ---- */

struct judge_opts {
	const struct gth_strlist *canary;     /* PromQL, one per metric */
	const struct gth_strlist *baseline;
	const struct gth_strlist *names;      /* metric names (optional) */
	const char *prometheus;
	int64_t range_ms;
	int64_t step_ms;
	double confidence;                    /* 0.98 */
	double tolerance;                     /* 0.25 */
	const char *direction;                /* increase | decrease | either */
	double pass_score, marginal_score;    /* 95, 75 */
};

int canary_judge(const struct judge_opts *o, cJSON *data, struct gth_error *err);

#endif
