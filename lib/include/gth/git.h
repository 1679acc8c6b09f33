/* Git through libgit2 (1.5): a local work tree or a remote cached under
 * $XDG_CACHE_HOME/gth/git, and the race-safe "edit the tip, commit, push" loop that
 * gth-bump and gth-rollback share.
 *
 * gth_git_update() reads the tip of a branch, asks an edit callback for the files
 * to change (in memory: it never needs a checkout), commits them with the tip as
 * parent and pushes. A push is judged lost when the return code or any per-reference
 * status says so and a fetch shows the remote branch moved: it then fetches,
 * re-applies the edit to the new tip and retries after a jittered, doubling
 * backoff. A rejection while the branch did not move (a pre-receive hook, a
 * protected branch) is a 77 error carrying the server's message ("remote: ...").
 * A push that still fails on the network after its tries is checked with a fetch:
 * when the remote branch is at the new commit (the server took the push and only
 * its answer was lost) it counts as pushed; otherwise the 69 error stands.
 * Pushes to a local path or file:// URL are done here (libgit2's local transport
 * overwrites the branch without checking it did not move): objects are copied as
 * a pack and the branch is updated compare-and-swap. Such pushes run no hooks.
 *
 * Credentials: GITHUB_TOKEN as user "x-access-token" (GTH_GIT_TOKEN overrides it)
 * for HTTPS, the SSH agent ($SSH_AUTH_SOCK), then GTH_SSH_KEY or ~/.ssh/id_ed25519,
 * id_ecdsa, id_rsa. Tokens are registered with gth_secret_add.
 *
 * Ownership: libgit2 refuses a repository owned by another user unless git's
 * safe.directory allows it. A work tree named explicitly (gth_git_open with
 * trust set), or any work tree when CI or GITHUB_ACTIONS is set (containers that
 * run as another user than the checkout's), is opened anyway; the cache is always
 * ours (created 0700).
 *
 * Errors go through one adapter (gth_git_error): authentication 77; owner 77;
 * unreachable remote, TLS, SSH and HTTP failures during network operations 69
 * (after 3 tries); missing repository or revision 66; a lost race after all retries
 * 75; anything else 70. Every function returns 0 or -1 with err set, unless said.
 * Call gth_git_init() once before anything else and gth_git_shutdown() at the end.
 * Not thread-safe per repository handle. */
#ifndef GTH_GIT_H
#define GTH_GIT_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"

#define GTH_GIT_OID_HEX 41  /* 40 hex digits and a NUL */

struct gth_git;       /* an open repository */
struct gth_git_tree;  /* one commit's tree, handed to an edit callback */

int gth_git_init(struct gth_error *err);
void gth_git_shutdown(void);

/* Open the work tree holding path (discovered upward). trust: the user named it,
 * open it even when another user owns it (see above). 66 when none is there. */
int gth_git_open(struct gth_git **out, const char *path, int trust, struct gth_error *err);
/* Clone (bare) url into the cache, or fetch it when cached. Concurrent callers
 * on one machine share the cache; its updates are serialised by a lock file. */
int gth_git_open_remote(struct gth_git **out, const char *url, struct gth_error *err);
/* 1 when s looks like a remote URL (scheme:// or user@host:path), else 0. */
int gth_git_is_url(const char *s);
void gth_git_free(struct gth_git *g);

/* The work tree ("" for the cache), the remote's URL (NULL when a work tree has
 * no upstream) and the branch HEAD names in a work tree (NULL when detached). */
const char *gth_git_workdir(const struct gth_git *g);
const char *gth_git_remote_url(const struct gth_git *g);
const char *gth_git_head_branch(const struct gth_git *g);

/* Files the edit callback wants to write, each path relative to the root. */
struct gth_git_change {
	char *path;
	char *data;
	size_t len;
	char *old;        /* the previous content, for diffs (owned) */
	size_t old_len;
};

struct gth_git_changes {
	struct gth_git_change *v;
	size_t n, cap;
	char *message;    /* the commit message; see gth_git_changes_set_message */
};

#define GTH_GIT_CHANGES_INIT { NULL, 0, 0, NULL }

/* Add or replace a file (contents copied; old may be NULL). */
int gth_git_changes_put(struct gth_git_changes *c, const char *path, const void *data,
			size_t len, const void *old, size_t old_len);
/* The commit message for this attempt (copied), e.g. naming the old version. */
int gth_git_changes_set_message(struct gth_git_changes *c, const char *message);
void gth_git_changes_clear(struct gth_git_changes *c);

/* The tip's commit id and tree. */
const char *gth_git_tree_commit(const struct gth_git_tree *t);
/* Call cb for every file (blob) under prefix ("" or NULL for all; a file path
 * matches itself) in path order, with its contents. cb returns 0, or -1 to stop
 * (its error is passed up). */
int gth_git_tree_foreach(const struct gth_git_tree *t, const char *prefix,
			 int (*cb)(void *ctx, const char *path, const char *data, size_t len,
				   struct gth_error *err),
			 void *ctx, struct gth_error *err);
/* One file's contents into out (cleared first); 66 when absent. */
int gth_git_tree_read(const struct gth_git_tree *t, const char *path, struct gth_buf *out,
		      struct gth_error *err);

/* The edit: put the files to change into changes (empty: nothing to do). Called
 * once per attempt, each time with the then current tip and emptied changes. */
typedef int (*gth_git_edit_fn)(void *ctx, const struct gth_git_tree *tip,
			       struct gth_git_changes *changes, struct gth_error *err);

struct gth_git_update_opts {
	const char *branch;       /* base branch; NULL: the work tree's branch, or the
				   * remote's default branch */
	const char *push_branch;  /* push here instead (created from branch; when it
				   * exists remotely its tip is the base) */
	const char *message;      /* used when the edit sets none */
	const char *trailers;     /* "Key: value" lines appended as the message's last
				   * paragraph, or NULL */
	const char *author;       /* "Name <email>", or NULL: user.name/user.email from
				   * git config, else GIT_AUTHOR_NAME/_EMAIL, else
				   * "gth <gth@localhost>" */
	int retries;              /* lost races retried; default 10 when 0, -1 for none */
	int64_t backoff_ms;       /* first backoff, default 100; doubles, cap 5 s */
	int no_push;              /* commit only (a work tree's branch moves to it) */
	int dry_run;              /* edit once, fill result.diff, commit nothing */
	gth_git_edit_fn edit;
	void *edit_ctx;
};

#define GTH_GIT_UPDATE_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }

struct gth_git_update_result {
	char commit[GTH_GIT_OID_HEX];  /* the new commit, "" when none was made */
	char base[GTH_GIT_OID_HEX];    /* the tip it was made on */
	char *branch;                  /* the branch committed to / pushed to */
	char *base_branch;             /* the branch the edit was based on */
	int pushed;
	int attempts;                  /* edits tried (1 when no race was lost) */
	struct gth_git_changes changes; /* of the attempt that landed (or the dry run) */
	struct gth_buf diff;           /* unified diff of changes (dry runs and always) */
};

#define GTH_GIT_UPDATE_RESULT_INIT { "", "", NULL, NULL, 0, 0, GTH_GIT_CHANGES_INIT, GTH_BUF_INIT }

int gth_git_update(struct gth_git_update_result *res, struct gth_git *g,
		   const struct gth_git_update_opts *o, struct gth_error *err);
void gth_git_update_result_release(struct gth_git_update_result *res);

/* Walk first-parent history from rev (NULL: the base branch's tip as last fetched)
 * for the newest commit whose trailer key has value (any value when NULL), looking
 * at most max commits (0: 1000). 0 and the id in out, 1 when none, -1 on error. */
int gth_git_find_trailer(char out[GTH_GIT_OID_HEX], struct gth_git *g, const char *rev,
			 const char *key, const char *value, size_t max, struct gth_error *err);
/* A file's contents at a revision ("HEAD", a sha, "refs/remotes/origin/main"). */
int gth_git_read_at(struct gth_buf *out, struct gth_git *g, const char *rev, const char *path,
		    struct gth_error *err);
/* Unified diff (a/PATH b/PATH, 3 lines of context) of two contents appended to out. */
int gth_git_diff(struct gth_buf *out, const char *path, const char *old, size_t old_len,
		 const char *new_text, size_t new_len, struct gth_error *err);

/* One commit: its id, its first parent ("" for a root commit), its message and the
 * files that differ from that parent (added, changed or removed), in path order. */
struct gth_git_commit_info {
	char id[GTH_GIT_OID_HEX];
	char parent[GTH_GIT_OID_HEX];
	char *message;
	char **paths;
	size_t npaths;
};

#define GTH_GIT_COMMIT_INFO_INIT { "", "", NULL, NULL, 0 }

int gth_git_commit_info(struct gth_git_commit_info *out, struct gth_git *g, const char *rev,
			struct gth_error *err);
void gth_git_commit_info_release(struct gth_git_commit_info *ci);
/* The value of the last trailer key (case-insensitive) of a commit message, or
 * NULL; malloc'd. */
char *gth_git_message_trailer(const char *message, const char *key);

/* The libgit2 adapter: err from the last libgit2 error and its code, prefixed
 * with what ("fetching 'URL'"); network 1 maps transport failures to 69. -1. */
int gth_git_error(struct gth_error *err, int code, int network, const char *what);

#endif
