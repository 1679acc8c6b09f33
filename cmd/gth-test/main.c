/* gth-test: test and lint gates. Options, one call, exit status. */
#include <stdio.h>

#include "gth/error.h"
#include "gth/event.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "session.h"

#define TOOL "gth-test"

static const char synopsis[] =
	"gth-test [-j N] [--gate NAME]... [--list] [--timeout DUR] [--retries N]\n"
	"[--junit-out FILE] [-C DIR]";

int main(int argc, char **argv)
{
	struct test_opts o = TEST_OPTS_INIT;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	const struct gth_opt opts[] = {
		{ GTH_OPT_INT, 'j', "jobs", &o.jobs, "N",
		  "run N gates at once (default: the number of CPUs)", 1, 1024 },
		{ GTH_OPT_LIST, 0, "gate", &o.gates, "NAME", "run only gate NAME (repeatable)", 0, 0 },
		{ GTH_OPT_FLAG, 0, "list", &o.list, NULL, "list the gates and exit", 0, 0 },
		{ GTH_OPT_DURATION, 0, "timeout", &o.timeout_ms, "DUR",
		  "stop each gate after DUR (default 30m or gth.yaml's)", 0, 0 },
		{ GTH_OPT_INT, 0, "retries", &o.retries, "N", "run a failing gate up to N more times",
		  0, 100 },
		{ GTH_OPT_STR, 0, "junit-out", &o.junit_out, "FILE",
		  "write every gate's results to FILE as JUnit XML", 0, 0 },
		{ GTH_OPT_STR, 'C', NULL, &o.chdir, "DIR", "run in DIR, as if started there", 0, 0 },
		GTH_OPTS_COMMON(&o.common),
		GTH_OPTS_END
	};
	int rc;

	gth_log_init(TOOL);
	if (gth_opts_parse(opts, argc, argv, &operands, &err) < 0) {
		rc = gth_fail(&err);
		gth_opts_usage(stderr, synopsis, opts);
		goto done;
	}
	if (o.common.help) {
		gth_opts_usage(stdout, synopsis, opts);
		rc = 0;
		goto done;
	}
	if (o.common.version) {
		gth_print_version(TOOL);
		rc = 0;
		goto done;
	}
	if (operands.n) {
		gth_error_set(&err, GTH_EXIT_USAGE, "unexpected argument '%s'", operands.v[0]);
		rc = gth_fail(&err);
		gth_opts_usage(stderr, synopsis, opts);
		goto done;
	}
	gth_log_set_quiet(o.common.quiet);
	gth_log_set_verbose(o.common.verbose);
	if (gth_event_begin(&ev, TOOL) < 0) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		rc = gth_fail(&err);
		goto done;
	}

	rc = session_run(&o, &ev);
	rc = gth_event_end(&ev, o.common.json, rc);
done:
	gth_event_release(&ev);
	gth_strlist_release(&o.gates);
	gth_strlist_release(&operands);
	return rc;
}
