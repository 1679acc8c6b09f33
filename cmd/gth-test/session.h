/* One gth-test run from options to exit status: find the gates, list or run them,
 * report. main.c parses the options and calls session_run(). */
#ifndef GTH_TEST_SESSION_H
#define GTH_TEST_SESSION_H

#include <stdint.h>

#include "gth/event.h"
#include "gth/opts.h"

struct test_opts {
	struct gth_common_opts common;
	long jobs;               /* 0: not given */
	struct gth_strlist gates;
	int list;
	int64_t timeout_ms;      /* -1: not given */
	long retries;            /* -1: not given */
	const char *junit_out;
	const char *chdir;
};

#define TEST_OPTS_INIT { GTH_COMMON_OPTS_INIT, 0, GTH_STRLIST_INIT, 0, -1, -1, NULL, NULL }

/* Returns the exit status; errors are printed. With --json, ev gets the result
 * and the caller writes it. */
int session_run(struct test_opts *o, struct gth_event *ev);

#endif
