/* gth-bump: point a GitOps repository's manifests at a new image. Options, one
 * call, the event and the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bump.h"
#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/gha.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"

#define TOOL "gth-bump"

static const char synopsis[] =
	"gth-bump (--image REF | --from EVENT) [--repo URL|DIR] [--branch B] [--path DIR]...\n"
	"[--container NAME] [--message TEMPLATE] [--push-branch B] [--pr]\n"
	"[--dry-run] [--no-push] [--retries N] [--author \"Name <email>\"]";

/* gth.yaml's bump section: defaults for the flags of the same names. */
static int read_config(struct bump_opts *o, const struct gth_config *cfg, struct gth_error *err)
{
	static const char *const known[] = { "repo", "branch", "path", "container", "message",
					     "push-branch", "author", "retries", NULL };
	const struct gth_node *sec = NULL, *paths;
	long retries;
	int r;
	size_t i;

	if (!o->config_app)
		o->config_app = gth_config_app(cfg);
	if (gth_config_section(&sec, cfg, "bump", err) < 0)
		return -1;
	if (!sec)
		return 0;
	if (gth_node_check_keys(sec, known, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if ((!o->repo && gth_node_get_str(sec, "repo", &o->repo, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->branch && gth_node_get_str(sec, "branch", &o->branch, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->container &&
	     gth_node_get_str(sec, "container", &o->container, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->message && gth_node_get_str(sec, "message", &o->message, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->push_branch &&
	     gth_node_get_str(sec, "push-branch", &o->push_branch, GTH_EXIT_CONFIG, err) < 0) ||
	    (!o->author && gth_node_get_str(sec, "author", &o->author, GTH_EXIT_CONFIG, err) < 0))
		return -1;
	if (o->retries < 0) {
		r = gth_node_get_long(sec, "retries", 0, 100, &retries, GTH_EXIT_CONFIG, err);
		if (r < 0)
			return -1;
		if (r)
			o->retries = retries;
	}
	paths = gth_node_get(sec, "path");
	if (paths && !o->paths.n) {
		if (paths->kind == GTH_NODE_SCALAR) {
			if (gth_strlist_add(&o->paths, paths->value) < 0)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		} else if (paths->kind == GTH_NODE_SEQ) {
			for (i = 0; i < paths->n; i++) {
				const char *p = gth_node_str(paths->items[i]);
				if (!p)
					return gth_node_error(err, GTH_EXIT_CONFIG, paths->items[i],
							      "expected a path");
				if (gth_strlist_add(&o->paths, p) < 0)
					return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			}
		} else {
			return gth_node_error(err, GTH_EXIT_CONFIG, paths, "expected a path or a list");
		}
	}
	return 0;
}

static void fill_event(struct gth_event *ev, const struct bump_image *img,
		       const struct bump_result *res, const struct bump_opts *o)
{
	cJSON *d = ev->data, *changes, *im;
	size_t i;

	if (!d)
		return;
	if (res->commit[0])
		cJSON_AddStringToObject(d, "commit", res->commit);
	else
		cJSON_AddNullToObject(d, "commit");
	if (res->branch)
		cJSON_AddStringToObject(d, "branch", res->branch);
	cJSON_AddBoolToObject(d, "pushed", res->pushed);
	cJSON_AddNumberToObject(d, "attempts", res->attempts);
	cJSON_AddBoolToObject(d, "dry_run", o->dry_run);
	im = cJSON_AddObjectToObject(d, "image");
	if (im) {
		cJSON_AddStringToObject(im, "ref", img->ref);
		cJSON_AddStringToObject(im, "name", img->name);
		if (img->tag)
			cJSON_AddStringToObject(im, "tag", img->tag);
		if (img->digest)
			cJSON_AddStringToObject(im, "digest", img->digest);
	}
	changes = cJSON_AddArrayToObject(d, "changes");
	for (i = 0; changes && i < res->changes.n; i++) {
		const struct bump_change *c = &res->changes.v[i];
		cJSON *o2 = cJSON_CreateObject();
		if (!o2)
			break;
		cJSON_AddStringToObject(o2, "file", c->file);
		cJSON_AddNumberToObject(o2, "line", c->line);
		cJSON_AddStringToObject(o2, "old", c->old);
		cJSON_AddStringToObject(o2, "new", c->new_value);
		cJSON_AddItemToArray(changes, o2);
	}
	if (o->dry_run)
		cJSON_AddStringToObject(d, "diff", gth_buf_cstr(&res->diff));
	if (res->pr_number) {
		cJSON *pr = cJSON_AddObjectToObject(d, "pr");
		if (pr) {
			cJSON_AddNumberToObject(pr, "number", (double)res->pr_number);
			if (res->pr_url)
				cJSON_AddStringToObject(pr, "url", res->pr_url);
		}
	}
}

static void report(const struct bump_image *img, const struct bump_result *res,
		   const struct bump_opts *o)
{
	size_t i;

	for (i = 0; i < res->changes.n; i++)
		gth_note("%s:%d: %s -> %s", res->changes.v[i].file, res->changes.v[i].line,
			 *res->changes.v[i].old ? res->changes.v[i].old : "(added)",
			 res->changes.v[i].new_value);
	if (res->changes.n == 0)
		gth_note("nothing refers to an older version of %s: no commit", img->name);
	else if (o->dry_run)
		gth_note("dry run: %zu change%s, nothing committed", res->changes.n,
			 res->changes.n == 1 ? "" : "s");
	else if (res->pushed)
		gth_note("pushed %.12s to %s (%d attempt%s)", res->commit, res->branch, res->attempts,
			 res->attempts == 1 ? "" : "s");
	else
		gth_note("committed %.12s on %s, not pushed", res->commit, res->branch);
	if (res->pr_url)
		gth_note("pull request #%ld: %s", res->pr_number, res->pr_url);
}

int main(int argc, char **argv)
{
	struct bump_opts o;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	struct bump_image img = BUMP_IMAGE_INIT;
	struct bump_result res = BUMP_RESULT_INIT;
	int rc = GTH_EXIT_SOFTWARE;

	memset(&o, 0, sizeof(o));
	o.retries = -1;
	{
		const struct gth_opt table[] = {
			{ GTH_OPT_STR, 0, "image", &o.image, "REF", "the new image, name:tag[@digest]", 0, 0 },
			{ GTH_OPT_STR, 0, "from", &o.from, "EVENT",
			  "read the image from a gth-build event file ('-' for stdin)", 0, 0 },
			{ GTH_OPT_STR, 0, "repo", &o.repo, "URL|DIR",
			  "the GitOps repository (default: the current work tree)", 0, 0 },
			{ GTH_OPT_STR, 0, "branch", &o.branch, "B", "the branch to update", 0, 0 },
			{ GTH_OPT_LIST, 0, "path", &o.paths, "DIR", "only YAML under DIR (repeatable)", 0, 0 },
			{ GTH_OPT_STR, 0, "container", &o.container, "NAME",
			  "only containers named NAME", 0, 0 },
			{ GTH_OPT_STR, 0, "message", &o.message, "TEMPLATE",
			  "commit message ({{app}} {{image}} {{old}} {{new}} {{source_sha}})", 0, 0 },
			{ GTH_OPT_STR, 0, "push-branch", &o.push_branch, "B",
			  "push the commit to branch B instead", 0, 0 },
			{ GTH_OPT_FLAG, 0, "pr", &o.pr, NULL,
			  "push a branch and open a GitHub pull request", 0, 0 },
			{ GTH_OPT_FLAG, 0, "dry-run", &o.dry_run, NULL,
			  "print a unified diff, commit nothing", 0, 0 },
			{ GTH_OPT_FLAG, 0, "no-push", &o.no_push, NULL, "commit but do not push", 0, 0 },
			{ GTH_OPT_INT, 0, "retries", &o.retries, "N",
			  "lost push races to retry (default 10)", 0, 100 },
			{ GTH_OPT_STR, 0, "author", &o.author, "\"Name <email>\"",
			  "commit author (default: git config)", 0, 0 },
			{ GTH_OPT_STR, 0, "app", &o.app, "NAME",
			  "the application's name (default: the event's, else the image's)", 0, 0 },
			{ GTH_OPT_STR, 0, "source-sha", &o.source_sha, "SHA",
			  "the source commit (default: the event's, else $GITHUB_SHA)", 0, 0 },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};

		gth_log_init(TOOL);
		if (gth_opts_parse(table, argc, argv, &operands, &err) < 0) {
			rc = gth_fail(&err);
			fprintf(stderr, "usage: %s\n", "gth-bump (--image REF | --from EVENT) [options]");
			goto done;
		}
		if (o.common.help) {
			gth_opts_usage(stdout, synopsis, table);
			rc = 0;
			goto done;
		}
		if (o.common.version) {
			gth_print_version(TOOL);
			rc = 0;
			goto done;
		}
	}
	gth_log_set_quiet(o.common.quiet);
	gth_log_set_verbose(o.common.verbose);
	if (gth_event_begin(&ev, TOOL) < 0) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		rc = gth_fail(&err);
		goto done;
	}
	if (operands.n) {
		gth_error_set(&err, GTH_EXIT_USAGE, "unexpected argument '%s'", operands.v[0]);
		goto fail;
	}
	if (!o.image && !o.from) {
		gth_error_set(&err, GTH_EXIT_USAGE, "name the image with --image REF or --from EVENT");
		goto fail;
	}
	if (o.dry_run && o.no_push)
		o.no_push = 0;
	if (gth_config_load(&cfg, o.common.config, &err) < 0 || read_config(&o, &cfg, &err) < 0)
		goto fail;
	if (bump_image_resolve(&img, &o, &err) < 0)
		goto fail;
	gth_event_set_app(&ev, img.app);
	if (bump_run(&res, &o, &img, &err) < 0)
		goto fail;
	fill_event(&ev, &img, &res, &o);
	if (res.changes.n == 0)
		gth_event_set_summary(&ev, "%s already at %s", img.name, img.tag ? img.tag : img.digest);
	else
		gth_event_set_summary(&ev, "%s %s to %s in %zu place%s%s%s", o.dry_run ? "would bump" :
				      "bumped", img.name, img.tag ? img.tag : img.digest,
				      res.changes.n, res.changes.n == 1 ? "" : "s",
				      res.commit[0] ? ", commit " : "", res.commit);
	report(&img, &res, &o);
	if (gth_gha_enabled()) {
		gth_gha_output("commit", res.commit, NULL);
		gth_gha_output("changed", res.changes.n ? "true" : "false", NULL);
		if (res.pr_url)
			gth_gha_output("pr-url", res.pr_url, NULL);
	}
	rc = GTH_EXIT_OK;
	if (o.dry_run && !o.common.json)
		fputs(gth_buf_cstr(&res.diff), stdout);
	goto finish;
fail:
	rc = gth_fail(&err);
	gth_event_set_summary(&ev, "%s", err.msg);
finish:
	rc = gth_event_end(&ev, o.common.json, rc);
done:
	bump_result_release(&res);
	bump_image_release(&img);
	gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&operands);
	gth_strlist_release(&o.paths);
	return rc;
}
