/* The GitOps revert: undo the commit gth-bump made, on the tip of the branch, with
 * the race-safe update loop of lib/git. A file the later history left as gth-bump
 * wrote it gets its previous bytes back; a file changed again since gets only the
 * values gth-bump changed written back (byte-exact, lib/yamledit), so the later
 * changes stay. */
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/git.h"
#include "gth/log.h"
#include "gth/util.h"
#include "gth/yamledit.h"
#include "rollback.h"

struct value_change {
	char *file;
	int line;
	char *from, *to;
};

struct revert_ctx {
	struct gth_git *g;
	const struct rb_revert *o;
	/* what the last attempt found */
	char target[GTH_GIT_OID_HEX];
	char *app, *image, *previous;
	const char *nothing;    /* why there is nothing to revert, or NULL */
	char *already;          /* the revert that already undid it */
	struct value_change *vals;
	size_t nvals;
};

static void ctx_reset(struct revert_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nvals; i++) {
		free(c->vals[i].file);
		free(c->vals[i].from);
		free(c->vals[i].to);
	}
	free(c->vals);
	c->vals = NULL;
	c->nvals = 0;
	free(c->app);
	free(c->image);
	free(c->previous);
	free(c->already);
	c->app = c->image = c->previous = c->already = NULL;
	c->nothing = NULL;
	c->target[0] = '\0';
}

static int add_value(struct revert_ctx *c, const char *file, int line, const char *from,
		     const char *to)
{
	struct value_change *v = realloc(c->vals, (c->nvals + 1) * sizeof(*v));

	if (!v)
		return -1;
	c->vals = v;
	v[c->nvals].file = strdup(file);
	v[c->nvals].line = line;
	v[c->nvals].from = strdup(from);
	v[c->nvals].to = strdup(to);
	c->nvals++;
	return 0;
}

static int under_paths(const struct gth_strlist *paths, const char *file)
{
	size_t i;

	if (!paths || !paths->n)
		return 1;
	for (i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		size_t n = strlen(p);

		while (n && p[n - 1] == '/')
			n--;
		if (n == 0 || !strcmp(p, ".") || (!strncmp(file, p, n) && (file[n] == '/' || !file[n])))
			return 1;
	}
	return 0;
}

/* "spec.template.spec.containers[0].image" for a node, and its document. */
static int node_path(struct gth_buf *out, size_t *doc, const struct gth_ye_file *f,
		     const struct gth_ye_node *n)
{
	const struct gth_ye_node *chain[256];
	size_t depth = 0, i, j;

	while (n && depth < GTH_ARRAY_SIZE(chain)) {
		chain[depth++] = n;
		n = n->parent;
	}
	if (n || !depth)
		return -1;
	for (i = 0; i < f->ndocs; i++)
		if (f->docs[i] == chain[depth - 1])
			break;
	if (i == f->ndocs)
		return -1;
	*doc = i;
	gth_buf_clear(out);
	gth_buf_puts(out, "");
	for (i = depth - 1; i > 0; i--) {
		const struct gth_ye_node *p = chain[i], *c = chain[i - 1];

		for (j = 0; j < p->n && p->items[j] != c; j++)
			;
		if (j == p->n)
			return -1;
		if (p->kind == GTH_YE_MAP) {
			const char *k = p->keys[j]->value;

			if (!k || strpbrk(k, ".[]="))
				return -1;
			gth_buf_printf(out, "%s%s", out->len ? "." : "", k);
		} else {
			gth_buf_printf(out, "[%zu]", j);
		}
	}
	return 0;
}

/* Write back, into cur, the values gth-bump changed from old to new. 0 with the
 * result in out (cur unchanged when no value still reads as gth-bump left it), or
 * -1 when the change is not one of values. */
static int revert_values(struct revert_ctx *c, const char *file, const struct gth_buf *old,
			 const struct gth_buf *new_, const struct gth_buf *cur,
			 struct gth_buf *out, struct gth_error *err)
{
	struct gth_ye_file fo = GTH_YE_FILE_INIT, fn = GTH_YE_FILE_INIT, fc = GTH_YE_FILE_INIT;
	struct gth_buf path = GTH_BUF_INIT;
	size_t i;
	int rc = -1;

	if (gth_ye_parse(&fo, gth_buf_cstr(old), old->len, file, err) < 0 ||
	    gth_ye_parse(&fn, gth_buf_cstr(new_), new_->len, file, err) < 0 ||
	    gth_ye_parse(&fc, gth_buf_cstr(cur), cur->len, file, err) < 0)
		goto done;
	if (fo.nnodes != fn.nnodes) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "%s: the commit to revert changed more than values, and later "
			      "commits changed the file too: revert it by hand", file);
		goto done;
	}
	for (i = 0; i < fn.nnodes; i++) {
		const struct gth_ye_node *a = fo.all[i], *b = fn.all[i], *now;
		size_t doc;

		if (a->kind != b->kind) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s: the commit to revert changed the document's shape, and "
				      "later commits changed the file too: revert it by hand", file);
			goto done;
		}
		if (a->kind != GTH_YE_SCALAR || !strcmp(a->value, b->value))
			continue;
		if (node_path(&path, &doc, &fn, b) < 0) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: cannot find this value again",
				      file, b->line);
			goto done;
		}
		now = gth_ye_find(&fc, doc, gth_buf_cstr(&path));
		if (!now || now->kind != GTH_YE_SCALAR || strcmp(now->value, b->value)) {
			gth_note("%s: %s was changed again since; left as it is", file,
				 gth_buf_cstr(&path));
			continue;
		}
		if (gth_ye_set(&fc, now, a->value, err) < 0 ||
		    add_value(c, file, now->line, b->value, a->value) < 0)
			goto done;
	}
	if (gth_ye_apply(&fc, out, err) < 0)
		goto done;
	rc = 0;
done:
	gth_buf_release(&path);
	gth_ye_release(&fo);
	gth_ye_release(&fn);
	gth_ye_release(&fc);
	return rc;
}

/* Record, for a file reverted whole, which scalars change back (for the event). */
static void note_values(struct revert_ctx *c, const char *file, const struct gth_buf *old,
			const struct gth_buf *new_)
{
	struct gth_ye_file fo = GTH_YE_FILE_INIT, fn = GTH_YE_FILE_INIT;
	size_t i;

	if (gth_ye_parse(&fo, gth_buf_cstr(old), old->len, file, NULL) == 0 &&
	    gth_ye_parse(&fn, gth_buf_cstr(new_), new_->len, file, NULL) == 0 &&
	    fo.nnodes == fn.nnodes)
		for (i = 0; i < fn.nnodes; i++)
			if (fo.all[i]->kind == GTH_YE_SCALAR && fn.all[i]->kind == GTH_YE_SCALAR &&
			    strcmp(fo.all[i]->value, fn.all[i]->value))
				add_value(c, file, fn.all[i]->line, fn.all[i]->value, fo.all[i]->value);
	gth_ye_release(&fo);
	gth_ye_release(&fn);
}

static int same(const struct gth_buf *a, const struct gth_buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->ptr, b->ptr, a->len));
}

static int revert_edit(void *ctxp, const struct gth_git_tree *tip,
		       struct gth_git_changes *changes, struct gth_error *err)
{
	struct revert_ctx *c = ctxp;
	struct gth_git_commit_info ci = GTH_GIT_COMMIT_INFO_INIT;
	struct gth_buf old = GTH_BUF_INIT, new_ = GTH_BUF_INIT, cur = GTH_BUF_INIT;
	struct gth_buf out = GTH_BUF_INIT, msg = GTH_BUF_INIT;
	char *of = NULL;
	size_t i;
	int r, rc = -1;

	ctx_reset(c);
	if (c->o->commit) {
		gth_strlcpy(c->target, c->o->commit, sizeof(c->target));
	} else {
		r = gth_git_find_trailer(c->target, c->g, gth_git_tree_commit(tip), "Gth-App",
					 c->o->service, 0, err);
		if (r < 0)
			goto done;
		if (r == 1) {
			c->nothing = c->o->service ? "no gth-bump commit for this app"
						   : "no gth-bump commit";
			rc = 0;
			goto done;
		}
	}
	if (gth_git_commit_info(&ci, c->g, c->target, err) < 0)
		goto done;
	gth_strlcpy(c->target, ci.id, sizeof(c->target));
	c->app = gth_git_message_trailer(ci.message, "Gth-App");
	of = gth_git_message_trailer(ci.message, "Gth-Revert-Of");
	if (of && !c->o->commit) {
		/* The newest commit of the app is a revert already: nothing left to do. */
		c->already = strdup(ci.id);
		c->nothing = "the last gth-bump commit is reverted already";
		rc = 0;
		goto done;
	}
	c->image = gth_git_message_trailer(ci.message, of ? "Gth-Reverted-Image" : "Gth-Image");
	if (!ci.parent[0]) {
		gth_error_set(err, GTH_EXIT_DATAERR, "commit %.12s has no parent to go back to",
			      ci.id);
		goto done;
	}
	for (i = 0; i < ci.npaths; i++) {
		const char *file = ci.paths[i];
		int have_old, have_new, have_cur;

		if (!under_paths(c->o->paths, file))
			continue;
		gth_buf_clear(&old);
		gth_buf_clear(&new_);
		gth_buf_clear(&cur);
		have_old = gth_git_read_at(&old, c->g, ci.parent, file, NULL) == 0;
		have_new = gth_git_read_at(&new_, c->g, ci.id, file, NULL) == 0;
		have_cur = gth_git_tree_read(tip, file, &cur, NULL) == 0;
		if (!have_old || !have_new) {
			gth_warn("%s: added or removed by %.12s; left as it is", file, ci.id);
			continue;
		}
		if (!have_cur) {
			gth_note("%s: removed since; nothing to revert there", file);
			continue;
		}
		if (same(&cur, &old))
			continue;
		if (same(&cur, &new_)) {
			note_values(c, file, &old, &new_);
			if (gth_git_changes_put(changes, file, old.ptr ? old.ptr : "", old.len,
						cur.ptr ? cur.ptr : "", cur.len) < 0)
				goto oom;
			continue;
		}
		if (revert_values(c, file, &old, &new_, &cur, &out, err) < 0)
			goto done;
		if (!same(&out, &cur) &&
		    gth_git_changes_put(changes, file, out.ptr ? out.ptr : "", out.len,
					cur.ptr ? cur.ptr : "", cur.len) < 0)
			goto oom;
	}
	if (!changes->n) {
		c->nothing = "the files are back on their previous values already";
		rc = 0;
		goto done;
	}
	for (i = 0; i < c->nvals && !c->previous; i++)
		if (c->image && !strcmp(c->vals[i].from, c->image))
			c->previous = strdup(c->vals[i].to);
	if (!c->previous && c->nvals)
		c->previous = strdup(c->vals[0].to);
	gth_buf_printf(&msg, "Revert %s to %s\n\nThis reverts commit %s, which deployed %s.\n\n"
		       "Gth-Revert-Of: %s\n",
		       c->app ? c->app : "the deploy", c->previous ? c->previous : "its previous image",
		       ci.id, c->image ? c->image : "a new image", ci.id);
	if (c->app)
		gth_buf_printf(&msg, "Gth-App: %s\n", c->app);
	if (c->previous)
		gth_buf_printf(&msg, "Gth-Image: %s\n", c->previous);
	if (c->image)
		gth_buf_printf(&msg, "Gth-Reverted-Image: %s\n", c->image);
	if (gth_git_changes_set_message(changes, gth_buf_cstr(&msg)) < 0)
		goto oom;
	rc = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	free(of);
	gth_buf_release(&old);
	gth_buf_release(&new_);
	gth_buf_release(&cur);
	gth_buf_release(&out);
	gth_buf_release(&msg);
	gth_git_commit_info_release(&ci);
	return rc;
}

int rb_revert(const struct rb_revert *o, cJSON *data, struct gth_error *err)
{
	struct gth_git_update_opts uo = GTH_GIT_UPDATE_OPTS_INIT;
	struct gth_git_update_result res = GTH_GIT_UPDATE_RESULT_INIT;
	struct revert_ctx c;
	struct gth_git *g = NULL;
	cJSON *rv, *vals;
	size_t i;
	int rc = GTH_EXIT_SOFTWARE;

	memset(&c, 0, sizeof(c));
	c.o = o;
	if (gth_git_init(err) < 0)
		return err->exit;
	if (o->repo && gth_git_is_url(o->repo)) {
		if (gth_git_open_remote(&g, o->repo, err) < 0)
			goto fail;
	} else if (gth_git_open(&g, o->repo ? o->repo : ".", o->repo != NULL, err) < 0) {
		goto fail;
	}
	c.g = g;
	uo.branch = o->branch;
	uo.author = o->author;
	uo.retries = o->retries ? (int)o->retries : 0;
	uo.no_push = o->no_push;
	uo.dry_run = o->dry_run;
	uo.edit = revert_edit;
	uo.edit_ctx = &c;
	if (gth_git_update(&res, g, &uo, err) < 0)
		goto fail;
	rv = cJSON_AddObjectToObject(data, "revert");
	if (c.nothing) {
		cJSON_AddNullToObject(rv, "commit");
		if (c.target[0])
			cJSON_AddStringToObject(rv, "reverted", c.target);
		else
			cJSON_AddNullToObject(rv, "reverted");
		cJSON_AddBoolToObject(rv, "pushed", 0);
		cJSON_AddStringToObject(rv, "note", c.nothing);
		cJSON_AddStringToObject(data, "summary", c.nothing);
		gth_note("nothing to revert: %s", c.nothing);
		rc = 0;
		goto out;
	}
	if (o->dry_run)
		cJSON_AddStringToObject(rv, "diff", gth_buf_cstr(&res.diff));
	cJSON_AddStringToObject(rv, "reverted", c.target);
	if (res.commit[0])
		cJSON_AddStringToObject(rv, "commit", res.commit);
	else
		cJSON_AddNullToObject(rv, "commit");
	cJSON_AddStringToObject(rv, "branch", res.branch ? res.branch : "");
	cJSON_AddBoolToObject(rv, "pushed", res.pushed);
	cJSON_AddNumberToObject(rv, "attempts", res.attempts);
	if (c.app)
		cJSON_AddStringToObject(rv, "app", c.app);
	if (c.image)
		cJSON_AddStringToObject(rv, "from", c.image);
	if (c.previous)
		cJSON_AddStringToObject(rv, "to", c.previous);
	vals = cJSON_AddArrayToObject(rv, "changes");
	for (i = 0; i < c.nvals; i++) {
		cJSON *v = cJSON_CreateObject();

		cJSON_AddStringToObject(v, "file", c.vals[i].file);
		cJSON_AddNumberToObject(v, "line", c.vals[i].line);
		cJSON_AddStringToObject(v, "old", c.vals[i].from);
		cJSON_AddStringToObject(v, "new", c.vals[i].to);
		cJSON_AddItemToArray(vals, v);
	}
	if (!o->dry_run) {
		char *s = gth_strdupf("reverted %.12s%s%s: %s", c.target, c.previous ? ", back to " : "",
				      c.previous ? c.previous : "",
				      res.pushed ? "pushed" : "committed, not pushed");
		gth_note("%s", s);
		cJSON_AddStringToObject(data, "summary", s);
		free(s);
	}
	rc = 0;
	goto out;
fail:
	rc = err->exit ? err->exit : GTH_EXIT_SOFTWARE;
out:
	ctx_reset(&c);
	gth_git_update_result_release(&res);
	gth_git_free(g);
	gth_git_shutdown();
	return rc;
}
