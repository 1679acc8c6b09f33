/* Running gates in parallel: at most jobs at once, each in its own process group
 * (lib proc), retried when it fails, its output kept whole for printing, its
 * reports read when it ends. */
#ifndef GTH_TEST_RUNNER_H
#define GTH_TEST_RUNNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "gth/buf.h"
#include "gth/error.h"
#include "report.h"

enum gate_status { GATE_PENDING, GATE_PASSED, GATE_FAILED, GATE_TIMEOUT, GATE_ERROR,
		   GATE_NOT_RUN };

struct gate_result {
	const struct gate *gate;
	enum gate_status status;
	int exit;               /* the command's exit status (128+N for signal N); -1 when
				 * it did not run */
	int attempts;
	int64_t timeout_ms;     /* the timeout applied */
	int64_t duration_ms;    /* of the last attempt */
	int64_t started_wall_ms;
	struct gth_buf output;  /* stdout and stderr of the last attempt, merged, capped */
	uint64_t dropped;       /* output bytes past the cap */
	size_t gap;             /* where in output they were dropped (head | tail) */
	struct test_report report;
	char *error;            /* why it could not start */
};

struct run_config {
	long jobs;
	int64_t timeout_ms;      /* applies to every gate when > 0 (--timeout) */
	int64_t default_timeout_ms; /* for gates without their own */
	long retries;            /* applies to every gate when >= 0 (--retries) */
	long default_retries;
	int64_t grace_ms;
	size_t max_output;
	volatile sig_atomic_t *interrupted; /* set by a signal handler; may be NULL */
	/* Called once per gate when it is done (or could not start), in the order
	 * they end. */
	void (*done)(const struct gate_result *r, void *ctx);
	void (*retrying)(const struct gate_result *r, int attempt, int of, void *ctx);
	void *ctx;
};

/* Run the n gates of l into results (n entries, released with results_release).
 * Returns 0, or -1 with an error when running itself failed (not a gate). */
int run_gates(struct gate_result *results, const struct gate_list *l,
	      const struct run_config *cfg, struct gth_error *err);
void results_release(struct gate_result *results, size_t n);

/* Whether a result makes the run fail (a failure not allowed). */
int gate_failed(const struct gate_result *r);
const char *gate_status_name(enum gate_status s);

/* Read the gate's JUnit and TAP reports into r->report. */
void collect_reports(struct gate_result *r, const char *root);

#endif
