#include "gth/git.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "gth/digest.h"
#include "gth/fs.h"
#include "gth/log.h"
#include "gth/util.h"

#define NET_TRIES 3
#define CRED_TRIES 3

struct gth_git {
	git_repository *repo;
	char *workdir;          /* "" for the cache */
	char *url;              /* the remote's URL, NULL when none */
	char *remote_name;      /* "origin" or the upstream's remote */
	char *head_branch;      /* work tree: the branch HEAD names */
	char *upstream_branch;  /* work tree: the remote branch it tracks */
	char *default_branch;   /* cache: the remote's default branch */
	char *lock_path;        /* cache: serialises fetches */
	int is_cache;
	git_odb_backend *mempack; /* new objects, written out as one pack */
};

struct gth_git_tree {
	struct gth_git *g;
	git_commit *commit;
	git_tree *tree;
	char id[GTH_GIT_OID_HEX];
};

struct net_ctx {
	int cred_tries;
	int ssh_step;
	struct gth_buf sideband;
	int rejected;
	struct gth_buf reject;
};

static int git_inited;

int gth_git_init(struct gth_error *err)
{
	if (git_libgit2_init() < 0)
		return gth_git_error(err, -1, 0, "initialising libgit2");
	git_inited++;
	if ((getenv("CI") && *getenv("CI")) ||
	    (getenv("GITHUB_ACTIONS") && *getenv("GITHUB_ACTIONS")))
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	return 0;
}

void gth_git_shutdown(void)
{
	if (git_inited > 0) {
		git_inited--;
		git_libgit2_shutdown();
	}
}

int gth_git_error(struct gth_error *err, int code, int network, const char *what)
{
	const git_error *e = git_error_last();
	const char *m = e && e->message ? e->message : "unknown error";
	int klass = e ? e->klass : GIT_ERROR_NONE;
	int ex = GTH_EXIT_SOFTWARE;

	if (code == GIT_EAUTH || strstr(m, "authentication") || strstr(m, "status code: 401") ||
	    strstr(m, "status code: 403") || strstr(m, "credentials"))
		ex = GTH_EXIT_NOPERM;
	else if (code == GIT_EOWNER || strstr(m, "safe.directory") || strstr(m, "not owned by"))
		ex = GTH_EXIT_NOPERM;
	else if (code == GIT_ENONFASTFORWARD || code == GIT_ELOCKED || code == GIT_EMODIFIED)
		ex = GTH_EXIT_TEMPFAIL;
	else if (code == GIT_ECERTIFICATE)
		ex = GTH_EXIT_UNAVAILABLE;
	else if (code == GIT_ENOTFOUND)
		ex = GTH_EXIT_NOINPUT;
	else if (network && (klass == GIT_ERROR_NET || klass == GIT_ERROR_OS ||
			     klass == GIT_ERROR_SSL || klass == GIT_ERROR_SSH ||
			     klass == GIT_ERROR_HTTP || klass == GIT_ERROR_NONE ||
			     klass == GIT_ERROR_INVALID))
		ex = GTH_EXIT_UNAVAILABLE;
	if (code == GIT_EOWNER || strstr(m, "safe.directory"))
		/* libgit2 1.5 may report an owner refusal as a missing safe.directory */
		return gth_error_set(err, ex, "%s: the repository belongs to another user; add it "
				     "to git's safe.directory, or name it with --repo", what);
	return gth_error_set(err, ex, "%s: %s", what, m);
}

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

/* ---- credentials and transport callbacks ---- */

static int cred_cb(git_credential **out, const char *url, const char *user_from_url,
		   unsigned int allowed, void *payload)
{
	struct net_ctx *n = payload;
	const char *token = getenv("GTH_GIT_TOKEN");
	const char *user = user_from_url && *user_from_url ? user_from_url : "git";

	(void)url;
	if (!token || !*token)
		token = getenv("GITHUB_TOKEN");
	if (++n->cred_tries > CRED_TRIES) {
		git_error_set_str(GIT_ERROR_NET, "authentication failed: credentials refused");
		return GIT_EAUTH;
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && token && *token) {
		gth_secret_add(token);
		return git_credential_userpass_plaintext_new(out, "x-access-token", token);
	}
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		const char *key = getenv("GTH_SSH_KEY");
		const char *home = getenv("HOME");
		static const char *const names[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
		while (n->ssh_step < 5) {
			int step = n->ssh_step++;
			if (step == 0) {
				if (getenv("SSH_AUTH_SOCK"))
					return git_credential_ssh_key_from_agent(out, user);
			} else if (step == 1) {
				if (key && *key)
					return git_credential_ssh_key_new(out, user, NULL, key, NULL);
			} else if (home) {
				char *path = gth_strdupf("%s/.ssh/%s", home, names[step - 2]);
				int rc = 1;
				if (path && gth_file_exists(path))
					rc = git_credential_ssh_key_new(out, user, NULL, path, NULL);
				free(path);
				if (rc <= 0)
					return rc;
			}
		}
	}
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	git_error_set_str(GIT_ERROR_NET, "authentication required and no credentials found");
	return GIT_EAUTH;
}

static int sideband_cb(const char *str, int len, void *payload)
{
	struct net_ctx *n = payload;

	if (n->sideband.len < 8192)
		gth_buf_put(&n->sideband, str, (size_t)len);
	return 0;
}

static int push_ref_cb(const char *refname, const char *status, void *payload)
{
	struct net_ctx *n = payload;

	if (status) {
		n->rejected = 1;
		if (n->reject.len)
			gth_buf_puts(&n->reject, "; ");
		gth_buf_printf(&n->reject, "%s: %s", refname, status);
	}
	return 0;
}

static void net_callbacks(git_remote_callbacks *cb, struct net_ctx *n)
{
	memset(n, 0, sizeof(*n));
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = cred_cb;
	cb->sideband_progress = sideband_cb;
	cb->push_update_reference = push_ref_cb;
	cb->payload = n;
}

static void net_release(struct net_ctx *n)
{
	gth_buf_release(&n->sideband);
	gth_buf_release(&n->reject);
}

/* "remote: x\r\nremote: y" -> "x; y", the server's own words for an error. */
static void server_message(struct gth_buf *out, const struct gth_buf *sideband)
{
	const char *s = gth_buf_cstr(sideband);

	while (*s) {
		size_t l = strcspn(s, "\r\n");
		const char *line = s;
		size_t ll = l;
		if (ll >= 7 && strncmp(line, "remote:", 7) == 0) {
			line += 7;
			ll -= 7;
		}
		while (ll && isspace((unsigned char)*line)) {
			line++;
			ll--;
		}
		while (ll && isspace((unsigned char)line[ll - 1]))
			ll--;
		if (ll) {
			if (out->len)
				gth_buf_puts(out, "; ");
			gth_buf_put(out, line, ll);
		}
		s += l;
		while (*s == '\r' || *s == '\n')
			s++;
	}
}

/* ---- opening ---- */

int gth_git_is_url(const char *s)
{
	const char *colon;

	if (strstr(s, "://"))
		return 1;
	colon = strchr(s, ':');
	/* scp-like user@host:path, but not a local path with a colon after a slash */
	return colon && colon > s && !memchr(s, '/', (size_t)(colon - s)) && strchr(s, '@') &&
		strchr(s, '@') < colon;
}

/* The local path of a file:// URL or a plain path; NULL for other URLs. */
static char *local_remote_path(const char *url)
{
	if (gth_starts_with(url, "file://"))
		return strdup(url + 7);
	if (strstr(url, "://") || gth_git_is_url(url))
		return NULL;
	return strdup(url);
}

static struct gth_git *git_new(void)
{
	return calloc(1, sizeof(struct gth_git));
}

void gth_git_free(struct gth_git *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->workdir);
	free(g->url);
	free(g->remote_name);
	free(g->head_branch);
	free(g->upstream_branch);
	free(g->default_branch);
	free(g->lock_path);
	free(g);
}

const char *gth_git_workdir(const struct gth_git *g)
{
	return g->workdir;
}

const char *gth_git_remote_url(const struct gth_git *g)
{
	return g->url;
}

const char *gth_git_head_branch(const struct gth_git *g)
{
	return g->head_branch;
}

static int read_upstream(struct gth_git *g, struct gth_error *err)
{
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	char *key = NULL;
	int rc = -1;

	if (git_repository_config_snapshot(&cfg, g->repo) < 0)
		return gth_git_error(err, -1, 0, "reading the git configuration");
	if (g->head_branch) {
		key = gth_strdupf("branch.%s.remote", g->head_branch);
		if (!key)
			goto oom;
		if (git_config_get_string_buf(&val, cfg, key) == 0) {
			g->remote_name = strdup(val.ptr);
			git_buf_dispose(&val);
		}
		free(key);
		key = gth_strdupf("branch.%s.merge", g->head_branch);
		if (!key)
			goto oom;
		if (git_config_get_string_buf(&val, cfg, key) == 0) {
			const char *m = val.ptr;
			if (gth_starts_with(m, "refs/heads/"))
				m += strlen("refs/heads/");
			g->upstream_branch = strdup(m);
			git_buf_dispose(&val);
		}
	}
	git_error_clear();
	if (!g->remote_name)
		g->remote_name = strdup("origin");
	if (!g->upstream_branch && g->head_branch)
		g->upstream_branch = strdup(g->head_branch);
	if (!g->remote_name)
		goto oom;
	/* read the URL from the configuration: git_remote_lookup leaks in libgit2 1.5 */
	free(key);
	key = gth_strdupf("remote.%s.pushurl", g->remote_name);
	if (!key)
		goto oom;
	if (git_config_get_string_buf(&val, cfg, key) < 0) {
		free(key);
		key = gth_strdupf("remote.%s.url", g->remote_name);
		if (!key)
			goto oom;
		git_error_clear();
		git_config_get_string_buf(&val, cfg, key);
	}
	if (val.ptr && val.size && !(g->url = strdup(val.ptr))) {
		git_buf_dispose(&val);
		goto oom;
	}
	git_buf_dispose(&val);
	git_error_clear();
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	free(key);
	git_config_free(cfg);
	return rc;
}

int gth_git_open(struct gth_git **out, const char *path, int trust, struct gth_error *err)
{
	struct gth_git *g = git_new();
	git_reference *head = NULL;
	int rc;

	*out = NULL;
	if (!g)
		return oom(err);
	rc = git_repository_open_ext(&g->repo, path, 0, NULL);
	if (rc < 0 && git_error_last() && strstr(git_error_last()->message, "safe.directory"))
		rc = GIT_EOWNER;
	if (rc == GIT_EOWNER && trust) {
		git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
		rc = git_repository_open_ext(&g->repo, path, 0, NULL);
	}
	if (rc < 0) {
		char *what = gth_strdupf("opening the git work tree '%s'", path);
		gth_git_error(err, rc, 0, what ? what : path);
		free(what);
		gth_git_free(g);
		return -1;
	}
	if (git_repository_is_bare(g->repo)) {
		gth_git_free(g);
		return gth_error_set(err, GTH_EXIT_USAGE, "'%s' is a bare repository; give its URL "
				     "(file://...) instead", path);
	}
	g->workdir = strdup(git_repository_workdir(g->repo));
	if (!g->workdir)
		goto oom;
	if (git_repository_head(&head, g->repo) == 0 && git_reference_is_branch(head)) {
		g->head_branch = strdup(git_reference_shorthand(head));
		if (!g->head_branch)
			goto oom;
	}
	git_reference_free(head);
	git_error_clear();
	if (read_upstream(g, err) < 0) {
		gth_git_free(g);
		return -1;
	}
	*out = g;
	return 0;
oom:
	git_reference_free(head);
	gth_git_free(g);
	return oom(err);
}

static int cache_lock(const struct gth_git *g, struct gth_error *err)
{
	int fd;

	if (!g->lock_path)
		return -2;
	fd = open(g->lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot open '%s': %s", g->lock_path,
			      strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot lock '%s': %s", g->lock_path,
				      strerror(errno));
			return -1;
		}
	}
	return fd;
}

static void cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Fetch the remote's branches; in the cache also learn its default branch. */
static int fetch(struct gth_git *g, struct gth_error *err)
{
	git_remote *remote = NULL;
	git_fetch_options fo;
	git_strarray specs;
	struct net_ctx n;
	char *what = NULL, *refspec = NULL;
	int rc = -1, tries, lock = -2;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	if (!g->url)
		return gth_error_set(err, GTH_EXIT_CONFIG, "the work tree has no remote '%s'",
				     g->remote_name);
	what = gth_strdupf("fetching '%s'", g->url);
	refspec = gth_strdupf("+refs/heads/*:refs/remotes/%s/*", g->remote_name);
	if (!what || !refspec) {
		free(what);
		free(refspec);
		return oom(err);
	}
	specs.strings = &refspec;
	specs.count = 1;
	if (g->is_cache && (lock = cache_lock(g, err)) == -1)
		goto done;
	for (tries = 1;; tries++) {
		int code;
		net_callbacks(&fo.callbacks, &n);
		if (g->is_cache)
			fo.prune = GIT_FETCH_PRUNE;
		code = git_remote_create_anonymous(&remote, g->repo, g->url);
		if (code < 0) {
			net_release(&n);
			gth_git_error(err, code, 0, what);
			goto done;
		}
		if (g->is_cache && !g->default_branch) {
			code = git_remote_connect(remote, GIT_DIRECTION_FETCH, &fo.callbacks, NULL,
						  NULL);
			if (code == 0) {
				git_buf b = GIT_BUF_INIT;
				if (git_remote_default_branch(&b, remote) == 0) {
					const char *s = b.ptr;
					if (gth_starts_with(s, "refs/heads/"))
						s += strlen("refs/heads/");
					g->default_branch = strdup(s);
				}
				git_buf_dispose(&b);
				git_error_clear();
				git_remote_disconnect(remote);
			}
		}
		if (code == 0)
			code = git_remote_fetch(remote, &specs, &fo, "gth fetch");
		git_remote_free(remote);
		remote = NULL;
		if (code == 0) {
			net_release(&n);
			break;
		}
		gth_git_error(err, code, 1, what);
		net_release(&n);
		if (err && err->exit != GTH_EXIT_UNAVAILABLE)
			goto done;
		if (tries >= NET_TRIES)
			goto done;
		gth_sleep_ms(200LL << tries);
	}
	rc = 0;
done:
	cache_unlock(lock);
	free(what);
	free(refspec);
	return rc;
}

int gth_git_open_remote(struct gth_git **out, const char *url, struct gth_error *err)
{
	struct gth_git *g = git_new();
	struct gth_buf dir = GTH_BUF_INIT, name = GTH_BUF_INIT;
	char hex[GTH_SHA256_HEX_LEN + 1];
	const char *s;
	int lock = -2, rc = -1, code;

	*out = NULL;
	if (!g)
		return oom(err);
	g->is_cache = 1;
	g->url = strdup(url);
	g->remote_name = strdup("origin");
	g->workdir = strdup("");
	if (!g->url || !g->remote_name || !g->workdir)
		goto oom;
	if (gth_sha256_hex(url, strlen(url), hex) < 0)
		goto oom;
	s = strstr(url, "://");
	s = s ? s + 3 : url;
	for (; *s && name.len < 40; s++) {
		char c = isalnum((unsigned char)*s) || *s == '.' || *s == '_' ? *s : '-';
		if (gth_buf_putc(&name, c) < 0)
			goto oom;
	}
	if (gth_buf_printf(&name, "-%.12s", hex) < 0)
		goto oom;
	if (gth_cache_dir(&dir, "git", err) < 0)
		goto done;
	if (gth_buf_puts(&dir, "/") < 0 || gth_buf_puts(&dir, gth_buf_cstr(&name)) < 0)
		goto oom;
	g->lock_path = gth_strdupf("%s.lock", gth_buf_cstr(&dir));
	if (!g->lock_path)
		goto oom;
	if ((lock = cache_lock(g, err)) == -1)
		goto done;
	code = git_repository_open_bare(&g->repo, gth_buf_cstr(&dir));
	if (code < 0) {
		git_repository_init_options init_opts;
		git_remote *remote = NULL;
		git_error_clear();
		if (gth_remove_tree(gth_buf_cstr(&dir), err) < 0)
			goto done;
		/* mode 0700: the repository's folders are ours alone, as the cache is
		 * (libgit2 would make them 0777 less the umask) */
		git_repository_init_options_init(&init_opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		init_opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		init_opts.mode = 0700;
		code = git_repository_init_ext(&g->repo, gth_buf_cstr(&dir), &init_opts);
		if (code == 0)
			code = git_remote_create_with_fetchspec(&remote, g->repo, "origin", url,
								"+refs/heads/*:refs/remotes/origin/*");
		git_remote_free(remote);
		if (code < 0) {
			gth_git_error(err, code, 0, "creating the git cache");
			goto done;
		}
	} else {
		/* the URL of a cache is fixed by its name, but keep it exact */
		git_remote_set_url(g->repo, "origin", url);
	}
	cache_unlock(lock);
	lock = -2;
	if (fetch(g, err) < 0)
		goto done;
	*out = g;
	g = NULL;
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	cache_unlock(lock);
	gth_buf_release(&dir);
	gth_buf_release(&name);
	gth_git_free(g);
	return rc;
}

/* ---- changes and trees ---- */

int gth_git_changes_put(struct gth_git_changes *c, const char *path, const void *data,
			size_t len, const void *old, size_t old_len)
{
	struct gth_git_change *ch = NULL;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].path, path) == 0)
			ch = &c->v[i];
	if (!ch) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 8;
			struct gth_git_change *v = realloc(c->v, cap * sizeof(*v));
			if (!v)
				return -1;
			c->v = v;
			c->cap = cap;
		}
		ch = &c->v[c->n];
		memset(ch, 0, sizeof(*ch));
		if (!(ch->path = strdup(path)))
			return -1;
		c->n++;
	} else {
		free(ch->data);
		ch->data = NULL;
	}
	ch->data = malloc(len + 1);
	if (!ch->data)
		return -1;
	memcpy(ch->data, data, len);
	ch->data[len] = '\0';
	ch->len = len;
	if (old && !ch->old) {
		ch->old = malloc(old_len + 1);
		if (!ch->old)
			return -1;
		memcpy(ch->old, old, old_len);
		ch->old[old_len] = '\0';
		ch->old_len = old_len;
	}
	return 0;
}

int gth_git_changes_set_message(struct gth_git_changes *c, const char *message)
{
	char *m = strdup(message);

	if (!m)
		return -1;
	free(c->message);
	c->message = m;
	return 0;
}

void gth_git_changes_clear(struct gth_git_changes *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].data);
		free(c->v[i].old);
	}
	free(c->v);
	free(c->message);
	memset(c, 0, sizeof(*c));
}

const char *gth_git_tree_commit(const struct gth_git_tree *t)
{
	return t->id;
}

struct walk_ctx {
	const struct gth_git_tree *t;
	const char *prefix;
	size_t plen;
	int (*cb)(void *, const char *, const char *, size_t, struct gth_error *);
	void *ctx;
	struct gth_error *err;
	struct gth_buf path;
	int failed;
};

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk_ctx *w = payload;
	git_blob *blob = NULL;
	const char *p;

	gth_buf_clear(&w->path);
	if (gth_buf_puts(&w->path, root) < 0 || gth_buf_puts(&w->path, git_tree_entry_name(entry)) < 0) {
		oom(w->err);
		w->failed = 1;
		return -1;
	}
	p = gth_buf_cstr(&w->path);
	if (w->plen) {
		/* skip folders outside the prefix without walking into them */
		if (strncmp(p, w->prefix, w->plen < w->path.len ? w->plen : w->path.len) != 0)
			return 1;
		if (git_tree_entry_type(entry) == GIT_OBJECT_TREE)
			return 0;
		if (!(strncmp(p, w->prefix, w->plen) == 0 &&
		      (p[w->plen] == '\0' || p[w->plen] == '/' || w->prefix[w->plen - 1] == '/')))
			return 0;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK)
		return 0;
	if (git_blob_lookup(&blob, git_tree_owner(w->t->tree), git_tree_entry_id(entry)) < 0) {
		gth_git_error(w->err, -1, 0, "reading a file");
		w->failed = 1;
		return -1;
	}
	if (w->cb(w->ctx, p, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), w->err) < 0) {
		w->failed = 1;
		git_blob_free(blob);
		return -1;
	}
	git_blob_free(blob);
	return 0;
}

int gth_git_tree_foreach(const struct gth_git_tree *t, const char *prefix,
			 int (*cb)(void *ctx, const char *path, const char *data, size_t len,
				   struct gth_error *err),
			 void *ctx, struct gth_error *err)
{
	struct walk_ctx w;
	int code;

	memset(&w, 0, sizeof(w));
	w.t = t;
	w.prefix = prefix ? prefix : "";
	while (w.prefix[0] == '/' || (w.prefix[0] == '.' && w.prefix[1] == '/'))
		w.prefix += w.prefix[0] == '/' ? 1 : 2;
	if (strcmp(w.prefix, ".") == 0)
		w.prefix = "";
	w.plen = strlen(w.prefix);
	while (w.plen > 1 && w.prefix[w.plen - 1] == '/')
		w.plen--;
	w.cb = cb;
	w.ctx = ctx;
	w.err = err;
	code = git_tree_walk(t->tree, GIT_TREEWALK_PRE, walk_cb, &w);
	gth_buf_release(&w.path);
	if (w.failed)
		return -1;
	if (code < 0)
		return gth_git_error(err, code, 0, "walking the tree");
	return 0;
}

int gth_git_tree_read(const struct gth_git_tree *t, const char *path, struct gth_buf *out,
		      struct gth_error *err)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc = -1;

	gth_buf_clear(out);
	if (git_tree_entry_bypath(&e, t->tree, path) < 0 ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_error_clear();
		gth_error_set(err, GTH_EXIT_NOINPUT, "'%s' is not in commit %.12s", path, t->id);
		goto done;
	}
	if (git_blob_lookup(&blob, git_tree_owner(t->tree), git_tree_entry_id(e)) < 0) {
		gth_git_error(err, -1, 0, "reading a file");
		goto done;
	}
	if (gth_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0 ||
	    gth_buf_puts(out, "") < 0) {
		oom(err);
		goto done;
	}
	rc = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

static void tree_release(struct gth_git_tree *t)
{
	git_tree_free(t->tree);
	git_commit_free(t->commit);
	memset(t, 0, sizeof(*t));
}

static int tree_load(struct gth_git_tree *t, struct gth_git *g, const git_oid *id,
		     struct gth_error *err)
{
	memset(t, 0, sizeof(*t));
	t->g = g;
	git_oid_tostr(t->id, sizeof(t->id), id);
	if (git_commit_lookup(&t->commit, g->repo, id) < 0 ||
	    git_commit_tree(&t->tree, t->commit) < 0) {
		tree_release(t);
		return gth_git_error(err, -1, 0, "reading the tip commit");
	}
	return 0;
}

/* ---- commit and push ---- */

/* New objects go to memory first, then into the repository as one pack: a few
 * hundred loose objects cost a few hundred file creations. */
static int mempack_start(struct gth_git *g, struct gth_error *err)
{
	git_odb *odb = NULL;
	int code;

	if (g->mempack)
		return 0;
	if ((code = git_repository_odb(&odb, g->repo)) < 0 ||
	    (code = git_mempack_new(&g->mempack)) < 0 ||
	    (code = git_odb_add_backend(odb, g->mempack, 1000)) < 0) {
		git_odb_free(odb);
		return gth_git_error(err, code, 0, "preparing the object store");
	}
	git_odb_free(odb);
	return 0;
}

static int mempack_flush(struct gth_git *g, struct gth_error *err)
{
	git_buf pack = GIT_BUF_INIT;
	git_odb *odb = NULL;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats;
	int code;

	memset(&stats, 0, sizeof(stats));
	if ((code = git_mempack_dump(&pack, g->repo, g->mempack)) < 0 ||
	    (code = git_repository_odb(&odb, g->repo)) < 0 ||
	    (code = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
	    (code = wp->append(wp, pack.ptr, pack.size, &stats)) < 0 ||
	    (code = wp->commit(wp, &stats)) < 0) {
		gth_git_error(err, code, 0, "writing objects");
		goto done;
	}
	git_mempack_reset(g->mempack);
done:
	if (wp)
		wp->free(wp);
	git_odb_free(odb);
	git_buf_dispose(&pack);
	return code < 0 ? -1 : 0;
}

static int make_signature(git_signature **sig, git_repository *repo, const char *author,
			  struct gth_error *err)
{
	int code;

	if (author) {
		const char *lt = strchr(author, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		char *name, *email;
		size_t nl;
		if (!lt || !gt || gt[1] != '\0')
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "author '%s' is not \"Name <email>\"", author);
		nl = (size_t)(lt - author);
		while (nl && author[nl - 1] == ' ')
			nl--;
		name = strndup(author, nl);
		email = strndup(lt + 1, (size_t)(gt - lt - 1));
		code = name && email && *name ? git_signature_now(sig, name, email) : -1;
		free(name);
		free(email);
		if (code < 0)
			return gth_error_set(err, GTH_EXIT_USAGE, "author '%s' is not valid", author);
		return 0;
	}
	if (getenv("GIT_AUTHOR_NAME") && getenv("GIT_AUTHOR_EMAIL") &&
	    git_signature_now(sig, getenv("GIT_AUTHOR_NAME"), getenv("GIT_AUTHOR_EMAIL")) == 0)
		return 0;
	if (git_signature_default(sig, repo) == 0)
		return 0;
	git_error_clear();
	if (git_signature_now(sig, "gth", "gth@localhost") < 0)
		return gth_git_error(err, -1, 0, "making the commit signature");
	return 0;
}

static int build_commit(git_oid *out, struct gth_git *g, const struct gth_git_tree *tip,
			const struct gth_git_changes *c, const char *message,
			const struct gth_git_update_opts *o, struct gth_error *err)
{
	git_tree_update *ups = NULL;
	git_oid tree_id;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	struct gth_buf msg = GTH_BUF_INIT;
	const git_commit *parents[1];
	size_t i;
	int rc = -1;

	ups = calloc(c->n, sizeof(*ups));
	if (!ups)
		return oom(err);
	for (i = 0; i < c->n; i++) {
		git_tree_entry *e = NULL;
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].path = c->v[i].path;
		ups[i].filemode = GIT_FILEMODE_BLOB;
		if (git_tree_entry_bypath(&e, tip->tree, c->v[i].path) == 0) {
			if (git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE)
				ups[i].filemode = GIT_FILEMODE_BLOB_EXECUTABLE;
			git_tree_entry_free(e);
		}
		git_error_clear();
		if (git_blob_create_from_buffer(&ups[i].id, g->repo, c->v[i].data, c->v[i].len) < 0) {
			gth_git_error(err, -1, 0, "writing a file");
			goto done;
		}
	}
	if (git_tree_create_updated(&tree_id, g->repo, tip->tree, c->n, ups) < 0 ||
	    git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		gth_git_error(err, -1, 0, "writing the tree");
		goto done;
	}
	if (make_signature(&sig, g->repo, o->author, err) < 0)
		goto done;
	if (gth_buf_puts(&msg, message) < 0)
		goto oom;
	while (msg.len && (msg.ptr[msg.len - 1] == '\n' || msg.ptr[msg.len - 1] == ' '))
		msg.ptr[--msg.len] = '\0';
	if (o->trailers && *o->trailers) {
		if (gth_buf_puts(&msg, "\n\n") < 0 || gth_buf_puts(&msg, o->trailers) < 0)
			goto oom;
		while (msg.len && msg.ptr[msg.len - 1] == '\n')
			msg.ptr[--msg.len] = '\0';
	}
	if (gth_buf_putc(&msg, '\n') < 0)
		goto oom;
	parents[0] = tip->commit;
	if (git_commit_create(out, g->repo, NULL, sig, sig, NULL, gth_buf_cstr(&msg), tree, 1,
			      parents) < 0) {
		gth_git_error(err, -1, 0, "writing the commit");
		goto done;
	}
	rc = 0;
	goto done;
oom:
	oom(err);
done:
	gth_buf_release(&msg);
	git_signature_free(sig);
	git_tree_free(tree);
	free(ups);
	return rc;
}

static int hide_ref_cb(git_reference *ref, void *payload)
{
	git_revwalk *walk = payload;

	if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
	    git_revwalk_hide(walk, git_reference_target(ref)) < 0)
		git_error_clear();
	git_reference_free(ref);
	return 0;
}

/* A push into a repository on this machine: copy the missing objects as a pack,
 * then move the branch only if it is still where we think (compare-and-swap). */
static int push_local(struct gth_git *g, const char *path, const git_oid *commit,
		      const char *dst, const git_oid *expected, int *rejected,
		      struct gth_error *err)
{
	git_repository *remote = NULL;
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_buf objdir = GIT_BUF_INIT;
	struct gth_buf packdir = GTH_BUF_INIT;
	char *what = gth_strdupf("pushing to '%s'", path);
	int code, rc = -1;

	*rejected = 0;
	if (!what)
		return oom(err);
	code = git_repository_open_ext(&remote, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (code < 0) {
		gth_git_error(err, code, 0, what);
		goto done;
	}
	if (!git_repository_is_bare(remote)) {
		gth_error_set(err, GTH_EXIT_CONFIG, "%s: refusing to push into a non-bare repository",
			      what);
		goto done;
	}
	if ((code = git_revwalk_new(&walk, g->repo)) < 0 ||
	    (code = git_revwalk_push(walk, commit)) < 0 ||
	    (code = git_reference_foreach(remote, hide_ref_cb, walk)) < 0 ||
	    (code = git_packbuilder_new(&pb, g->repo)) < 0 ||
	    (code = git_packbuilder_insert_walk(pb, walk)) < 0 ||
	    (code = git_repository_item_path(&objdir, remote, GIT_REPOSITORY_ITEM_OBJECTS)) < 0) {
		gth_git_error(err, code, 0, what);
		goto done;
	}
	if (gth_buf_puts(&packdir, objdir.ptr) < 0 || gth_buf_puts(&packdir, "pack") < 0) {
		oom(err);
		goto done;
	}
	if ((code = git_packbuilder_write(pb, gth_buf_cstr(&packdir), 0, NULL, NULL)) < 0) {
		gth_git_error(err, code, 0, what);
		goto done;
	}
	if (git_oid_is_zero(expected))
		code = git_reference_create(NULL, remote, dst, commit, 0, "gth: push");
	else
		code = git_reference_create_matching(NULL, remote, dst, commit, 1, expected,
						     "gth: push");
	if (code == GIT_EEXISTS || code == GIT_EMODIFIED || code == GIT_ELOCKED ||
	    code == GIT_ENOTFOUND) {
		git_error_clear();
		*rejected = 1;
	} else if (code < 0) {
		gth_git_error(err, code, 0, what);
		goto done;
	}
	rc = 0;
done:
	gth_buf_release(&packdir);
	git_buf_dispose(&objdir);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	git_repository_free(remote);
	free(what);
	return rc;
}

static int push_remote(struct gth_git *g, const git_oid *commit, const char *dst,
		       int *rejected, struct gth_buf *why, struct gth_error *err)
{
	git_remote *remote = NULL;
	git_push_options po;
	git_reference *tmp = NULL;
	struct net_ctx n;
	char *tmpname = NULL, *spec = NULL, *what = NULL;
	git_strarray specs;
	int code, rc = -1, tries;

	*rejected = 0;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	tmpname = gth_strdupf("refs/gth/push/%ld-%llu", (long)getpid(),
			      (unsigned long long)gth_random_below(1000000000ULL));
	spec = tmpname ? gth_strdupf("%s:%s", tmpname, dst) : NULL;
	what = gth_strdupf("pushing to '%s'", g->url ? g->url : g->remote_name);
	if (!tmpname || !spec || !what) {
		oom(err);
		goto done;
	}
	if ((code = git_reference_create(&tmp, g->repo, tmpname, commit, 1, NULL)) < 0) {
		gth_git_error(err, code, 0, what);
		goto done;
	}
	specs.strings = &spec;
	specs.count = 1;
	for (tries = 1;; tries++) {
		net_callbacks(&po.callbacks, &n);
		code = git_remote_create_anonymous(&remote, g->repo, g->url);
		if (code == 0)
			code = git_remote_push(remote, &specs, &po);
		git_remote_free(remote);
		remote = NULL;
		if (code == GIT_ENONFASTFORWARD || (code == 0 && n.rejected)) {
			*rejected = 1;
			gth_buf_clear(why);
			if (n.rejected)
				gth_buf_puts(why, gth_buf_cstr(&n.reject));
			else
				gth_buf_puts(why, git_error_last() ? git_error_last()->message : "rejected");
			if (n.sideband.len) {
				struct gth_buf sm = GTH_BUF_INIT;
				server_message(&sm, &n.sideband);
				if (sm.len)
					gth_buf_printf(why, " (remote: %s)", gth_buf_cstr(&sm));
				gth_buf_release(&sm);
			}
			git_error_clear();
			net_release(&n);
			break;
		}
		if (code == 0) {
			net_release(&n);
			break;
		}
		gth_git_error(err, code, 1, what);
		if (n.sideband.len) {
			struct gth_buf sm = GTH_BUF_INIT;
			server_message(&sm, &n.sideband);
			if (sm.len && err && strlen(err->msg) + sm.len + 12 < sizeof(err->msg)) {
				size_t l = strlen(err->msg);
				snprintf(err->msg + l, sizeof(err->msg) - l, " (remote: %s)",
					 gth_buf_cstr(&sm));
			}
			gth_buf_release(&sm);
		}
		net_release(&n);
		if ((err && err->exit != GTH_EXIT_UNAVAILABLE) || tries >= NET_TRIES)
			goto done;
		gth_sleep_ms(200LL << tries);
	}
	rc = 0;
done:
	if (tmp) {
		git_reference_delete(tmp);
		git_reference_free(tmp);
	}
	git_error_clear();
	free(tmpname);
	free(spec);
	free(what);
	return rc;
}

/* The remote-tracking ref of branch b, or "" zero when absent. */
static int tracking_tip(git_oid *out, struct gth_git *g, const char *b)
{
	char *ref = gth_strdupf("refs/remotes/%s/%s", g->remote_name, b);
	int code;

	memset(out, 0, sizeof(*out));
	if (!ref)
		return -1;
	code = git_reference_name_to_id(out, g->repo, ref);
	free(ref);
	git_error_clear();
	return code == 0 ? 1 : 0;
}

static int set_tracking(struct gth_git *g, const char *b, const git_oid *id)
{
	char *ref = gth_strdupf("refs/remotes/%s/%s", g->remote_name, b);
	int code;

	if (!ref)
		return -1;
	code = git_reference_create(NULL, g->repo, ref, id, 1, "gth: push");
	free(ref);
	git_error_clear();
	return code;
}

/* Files this commit changes must not hold local edits in the work tree: the file
 * and its index entry must still be HEAD's. Compared directly, because a status
 * run walks the whole work tree. */
static int check_clean(struct gth_git *g, const git_oid *head, const struct gth_git_changes *c,
		       struct gth_error *err)
{
	git_commit *hc = NULL;
	git_tree *ht = NULL;
	git_index *idx = NULL;
	struct gth_buf path = GTH_BUF_INIT, disk = GTH_BUF_INIT;
	size_t i;
	int code, rc = -1;

	if ((code = git_commit_lookup(&hc, g->repo, head)) < 0 ||
	    (code = git_commit_tree(&ht, hc)) < 0 || (code = git_repository_index(&idx, g->repo)) < 0) {
		gth_git_error(err, code, 0, "reading the work tree status");
		goto done;
	}
	for (i = 0; i < c->n; i++) {
		git_tree_entry *te = NULL;
		git_blob *blob = NULL;
		const git_index_entry *ie = git_index_get_bypath(idx, c->v[i].path, 0);
		struct gth_error ignored = GTH_ERROR_INIT;
		int dirty = 0;
		if (git_tree_entry_bypath(&te, ht, c->v[i].path) < 0) {
			git_error_clear();
			dirty = ie != NULL || gth_file_exists(c->v[i].path);
		} else {
			dirty = !ie || !git_oid_equal(&ie->id, git_tree_entry_id(te));
			gth_buf_clear(&disk);
			if (!dirty && (gth_path_join(&path, g->workdir, c->v[i].path) < 0 ||
				       gth_buf_read_file(&disk, gth_buf_cstr(&path), 0, &ignored) < 0))
				dirty = 1;
			if (!dirty && git_blob_lookup(&blob, g->repo, git_tree_entry_id(te)) == 0)
				dirty = (size_t)git_blob_rawsize(blob) != disk.len ||
					(disk.len && memcmp(git_blob_rawcontent(blob), disk.ptr, disk.len) != 0);
			git_blob_free(blob);
			git_tree_entry_free(te);
		}
		git_error_clear();
		if (dirty) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "'%s' has local changes in '%s'; commit or stash them",
				      c->v[i].path, g->workdir);
			goto done;
		}
	}
	rc = 0;
done:
	gth_buf_release(&path);
	gth_buf_release(&disk);
	git_index_free(idx);
	git_tree_free(ht);
	git_commit_free(hc);
	return rc;
}

/* Move the work tree's branch from old to id and update its files and index. */
static int advance_worktree(struct gth_git *g, const git_oid *old, const git_oid *id,
			    struct gth_error *err)
{
	git_commit *oldc = NULL, *newc = NULL;
	git_tree *oldt = NULL, *newt = NULL;
	git_diff *diff = NULL;
	git_checkout_options co;
	char *ref = NULL, **paths = NULL;
	size_t i, n, np = 0;
	int code, rc = -1;

	if ((code = git_commit_lookup(&oldc, g->repo, old)) < 0 ||
	    (code = git_commit_tree(&oldt, oldc)) < 0 ||
	    (code = git_commit_lookup(&newc, g->repo, id)) < 0) {
		gth_git_error(err, code, 0, "updating the work tree");
		goto done;
	}
	/* only the paths that differ, so checkout does not walk the whole work tree */
	if ((code = git_commit_tree(&newt, newc)) < 0 ||
	    (code = git_diff_tree_to_tree(&diff, g->repo, oldt, newt, NULL)) < 0) {
		gth_git_error(err, code, 0, "updating the work tree");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	paths = calloc(n ? n * 2 : 1, sizeof(*paths));
	if (!paths) {
		oom(err);
		goto done;
	}
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		paths[np++] = (char *)d->new_file.path;
		if (strcmp(d->old_file.path, d->new_file.path) != 0)
			paths[np++] = (char *)d->old_file.path;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE | GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	co.baseline = oldt;
	co.paths.strings = paths;
	co.paths.count = np;
	if (np && (code = git_checkout_tree(g->repo, (const git_object *)newc, &co)) < 0) {
		gth_git_error(err, code, 0, "updating the work tree");
		goto done;
	}
	if (g->head_branch) {
		ref = gth_strdupf("refs/heads/%s", g->head_branch);
		if (!ref) {
			oom(err);
			goto done;
		}
		code = git_reference_create_matching(NULL, g->repo, ref, id, 1, old, "gth: commit");
	} else {
		code = git_repository_set_head_detached(g->repo, id);
	}
	if (code < 0) {
		gth_git_error(err, code, 0, "moving the branch");
		goto done;
	}
	rc = 0;
done:
	free(ref);
	free(paths);
	git_diff_free(diff);
	git_tree_free(newt);
	git_tree_free(oldt);
	git_commit_free(oldc);
	git_commit_free(newc);
	return rc;
}

int gth_git_diff(struct gth_buf *out, const char *path, const char *old, size_t old_len,
		 const char *new_text, size_t new_len, struct gth_error *err)
{
	git_patch *patch = NULL;
	git_buf b = GIT_BUF_INIT;
	int code;

	code = git_patch_from_buffers(&patch, old, old_len, path, new_text, new_len, path, NULL);
	if (code == 0)
		code = git_patch_to_buf(&b, patch);
	if (code < 0) {
		git_patch_free(patch);
		return gth_git_error(err, code, 0, "making a diff");
	}
	code = gth_buf_put(out, b.ptr, b.size);
	git_buf_dispose(&b);
	git_patch_free(patch);
	return code < 0 ? oom(err) : 0;
}

static int diff_changes(struct gth_buf *out, const struct gth_git_changes *c,
			struct gth_error *err)
{
	size_t i;

	gth_buf_clear(out);
	for (i = 0; i < c->n; i++)
		if (gth_git_diff(out, c->v[i].path, c->v[i].old ? c->v[i].old : "", c->v[i].old_len,
				 c->v[i].data, c->v[i].len, err) < 0)
			return -1;
	return 0;
}

static void backoff(int64_t base, int attempt)
{
	int64_t cap = 5000, d = base;
	int i;

	for (i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* full jitter in [d/2, d] so racing writers spread out */
	gth_sleep_ms(d / 2 + (int64_t)gth_random_below((uint64_t)(d / 2 + 1)));
}

/* After a push that failed on the network: 1 when a fetch shows the remote's branch
 * at commit, i.e. the server took the push and only its answer was lost. */
static int push_landed(struct gth_git *g, const char *branch, const git_oid *commit)
{
	struct gth_error ignore = GTH_ERROR_INIT;
	git_oid tip;

	if (fetch(g, &ignore) < 0)
		return 0;
	return tracking_tip(&tip, g, branch) && git_oid_equal(&tip, commit);
}

int gth_git_update(struct gth_git_update_result *res, struct gth_git *g,
		   const struct gth_git_update_opts *o, struct gth_error *err)
{
	struct gth_git_tree tip;
	struct gth_buf why = GTH_BUF_INIT;
	git_oid head_id, base_id, expected, commit_id, moved;
	const char *base_branch, *dst_branch;
	char *dst_ref = NULL, *local_path = NULL;
	int retries = o->retries == 0 ? 10 : (o->retries < 0 ? 0 : o->retries);
	int64_t back = o->backoff_ms > 0 ? o->backoff_ms : 100;
	int attempt, rc = -1, worktree = !g->is_cache;
	int pushing = !o->no_push && !o->dry_run;

	memset(&tip, 0, sizeof(tip));
	memset(&head_id, 0, sizeof(head_id));
	base_branch = o->branch ? o->branch :
		worktree ? (g->upstream_branch ? g->upstream_branch : g->head_branch) :
		g->default_branch;
	if (!base_branch)
		return gth_error_set(err, GTH_EXIT_USAGE, "%s",
				     worktree ? "HEAD is detached: name the branch with --branch" :
				     "cannot tell the remote's default branch: name it with --branch");
	dst_branch = o->push_branch ? o->push_branch : base_branch;
	free(res->branch);
	free(res->base_branch);
	res->branch = strdup(dst_branch);
	res->base_branch = strdup(base_branch);
	dst_ref = gth_strdupf("refs/heads/%s", dst_branch);
	if (!res->branch || !res->base_branch || !dst_ref)
		goto oom;
	if (pushing && !g->url) {
		gth_error_set(err, GTH_EXIT_CONFIG, "the work tree has no remote '%s' to push to "
			      "(use --no-push)", g->remote_name);
		goto done;
	}
	if (g->url)
		local_path = local_remote_path(g->url);
	if (worktree && git_reference_name_to_id(&head_id, g->repo, "HEAD") < 0) {
		gth_git_error(err, -1, 0, "reading HEAD");
		goto done;
	}
	/* a work tree pushing elsewhere than its own branch starts from the remote */
	if (worktree && pushing && o->push_branch && fetch(g, err) < 0)
		goto done;
	for (attempt = 1; attempt <= retries + 1; attempt++) {
		int rejected = 0, have_dst;
		res->attempts = attempt;
		gth_git_changes_clear(&res->changes);
		res->commit[0] = '\0';
		have_dst = tracking_tip(&expected, g, dst_branch);
		if (worktree && attempt == 1 && !(pushing && o->push_branch)) {
			/* the checkout as it is; the remote must be exactly there */
			base_id = head_id;
			if (!(o->push_branch && !have_dst))
				expected = head_id;
			else
				memset(&expected, 0, sizeof(expected));
		} else if (have_dst) {
			base_id = expected;
		} else if (tracking_tip(&base_id, g, base_branch)) {
			memset(&expected, 0, sizeof(expected));
		} else if (worktree) {
			base_id = head_id;
			memset(&expected, 0, sizeof(expected));
		} else {
			gth_error_set(err, GTH_EXIT_NOINPUT, "the remote has no branch '%s'",
				      base_branch);
			goto done;
		}
		tree_release(&tip);
		if (tree_load(&tip, g, &base_id, err) < 0)
			goto done;
		git_oid_tostr(res->base, sizeof(res->base), &base_id);
		if (o->edit(o->edit_ctx, &tip, &res->changes, err) < 0)
			goto done;
		if (diff_changes(&res->diff, &res->changes, err) < 0)
			goto done;
		if (res->changes.n == 0 || o->dry_run) {
			rc = 0;
			goto done;
		}
		if (worktree && !o->push_branch && check_clean(g, &head_id, &res->changes, err) < 0)
			goto done;
		if (mempack_start(g, err) < 0)
			goto done;
		if (build_commit(&commit_id, g, &tip, &res->changes,
				 res->changes.message ? res->changes.message :
				 o->message ? o->message : "Update by gth", o, err) < 0 ||
		    mempack_flush(g, err) < 0)
			goto done;
		git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
		if (!pushing) {
			if (worktree && !o->push_branch) {
				if (advance_worktree(g, &head_id, &commit_id, err) < 0)
					goto done;
			} else if (git_reference_create(NULL, g->repo, dst_ref, &commit_id, 1,
							"gth: commit") < 0) {
				gth_git_error(err, -1, 0, "moving the branch");
				goto done;
			}
			rc = 0;
			goto done;
		}
		if (local_path) {
			if (push_local(g, local_path, &commit_id, dst_ref, &expected, &rejected, err) < 0)
				goto done;
			if (rejected) {
				gth_buf_clear(&why);
				gth_buf_puts(&why, "the branch moved");
			}
		} else if (push_remote(g, &commit_id, dst_ref, &rejected, &why, err) < 0) {
			if (!err || err->exit != GTH_EXIT_UNAVAILABLE ||
			    !push_landed(g, dst_branch, &commit_id))
				goto done;
			gth_verbose("the push's answer was lost, but the branch is at %.12s: pushed",
				    res->commit);
			gth_error_clear(err);
		}
		if (!rejected) {
			res->pushed = 1;
			set_tracking(g, dst_branch, &commit_id);
			if (worktree && !o->push_branch &&
			    advance_worktree(g, &head_id, &commit_id, err) < 0)
				goto done;
			rc = 0;
			goto done;
		}
		/* rejected: a lost race only if the branch moved; else the server said no */
		res->commit[0] = '\0';
		if (fetch(g, err) < 0)
			goto done;
		if (!tracking_tip(&moved, g, dst_branch))
			memset(&moved, 0, sizeof(moved));
		if (git_oid_equal(&moved, &expected) && !local_path) {
			gth_error_set(err, GTH_EXIT_NOPERM, "push to '%s' branch '%s' refused: %s",
				      g->url, dst_branch, gth_buf_cstr(&why));
			goto done;
		}
		if (attempt <= retries)
			backoff(back, attempt);
	}
	gth_error_set(err, GTH_EXIT_TEMPFAIL, "push to branch '%s' lost the race %d times; "
		      "try again later", dst_branch, retries + 1);
	goto done;
oom:
	oom(err);
done:
	tree_release(&tip);
	gth_buf_release(&why);
	free(dst_ref);
	free(local_path);
	return rc;
}

void gth_git_update_result_release(struct gth_git_update_result *res)
{
	if (!res)
		return;
	free(res->branch);
	free(res->base_branch);
	res->branch = res->base_branch = NULL;
	gth_git_changes_clear(&res->changes);
	gth_buf_release(&res->diff);
}

/* ---- history ---- */

int gth_git_find_trailer(char out[GTH_GIT_OID_HEX], struct gth_git *g, const char *rev,
			 const char *key, const char *value, size_t max, struct gth_error *err)
{
	git_revwalk *walk = NULL;
	git_object *obj = NULL;
	git_oid id;
	char *spec = NULL;
	size_t seen = 0;
	int code, rc = -1;

	out[0] = '\0';
	if (!max)
		max = 1000;
	if (!rev) {
		const char *b = g->is_cache ? g->default_branch :
			(g->upstream_branch ? g->upstream_branch : g->head_branch);
		spec = b ? gth_strdupf("refs/remotes/%s/%s", g->remote_name, b) : strdup("HEAD");
		if (!spec)
			return oom(err);
		rev = spec;
	}
	if ((code = git_revparse_single(&obj, g->repo, rev)) < 0) {
		gth_git_error(err, code, 0, rev);
		goto done;
	}
	if ((code = git_revwalk_new(&walk, g->repo)) < 0 ||
	    (code = git_revwalk_push(walk, git_object_id(obj))) < 0) {
		gth_git_error(err, code, 0, "walking history");
		goto done;
	}
	git_revwalk_simplify_first_parent(walk);
	rc = 1;
	while (seen++ < max && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		git_message_trailer_array tr = { 0 };
		size_t i;
		int hit = 0;
		if (git_commit_lookup(&c, g->repo, &id) < 0)
			break;
		if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
			for (i = 0; i < tr.count && !hit; i++)
				if (strcasecmp(tr.trailers[i].key, key) == 0 &&
				    (!value || strcmp(tr.trailers[i].value, value) == 0))
					hit = 1;
			git_message_trailer_array_free(&tr);
		}
		git_commit_free(c);
		if (hit) {
			git_oid_tostr(out, GTH_GIT_OID_HEX, &id);
			rc = 0;
			break;
		}
	}
	git_error_clear();
done:
	free(spec);
	git_object_free(obj);
	git_revwalk_free(walk);
	return rc;
}

int gth_git_read_at(struct gth_buf *out, struct gth_git *g, const char *rev, const char *path,
		    struct gth_error *err)
{
	git_object *obj = NULL;
	git_commit *c = NULL;
	struct gth_git_tree t;
	int code, rc;

	if ((code = git_revparse_single(&obj, g->repo, rev)) < 0 ||
	    (code = git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT)) < 0) {
		git_object_free(obj);
		return gth_git_error(err, code, 0, rev);
	}
	git_object_free(obj);
	if (tree_load(&t, g, git_commit_id(c), err) < 0) {
		git_commit_free(c);
		return -1;
	}
	git_commit_free(c);
	rc = gth_git_tree_read(&t, path, out, err);
	tree_release(&t);
	return rc;
}

int gth_git_commit_info(struct gth_git_commit_info *out, struct gth_git *g, const char *rev,
			struct gth_error *err)
{
	git_object *obj = NULL;
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	size_t i, n;
	int code, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((code = git_revparse_single(&obj, g->repo, rev)) < 0 ||
	    (code = git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT)) < 0) {
		gth_git_error(err, code, 0, rev);
		goto done;
	}
	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(c));
	out->message = strdup(git_commit_message(c) ? git_commit_message(c) : "");
	if (!out->message) {
		oom(err);
		goto done;
	}
	if (git_commit_parentcount(c) > 0) {
		if ((code = git_commit_parent(&parent, c, 0)) < 0 ||
		    (code = git_commit_tree(&ptree, parent)) < 0) {
			gth_git_error(err, code, 0, "reading the parent commit");
			goto done;
		}
		git_oid_tostr(out->parent, sizeof(out->parent), git_commit_id(parent));
	}
	if ((code = git_commit_tree(&tree, c)) < 0 ||
	    (code = git_diff_tree_to_tree(&diff, g->repo, ptree, tree, NULL)) < 0) {
		gth_git_error(err, code, 0, "comparing the commit with its parent");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	out->paths = calloc(n + 1, sizeof(*out->paths));
	if (!out->paths) {
		oom(err);
		goto done;
	}
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *p = d->new_file.path ? d->new_file.path : d->old_file.path;

		out->paths[i] = strdup(p);
		if (!out->paths[i]) {
			oom(err);
			goto done;
		}
		out->npaths = i + 1;
	}
	rc = 0;
done:
	if (rc < 0)
		gth_git_commit_info_release(out);
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_commit_free(c);
	git_object_free(obj);
	return rc;
}

void gth_git_commit_info_release(struct gth_git_commit_info *ci)
{
	size_t i;

	if (!ci)
		return;
	for (i = 0; i < ci->npaths; i++)
		free(ci->paths[i]);
	free(ci->paths);
	free(ci->message);
	memset(ci, 0, sizeof(*ci));
}

char *gth_git_message_trailer(const char *message, const char *key)
{
	git_message_trailer_array tr = { 0 };
	char *out = NULL;
	size_t i;

	if (!message || git_message_trailers(&tr, message) < 0) {
		git_error_clear();
		return NULL;
	}
	for (i = 0; i < tr.count; i++)
		if (strcasecmp(tr.trailers[i].key, key) == 0) {
			free(out);
			out = strdup(tr.trailers[i].value);
		}
	git_message_trailer_array_free(&tr);
	return out;
}
