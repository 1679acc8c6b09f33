/* lib/git against real repositories made with the git command in a sandbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gth/fs.h"
#include "gth/git.h"
#include "gth/util.h"

static char sandbox[256];

static void sh(const char *fmt, ...) GTH_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static char *sh_out(const char *fmt, ...) GTH_PRINTF(1, 2);
static char *sh_out(const char *fmt, ...)
{
	char cmd[4096];
	struct gth_buf b = GTH_BUF_INIT;
	char chunk[512];
	size_t n;
	FILE *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		gth_buf_put(&b, chunk, n);
	pclose(p);
	while (b.len && b.ptr[b.len - 1] == '\n')
		b.ptr[--b.len] = '\0';
	{
		char *s = gth_buf_detach(&b);
		return s ? s : strdup("");
	}
}

static int setup(void **state)
{
	char *d;

	(void)state;
	snprintf(sandbox, sizeof(sandbox), "%s/gth-git-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	d = mkdtemp(sandbox);
	assert_non_null(d);
	setenv("XDG_CACHE_HOME", sandbox, 1);
	setenv("GIT_AUTHOR_NAME", "Test", 1);
	setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test", 1);
	setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
	unsetenv("CI");
	unsetenv("GITHUB_ACTIONS");
	sh("cd %s && git init -q --bare -b main remote.git && git init -q -b main seed && cd seed && "
	   "mkdir -p k8s && printf 'image: app:v1\\n' > k8s/app.yaml && printf 'x\\n' > README && "
	   "git add . && git commit -qm init && git push -q ../remote.git main", sandbox);
	return gth_git_init(NULL);
}

static int teardown(void **state)
{
	(void)state;
	gth_git_shutdown();
	sh("rm -rf %s", sandbox);
	return 0;
}

struct edit {
	const char *from, *to;
	int calls;
	int race_on;     /* make an outside commit during this call */
};

static int edit_cb(void *ctx, const struct gth_git_tree *tip, struct gth_git_changes *c,
		   struct gth_error *err)
{
	struct edit *e = ctx;
	struct gth_buf b = GTH_BUF_INIT;
	char *hit;
	int rc;

	e->calls++;
	if (e->race_on == e->calls)
		sh("cd %s/seed && git pull -q ../remote.git main && echo y >> README && "
		   "git commit -qam outside && git push -q ../remote.git main", sandbox);
	if (gth_git_tree_read(tip, "k8s/app.yaml", &b, err) < 0)
		return -1;
	hit = strstr(b.ptr, e->from);
	if (!hit) {
		gth_buf_release(&b);
		return 0;
	}
	{
		char *old = strdup(b.ptr);
		memcpy(hit, e->to, strlen(e->to));
		rc = gth_git_changes_put(c, "k8s/app.yaml", b.ptr, b.len, old, strlen(old));
		free(old);
	}
	gth_buf_release(&b);
	return rc;
}

static void test_remote_update_and_race(void **state)
{
	struct gth_git *g = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_git_update_opts o = GTH_GIT_UPDATE_OPTS_INIT;
	struct gth_git_update_result r = GTH_GIT_UPDATE_RESULT_INIT;
	struct edit e = { "app:v1", "app:v2", 0, 1 };
	char url[512], found[GTH_GIT_OID_HEX];
	char *out;

	(void)state;
	snprintf(url, sizeof(url), "file://%s/remote.git", sandbox);
	if (gth_git_open_remote(&g, url, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(gth_git_workdir(g), "");
	o.edit = edit_cb;
	o.edit_ctx = &e;
	o.message = "Bump app";
	o.trailers = "Gth-App: app\nGth-Image: app:v2";
	o.backoff_ms = 1;
	if (gth_git_update(&r, g, &o, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.pushed, 1);
	assert_int_equal(r.attempts, 2);
	assert_string_equal(r.branch, "main");
	assert_int_equal(r.changes.n, 1);
	out = sh_out("git --git-dir=%s/remote.git log --format=%%s main", sandbox);
	assert_string_equal(out, "Bump app\noutside\ninit");
	free(out);
	out = sh_out("git --git-dir=%s/remote.git show main:k8s/app.yaml", sandbox);
	assert_string_equal(out, "image: app:v2");
	free(out);
	out = sh_out("git --git-dir=%s/remote.git log -1 --format=%%B main", sandbox);
	assert_string_equal(out, "Bump app\n\nGth-App: app\nGth-Image: app:v2");
	free(out);
	assert_int_equal(gth_git_find_trailer(found, g, NULL, "gth-app", "app", 0, &err), 0);
	assert_string_equal(found, r.commit);
	assert_int_equal(gth_git_find_trailer(found, g, NULL, "Gth-App", "other", 0, &err), 1);
	gth_git_update_result_release(&r);

	/* nothing left to change: success, no commit */
	e.calls = 0;
	e.race_on = 0;
	memset(&r, 0, sizeof(r));
	assert_int_equal(gth_git_update(&r, g, &o, &err), 0);
	assert_string_equal(r.commit, "");
	assert_int_equal(r.changes.n, 0);
	gth_git_update_result_release(&r);
	gth_git_free(g);
}

static void test_worktree_dry_run_and_push(void **state)
{
	struct gth_git *g = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_git_update_opts o = GTH_GIT_UPDATE_OPTS_INIT;
	struct gth_git_update_result r = GTH_GIT_UPDATE_RESULT_INIT;
	struct edit e = { "app:v2", "app:v3", 0, 0 };
	char path[512];
	char *out;

	(void)state;
	sh("cd %s && git clone -q remote.git work", sandbox);
	snprintf(path, sizeof(path), "%s/work/k8s", sandbox);
	if (gth_git_open(&g, path, 0, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(gth_git_head_branch(g), "main");
	o.edit = edit_cb;
	o.edit_ctx = &e;
	o.dry_run = 1;
	assert_int_equal(gth_git_update(&r, g, &o, &err), 0);
	assert_string_equal(r.commit, "");
	assert_non_null(strstr(gth_buf_cstr(&r.diff), "-image: app:v2\n+image: app:v3\n"));
	gth_git_update_result_release(&r);
	o.dry_run = 0;
	o.message = "Bump again";
	if (gth_git_update(&r, g, &o, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(r.pushed, 1);
	out = sh_out("cd %s/work && cat k8s/app.yaml && git status --porcelain && "
		     "git rev-parse HEAD origin/main && git --git-dir=../remote.git rev-parse main",
		     sandbox);
	{
		char expect[512];
		snprintf(expect, sizeof(expect), "image: app:v3\n%s\n%s\n%s", r.commit, r.commit,
			 r.commit);
		assert_string_equal(out, expect);
	}
	free(out);
	gth_git_update_result_release(&r);
	gth_git_free(g);
}

static void test_errors(void **state)
{
	struct gth_git *g = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	char url[512];

	(void)state;
	assert_int_equal(gth_git_open(&g, "/nonexistent/dir", 0, &err), -1);
	assert_int_equal(err.exit, 66);
	snprintf(url, sizeof(url), "file://%s/missing.git", sandbox);
	assert_int_equal(gth_git_open_remote(&g, url, &err), -1);
	assert_null(g);
	assert_true(err.exit == 66 || err.exit == 69);
	assert_int_equal(gth_git_is_url("git@github.com:a/b.git"), 1);
	assert_int_equal(gth_git_is_url("https://x/y"), 1);
	assert_int_equal(gth_git_is_url("./dir"), 0);
	assert_int_equal(gth_git_is_url("/a/b:c"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_update_and_race),
		cmocka_unit_test(test_worktree_dry_run_and_push),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
