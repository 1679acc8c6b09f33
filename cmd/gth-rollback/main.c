/* gth-rollback: back to stable. Options, one call per verb, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"
#include "rollback.h"

#define TOOL "gth-rollback"

static const char synopsis[] =
	"gth-rollback abort ROLLOUT [-n NS] [--wait] [--timeout DUR]\n"
	"gth-rollback undo ROLLOUT [-n NS] [--to-revision N]\n"
	"gth-rollback revert [--repo URL|DIR] [--commit SHA | --last] [--path DIR]... [--branch B]\n"
	"gth-rollback ROLLOUT --gitops [--repo URL|DIR] [--app ARGOCD_APP] [-n NS]";

static const char commands[] =
	"commands:\n"
	"  abort   abort a Rollout: the stable version takes all the traffic\n"
	"  undo    roll a Rollout's pod template back to an earlier revision\n"
	"  revert  revert the last gth-bump commit in the GitOps repository\n"
	"\n";

enum verb { V_ABORT, V_UNDO, V_REVERT, V_GITOPS };

struct verb_def {
	const char *name;
	enum verb verb;
	const char *synopsis;
	size_t operands;
};

static const struct verb_def verbs[] = {
	{ "abort", V_ABORT, "gth-rollback abort ROLLOUT [-n NS] [--wait] [--timeout DUR]", 1 },
	{ "undo", V_UNDO, "gth-rollback undo ROLLOUT [-n NS] [--to-revision N]", 1 },
	{ "revert", V_REVERT, "gth-rollback revert [--repo URL|DIR] [--commit SHA | --last] [--path DIR]... [--branch B]", 0 },
	{ "ROLLOUT", V_GITOPS, "gth-rollback ROLLOUT --gitops [--repo URL|DIR] [--app ARGOCD_APP] [-n NS]", 1 },
};

struct opts {
	struct gth_common_opts common;
	const char *ns, *kubeconfig, *context;
	int wait, gitops, last, no_push, dry_run;
	int64_t timeout_ms;
	long to_revision, retries;
	const char *repo, *commit, *branch, *service, *author, *app, *app_ns;
	struct gth_strlist paths;
};

static void print_main_usage(FILE *out)
{
	struct gth_common_opts c = GTH_COMMON_OPTS_INIT;
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&c), GTH_OPTS_END };

	gth_opts_usage(out, synopsis, common);
	fputs("\n", out);
	fputs(commands, out);
	fputs("Run 'gth-rollback VERB --help' for a verb's options, and\n"
	      "'gth-rollback ROLLOUT --gitops --help' for the GitOps rollback's.\n", out);
}

/* The verb's option table. */
static const struct gth_opt *verb_table(const struct verb_def *vd, struct opts *o)
{
	static struct gth_opt table[40];
	size_t n = 0, i;
	const struct gth_opt kube[] = {
		{ GTH_OPT_STR, 'n', "namespace", &o->ns, "NS", "the Rollout's namespace (default: the context's)", 0, 0 },
		{ GTH_OPT_STR, 0, "kubeconfig", &o->kubeconfig, "FILE", "kubeconfig file (default $KUBECONFIG, ~/.kube/config, in-cluster)", 0, 0 },
		{ GTH_OPT_STR, 0, "context", &o->context, "NAME", "kubeconfig context (default current-context)", 0, 0 },
	};
	const struct gth_opt abort_o[] = {
		{ GTH_OPT_FLAG, 0, "wait", &o->wait, NULL, "wait until the stable version has all the traffic", 0, 0 },
		{ GTH_OPT_DURATION, 0, "timeout", &o->timeout_ms, "DUR", "give up waiting after DUR with status 2 (default 5m)", 0, 0 },
	};
	const struct gth_opt undo_o[] = {
		{ GTH_OPT_INT, 0, "to-revision", &o->to_revision, "N", "go back to revision N (default: the previous one)", 1, 1L << 30 },
	};
	const struct gth_opt git_o[] = {
		{ GTH_OPT_STR, 0, "repo", &o->repo, "URL|DIR", "the GitOps repository (default: the current directory's)", 0, 0 },
		{ GTH_OPT_STR, 0, "branch", &o->branch, "B", "the branch Argo CD follows (default: the repository's)", 0, 0 },
		{ GTH_OPT_LIST, 0, "path", &o->paths, "DIR", "revert only files under DIR", 0, 0 },
		{ GTH_OPT_STR, 0, "service", &o->service, "NAME", "the app whose gth-bump commit to revert (its Gth-App trailer)", 0, 0 },
		{ GTH_OPT_STR, 0, "author", &o->author, "\"NAME <EMAIL>\"", "the revert commit's author", 0, 0 },
		{ GTH_OPT_INT, 0, "retries", &o->retries, "N", "lost push races retried (default 10)", 1, 1000 },
		{ GTH_OPT_FLAG, 0, "no-push", &o->no_push, NULL, "commit without pushing", 0, 0 },
	};
	const struct gth_opt revert_o[] = {
		{ GTH_OPT_STR, 0, "commit", &o->commit, "SHA", "revert this commit", 0, 0 },
		{ GTH_OPT_FLAG, 0, "last", &o->last, NULL, "revert the newest gth-bump commit (the default)", 0, 0 },
		{ GTH_OPT_FLAG, 0, "dry-run", &o->dry_run, NULL, "print the diff, commit nothing", 0, 0 },
	};
	const struct gth_opt gitops_o[] = {
		{ GTH_OPT_FLAG, 0, "gitops", &o->gitops, NULL, "abort, then revert the deploy commit in git", 0, 0 },
		{ GTH_OPT_STR, 0, "app", &o->app, "ARGOCD_APP", "then wait until this Argo CD Application has synced the revert", 0, 0 },
		{ GTH_OPT_STR, 0, "app-namespace", &o->app_ns, "NS", "the Application's namespace (default argocd)", 0, 0 },
		{ GTH_OPT_DURATION, 0, "timeout", &o->timeout_ms, "DUR", "give up waiting for Argo CD after DUR with status 2 (default 10m)", 0, 0 },
	};
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&o->common), GTH_OPTS_END };

#define ADD(arr) for (i = 0; i < GTH_ARRAY_SIZE(arr); i++) table[n++] = (arr)[i]
	switch (vd->verb) {
	case V_ABORT: ADD(kube); ADD(abort_o); break;
	case V_UNDO: ADD(kube); ADD(undo_o); break;
	case V_REVERT: ADD(git_o); ADD(revert_o); break;
	case V_GITOPS: ADD(gitops_o); ADD(kube); ADD(git_o); break;
	}
	ADD(common);
#undef ADD
	return table;
}

/* gth.yaml's rollback section: defaults under the flags. */
static int apply_config(struct opts *o, struct gth_config *cfg, struct gth_error *err)
{
	static const char *const known[] = { "namespace", "context", "kubeconfig", "repo", "branch",
					     "service", "app", "app-namespace", "author", NULL };
	const struct gth_node *sec = NULL;

	if (gth_config_load(cfg, o->common.config, err) < 0 ||
	    gth_config_section(&sec, cfg, "rollback", err) < 0)
		return -1;
	if (!sec)
		return 0;
	if (gth_node_check_keys(sec, known, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if ((!o->ns && gth_node_get_str(sec, "namespace", &o->ns, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->context && gth_node_get_str(sec, "context", &o->context, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->kubeconfig && gth_node_get_str(sec, "kubeconfig", &o->kubeconfig, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->repo && gth_node_get_str(sec, "repo", &o->repo, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->branch && gth_node_get_str(sec, "branch", &o->branch, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->service && gth_node_get_str(sec, "service", &o->service, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->app && gth_node_get_str(sec, "app", &o->app, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->app_ns && gth_node_get_str(sec, "app-namespace", &o->app_ns, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->author && gth_node_get_str(sec, "author", &o->author, GTH_EXIT_CONFIG, err) < 0))
		return -1;
	return 0;
}

static void fill_revert(struct rb_revert *ro, const struct opts *o)
{
	memset(ro, 0, sizeof(*ro));
	ro->repo = o->repo;
	ro->branch = o->branch;
	ro->commit = o->commit;
	ro->service = o->service;
	ro->paths = &o->paths;
	ro->author = o->author;
	ro->retries = o->retries;
	ro->no_push = o->no_push;
	ro->dry_run = o->dry_run;
}

/* abort, then revert, then (with --app) wait for Argo CD; each step recorded in
 * data.steps. */
static int gitops(const struct opts *o, const struct rb_kube *k, const char *name, cJSON *data,
		  struct gth_error *err)
{
	cJSON *steps = cJSON_AddArrayToObject(data, "steps"), *d;
	struct rb_revert ro;
	const char *commit;
	int rc;

	d = cJSON_CreateObject();
	cJSON_AddItemToArray(steps, d);
	cJSON_AddStringToObject(d, "step", "abort");
	rc = rb_abort(k, name, d, err);
	cJSON_AddNumberToObject(d, "exit", rc);
	if (rc)
		return rc;
	fill_revert(&ro, o);
	if (!ro.service)
		ro.service = name;
	d = cJSON_CreateObject();
	cJSON_AddItemToArray(steps, d);
	cJSON_AddStringToObject(d, "step", "revert");
	rc = rb_revert(&ro, d, err);
	cJSON_AddNumberToObject(d, "exit", rc);
	if (rc)
		return rc;
	commit = gth_json_str(gth_json_obj(d, "revert"), "commit");
	if (o->app && commit) {
		d = cJSON_CreateObject();
		cJSON_AddItemToArray(steps, d);
		cJSON_AddStringToObject(d, "step", "sync");
		rc = rb_wait_app(k, o->app, o->app_ns, commit, d, err);
		cJSON_AddNumberToObject(d, "exit", rc);
		if (rc)
			return rc;
	}
	cJSON_AddStringToObject(data, "summary",
				commit ? "aborted, and the deploy commit reverted in git"
				       : "aborted; git had nothing left to revert");
	return 0;
}

static int run_verb(const struct verb_def *vd, int argc, char **argv)
{
	struct opts o;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	const struct gth_opt *table = NULL;
	struct rb_kube k;
	int rc = GTH_EXIT_SOFTWARE, begun = 0;
	const cJSON *s;

	memset(&o, 0, sizeof(o));
	memset(&k, 0, sizeof(k));
	table = verb_table(vd, &o);
	if ((rc = gth_opts_verb(&operands, table, &o.common, TOOL, vd->synopsis, argc, argv)) >= 0)
		goto done;
	if (vd->verb == V_GITOPS && !o.gitops) {
		gth_errorf("unknown command '%s' (a Rollout name needs --gitops)", operands.n ? operands.v[0] : "");
		print_main_usage(stderr);
		rc = GTH_EXIT_USAGE;
		goto done;
	}
	if (operands.n != vd->operands) {
		gth_errorf("%s takes %s", vd->name, vd->operands ? "one ROLLOUT" : "no operands");
		fprintf(stderr, "usage: %s\n", vd->synopsis);
		rc = GTH_EXIT_USAGE;
		goto done;
	}
	if (o.commit && o.last) {
		gth_errorf("--commit and --last exclude each other");
		rc = GTH_EXIT_USAGE;
		goto done;
	}
	if (apply_config(&o, &cfg, &err) < 0) {
		rc = gth_fail(&err);
		goto done;
	}
	if (gth_http_global_init(&err) < 0) {
		rc = gth_fail(&err);
		goto done;
	}
	if (gth_event_begin(&ev, TOOL) < 0) {
		gth_errorf("out of memory");
		goto done;
	}
	begun = 1;
	k.ko.kubeconfig = o.kubeconfig;
	k.ko.context = o.context;
	k.ko.ns = o.ns;
	k.wait = o.wait;
	k.timeout_ms = o.timeout_ms;
	k.to_revision = o.to_revision;
	switch (vd->verb) {
	case V_ABORT:
		gth_event_set_app(&ev, operands.v[0]);
		rc = rb_abort(&k, operands.v[0], ev.data, &err);
		break;
	case V_UNDO:
		gth_event_set_app(&ev, operands.v[0]);
		rc = rb_undo(&k, operands.v[0], ev.data, &err);
		break;
	case V_REVERT: {
		struct rb_revert ro;

		fill_revert(&ro, &o);
		if (o.service)
			gth_event_set_app(&ev, o.service);
		rc = rb_revert(&ro, ev.data, &err);
		if (rc == 0 && o.dry_run && !o.common.json &&
		    (s = gth_json_path(ev.data, "revert.diff")) && s->valuestring)
			fputs(s->valuestring, stdout);
		break;
	}
	case V_GITOPS:
		gth_event_set_app(&ev, operands.v[0]);
		k.wait = 0;
		rc = gitops(&o, &k, operands.v[0], ev.data, &err);
		break;
	}
	if (rc != 0 && err.exit == 0)
		err.exit = rc;
	if (rc != 0) {
		if (rc == GTH_EXIT_UNDECIDED)
			gth_note("%s", err.msg);
		else
			gth_fail(&err);
	}
	s = cJSON_GetObjectItemCaseSensitive(ev.data, "summary");
	gth_event_set_summary(&ev, "%s", rc == 0 ? (cJSON_IsString(s) ? s->valuestring : "ok") : err.msg);
	cJSON_DeleteItemFromObjectCaseSensitive(ev.data, "summary");
done:
	rc = gth_event_end(begun ? &ev : NULL, o.common.json, rc);
	if (begun)
		gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&operands);
	gth_strlist_release(&o.paths);
	gth_http_global_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	size_t i;

	gth_log_init(TOOL);
	if (argc < 2) {
		print_main_usage(stderr);
		return GTH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		gth_print_version(TOOL);
		return 0;
	}
	for (i = 0; i < GTH_ARRAY_SIZE(verbs) - 1; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return run_verb(&verbs[i], argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		gth_errorf("unknown option '%s'", argv[1]);
		print_main_usage(stderr);
		return GTH_EXIT_USAGE;
	}
	/* gth-rollback ROLLOUT --gitops ...: the operand stays in argv. */
	return run_verb(&verbs[GTH_ARRAY_SIZE(verbs) - 1], argc, argv);
}
