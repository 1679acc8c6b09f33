/* gth-build tags: docker/metadata-action's tag rules, and the git and GitHub facts
 * they and the image annotations come from. */
#include <ctype.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "gth/buf.h"
#include "gth/json.h"
#include "gth/util.h"

void git_facts_release(struct git_facts *f)
{
	size_t i;

	if (!f)
		return;
	free(f->sha);
	free(f->ref);
	free(f->source);
	free(f->default_branch);
	for (i = 0; f->head_tags && f->head_tags[i]; i++)
		free(f->head_tags[i]);
	free(f->head_tags);
	memset(f, 0, sizeof(*f));
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* git@host:o/r.git, ssh://git@host/o/r.git, https://user:pw@host/o/r.git -> https://host/o/r */
static char *source_url(const char *url)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *p = url, *at, *slash;

	if (gth_starts_with(p, "git@")) {
		const char *colon = strchr(p, ':');

		if (!colon)
			return NULL;
		gth_buf_printf(&b, "https://%.*s/%s", (int)(colon - p - 4), p + 4, colon + 1);
	} else {
		const char *s = strstr(p, "://");

		if (!s)
			return NULL;
		s += 3;
		slash = strchr(s, '/');
		at = strchr(s, '@');
		if (at && (!slash || at < slash))
			s = at + 1;
		gth_buf_printf(&b, "https://%s", s);
	}
	if (gth_ends_with(gth_buf_cstr(&b), ".git")) {
		b.len -= 4;
		b.ptr[b.len] = '\0';
	}
	return gth_buf_detach(&b);
}

static void default_branch_from_event(struct git_facts *f)
{
	const char *path = env("GITHUB_EVENT_PATH");
	cJSON *j = NULL;
	const cJSON *repo;

	if (!path || gth_json_parse_file(&j, path, 0, NULL) < 0)
		return;
	repo = gth_json_obj(j, "repository");
	if (repo && gth_json_str(repo, "default_branch"))
		f->default_branch = strdup(gth_json_str(repo, "default_branch"));
	cJSON_Delete(j);
}

static int add_head_tag(struct git_facts *f, size_t *n, const char *name)
{
	char **t = realloc(f->head_tags, (*n + 2) * sizeof(*t));

	if (!t)
		return -1;
	f->head_tags = t;
	t[*n] = strdup(name);
	t[*n + 1] = NULL;
	(*n)++;
	return 0;
}

static void facts_from_git(struct git_facts *f)
{
	git_buf root = { 0 };
	git_repository *repo = NULL;
	git_reference *head = NULL, *ohead = NULL;
	git_remote *origin = NULL;
	git_strarray tags = { 0 };
	const git_oid *oid = NULL;
	git_oid head_oid;
	size_t i, ntags = 0;

	git_libgit2_init();
	if (git_repository_discover(&root, ".", 0, NULL) != 0 ||
	    git_repository_open(&repo, root.ptr) != 0)
		goto done;
	if (git_repository_head(&head, repo) == 0) {
		git_reference *resolved = NULL;

		if (git_reference_resolve(&resolved, head) == 0) {
			head_oid = *git_reference_target(resolved);
			oid = &head_oid;
			git_reference_free(resolved);
		}
		if (!f->sha && oid) {
			char sha[GIT_OID_HEXSZ + 1];

			git_oid_tostr(sha, sizeof(sha), oid);
			f->sha = strdup(sha);
		}
		if (!f->ref && !git_repository_head_detached(repo))
			f->ref = strdup(git_reference_name(head));
	}
	if (oid && git_tag_list(&tags, repo) == 0) {
		for (i = 0; i < tags.count; i++) {
			char name[512];
			git_object *obj = NULL, *peeled = NULL;

			snprintf(name, sizeof(name), "refs/tags/%s", tags.strings[i]);
			if (git_revparse_single(&obj, repo, name) == 0 &&
			    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 &&
			    git_oid_equal(git_object_id(peeled), oid))
				add_head_tag(f, &ntags, tags.strings[i]);
			git_object_free(peeled);
			git_object_free(obj);
		}
		git_strarray_dispose(&tags);
	}
	if (!f->ref && ntags > 0)
		f->ref = gth_strdupf("refs/tags/%s", f->head_tags[0]);
	if (!f->source && git_remote_lookup(&origin, repo, "origin") == 0 && git_remote_url(origin))
		f->source = source_url(git_remote_url(origin));
	if (!f->default_branch &&
	    git_reference_lookup(&ohead, repo, "refs/remotes/origin/HEAD") == 0 &&
	    git_reference_type(ohead) == GIT_REFERENCE_SYMBOLIC) {
		const char *t = git_reference_symbolic_target(ohead);

		if (gth_starts_with(t, "refs/remotes/origin/"))
			f->default_branch = strdup(t + 20);
	}
done:
	git_reference_free(ohead);
	git_remote_free(origin);
	git_reference_free(head);
	git_repository_free(repo);
	git_buf_dispose(&root);
	git_libgit2_shutdown();
}

int git_facts_load(struct git_facts *f, struct gth_error *err)
{
	const char *v;

	memset(f, 0, sizeof(*f));
	if ((v = env("GITHUB_SHA")))
		f->sha = strdup(v);
	if ((v = env("GITHUB_REF")))
		f->ref = strdup(v);
	if (env("GITHUB_SERVER_URL") && env("GITHUB_REPOSITORY"))
		f->source = gth_strdupf("%s/%s", env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"));
	if ((v = env("GTH_DEFAULT_BRANCH")))
		f->default_branch = strdup(v);
	if (!f->default_branch)
		default_branch_from_event(f);
	if (!f->sha || !f->ref || !f->source || !f->default_branch)
		facts_from_git(f);
	if (!f->default_branch)
		f->default_branch = strdup("main");
	if (!f->default_branch)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return 0;
}

char *tags_sanitize(const char *branch)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *p;
	int in_bad = 0;

	for (p = branch; *p; p++) {
		int ok = isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-';

		if (ok) {
			gth_buf_putc(&b, *p);
			in_bad = 0;
		} else if (!in_bad) {
			gth_buf_putc(&b, '-');
			in_bad = 1;
		}
	}
	{
		char *s = gth_buf_detach(&b), *q;

		if (!s)
			return NULL;
		for (q = s; *q == '.' || *q == '-'; q++)
			;
		memmove(s, q, strlen(q) + 1);
		if (strlen(s) > 128)
			s[128] = '\0';
		if (!*s) {
			free(s);
			return NULL;
		}
		return s;
	}
}

static int parse_num(const char **p, long *out)
{
	const char *s = *p;
	long v = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	if (*s == '0' && isdigit((unsigned char)s[1]))
		return 0;
	while (isdigit((unsigned char)*s)) {
		if (v > 100000000)
			return 0;
		v = v * 10 + (*s++ - '0');
	}
	*p = s;
	*out = v;
	return 1;
}

int tags_semver(const char *s, long *major, long *minor, long *patch, const char **prerelease,
		const char **version)
{
	const char *p = s;

	if (*p == 'v' || *p == 'V')
		p++;
	*version = p;
	if (!parse_num(&p, major) || *p++ != '.' || !parse_num(&p, minor) || *p++ != '.' ||
	    !parse_num(&p, patch))
		return 0;
	if (*p == '-') {
		const char *q = ++p;

		if (!*q)
			return 0;
		for (; *q && *q != '+'; q++)
			if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-')
				return 0;
		*prerelease = p;
		p = q;
	} else {
		*prerelease = "";
	}
	if (*p == '+') {
		for (p++; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
				return 0;
	}
	return *p == '\0';
}

void tags_free(char **tags)
{
	size_t i;

	for (i = 0; tags && tags[i]; i++)
		free(tags[i]);
	free(tags);
}

struct taglist {
	char **v;
	size_t n;
};

static void tl_add(struct taglist *t, char *s)
{
	size_t i;
	char **n;

	if (!s)
		return;
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i], s)) {
			free(s);
			return;
		}
	n = realloc(t->v, (t->n + 2) * sizeof(*n));
	if (!n) {
		free(s);
		return;
	}
	t->v = n;
	t->v[t->n++] = s;
	t->v[t->n] = NULL;
}

/* X.Y.Z[-pre] always; X.Y and X (not 0) for releases. Returns 1 for a release. */
static int add_semver(struct taglist *t, const char *tag)
{
	long ma, mi, pa;
	const char *pre, *ver;

	if (!tags_semver(tag, &ma, &mi, &pa, &pre, &ver))
		return -1;
	if (*pre) {
		size_t n = strcspn(ver, "+");

		tl_add(t, gth_strdupf("%.*s", (int)n, ver));
		return 0;
	}
	tl_add(t, gth_strdupf("%ld.%ld.%ld", ma, mi, pa));
	tl_add(t, gth_strdupf("%ld.%ld", ma, mi));
	if (ma != 0)
		tl_add(t, gth_strdupf("%ld", ma));
	return 1;
}

static int policy_has(const char *policy, const char *kind)
{
	size_t n = strlen(kind);
	const char *p = policy;

	while ((p = strstr(p, kind))) {
		if ((p == policy || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

int tags_compute(char ***out, const char *policy, struct gth_error *err)
{
	struct git_facts f;
	struct taglist t = { NULL, 0 };
	int release = 0, on_default = 0;
	const char *p;

	*out = NULL;
	if (!policy)
		policy = "sha,branch,semver,latest";
	for (p = policy; *p;) {
		size_t n = strcspn(p, ",");

		if (!((n == 3 && !strncmp(p, "sha", 3)) || (n == 6 && !strncmp(p, "branch", 6)) ||
		      (n == 6 && !strncmp(p, "semver", 6)) || (n == 6 && !strncmp(p, "latest", 6))))
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "--tag-policy: unknown kind '%.*s' (sha, branch, semver, latest)",
					     (int)n, p);
		p += n;
		if (*p == ',')
			p++;
	}
	if (git_facts_load(&f, err) < 0)
		return -1;
	if (f.ref && gth_starts_with(f.ref, "refs/tags/")) {
		const char *tag = f.ref + 10;
		int r = policy_has(policy, "semver") ? add_semver(&t, tag) : -2;

		if (r == 1)
			release = 1;
		if (r == -1 && policy_has(policy, "branch"))
			tl_add(&t, tags_sanitize(tag));
		if (r == -2) {
			long a, b, c;
			const char *pre, *ver;

			release = tags_semver(tag, &a, &b, &c, &pre, &ver) && !*pre;
		}
	} else if (f.ref && gth_starts_with(f.ref, "refs/heads/")) {
		const char *br = f.ref + 11;

		if (policy_has(policy, "branch"))
			tl_add(&t, tags_sanitize(br));
		on_default = !strcmp(br, f.default_branch);
		/* local git: semver tags at HEAD count too */
		if (policy_has(policy, "semver") && !env("GITHUB_REF")) {
			size_t i;

			for (i = 0; f.head_tags && f.head_tags[i]; i++)
				if (add_semver(&t, f.head_tags[i]) == 1)
					release = 1;
		}
	} else if (f.ref && gth_starts_with(f.ref, "refs/pull/")) {
		long n;
		char num[32];
		size_t len = strcspn(f.ref + 10, "/");

		if (len < sizeof(num)) {
			memcpy(num, f.ref + 10, len);
			num[len] = '\0';
			if (gth_parse_long(num, 0, 1000000000L, &n) == 0 && policy_has(policy, "branch"))
				tl_add(&t, gth_strdupf("pr-%ld", n));
		}
	}
	if (policy_has(policy, "sha") && f.sha && strlen(f.sha) >= 7)
		tl_add(&t, gth_strdupf("sha-%.7s", f.sha));
	if (policy_has(policy, "latest") && (on_default || release))
		tl_add(&t, strdup("latest"));
	git_facts_release(&f);
	if (!t.v) {
		t.v = calloc(1, sizeof(char *));
		if (!t.v)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	*out = t.v;
	return 0;
}
