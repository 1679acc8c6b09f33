/* fs: walk a folder (honouring .gitignore through libgit2 and --skip) or the tree of
 * a commit, and hand every text file to the enabled scanners. */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/log.h"
#include "gth/util.h"
#include "misconfig.h"
#include "scan.h"
#include "secrets.h"

#define DEFAULT_MAX_FILE (16L * 1024 * 1024)
#define BINARY_PROBE 8000

struct dir_id {
	dev_t dev;
	ino_t ino;
};

struct walker {
	const struct scan_opts *o;
	struct scan_result *res;
	struct scan_secrets *secrets;
	const struct gth_node *disable;
	const struct gth_node *cfg_skip;
	git_repository *repo;   /* for .gitignore; NULL outside a work tree */
	int no_gitignore;       /* the root itself is ignored: its .gitignore rules would skip everything */
	const char *target;
	long max_size;
	struct fctx *main_ctx;  /* scanning in the walking thread */
	struct pool *pool;      /* worker threads, or NULL */
	pthread_mutex_t mu;     /* res->warnings and vuln while workers run */
	struct dir_id *seen;    /* every folder entered (symlinked folders only once) */
	size_t nseen, cap_seen;
	struct dir_id *stack;   /* the folders above the current one */
	size_t depth, cap_stack;
	struct gth_error *err;
};

static const char *const skip_names[SCAN_SKIP_COUNT] = {
	"ignored", "binary", "huge", "symlink", "unreadable", "special"
};

static int git_fail(struct gth_error *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return gth_error_set(err, code, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* What scans one file: the walking thread or a worker, each with its own findings,
 * counters and buffer (merged when the walk ends). */
struct fctx {
	struct walker *w;
	struct scan_findings *out;
	struct scan_stats *stats;
	struct gth_buf data;
	struct gth_error err;
	int do_scan;            /* secrets and misconfigurations (and counting) */
	int do_vuln;            /* lockfiles: always in the walking thread */
};

static void walk_warn(struct walker *w, const char *fmt, ...) GTH_PRINTF(2, 3);
static void walk_warn(struct walker *w, const char *fmt, ...)
{
	struct gth_buf b = GTH_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	if (gth_buf_vprintf(&b, fmt, ap) == 0) {
		pthread_mutex_lock(&w->mu);
		scan_result_warn(w->res, "%s", gth_buf_cstr(&b));
		pthread_mutex_unlock(&w->mu);
	}
	va_end(ap);
	gth_buf_release(&b);
}

static void skipped(struct fctx *c, enum scan_skip why, const char *rel, const char *detail)
{
	c->stats->skipped[why]++;
	gth_verbose("skip %s: %s%s%s", rel, skip_names[why], detail ? ", " : "", detail ? detail : "");
}

static int skip_glob(const struct walker *w, const char *rel)
{
	size_t i;

	for (i = 0; i < w->o->skip.n; i++)
		if (gth_glob_match(w->o->skip.v[i], rel))
			return 1;
	if (w->cfg_skip)
		for (i = 0; i < w->cfg_skip->n; i++) {
			const char *g = gth_node_str(w->cfg_skip->items[i]);

			if (g && gth_glob_match(g, rel))
				return 1;
		}
	return 0;
}

/* Every scanner on one file's bytes. */
static int scan_bytes(struct fctx *c, const char *rel, const char *data, size_t len)
{
	struct walker *w = c->w;
	const struct scan_opts *o = w->o;
	size_t probe = len < BINARY_PROBE ? len : BINARY_PROBE;

	if (memchr(data, '\0', probe)) {
		if (c->do_scan)
			skipped(c, SCAN_SKIP_BINARY, rel, NULL);
		return 0;
	}
	if (c->do_scan) {
		c->stats->files++;
		c->stats->bytes += len;
		if (w->secrets && scan_secrets_scan(w->secrets, c->out, w->target, rel, data, len) < 0)
			return gth_error_set(&c->err, GTH_EXIT_SOFTWARE, "out of memory");
		if ((o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_MISCONFIG)) && scan_misconfig_wants(rel)) {
			int r = scan_misconfig_scan(c->out, w->target, rel, data, len, w->disable);

			if (r < 0)
				return gth_error_set(&c->err, GTH_EXIT_SOFTWARE, "out of memory");
			if (r == 1)
				gth_verbose("%s: not YAML, no misconfiguration checks", rel);
		}
	}
	if (c->do_vuln && (o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_VULN)) && scan_vuln_wants(rel)) {
		int r;

		/* the vulnerability scanner may add warnings to res, as workers do */
		pthread_mutex_lock(&w->mu);
		r = scan_vuln_file(w->res, o, rel, data, len, &c->err);
		pthread_mutex_unlock(&w->mu);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int read_and_scan(struct fctx *c, const char *path, const char *rel)
{
	struct walker *w = c->w;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char detail[64];

	if (fd < 0) {
		if (!c->do_scan)
			return 0;
		if (errno == ELOOP) {
			walk_warn(w, "%s: symlink loop, not scanned", rel);
			c->stats->skipped[SCAN_SKIP_SYMLINK]++;
		} else {
			walk_warn(w, "%s: %s, not scanned", rel, strerror(errno));
			c->stats->skipped[SCAN_SKIP_UNREADABLE]++;
		}
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		if (c->do_scan)
			skipped(c, SCAN_SKIP_SPECIAL, rel, NULL);
		return 0;
	}
	if (st.st_size > w->max_size) {
		close(fd);
		snprintf(detail, sizeof(detail), "%lld bytes over the limit of %ld",
			 (long long)st.st_size, w->max_size);
		if (c->do_scan)
			skipped(c, SCAN_SKIP_HUGE, rel, detail);
		return 0;
	}
	gth_buf_clear(&c->data);
	{
		struct gth_error rerr = GTH_ERROR_INIT;

		if (gth_buf_read_fd(&c->data, fd, rel, (size_t)w->max_size, &rerr) < 0) {
			close(fd);
			if (c->do_scan) {
				walk_warn(w, "%s: %s, not scanned", rel, rerr.msg);
				c->stats->skipped[SCAN_SKIP_UNREADABLE]++;
			}
			return 0;
		}
	}
	close(fd);
	return scan_bytes(c, rel, c->data.ptr ? c->data.ptr : "", c->data.len);
}

/* ---- workers ---- */

#define QUEUE_CAP 256
#define MAX_WORKERS 4

struct job {
	char *path, *rel;
};

struct worker {
	pthread_t thread;
	struct pool *pool;
	struct fctx ctx;
	struct scan_findings findings;
	struct scan_stats stats;
	int failed;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct job q[QUEUE_CAP];
	size_t head, n;
	int closing;
	int failed;             /* a worker failed (out of memory): stop early */
	struct worker workers[MAX_WORKERS];
	size_t nworkers;
};

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pool *p = wk->pool;

	for (;;) {
		struct job j;

		pthread_mutex_lock(&p->mu);
		while (!p->n && !p->closing)
			pthread_cond_wait(&p->not_empty, &p->mu);
		if (!p->n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		j = p->q[p->head];
		p->head = (p->head + 1) % QUEUE_CAP;
		p->n--;
		pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->mu);
		if (!wk->failed && read_and_scan(&wk->ctx, j.path, j.rel) < 0) {
			wk->failed = 1;
			pthread_mutex_lock(&p->mu);
			p->failed = 1;
			pthread_mutex_unlock(&p->mu);
		}
		free(j.path);
		free(j.rel);
	}
	return NULL;
}

/* Hand a file to the workers; -1 when a worker failed or memory ran out. */
static int pool_push(struct walker *w, const char *path, const char *rel)
{
	struct pool *p = w->pool;
	struct job j;
	int failed;

	j.path = strdup(path);
	j.rel = strdup(rel);
	if (!j.path || !j.rel) {
		free(j.path);
		free(j.rel);
		return gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	pthread_mutex_lock(&p->mu);
	while (p->n == QUEUE_CAP && !p->failed)
		pthread_cond_wait(&p->not_full, &p->mu);
	failed = p->failed;
	if (!failed) {
		p->q[(p->head + p->n) % QUEUE_CAP] = j;
		p->n++;
		pthread_cond_signal(&p->not_empty);
	}
	pthread_mutex_unlock(&p->mu);
	if (failed) {
		free(j.path);
		free(j.rel);
		return -1;
	}
	return 0;
}

static int pool_start(struct walker *w, size_t n)
{
	struct pool *p = calloc(1, sizeof(*p));
	size_t i;

	if (!p)
		return -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	w->pool = p;
	for (i = 0; i < n && i < MAX_WORKERS; i++) {
		struct worker *wk = &p->workers[i];

		wk->pool = p;
		wk->ctx.w = w;
		wk->ctx.out = &wk->findings;
		wk->ctx.stats = &wk->stats;
		wk->ctx.do_scan = 1;
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0)
			break;
		p->nworkers++;
	}
	return p->nworkers ? 0 : -1;
}

/* Wait for the workers and merge what they found; 0, or -1 when one failed. */
static int pool_finish(struct walker *w)
{
	struct pool *p = w->pool;
	size_t i, k;
	int rc = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nworkers; i++) {
		struct worker *wk = &p->workers[i];

		pthread_join(wk->thread, NULL);
		if (wk->failed && rc == 0) {
			*w->err = wk->ctx.err;
			if (!w->err->exit)
				gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
			rc = -1;
		}
		for (k = 0; k < wk->findings.n; k++)
			if (scan_findings_move(&w->res->findings, &wk->findings.v[k]) < 0 && rc == 0)
				rc = gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
		wk->findings.n = 0;
		scan_findings_release(&wk->findings);
		w->res->stats.files += wk->stats.files;
		w->res->stats.bytes += wk->stats.bytes;
		for (k = 0; k < SCAN_SKIP_COUNT; k++)
			w->res->stats.skipped[k] += wk->stats.skipped[k];
		gth_buf_release(&wk->ctx.data);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	free(p);
	w->pool = NULL;
	return rc;
}

/* A regular file found by the walk: to a worker, or scanned here. Lockfiles are
 * always read here too, since the vulnerability scanner is not thread-safe. */
static int handle_file(struct walker *w, const char *path, const char *rel)
{
	struct fctx *c = w->main_ctx;

	if (!w->pool)
		return read_and_scan(c, path, rel) < 0 ? (*w->err = c->err, -1) : 0;
	if (pool_push(w, path, rel) < 0)
		return -1;
	if ((w->o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_VULN)) && scan_vuln_wants(rel)) {
		int rc;

		c->do_scan = 0;
		c->do_vuln = 1;
		/* scan_bytes holds w->mu around the vulnerability scanner. */
		rc = read_and_scan(c, path, rel);
		if (rc < 0)
			*w->err = c->err;
		return rc;
	}
	return 0;
}

static int seen_add(struct walker *w, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < w->nseen; i++)
		if (w->seen[i].dev == dev && w->seen[i].ino == ino)
			return 1;
	if (w->nseen == w->cap_seen) {
		size_t cap = w->cap_seen ? w->cap_seen * 2 : 64;
		struct dir_id *v = realloc(w->seen, cap * sizeof(*v));

		if (!v)
			return -1;
		w->seen = v;
		w->cap_seen = cap;
	}
	w->seen[w->nseen].dev = dev;
	w->seen[w->nseen++].ino = ino;
	return 0;
}

static int on_stack(const struct walker *w, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < w->depth; i++)
		if (w->stack[i].dev == dev && w->stack[i].ino == ino)
			return 1;
	return 0;
}

static int is_ignored(struct walker *w, const char *rel)
{
	int ignored = 0;
	char *wdrel;

	if (!w->repo || w->no_gitignore)
		return 0;
	wdrel = gth_strdupf("%s%s", w->res->repo_prefix ? w->res->repo_prefix : "", rel);
	if (!wdrel)
		return 0;
	if (git_ignore_path_is_ignored(&ignored, w->repo, wdrel) < 0)
		ignored = 0;
	free(wdrel);
	return ignored;
}

static int walk_dir(struct walker *w, const char *path, const char *rel, const struct stat *dst);

static int walk_entry(struct walker *w, const char *path, const char *rel, unsigned char type)
{
	struct stat st;

	if (skip_glob(w, rel)) {
		skipped(w->main_ctx, SCAN_SKIP_IGNORED, rel, "--skip");
		return 0;
	}
	if (is_ignored(w, rel)) {
		skipped(w->main_ctx, SCAN_SKIP_IGNORED, rel, ".gitignore");
		return 0;
	}
	if (type == DT_REG)
		return handle_file(w, path, rel);
	if (type == DT_LNK || type == DT_UNKNOWN || type == DT_DIR) {
		if (stat(path, &st) < 0) {
			if (errno == ELOOP) {
				walk_warn(w, "%s: symlink loop, not scanned", rel);
				w->res->stats.skipped[SCAN_SKIP_SYMLINK]++;
			} else if (errno == ENOENT && type == DT_LNK) {
				skipped(w->main_ctx, SCAN_SKIP_SYMLINK, rel, "dangling");
			} else {
				walk_warn(w, "%s: %s, not scanned", rel, strerror(errno));
				w->res->stats.skipped[SCAN_SKIP_UNREADABLE]++;
			}
			return 0;
		}
		if (S_ISREG(st.st_mode))
			return handle_file(w, path, rel);
		if (S_ISDIR(st.st_mode)) {
			if (on_stack(w, st.st_dev, st.st_ino)) {
				walk_warn(w, "%s: symlink loop, not scanned", rel);
				w->res->stats.skipped[SCAN_SKIP_SYMLINK]++;
				return 0;
			}
			return walk_dir(w, path, rel, &st);
		}
	}
	skipped(w->main_ctx, SCAN_SKIP_SPECIAL, rel, NULL);
	return 0;
}

struct dent {
	char *name;
	unsigned char type;
};

static int dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static int walk_dir(struct walker *w, const char *path, const char *rel, const struct stat *dst)
{
	DIR *d;
	struct dirent *de;
	struct dent *ents = NULL;
	size_t n = 0, cap = 0, i;
	struct gth_buf cpath = GTH_BUF_INIT, crel = GTH_BUF_INIT;
	int rc = -1, r;

	r = seen_add(w, dst->st_dev, dst->st_ino);
	if (r < 0)
		return gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
	if (r == 1) {
		gth_verbose("skip %s: scanned already through another path", *rel ? rel : ".");
		return 0;
	}
	if (!(d = opendir(path))) {
		walk_warn(w, "%s: %s, not scanned", *rel ? rel : ".", strerror(errno));
		w->res->stats.skipped[SCAN_SKIP_UNREADABLE]++;
		return 0;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, ".git"))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct dent *nv = realloc(ents, ncap * sizeof(*nv));

			if (!nv)
				goto oom;
			ents = nv;
			cap = ncap;
		}
		if (!(ents[n].name = strdup(de->d_name)))
			goto oom;
		ents[n++].type = de->d_type;
	}
	closedir(d);
	d = NULL;
	/* Sorted, so the order of findings and skips does not depend on the file system. */
	if (n > 1)
		qsort(ents, n, sizeof(*ents), dent_cmp);
	if (w->depth == w->cap_stack) {
		size_t ncap = w->cap_stack ? w->cap_stack * 2 : 32;
		struct dir_id *v = realloc(w->stack, ncap * sizeof(*v));

		if (!v)
			goto oom;
		w->stack = v;
		w->cap_stack = ncap;
	}
	w->stack[w->depth].dev = dst->st_dev;
	w->stack[w->depth++].ino = dst->st_ino;
	for (i = 0; i < n; i++) {
		if (gth_path_join(&cpath, path, ents[i].name) < 0)
			goto oom_pop;
		gth_buf_clear(&crel);
		if ((*rel && gth_buf_printf(&crel, "%s/", rel) < 0) ||
		    gth_buf_puts(&crel, ents[i].name) < 0)
			goto oom_pop;
		if (walk_entry(w, gth_buf_cstr(&cpath), gth_buf_cstr(&crel), ents[i].type) < 0) {
			w->depth--;
			goto done;
		}
	}
	w->depth--;
	rc = 0;
	goto done;
oom_pop:
	w->depth--;
oom:
	gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	gth_buf_release(&cpath);
	gth_buf_release(&crel);
	return rc;
}

/* The root's place in its git work tree, for .gitignore and repository-relative
 * SARIF paths. Not being in a work tree is fine. */
static void find_repo(struct walker *w, const char *abs_root)
{
	const char *wd;
	size_t len;

	if (git_repository_open_ext(&w->repo, abs_root, 0, NULL) < 0) {
		w->repo = NULL;
		return;
	}
	wd = git_repository_workdir(w->repo);
	if (!wd) {
		git_repository_free(w->repo);
		w->repo = NULL;
		return;
	}
	len = strlen(wd);
	if (strncmp(abs_root, wd, len - 1) == 0) {
		const char *rest = abs_root + len - 1;

		while (*rest == '/')
			rest++;
		w->res->repo_prefix = *rest ? gth_strdupf("%s/", rest) : strdup("");
		if (*rest) {
			int ignored = 0;

			if (git_ignore_path_is_ignored(&ignored, w->repo, rest) == 0 && ignored) {
				w->no_gitignore = 1;
				gth_verbose("%s is ignored by its repository: .gitignore rules not applied",
					    abs_root);
			}
		}
	}
}

struct tree_walk {
	struct walker *w;
	git_repository *repo;
	int failed;
};

static int tree_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct tree_walk *tw = payload;
	struct walker *w = tw->w;
	char *rel = gth_strdupf("%s%s", root, git_tree_entry_name(e));
	git_object_t type = git_tree_entry_type(e);
	int rc = 0;

	if (!rel) {
		gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
		tw->failed = 1;
		return -1;
	}
	if (skip_glob(w, rel)) {
		skipped(w->main_ctx, SCAN_SKIP_IGNORED, rel, "--skip");
		rc = 1; /* skips a subtree; ignored for blobs */
	} else if (type == GIT_OBJECT_BLOB) {
		git_blob *blob = NULL;

		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
			skipped(w->main_ctx, SCAN_SKIP_SYMLINK, rel, "link in a commit");
		} else if (git_blob_lookup(&blob, tw->repo, git_tree_entry_id(e)) < 0) {
			git_fail(w->err, GTH_EXIT_DATAERR, rel);
			tw->failed = 1;
			rc = -1;
		} else {
			git_object_size_t size = git_blob_rawsize(blob);

			if ((long long)size > (long long)w->max_size) {
				char detail[64];

				snprintf(detail, sizeof(detail), "%llu bytes over the limit of %ld",
					 (unsigned long long)size, w->max_size);
				skipped(w->main_ctx, SCAN_SKIP_HUGE, rel, detail);
			} else if (scan_bytes(w->main_ctx, rel, size ? git_blob_rawcontent(blob) : "",
					      (size_t)size) < 0) {
				*w->err = w->main_ctx->err;
				tw->failed = 1;
				rc = -1;
			}
			git_blob_free(blob);
		}
	} else if (type == GIT_OBJECT_COMMIT) {
		skipped(w->main_ctx, SCAN_SKIP_SPECIAL, rel, "submodule");
	}
	free(rel);
	return rc;
}

static int walk_ref(struct walker *w, const char *abs_root, const char *path)
{
	git_object *obj = NULL;
	git_tree *tree = NULL, *sub = NULL;
	git_tree_entry *te = NULL;
	struct tree_walk tw = { w, NULL, 0 };
	char oid[GIT_OID_HEXSZ + 1];
	int rc = -1;

	if (!w->repo)
		return gth_error_set(w->err, GTH_EXIT_NOINPUT,
				     "--git-ref: '%s' is not in a git repository", path);
	tw.repo = w->repo;
	if (git_revparse_single(&obj, w->repo, w->o->git_ref) < 0) {
		gth_error_set(w->err, GTH_EXIT_NOINPUT, "--git-ref: unknown revision '%s'",
			      w->o->git_ref);
		goto done;
	}
	if (git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) < 0) {
		git_fail(w->err, GTH_EXIT_DATAERR, w->o->git_ref);
		goto done;
	}
	git_oid_tostr(oid, sizeof(oid), git_object_id(obj));
	free(w->res->target);
	w->res->target = gth_strdupf("%s@%s", path, w->o->git_ref);
	w->target = w->res->target;
	gth_verbose("scanning %s at %.12s", w->o->git_ref, oid);
	(void)abs_root;
	if (w->res->repo_prefix && *w->res->repo_prefix) {
		char *sp = strdup(w->res->repo_prefix);

		if (!sp) {
			gth_error_set(w->err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		sp[strlen(sp) - 1] = '\0';
		if (git_tree_entry_bypath(&te, tree, sp) < 0 ||
		    git_tree_lookup(&sub, w->repo, git_tree_entry_id(te)) < 0) {
			gth_error_set(w->err, GTH_EXIT_NOINPUT, "--git-ref: '%s' is not in %s", sp,
				      w->o->git_ref);
			free(sp);
			goto done;
		}
		free(sp);
	}
	if (git_tree_walk(sub ? sub : tree, GIT_TREEWALK_PRE, tree_cb, &tw) < 0 && !tw.failed) {
		git_fail(w->err, GTH_EXIT_DATAERR, w->o->git_ref);
		goto done;
	}
	if (tw.failed)
		goto done;
	rc = 0;
done:
	git_tree_entry_free(te);
	git_tree_free(sub);
	git_tree_free(tree);
	git_object_free(obj);
	return rc;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Workers finish in any order: warnings are listed sorted. */
static void sort_warnings(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr), i;
	char **v;

	if (n < 2 || !(v = calloc((size_t)n, sizeof(*v))))
		return;
	for (i = 0; i < n; i++)
		v[i] = cJSON_GetArrayItem(arr, i)->valuestring;
	qsort(v, (size_t)n, sizeof(*v), str_cmp);
	for (i = 0; i < n; i++)
		v[i] = strdup(v[i] ? v[i] : "");
	for (i = n - 1; i >= 0; i--)
		cJSON_DeleteItemFromArray(arr, i);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(arr, cJSON_CreateString(v[i] ? v[i] : ""));
		free(v[i]);
	}
	free(v);
}

/* A .git above or at abs_root (or $GIT_DIR): starting libgit2 costs a certificate
 * store load, so folders outside any work tree do without it. */
static int maybe_in_repo(const char *abs_root)
{
	struct gth_buf p = GTH_BUF_INIT;
	char *dir = strdup(abs_root);
	int found = getenv("GIT_DIR") != NULL;

	while (dir && !found) {
		char *slash;

		if (gth_path_join(&p, *dir ? dir : "/", ".git") < 0)
			break;
		found = access(gth_buf_cstr(&p), F_OK) == 0;
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		if (slash == dir && !dir[1])
			break;
		*slash = '\0';
	}
	free(dir);
	gth_buf_release(&p);
	return found;
}

int scan_fs(struct scan_result *res, const struct scan_opts *o, const char *path,
	    struct gth_error *err)
{
	struct walker w;
	struct fctx mc;
	struct stat st;
	char *abs_root = NULL;
	int rc = -1, git_inited = 0;

	memset(&w, 0, sizeof(w));
	memset(&mc, 0, sizeof(mc));
	w.o = o;
	w.res = res;
	w.err = err;
	w.max_size = DEFAULT_MAX_FILE;
	w.main_ctx = &mc;
	pthread_mutex_init(&w.mu, NULL);
	mc.w = &w;
	mc.out = &res->findings;
	mc.stats = &res->stats;
	mc.do_scan = 1;
	mc.do_vuln = 1;
	if (o->cfg) {
		const struct gth_node *skip = gth_node_get(o->cfg, "skip");

		if (gth_node_get_long(o->cfg, "max-file-size", 1, LONG_MAX, &w.max_size,
				      GTH_EXIT_CONFIG, err) < 0)
			goto done;
		w.disable = gth_node_get(o->cfg, "disable");
		if (skip && skip->kind != GTH_NODE_SEQ) {
			gth_node_error(err, GTH_EXIT_CONFIG, skip, "expected a list of globs");
			goto done;
		}
		w.cfg_skip = skip;
	}
	if (stat(path, &st) < 0) {
		gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
			      "cannot scan '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!(abs_root = realpath(path, NULL))) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "cannot scan '%s': %s", path, strerror(errno));
		goto done;
	}
	if (o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_SECRET))
		if (scan_secrets_new(&w.secrets, o->cfg, err) < 0)
			goto done;
	res->target = strdup(path);
	res->root = strdup(S_ISDIR(st.st_mode) ? path : ".");
	if (!res->target || !res->root) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	w.target = res->target;
	if (S_ISDIR(st.st_mode) && (o->git_ref || maybe_in_repo(abs_root))) {
		git_libgit2_init();
		git_inited = 1;
		find_repo(&w, abs_root);
	}
	if (o->git_ref) {
		if (!S_ISDIR(st.st_mode)) {
			gth_error_set(err, GTH_EXIT_USAGE, "--git-ref needs a folder, not '%s'", path);
			goto done;
		}
		if (walk_ref(&w, abs_root, path) < 0)
			goto done;
	} else if (S_ISDIR(st.st_mode)) {
		int ncpu = gth_ncpu(), walked;

		/* Workers read and scan; this thread walks (and reads lockfiles). */
		if (ncpu > 1 && (o->scanner_mask & (SCAN_KIND_BIT(SCAN_KIND_SECRET) |
						    SCAN_KIND_BIT(SCAN_KIND_MISCONFIG))) &&
		    pool_start(&w, (size_t)ncpu) < 0 && !w.pool) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot start threads");
			goto done;
		}
		walked = walk_dir(&w, path, "", &st);
		if (pool_finish(&w) < 0 || walked < 0)
			goto done;
	} else {
		const char *base = strrchr(path, '/');

		if (read_and_scan(&mc, path, base ? base + 1 : path) < 0) {
			*err = mc.err;
			goto done;
		}
	}
	if (res->warnings)
		sort_warnings(res->warnings);
	rc = 0;
done:
	if (w.pool)
		pool_finish(&w);
	gth_buf_release(&mc.data);
	pthread_mutex_destroy(&w.mu);
	free(abs_root);
	free(w.seen);
	free(w.stack);
	scan_secrets_free(w.secrets);
	git_repository_free(w.repo);
	if (git_inited)
		git_libgit2_shutdown();
	return rc;
}

static void list_one(cJSON *arr, const char *id, const char *kind, enum scan_severity sev,
		     const char *title)
{
	cJSON *o;

	if (!arr) {
		printf("%s\t%s\t%s\t%s\n", id, kind, scan_severity_name(sev), title);
		return;
	}
	if (!(o = cJSON_CreateObject()))
		return;
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "severity", scan_severity_name(sev));
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddItemToArray(arr, o);
}

int scan_list_rules(const struct scan_opts *o, struct gth_event *ev, struct gth_error *err)
{
	struct scan_secrets *set = NULL;
	cJSON *arr = NULL;
	size_t i;

	if (scan_secrets_new(&set, o->cfg, err) < 0)
		return -1;
	if (o->common.json && ev->data)
		arr = cJSON_AddArrayToObject(ev->data, "rules");
	for (i = 0; i < scan_secrets_count(set); i++) {
		const char *id, *title;
		enum scan_severity sev;

		scan_secrets_rule(set, i, &id, &title, &sev);
		list_one(arr, id, "secret", sev, title);
	}
	for (i = 0; i < scan_check_count; i++)
		list_one(arr, scan_checks[i].id, "misconfig", scan_checks[i].severity,
			 scan_checks[i].title);
	if (ev)
		gth_event_set_summary(ev, "%zu secret rules, %zu misconfiguration checks",
				      scan_secrets_count(set), scan_check_count);
	scan_secrets_free(set);
	return 0;
}
