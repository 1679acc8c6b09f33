#include "session.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gate.h"
#include "gth/buf.h"
#include "gth/config.h"
#include "gth/fs.h"
#include "gth/log.h"
#include "gth/util.h"
#include "output.h"
#include "runner.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll(2) must return so the gates can be stopped. */
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

static void on_done(const struct gate_result *r, void *ctx)
{
	(void)ctx;
	print_gate(r);
}

static void on_retry(const struct gate_result *r, int attempt, int of, void *ctx)
{
	(void)ctx;
	print_retry(r, attempt, of);
}

/* A GTH_TEST_* variable: flags win over it, it wins over gth.yaml. */
static int env_long(const char *name, long min, long max, long *out, struct gth_error *err)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return 0;
	if (gth_parse_long(v, min, max, out) < 0)
		return gth_error_set(err, GTH_EXIT_CONFIG, "%s: expected a number from %ld to %ld",
				     name, min, max);
	return 1;
}

static int env_duration(const char *name, int64_t *out, struct gth_error *err)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return 0;
	if (gth_parse_duration(v, out) < 0 || *out <= 0)
		return gth_error_set(err, GTH_EXIT_CONFIG, "%s: expected a duration like 5m", name);
	return 1;
}

/* Paths given on the command line are relative to where gth-test started, even
 * with -C (then they are made absolute before it changes folder). */
static char *absolute(const char *path, int needed)
{
	char cwd[PATH_MAX];
	struct gth_buf b = GTH_BUF_INIT;

	if (!path)
		return NULL;
	if (!needed || path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	gth_path_join(&b, cwd, path);
	return gth_buf_detach(&b);
}

static int load_gates(struct gate_list *l, struct test_opts *o, const char *config,
		      struct gth_config *cfg, struct gth_error *err)
{
	char cwd[PATH_MAX];
	int r;

	if (gth_config_load(cfg, config, err) < 0)
		return -1;
	r = gates_from_config(l, cfg, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (!getcwd(cwd, sizeof(cwd)))
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "getcwd: %s", strerror(errno));
		free(l->root);
		l->root = NULL;
		if (gates_detect(l, cwd, err) < 0)
			return -1;
		if (l->n == 0)
			return gth_error_set(err, GTH_EXIT_NOINPUT,
					     "no gates: %s%s has no test.gates, and %s has no package.json "
					     "test or lint script, Makefile check or test target, "
					     "CMakeLists.txt, go.mod, Cargo.toml or pytest configuration",
					     cfg->path ? "" : "no gth.yaml was found or ",
					     cfg->path ? cfg->path : "it", cwd);
	}
	return gates_select(l, o->gates.v, o->gates.n, err);
}

int session_run(struct test_opts *o, struct gth_event *ev)
{
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gate_list l = GATE_LIST_INIT;
	struct gate_result *results = NULL;
	struct run_config rc = { 0 };
	struct sigaction old_int, old_term;
	struct gth_buf line = GTH_BUF_INIT;
	char *config = absolute(o->common.config, o->chdir != NULL);
	char *junit_out = absolute(o->junit_out, o->chdir != NULL);
	const struct gth_node *app;
	int status = GTH_EXIT_SOFTWARE, caught = 0;
	size_t i, nfailed = 0;
	long env_jobs = 0, env_retries = -1;
	int64_t env_timeout = 0;

	if ((o->common.config && !config) || (o->junit_out && !junit_out)) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		goto fail;
	}
	if (o->timeout_ms == 0) {
		gth_error_set(&err, GTH_EXIT_USAGE, "--timeout: expected a duration like 5m");
		goto fail;
	}
	if (o->chdir && chdir(o->chdir) < 0) {
		gth_error_set(&err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
			      "unable to enter '%s': %s", o->chdir, strerror(errno));
		goto fail;
	}
	if (env_long("GTH_TEST_JOBS", 1, 1024, &env_jobs, &err) < 0 ||
	    env_long("GTH_TEST_RETRIES", 0, 100, &env_retries, &err) < 0 ||
	    env_duration("GTH_TEST_TIMEOUT", &env_timeout, &err) < 0)
		goto fail;
	if (load_gates(&l, o, config, &cfg, &err) < 0)
		goto fail;
	app = gth_node_get(cfg.root, "app");
	if (app && gth_node_str(app))
		gth_event_set_app(ev, gth_node_str(app));

	if (o->list) {
		if (o->common.json) {
			if (event_list(ev->data, &l) < 0) {
				gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
				goto fail;
			}
		} else {
			print_list(stdout, &l);
		}
		gth_event_set_summary(ev, "%zu gate%s (%s)", l.n, l.n == 1 ? "" : "s", l.origin);
		status = 0;
		goto done;
	}

	rc.jobs = o->jobs ? o->jobs : env_jobs ? env_jobs : l.defaults.jobs ? l.defaults.jobs :
		  gth_ncpu();
	rc.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : env_timeout;
	rc.default_timeout_ms = l.defaults.timeout_ms > 0 ? l.defaults.timeout_ms :
				GATE_DEFAULT_TIMEOUT_MS;
	rc.retries = o->retries >= 0 ? o->retries : env_retries;
	rc.default_retries = l.defaults.retries >= 0 ? l.defaults.retries : 0;
	rc.grace_ms = l.defaults.grace_ms;
	rc.max_output = l.defaults.max_output;
	rc.interrupted = &interrupted;
	rc.done = on_done;
	rc.retrying = on_retry;

	results = calloc(l.n ? l.n : 1, sizeof(*results));
	if (!results) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		goto fail;
	}
	gth_verbose("running %zu gate%s (%s), %ld at a time", l.n, l.n == 1 ? "" : "s",
		    l.origin, rc.jobs);
	catch_signals(&old_int, &old_term);
	caught = 1;
	if (run_gates(results, &l, &rc, &err) < 0)
		goto fail;

	for (i = 0; i < l.n; i++)
		nfailed += gate_failed(&results[i]);
	if (!gth_log_quiet()) {
		fflush(stderr);
		print_summary(stderr, results, l.n);
	}
	summary_line(&line, results, l.n);
	if (interrupted)
		status = GTH_EXIT_UNDECIDED;
	else
		status = nfailed ? GTH_EXIT_FAIL : GTH_EXIT_OK;
	if (interrupted)
		gth_errorf("interrupted: %s", gth_buf_cstr(&line));
	else if (nfailed)
		gth_errorf("%s", gth_buf_cstr(&line));
	else
		gth_note("%s", gth_buf_cstr(&line));
	gth_event_set_summary(ev, "%s", gth_buf_cstr(&line));
	if (event_gates(ev->data, results, l.n) < 0) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		goto fail;
	}
	if (junit_out && junit_write(junit_out, results, l.n, &err) < 0)
		goto fail;
	if (gha_report(results, l.n, &err) < 0)
		goto fail;
	goto done;

fail:
	status = gth_fail(&err);
	gth_event_set_summary(ev, "%s", err.msg);
done:
	if (caught) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
	results_release(results, l.n);
	free(results);
	gate_list_release(&l);
	gth_config_release(&cfg);
	gth_buf_release(&line);
	free(config);
	free(junit_out);
	return status;
}
