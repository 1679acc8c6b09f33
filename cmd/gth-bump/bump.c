#include "bump.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gth/event.h"
#include "gth/fs.h"
#include "gth/git.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"
#include "imgref.h"

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

void bump_image_release(struct bump_image *img)
{
	if (!img)
		return;
	free(img->ref);
	free(img->name);
	free(img->tag);
	free(img->digest);
	free(img->app);
	free(img->source_sha);
	memset(img, 0, sizeof(*img));
}

/* The gth-build event's image: the last event carrying data.image. */
static int image_from_event(struct bump_image *img, struct gth_buf *ref, const char *path,
			    char **app, char **sha, struct gth_error *err)
{
	cJSON *events = NULL, *ev, *found = NULL;
	const cJSON *im, *tags, *t;
	const char *name, *digest, *tag = NULL;
	int rc = -1;

	(void)img;
	if (gth_event_read(&events, path, err) < 0)
		return -1;
	cJSON_ArrayForEach(ev, events)
		if (gth_json_obj(gth_json_obj(ev, "data"), "image"))
			found = ev;
	if (!found) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: no event with data.image (a gth-build "
			      "event) in it", path);
		goto done;
	}
	im = gth_json_obj(gth_json_obj(found, "data"), "image");
	name = gth_json_str(im, "name");
	digest = gth_json_str(im, "digest");
	tags = gth_json_arr(im, "tags");
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t))
			continue;
		if (!tag || strcmp(tag, "latest") == 0)
			tag = t->valuestring;
	}
	if (!name || !*name) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: data.image.name is missing", path);
		goto done;
	}
	if (!tag && !digest) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: data.image has neither tags nor a digest",
			      path);
		goto done;
	}
	if (gth_buf_puts(ref, name) < 0 || (tag && gth_buf_printf(ref, ":%s", tag) < 0) ||
	    (digest && *digest && gth_buf_printf(ref, "@%s", digest) < 0))
		goto oom;
	if (gth_json_str(found, "app") && !(*app = strdup(gth_json_str(found, "app"))))
		goto oom;
	if (gth_json_str(gth_json_obj(found, "git"), "sha") &&
	    !(*sha = strdup(gth_json_str(gth_json_obj(found, "git"), "sha"))))
		goto oom;
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	cJSON_Delete(events);
	return rc;
}

int bump_image_resolve(struct bump_image *img, const struct bump_opts *o, struct gth_error *err)
{
	struct gth_buf ref = GTH_BUF_INIT;
	struct bump_ref r = BUMP_REF_INIT;
	char *ev_app = NULL, *ev_sha = NULL;
	int rc = -1;

	if (o->from && image_from_event(img, &ref, o->from, &ev_app, &ev_sha, err) < 0)
		goto done;
	if (o->image) {
		gth_buf_clear(&ref);
		if (gth_buf_puts(&ref, o->image) < 0)
			goto oom;
	}
	if (bump_ref_parse(&r, gth_buf_cstr(&ref), err) < 0)
		goto done;
	if (!r.tag && !r.digest) {
		gth_error_set(err, GTH_EXIT_DATAERR, "image '%s' names no tag or digest to bump to",
			      gth_buf_cstr(&ref));
		goto done;
	}
	img->ref = gth_buf_detach(&ref);
	img->name = r.name;
	img->tag = r.tag;
	img->digest = r.digest;
	memset(&r, 0, sizeof(r));
	if (o->app)
		img->app = strdup(o->app);
	else if (ev_app)
		img->app = strdup(ev_app);
	else if (o->config_app)
		img->app = strdup(o->config_app);
	else
		img->app = strdup(strrchr(img->name, '/') + 1);
	if (o->source_sha)
		img->source_sha = strdup(o->source_sha);
	else if (ev_sha)
		img->source_sha = strdup(ev_sha);
	else if (getenv("GITHUB_SHA") && *getenv("GITHUB_SHA"))
		img->source_sha = strdup(getenv("GITHUB_SHA"));
	if (!img->ref || !img->app)
		goto oom;
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	if (rc < 0)
		bump_image_release(img);
	bump_ref_release(&r);
	gth_buf_release(&ref);
	free(ev_app);
	free(ev_sha);
	return rc;
}

int bump_render_message(struct gth_buf *out, const char *tmpl, const struct bump_image *img,
			const char *old_version)
{
	const char *s = tmpl;
	const char *newv = img->tag ? img->tag : img->digest;

	gth_buf_clear(out);
	while (*s) {
		static const char *const keys[] = { "app", "image", "old", "new", "source_sha" };
		const char *vals[5];
		size_t k;
		int hit = 0;
		vals[0] = img->app;
		vals[1] = img->ref;
		vals[2] = old_version ? old_version : "";
		vals[3] = newv;
		vals[4] = img->source_sha ? img->source_sha : "";
		if (s[0] == '{' && s[1] == '{') {
			for (k = 0; k < GTH_ARRAY_SIZE(keys); k++) {
				size_t kl = strlen(keys[k]);
				const char *p = s + 2;
				while (*p == ' ')
					p++;
				if (strncmp(p, keys[k], kl) != 0)
					continue;
				p += kl;
				while (*p == ' ')
					p++;
				if (p[0] == '}' && p[1] == '}') {
					if (gth_buf_puts(out, vals[k]) < 0)
						return -1;
					s = p + 2;
					hit = 1;
					break;
				}
			}
		}
		if (!hit && gth_buf_putc(out, *s++) < 0)
			return -1;
	}
	if (gth_buf_puts(out, "") < 0)
		return -1;
	return 0;
}

struct edit_ctx {
	const struct bump_opts *o;
	const struct bump_image *img;
	struct bump_target target;
	const char *const *paths;
	size_t npaths;
	struct bump_changes changes;
	struct gth_git_changes *gc;
	struct gth_buf out;
};

static int file_cb(void *ctx, const char *path, const char *data, size_t len,
		   struct gth_error *err)
{
	struct edit_ctx *e = ctx;
	size_t i;
	int r;

	if (!gth_ends_with(path, ".yaml") && !gth_ends_with(path, ".yml"))
		return 0;
	for (i = 0; i < e->gc->n; i++)
		if (strcmp(e->gc->v[i].path, path) == 0)
			return 0;
	if (!bump_text_may_match(&e->target, data, len))
		return 0;
	r = bump_text(&e->out, &e->changes, &e->target, path, data, len, err);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	if (gth_git_changes_put(e->gc, path, e->out.ptr, e->out.len, data, len) < 0)
		return oom(err);
	return 0;
}

static int edit_cb(void *ctx, const struct gth_git_tree *tip, struct gth_git_changes *changes,
		   struct gth_error *err)
{
	struct edit_ctx *e = ctx;
	struct gth_buf msg = GTH_BUF_INIT;
	size_t i;
	int rc = -1;

	bump_changes_clear(&e->changes);
	e->gc = changes;
	for (i = 0; i < e->npaths; i++)
		if (gth_git_tree_foreach(tip, e->paths[i], file_cb, e, err) < 0)
			goto done;
	if (e->changes.n) {
		const char *tmpl = e->o->message ? e->o->message : "Bump {{app}} to {{new}}";
		if (bump_render_message(&msg, tmpl, e->img, e->changes.v[0].old_version) < 0 ||
		    gth_git_changes_set_message(changes, gth_buf_cstr(&msg)) < 0) {
			oom(err);
			goto done;
		}
	}
	rc = 0;
done:
	gth_buf_release(&msg);
	return rc;
}

/* --path as given: relative to the current folder when that lies in the work
 * tree, else to the repository's root. */
static char *repo_path(const char *workdir, const char *p)
{
	char real[PATH_MAX];
	size_t wl = strlen(workdir);

	if (*workdir && realpath(p, real) && strncmp(real, workdir, wl - 1) == 0 &&
	    (real[wl - 1] == '/' || real[wl - 1] == '\0'))
		return strdup(real[wl - 1] == '\0' ? "" : real + wl);
	return strdup(p);
}

static int open_repo(struct gth_git **g, const char *repo, struct gth_error *err)
{
	if (!repo)
		return gth_git_open(g, ".", 0, err);
	if (gth_git_is_url(repo))
		return gth_git_open_remote(g, repo, err);
	{
		struct gth_buf b = GTH_BUF_INIT;
		int bare;
		if (gth_path_join(&b, repo, "HEAD") < 0)
			return oom(err);
		bare = gth_file_exists(gth_buf_cstr(&b));
		gth_buf_clear(&b);
		gth_path_join(&b, repo, "objects");
		bare = bare && gth_is_dir(gth_buf_cstr(&b));
		gth_buf_release(&b);
		if (bare) {
			char real[PATH_MAX];
			if (!realpath(repo, real))
				return gth_error_set(err, GTH_EXIT_NOINPUT, "cannot resolve '%s'", repo);
			return gth_git_open_remote(g, real, err);
		}
	}
	if (!gth_is_dir(repo))
		return gth_error_set(err, GTH_EXIT_NOINPUT, "no such folder or remote '%s'", repo);
	return gth_git_open(g, repo, 1, err);
}

static char *pr_branch_name(const struct bump_image *img)
{
	char *s = gth_strdupf("gth/bump-%s-%s", img->app, img->tag ? img->tag : img->digest + 7);
	char *p;

	if (!s)
		return NULL;
	for (p = s + 4; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	if (strlen(s) > 80)
		s[80] = '\0';
	return s;
}

int bump_run(struct bump_result *res, const struct bump_opts *o, const struct bump_image *img,
	     struct gth_error *err)
{
	struct gth_git *g = NULL;
	struct gth_git_update_opts uo = GTH_GIT_UPDATE_OPTS_INIT;
	struct gth_git_update_result ur = GTH_GIT_UPDATE_RESULT_INIT;
	struct edit_ctx e;
	struct gth_buf trailers = GTH_BUF_INIT;
	char **paths = NULL;
	char *pr_branch = NULL, *owner_repo = NULL;
	size_t i, np = o->paths.n ? o->paths.n : 1;
	int rc = -1, inited = 0;

	memset(&e, 0, sizeof(e));
	if (o->pr && !getenv("GITHUB_TOKEN"))
		return gth_error_set(err, GTH_EXIT_CONFIG, "--pr needs GITHUB_TOKEN");
	if (gth_git_init(err) < 0)
		return -1;
	inited = 1;
	if (open_repo(&g, o->repo, err) < 0)
		goto done;
	paths = calloc(np, sizeof(*paths));
	if (!paths)
		goto oom;
	for (i = 0; i < np; i++) {
		paths[i] = o->paths.n ? repo_path(gth_git_workdir(g), o->paths.v[i]) : strdup("");
		if (!paths[i])
			goto oom;
	}
	e.o = o;
	e.img = img;
	e.target.name = img->name;
	e.target.tag = img->tag;
	e.target.digest = img->digest;
	e.target.container = o->container;
	e.target.app = img->app;
	e.paths = (const char *const *)paths;
	e.npaths = np;
	if (gth_buf_printf(&trailers, "Gth-App: %s\nGth-Image: %s\n", img->app, img->ref) < 0 ||
	    (img->source_sha && gth_buf_printf(&trailers, "Gth-Source-Commit: %s\n",
					       img->source_sha) < 0))
		goto oom;
	uo.branch = o->branch;
	uo.push_branch = o->push_branch;
	if (o->pr && !uo.push_branch) {
		pr_branch = pr_branch_name(img);
		if (!pr_branch)
			goto oom;
		uo.push_branch = pr_branch;
	}
	uo.trailers = gth_buf_cstr(&trailers);
	uo.author = o->author;
	uo.retries = o->retries < 0 ? 0 : o->retries == 0 ? -1 : (int)o->retries;
	uo.no_push = o->no_push;
	uo.dry_run = o->dry_run;
	uo.edit = edit_cb;
	uo.edit_ctx = &e;
	if (gth_git_update(&ur, g, &uo, err) < 0)
		goto done;
	gth_strlcpy(res->commit, ur.commit, sizeof(res->commit));
	res->branch = ur.branch;
	res->base_branch = ur.base_branch;
	ur.branch = ur.base_branch = NULL;
	res->pushed = ur.pushed;
	res->attempts = ur.attempts;
	res->changes = e.changes;
	memset(&e.changes, 0, sizeof(e.changes));
	res->diff = ur.diff;
	memset(&ur.diff, 0, sizeof(ur.diff));
	if (o->pr && res->pushed) {
		const char *msg = ur.changes.message ? ur.changes.message : "";
		size_t tl = strcspn(msg, "\n");
		char *title = strndup(msg, tl);
		struct gth_buf body = GTH_BUF_INIT;
		const char *rest = msg[tl] ? msg + tl + 1 : "";
		while (*rest == '\n')
			rest++;
		if (gth_buf_puts(&body, rest) < 0)
			goto oom;
		while (body.len && body.ptr[body.len - 1] == '\n')
			body.ptr[--body.len] = '\0';
		if ((body.len && gth_buf_puts(&body, "\n\n") < 0) ||
		    gth_buf_puts(&body, gth_buf_cstr(&trailers)) < 0) {
			gth_buf_release(&body);
			goto oom;
		}
		while (body.len && body.ptr[body.len - 1] == '\n')
			body.ptr[--body.len] = '\0';
		owner_repo = bump_github_repo(gth_git_remote_url(g) ? gth_git_remote_url(g) : "");
		if (!title || !owner_repo) {
			free(title);
			gth_buf_release(&body);
			gth_error_set(err, GTH_EXIT_CONFIG, "cannot tell the GitHub repository of '%s'",
				      gth_git_remote_url(g) ? gth_git_remote_url(g) : "the work tree");
			goto done;
		}
		rc = bump_open_pr(res, owner_repo, res->branch, res->base_branch, title,
				  gth_buf_cstr(&body), err);
		free(title);
		gth_buf_release(&body);
		if (rc < 0)
			goto done;
	}
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	for (i = 0; paths && i < np; i++)
		free(paths[i]);
	free(paths);
	free(pr_branch);
	free(owner_repo);
	bump_changes_clear(&e.changes);
	gth_buf_release(&e.out);
	gth_buf_release(&trailers);
	gth_git_update_result_release(&ur);
	gth_git_free(g);
	if (inited)
		gth_git_shutdown();
	return rc;
}

void bump_result_release(struct bump_result *res)
{
	if (!res)
		return;
	free(res->branch);
	free(res->base_branch);
	free(res->pr_url);
	bump_changes_clear(&res->changes);
	gth_buf_release(&res->diff);
	memset(res, 0, sizeof(*res));
}
