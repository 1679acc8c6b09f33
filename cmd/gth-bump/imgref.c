#include "imgref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gth/util.h"

/* Interim parser until lib/ref (gth/ref.h) lands; then this file only wraps it. */

void bump_ref_release(struct bump_ref *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->tag);
	free(r->digest);
	r->name = r->tag = r->digest = NULL;
}

size_t bump_ref_repo_len(const char *s)
{
	size_t at = strcspn(s, "@");
	size_t slash = 0, i;

	for (i = 0; i < at; i++)
		if (s[i] == '/')
			slash = i + 1;
	for (i = slash; i < at; i++)
		if (s[i] == ':')
			return i;
	return at;
}

static int path_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[0] == '/' || p[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		char c = p[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '_' ||
		      c == '-' || c == '/'))
			return 0;
		if (c == '/' && p[i + 1] == '/')
			return 0;
	}
	return 1;
}

static int tag_ok(const char *t)
{
	size_t n = strlen(t), i;

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return 0;
	for (i = 0; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return 0;
	return 1;
}

static int digest_ok(const char *d)
{
	size_t i;

	if (!gth_starts_with(d, "sha256:") || strlen(d) != 7 + 64)
		return 0;
	for (i = 7; d[i]; i++)
		if (!isdigit((unsigned char)d[i]) && !(d[i] >= 'a' && d[i] <= 'f'))
			return 0;
	return 1;
}

int bump_ref_parse(struct bump_ref *r, const char *s, struct gth_error *err)
{
	size_t repo_len = bump_ref_repo_len(s), first;
	const char *at = strchr(s, '@');
	char *repo = NULL, *domain = NULL, *path = NULL;
	const char *why = NULL;

	bump_ref_release(r);
	if (!*s || repo_len == 0) {
		why = "no repository";
		goto bad;
	}
	if (s[repo_len] == ':') {
		size_t tl = at ? (size_t)(at - s) - repo_len - 1 : strlen(s + repo_len + 1);
		r->tag = strndup(s + repo_len + 1, tl);
		if (!r->tag || !tag_ok(r->tag)) {
			why = "invalid tag";
			goto bad;
		}
	}
	if (at) {
		r->digest = strdup(at + 1);
		if (!r->digest || !digest_ok(r->digest)) {
			why = "invalid digest (expected sha256: and 64 hex digits)";
			goto bad;
		}
	}
	repo = strndup(s, repo_len);
	if (!repo)
		goto bad;
	first = strcspn(repo, "/");
	if (repo[first] == '/' && (memchr(repo, '.', first) || memchr(repo, ':', first) ||
				   (first == 9 && strncmp(repo, "localhost", 9) == 0))) {
		domain = strndup(repo, first);
		path = strdup(repo + first + 1);
	} else {
		domain = strdup("docker.io");
		path = strchr(repo, '/') ? strdup(repo) : gth_strdupf("library/%s", repo);
	}
	if (!domain || !path)
		goto bad;
	if (strcmp(domain, "index.docker.io") == 0) {
		free(domain);
		domain = strdup("docker.io");
		if (!domain)
			goto bad;
	}
	if (strcmp(domain, "docker.io") == 0 && !strchr(path, '/')) {
		char *p = gth_strdupf("library/%s", path);
		free(path);
		path = p;
		if (!path)
			goto bad;
	}
	if (!path_ok(path, strlen(path))) {
		why = "invalid repository name";
		goto bad;
	}
	r->name = gth_strdupf("%s/%s", domain, path);
	if (!r->name)
		goto bad;
	free(repo);
	free(domain);
	free(path);
	return 0;
bad:
	free(repo);
	free(domain);
	free(path);
	bump_ref_release(r);
	return gth_error_set(err, GTH_EXIT_DATAERR, "invalid image reference '%s': %s", s,
			     why ? why : "out of memory");
}
