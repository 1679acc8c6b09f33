#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/util.h"
#include "gth/yaml.h"
#include "ignore.h"

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static void entry_free(struct scan_ignore *e)
{
	size_t i;

	free(e->id);
	for (i = 0; i < e->npaths; i++)
		free(e->paths[i]);
	free(e->paths);
	free(e->fingerprint);
	free(e->expires_text);
	free(e->reason);
	free(e->where);
}

void scan_ignores_release(struct scan_ignores *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->n; i++)
		entry_free(&ig->v[i]);
	free(ig->v);
	ig->v = NULL;
	ig->n = ig->cap = 0;
}

static struct scan_ignore *entry_new(struct scan_ignores *ig)
{
	struct scan_ignore *e;

	if (ig->n == ig->cap) {
		size_t cap = ig->cap ? ig->cap * 2 : 16;
		struct scan_ignore *v = realloc(ig->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ig->v = v;
		ig->cap = cap;
	}
	e = &ig->v[ig->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* "2026-12-31" (valid through that UTC day) or an RFC 3339 time. */
static int parse_expiry(const char *s, time_t *out)
{
	char buf[40];
	time_t t;

	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		if (gth_parse_time(buf, &t) < 0)
			return -1;
		*out = t + 86400;
		return 0;
	}
	if (gth_parse_time(s, &t) < 0)
		return -1;
	*out = t;
	return 0;
}

static int set_expiry(struct scan_ignore *e, const char *text, time_t now)
{
	if (parse_expiry(text, &e->expires) < 0)
		return -1;
	if (!(e->expires_text = strdup(text)))
		return -2;
	e->expired = now >= e->expires;
	return 0;
}

/* The next blank-separated word of *p, NUL-terminated in place; NULL at the end. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

static int load_trivy(struct scan_ignores *ig, const char *path, const char *text,
		      time_t now, struct gth_error *err)
{
	const char *p = text;
	int line = 0;

	while (*p) {
		const char *nl = strchr(p, '\n'), *le = nl ? nl : p + strlen(p);
		char buf[512], *tok, *cur = buf, *id;
		size_t l = (size_t)(le - p);
		struct scan_ignore *e;

		line++;
		if (l >= sizeof(buf))
			return gth_error_set(err, GTH_EXIT_CONFIG, "%s:%d: line too long", path, line);
		memcpy(buf, p, l);
		buf[l] = '\0';
		p = nl ? nl + 1 : le;
		if ((tok = strchr(buf, '#')))
			*tok = '\0';
		id = next_word(&cur);
		if (!id)
			continue;
		if (!(e = entry_new(ig)) || !(e->id = strdup(id)) ||
		    !(e->where = gth_strdupf("%s:%d", path, line)))
			return oom(err);
		while ((tok = next_word(&cur))) {
			int r;

			if (!gth_starts_with(tok, "exp:"))
				return gth_error_set(err, GTH_EXIT_CONFIG,
						     "%s:%d: unexpected '%s' (expected ID [exp:YYYY-MM-DD])",
						     path, line, tok);
			if ((r = set_expiry(e, tok + 4, now)) == -2)
				return oom(err);
			if (r < 0)
				return gth_error_set(err, GTH_EXIT_CONFIG,
						     "%s:%d: invalid expiry '%s' (expected exp:YYYY-MM-DD)",
						     path, line, tok + 4);
		}
	}
	return 0;
}

static int load_yaml(struct scan_ignores *ig, const char *path, const char *text, size_t len,
		     time_t now, struct gth_error *err)
{
	static const char *const known[] = { "id", "paths", "fingerprint", "expires", "reason", NULL };
	struct gth_yaml_doc doc = GTH_YAML_DOC_INIT;
	const struct gth_node *root, *list;
	size_t i, j;
	int rc = -1;

	if (gth_yaml_parse(&doc, text, len, path, err) < 0) {
		err->exit = GTH_EXIT_CONFIG;
		goto done;
	}
	root = gth_yaml_root(&doc);
	if (!root) {
		rc = 0;
		goto done;
	}
	list = root;
	if (root->kind == GTH_NODE_MAP) {
		static const char *const top[] = { "ignore", NULL };

		if (gth_node_check_keys(root, top, GTH_EXIT_CONFIG, err) < 0)
			goto done;
		list = gth_node_get(root, "ignore");
		if (!list) {
			rc = 0;
			goto done;
		}
	}
	if (list->kind != GTH_NODE_SEQ) {
		gth_node_error(err, GTH_EXIT_CONFIG, list, "expected a list of ignore entries");
		goto done;
	}
	for (i = 0; i < list->n; i++) {
		const struct gth_node *n = list->items[i], *paths;
		const char *id = NULL, *fp = NULL, *exp = NULL, *reason = NULL;
		struct scan_ignore *e;

		if (!n || n->kind != GTH_NODE_MAP) {
			gth_node_error(err, GTH_EXIT_CONFIG, n ? n : list,
				       "expected an entry with id, paths, fingerprint, expires, reason");
			goto done;
		}
		if (gth_node_check_keys(n, known, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "id", &id, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "fingerprint", &fp, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "expires", &exp, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "reason", &reason, GTH_EXIT_CONFIG, err) < 0)
			goto done;
		if (!id && !fp) {
			gth_node_error(err, GTH_EXIT_CONFIG, n, "an entry needs an id or a fingerprint");
			goto done;
		}
		if (!(e = entry_new(ig)) || (id && !(e->id = strdup(id))) ||
		    (fp && !(e->fingerprint = strdup(fp))) || (reason && !(e->reason = strdup(reason))) ||
		    !(e->where = gth_strdupf("%s:%d", path, n->line))) {
			oom(err);
			goto done;
		}
		if (exp) {
			int r = set_expiry(e, exp, now);

			if (r == -2) {
				oom(err);
				goto done;
			}
			if (r < 0) {
				gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(n, "expires"),
					       "expected a date like 2026-12-31");
				goto done;
			}
		}
		paths = gth_node_get(n, "paths");
		if (paths && paths->kind == GTH_NODE_SCALAR) {
			if (!(e->paths = calloc(1, sizeof(char *))) ||
			    !(e->paths[0] = strdup(gth_node_str(paths) ? gth_node_str(paths) : ""))) {
				oom(err);
				goto done;
			}
			e->npaths = 1;
		} else if (paths && paths->kind == GTH_NODE_SEQ) {
			if (!(e->paths = calloc(paths->n ? paths->n : 1, sizeof(char *)))) {
				oom(err);
				goto done;
			}
			for (j = 0; j < paths->n; j++) {
				const char *g = gth_node_str(paths->items[j]);

				if (!g) {
					gth_node_error(err, GTH_EXIT_CONFIG, paths->items[j],
						       "expected a path glob");
					goto done;
				}
				if (!(e->paths[j] = strdup(g))) {
					oom(err);
					goto done;
				}
				e->npaths++;
			}
		} else if (paths) {
			gth_node_error(err, GTH_EXIT_CONFIG, paths, "expected a list of path globs");
			goto done;
		}
	}
	rc = 0;
done:
	gth_yaml_doc_release(&doc);
	return rc;
}

int scan_ignores_load(struct scan_ignores *ig, const char *path, time_t now,
		      struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *base = strrchr(path, '/');
	int rc;

	base = base ? base + 1 : path;
	if (gth_buf_read_file(&b, path, 4 << 20, err) < 0) {
		gth_buf_release(&b);
		return -1;
	}
	if (gth_ends_with(base, ".trivyignore") || !strcmp(base, "trivyignore"))
		rc = load_trivy(ig, path, gth_buf_cstr(&b), now, err);
	else
		rc = load_yaml(ig, path, gth_buf_cstr(&b), b.len, now, err);
	gth_buf_release(&b);
	return rc;
}

static int id_matches(const char *id, const struct scan_finding *f)
{
	size_t i;

	if (f->id && !strcmp(id, f->id))
		return 1;
	for (i = 0; i < f->naliases; i++)
		if (!strcmp(id, f->aliases[i]))
			return 1;
	return 0;
}

const struct scan_ignore *scan_ignores_match(const struct scan_ignores *ig,
					     const struct scan_finding *f)
{
	size_t i, j;

	for (i = 0; i < ig->n; i++) {
		const struct scan_ignore *e = &ig->v[i];
		int ok = 1;

		if (e->expired)
			continue;
		if (e->id && !id_matches(e->id, f))
			ok = 0;
		if (ok && e->fingerprint && (!f->fingerprint || strcmp(e->fingerprint, f->fingerprint)))
			ok = 0;
		if (ok && e->npaths) {
			ok = 0;
			for (j = 0; j < e->npaths && !ok; j++)
				ok = f->path && gth_glob_match(e->paths[j], f->path);
		}
		if (ok)
			return e;
	}
	return NULL;
}
