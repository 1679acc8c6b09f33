#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gth/proc.h"
#include "gth/util.h"

const char *gate_status_name(enum gate_status s)
{
	switch (s) {
	case GATE_PASSED:
		return "passed";
	case GATE_FAILED:
		return "failed";
	case GATE_TIMEOUT:
		return "timeout";
	case GATE_ERROR:
		return "error";
	case GATE_NOT_RUN:
		return "not-run";
	case GATE_PENDING:
		break;
	}
	return "pending";
}

int gate_failed(const struct gate_result *r)
{
	if (r->status == GATE_PASSED)
		return 0;
	if (r->status == GATE_NOT_RUN || r->status == GATE_PENDING)
		return 0;
	return !r->gate->allow_failure;
}

void results_release(struct gate_result *results, size_t n)
{
	size_t i;

	if (!results)
		return;
	for (i = 0; i < n; i++) {
		gth_buf_release(&results[i].output);
		report_release(&results[i].report);
		free(results[i].error);
	}
}

struct runner {
	const struct gate_list *l;
	const struct run_config *cfg;
	struct gate_result *res;
	struct gth_proc **procs;
	char ***envs;
};

static char **gate_env(const struct gate *g)
{
	size_t n = 0, i;
	char **env;

	while (g->env[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = g->env[i];
	env[n] = gth_strdupf("GTH_TEST_GATE=%s", g->name);
	if (!env[n]) {
		free(env);
		return NULL;
	}
	return env;
}

static void free_env(char **env, const struct gate *g)
{
	size_t n = 0;

	if (!env)
		return;
	while (g->env[n])
		n++;
	free(env[n]);
	free(env);
}

static int start(struct runner *rn, size_t i)
{
	const struct gate *g = &rn->l->v[i];
	struct gate_result *r = &rn->res[i];
	struct gth_proc_opts o = GTH_PROC_OPTS_INIT;
	struct gth_error err = GTH_ERROR_INIT;

	if (!rn->envs[i] && !(rn->envs[i] = gate_env(g))) {
		r->status = GATE_ERROR;
		r->error = strdup("out of memory");
		return -1;
	}
	o.sh = g->run;
	o.dir = g->dir;
	o.env = (const char *const *)rn->envs[i];
	o.timeout_ms = r->timeout_ms;
	o.grace_ms = rn->cfg->grace_ms;
	o.max_output = rn->cfg->max_output;
	o.err = GTH_PROC_MERGE;
	o.keep_tail = 1;
	r->attempts++;
	r->started_wall_ms = gth_wall_ms();
	if (gth_proc_start(&rn->procs[i], &o, &err) < 0) {
		r->status = GATE_ERROR;
		r->exit = -1;
		r->error = strdup(err.msg);
		return -1;
	}
	return 0;
}

static void finish(struct runner *rn, size_t i)
{
	struct gate_result *r = &rn->res[i];

	free_env(rn->envs[i], r->gate);
	rn->envs[i] = NULL;
	if (r->status != GATE_ERROR && r->status != GATE_NOT_RUN)
		collect_reports(r, rn->l->root);
	/* A runner that exits 0 with failed tests does not pass the gate. */
	if (r->status == GATE_PASSED && report_count(&r->report, CASE_FAILED) > 0)
		r->status = GATE_FAILED;
	if (rn->cfg->done)
		rn->cfg->done(r, rn->cfg->ctx);
}

/* Take what the ended child left; 1 when the gate should run again. */
static int ended(struct runner *rn, size_t i)
{
	struct gate_result *r = &rn->res[i];
	struct gth_proc_result *pr = gth_proc_result(rn->procs[i]);
	long retries = rn->cfg->retries >= 0 ? rn->cfg->retries :
		       r->gate->retries >= 0 ? r->gate->retries : rn->cfg->default_retries;
	int interrupted = rn->cfg->interrupted && *rn->cfg->interrupted;

	gth_buf_release(&r->output);
	r->output = pr->out;
	memset(&pr->out, 0, sizeof(pr->out));
	r->dropped = pr->out_dropped;
	r->gap = pr->out_gap;
	r->exit = pr->status;
	r->duration_ms = pr->duration_ms;
	if (pr->killed)
		r->status = GATE_NOT_RUN;
	else if (pr->timed_out)
		r->status = GATE_TIMEOUT;
	else if (pr->exited && pr->status == 0)
		r->status = GATE_PASSED;
	else
		r->status = GATE_FAILED;
	gth_proc_free(rn->procs[i]);
	rn->procs[i] = NULL;
	if ((r->status == GATE_FAILED || r->status == GATE_TIMEOUT) && !interrupted &&
	    r->attempts <= retries) {
		if (rn->cfg->retrying)
			rn->cfg->retrying(r, r->attempts + 1, (int)retries + 1, rn->cfg->ctx);
		return 1;
	}
	return 0;
}

int run_gates(struct gate_result *results, const struct gate_list *l,
	      const struct run_config *cfg, struct gth_error *err)
{
	struct runner rn;
	size_t n = l->n, next = 0, running = 0, i;
	long jobs = cfg->jobs > 0 ? cfg->jobs : 1;
	int rc = -1, stopping = 0;

	memset(&rn, 0, sizeof(rn));
	rn.l = l;
	rn.cfg = cfg;
	rn.res = results;
	memset(results, 0, n * sizeof(*results));
	for (i = 0; i < n; i++) {
		const struct gate *g = &l->v[i];
		results[i].gate = g;
		results[i].exit = -1;
		results[i].timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms :
					g->timeout_ms > 0 ? g->timeout_ms :
					cfg->default_timeout_ms;
	}
	rn.procs = calloc(n ? n : 1, sizeof(*rn.procs));
	rn.envs = calloc(n ? n : 1, sizeof(*rn.envs));
	if (!rn.procs || !rn.envs) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	while (next < n || running > 0) {
		if (cfg->interrupted && *cfg->interrupted && !stopping) {
			stopping = 1;
			for (i = 0; i < n; i++)
				gth_proc_kill(rn.procs[i]);
			for (; next < n; next++) {
				results[next].status = GATE_NOT_RUN;
				finish(&rn, next);
			}
		}
		while (!stopping && running < (size_t)jobs && next < n) {
			if (start(&rn, next) < 0)
				finish(&rn, next);
			else
				running++;
			next++;
		}
		if (running == 0)
			continue;
		if (gth_proc_poll(rn.procs, n, -1, err) < 0)
			goto done;
		for (i = 0; i < n; i++) {
			if (!rn.procs[i] || !gth_proc_done(rn.procs[i]))
				continue;
			if (ended(&rn, i)) {
				if (start(&rn, i) == 0)
					continue;
			}
			running--;
			finish(&rn, i);
		}
	}
	rc = 0;
done:
	for (i = 0; rn.procs && i < n; i++)
		gth_proc_free(rn.procs[i]);
	for (i = 0; rn.envs && i < n; i++)
		free_env(rn.envs[i], &l->v[i]);
	free(rn.procs);
	free(rn.envs);
	return rc;
}
