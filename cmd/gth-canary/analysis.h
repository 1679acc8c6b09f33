/* AnalysisTemplates: loading (analysis.c), providers (providers.c) and the
 * measurement and run phases decided as Argo Rollouts' analysis controller does. */
#ifndef GTH_CANARY_ANALYSIS_H
#define GTH_CANARY_ANALYSIS_H

#include <stdint.h>

#include "canary.h"
#include "expr.h"
#include "gth/http.h"

enum phase { PH_PENDING, PH_RUNNING, PH_SUCCESSFUL, PH_INCONCLUSIVE, PH_ERROR, PH_FAILED };

const char *phase_name(enum phase p);
int phase_completed(enum phase p);
/* analysisutil.IsWorse: Pending < Running < Successful < Inconclusive < Error < Failed */
int phase_worse(enum phase cur, enum phase cand);

struct header {
	char *key, *value;
};

struct metric {
	char *name;
	int line;                     /* where the metric starts in the template */
	int64_t interval_ms;          /* 0: none */
	int64_t initial_delay_ms;
	long count;                   /* -1: none */
	long failure_limit;           /* default 0; -1 disables */
	long inconclusive_limit;      /* default 0 */
	long consecutive_error_limit; /* default 4 */
	long consecutive_success_limit; /* default 0: not applicable */
	char *success_src, *failure_src;
	struct expr *success, *failure;
	enum { PROV_PROMETHEUS, PROV_WEB } provider;
	char *address;                /* prometheus */
	char *query;
	int64_t timeout_ms;
	char *url;                    /* web */
	char *method;
	char *body;
	char *json_path;
	int insecure;
	struct header *headers;
	size_t nheaders;
};

struct measurement {
	char *value;
	enum phase phase;
	char *message;
	int64_t started_wall_ms, finished_wall_ms;
};

struct metric_result {
	enum phase phase;
	struct measurement *m;
	size_t n, cap;
	long count, successful, failed, inconclusive, error;
	long consecutive_error, consecutive_success;
	int64_t last_finished_mono;
	char *message;
};

struct template {
	char *file;
	char *name;
	char *kind;
	struct metric *metrics;
	size_t n;
};

/* Load the first AnalysisTemplate or ClusterAnalysisTemplate in file, resolving
 * {{args.NAME}} with the template's values and --arg K=V; conditions are
 * compiled (a syntax error is 65 with file:line). */
int template_load(struct template *t, const char *file, const struct gth_strlist *args,
		  struct gth_error *err);
void template_release(struct template *t);

/* Monotonic microseconds, for the overhead figures. */
int64_t mono_us(void);

/* Take one measurement (providers.c): value, phase and message set. The HTTP
 * time is added to *io_us. */
void provider_measure(struct measurement *out, const struct metric *m,
		      struct gth_http_client *http, int64_t *io_us);
/* Go's strconv.FormatFloat(f, 'f', -1, 64). */
void format_go_float(char *buf, size_t size, double f);
/* EvaluateResult: the phase of a result under the metric's conditions. */
enum phase evaluate_result(const struct metric *m, const struct xv *result, char **message);

/* assessMetricStatus and assessRunStatus. */
enum phase assess_metric(const struct metric *m, const struct metric_result *r, int terminating,
			 char **message);

#endif
