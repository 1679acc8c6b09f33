#include "lockfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/json.h"
#include "gth/util.h"
#include "gth/yaml.h"

void lock_pkgs_release(struct lock_pkgs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].ecosystem);
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].path);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int lock_pkgs_add(struct lock_pkgs *l, const char *ecosystem, const char *name, const char *version,
		  const char *path, int line, int dev)
{
	struct lock_pkg *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct lock_pkg *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	p = &l->v[l->n];
	p->ecosystem = strdup(ecosystem);
	p->name = strdup(name);
	p->version = strdup(version);
	p->path = strdup(path ? path : name);
	p->line = line;
	p->dev = dev;
	if (!p->ecosystem || !p->name || !p->version || !p->path) {
		free(p->ecosystem);
		free(p->name);
		free(p->version);
		free(p->path);
		return -1;
	}
	l->n++;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

enum lock_kind {
	LOCK_NONE = 0, LOCK_NPM, LOCK_YARN, LOCK_PNPM, LOCK_GOMOD, LOCK_CARGO, LOCK_POETRY,
	LOCK_REQUIREMENTS, LOCK_PIPFILE
};

static enum lock_kind kind_of(const char *path)
{
	const char *b = base_name(path);

	if (strcmp(b, "package-lock.json") == 0 || strcmp(b, "npm-shrinkwrap.json") == 0)
		return LOCK_NPM;
	if (strcmp(b, "yarn.lock") == 0)
		return LOCK_YARN;
	if (strcmp(b, "pnpm-lock.yaml") == 0)
		return LOCK_PNPM;
	if (strcmp(b, "go.mod") == 0)
		return LOCK_GOMOD;
	if (strcmp(b, "Cargo.lock") == 0)
		return LOCK_CARGO;
	if (strcmp(b, "poetry.lock") == 0)
		return LOCK_POETRY;
	if (strcmp(b, "Pipfile.lock") == 0)
		return LOCK_PIPFILE;
	if (gth_starts_with(b, "requirements") && gth_ends_with(b, ".txt"))
		return LOCK_REQUIREMENTS;
	return LOCK_NONE;
}

int lockfile_recognised(const char *path)
{
	return kind_of(path) != LOCK_NONE;
}

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

/* 1-based line of the first occurrence of needle in data, 0 when absent. */
static int line_of(const char *data, size_t len, const char *needle)
{
	const char *p = NULL;
	size_t nl = strlen(needle);
	int line = 1;

	for (size_t i = 0; i + nl <= len; i++) {
		if (data[i] == needle[0] && memcmp(data + i, needle, nl) == 0) {
			p = data + i;
			break;
		}
	}
	if (p == NULL)
		return 0;
	for (const char *q = data; q < p; q++)
		if (*q == '\n')
			line++;
	return line;
}

/* Find needle at or after *pos, advancing *pos and *line past it; the line of
 * the match, or 0 (pos unchanged) when it does not occur. Keys of a JSON object
 * come in file order, so a forward scan finds each in one pass. */
static int line_from(const char *data, size_t len, size_t *pos, int *line, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = *pos; i + nl <= len; i++) {
		if (data[i] == needle[0] && memcmp(data + i, needle, nl) == 0) {
			for (size_t k = *pos; k < i; k++)
				if (data[k] == '\n')
					(*line)++;
			*pos = i;
			return *line;
		}
	}
	return 0;
}

/* ---- npm ------------------------------------------------------------------- */

struct npm_entry {
	const char *loc;       /* "node_modules/a/node_modules/b" */
	const cJSON *obj;
	int parent;            /* BFS parent, -1 for a root dependency, -2 unreached */
	int line;
};

static int npm_loc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct npm_entry *)a)->loc, ((const struct npm_entry *)b)->loc);
}

static int npm_find(const struct npm_entry *v, size_t n, const char *loc)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v[mid].loc, loc);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The package name at a location: after the last "node_modules/". */
static const char *npm_loc_name(const char *loc)
{
	const char *p = loc, *last = NULL;

	while ((p = strstr(p, "node_modules/")) != NULL) {
		last = p + 13;
		p += 13;
	}
	return last;
}

/* Resolve dependency name from location from, as node does: from/node_modules/name,
 * then each ancestor's node_modules, then the root's. */
static int npm_resolve(const struct npm_entry *v, size_t n, const char *from, const char *name,
		       struct gth_buf *tmp)
{
	size_t len = strlen(from);

	for (;;) {
		int i;
		gth_buf_clear(tmp);
		if (len > 0) {
			gth_buf_put(tmp, from, len);
			gth_buf_puts(tmp, "/");
		}
		gth_buf_printf(tmp, "node_modules/%s", name);
		if ((i = npm_find(v, n, gth_buf_cstr(tmp))) >= 0)
			return i;
		if (len == 0)
			return -1;
		/* up one node_modules level */
		{
			size_t k = len;
			const char *cut = NULL;
			for (size_t j = 0; j + 14 <= k; j++)
				if (memcmp(from + j, "/node_modules/", 14) == 0)
					cut = from + j;
			if (cut == NULL)
				len = 0;
			else
				len = (size_t)(cut - from);
		}
	}
}

static void npm_queue_deps(struct npm_entry *v, size_t n, int from_idx, const cJSON *obj, const char *from_loc,
			   int *queue, size_t *qn, struct gth_buf *tmp)
{
	static const char *const kinds[] = { "dependencies", "optionalDependencies", "devDependencies",
					     "peerDependencies" };
	for (size_t k = 0; k < 4; k++) {
		const cJSON *deps = cJSON_GetObjectItemCaseSensitive(obj, kinds[k]), *d;
		if (!cJSON_IsObject(deps))
			continue;
		cJSON_ArrayForEach(d, deps) {
			int i = npm_resolve(v, n, from_loc, d->string, tmp);
			if (i >= 0 && v[i].parent == -2) {
				v[i].parent = from_idx;
				queue[(*qn)++] = i;
			}
		}
	}
}

static char *npm_path(const struct npm_entry *v, int i)
{
	struct gth_buf b = GTH_BUF_INIT;
	int chain[256], n = 0;

	while (i >= 0 && n < 256) {
		chain[n++] = i;
		i = v[i].parent;
	}
	while (n-- > 0) {
		const char *name = gth_json_str(v[chain[n]].obj, "name");
		if (name == NULL)
			name = npm_loc_name(v[chain[n]].loc);
		if (b.len)
			gth_buf_puts(&b, " > ");
		gth_buf_puts(&b, name ? name : v[chain[n]].loc);
	}
	return gth_buf_detach(&b);
}

/* A location-based path for packages no dependency reaches. */
static char *npm_loc_path(const char *loc)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *p = loc;

	while ((p = strstr(p, "node_modules/")) != NULL) {
		const char *s = p + 13, *e = strstr(s, "/node_modules/");
		if (b.len)
			gth_buf_puts(&b, " > ");
		gth_buf_put(&b, s, e ? (size_t)(e - s) : strlen(s));
		p = e ? e + 1 : s + strlen(s);
	}
	return gth_buf_detach(&b);
}

static int npm_v2(struct lock_pkgs *out, const char *file, const char *data, size_t len,
		  const cJSON *packages, struct gth_error *err)
{
	struct npm_entry *v;
	struct gth_buf tmp = GTH_BUF_INIT, needle = GTH_BUF_INIT;
	const cJSON *it, *root = NULL;
	size_t n = 0, qn = 0, qi = 0, pos = 0;
	int *queue, rc = -1, cur_line = 1;

	v = calloc((size_t)cJSON_GetArraySize(packages) + 1, sizeof(*v));
	queue = calloc((size_t)cJSON_GetArraySize(packages) + 1, sizeof(*queue));
	if (v == NULL || queue == NULL) {
		oom(err);
		goto done;
	}
	cJSON_ArrayForEach(it, packages) {
		if (it->string[0] == '\0') {
			root = it;
			continue;
		}
		if (!cJSON_IsObject(it)) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: packages.\"%s\": expected an object", file, it->string);
			goto done;
		}
		v[n].loc = it->string;
		v[n].obj = it;
		v[n].parent = -2;
		gth_buf_clear(&needle);
		gth_buf_printf(&needle, "\"%s\":", it->string);
		v[n].line = line_from(data, len, &pos, &cur_line, gth_buf_cstr(&needle));
		n++;
	}
	qsort(v, n, sizeof(*v), npm_loc_cmp);
	if (root)
		npm_queue_deps(v, n, -1, root, "", queue, &qn, &tmp);
	while (qi < qn) {
		int i = queue[qi++];
		const cJSON *obj = v[i].obj;
		/* a link's dependencies are those of its target */
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "link"))) {
			const char *target = gth_json_str(obj, "resolved");
			int t = target ? npm_find(v, n, target) : -1;
			if (t >= 0)
				npm_queue_deps(v, n, i, v[t].obj, v[t].loc, queue, &qn, &tmp);
			continue;
		}
		npm_queue_deps(v, n, i, obj, v[i].loc, queue, &qn, &tmp);
	}
	for (size_t i = 0; i < n; i++) {
		const cJSON *obj = v[i].obj;
		const char *name = gth_json_str(obj, "name"), *version = gth_json_str(obj, "version");
		char *path;
		int r;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "link")) || version == NULL)
			continue;
		if (strstr(v[i].loc, "node_modules/") == NULL)
			continue; /* a workspace member */
		if (name == NULL)
			name = npm_loc_name(v[i].loc);
		if (name == NULL || *name == '\0')
			continue;
		path = v[i].parent != -2 ? npm_path(v, (int)i) : npm_loc_path(v[i].loc);
		r = lock_pkgs_add(out, "npm", name, version, path ? path : name, v[i].line,
				  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "dev")));
		free(path);
		if (r < 0) {
			oom(err);
			goto done;
		}
	}
	rc = 0;
done:
	free(v);
	free(queue);
	gth_buf_release(&tmp);
	gth_buf_release(&needle);
	return rc;
}

static int npm_v1(struct lock_pkgs *out, const char *file, const cJSON *deps, const char *prefix,
		  int depth, struct gth_error *err)
{
	const cJSON *it;

	if (depth > 64)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: dependencies nested too deep", file);
	cJSON_ArrayForEach(it, deps) {
		const char *version = gth_json_str(it, "version");
		const cJSON *sub = cJSON_GetObjectItemCaseSensitive(it, "dependencies");
		char *path;
		if (!cJSON_IsObject(it))
			return gth_error_set(err, GTH_EXIT_DATAERR, "%s: dependencies.\"%s\": expected an object",
					     file, it->string);
		path = prefix ? gth_strdupf("%s > %s", prefix, it->string) : strdup(it->string);
		if (path == NULL)
			return oom(err);
		/* "npm:real@1.2.3" aliases name the real package */
		if (version && gth_starts_with(version, "npm:")) {
			const char *spec = version + 4, *at = strrchr(spec, '@');
			if (at && at != spec) {
				char *real = strndup(spec, (size_t)(at - spec));
				int r = real ? lock_pkgs_add(out, "npm", real, at + 1, path, 0,
							     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "dev"))) : -1;
				free(real);
				if (r < 0) {
					free(path);
					return oom(err);
				}
			}
		} else if (version && lock_pkgs_add(out, "npm", it->string, version, path, 0,
					 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "dev"))) < 0) {
			free(path);
			return oom(err);
		}
		if (cJSON_IsObject(sub) && npm_v1(out, file, sub, path, depth + 1, err) < 0) {
			free(path);
			return -1;
		}
		free(path);
	}
	return 0;
}

static int parse_npm(struct lock_pkgs *out, const char *file, const char *data, size_t len,
		     struct gth_error *err)
{
	cJSON *root = NULL;
	const cJSON *packages, *deps;
	int rc;

	if (gth_json_parse(&root, data, len, file, err) < 0)
		return -1;
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: expected a JSON object", file);
	}
	packages = cJSON_GetObjectItemCaseSensitive(root, "packages");
	deps = cJSON_GetObjectItemCaseSensitive(root, "dependencies");
	if (cJSON_IsObject(packages))
		rc = npm_v2(out, file, data, len, packages, err);
	else if (cJSON_IsObject(deps))
		rc = npm_v1(out, file, deps, NULL, 0, err);
	else
		rc = 0;
	cJSON_Delete(root);
	return rc;
}

/* ---- yarn ------------------------------------------------------------------ */

struct yarn_block {
	char *specs;         /* the key line, unquoted, ", "-separated */
	char *name;
	char *version;
	char **deps;         /* "name@range" */
	size_t ndeps;
	int line;
	int parent;          /* -1 root, -2 unreached */
	int skip;
};

static char *unquote(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s++;
		n -= 2;
	}
	return strndup(s, n);
}

/* "name@range" -> name (the '@' of a scope is not the separator). */
static char *spec_name(const char *spec)
{
	const char *at = strchr(spec + (spec[0] == '@'), '@');

	return strndup(spec, at ? (size_t)(at - spec) : strlen(spec));
}

struct yarn_spec {
	const char *s;
	size_t n;
	int block;
};

static int yarn_spec_cmp(const void *a, const void *b)
{
	const struct yarn_spec *x = a, *y = b;
	size_t m = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, m);

	if (c != 0)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

static int yarn_find1(const struct yarn_spec *v, size_t n, const char *s, size_t sl)
{
	size_t lo = 0, hi = n;
	struct yarn_spec key = { s, sl, 0 };

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = yarn_spec_cmp(&v[mid], &key);
		if (c == 0)
			return v[mid].block;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The entry of a dependency "name@range"; berry keys carry the npm: protocol
 * that its dependency ranges leave out. */
static int yarn_find(const struct yarn_spec *v, size_t n, const char *dep)
{
	const char *at;
	char buf[1024];
	int i;

	if (dep == NULL)
		return -1;
	if ((i = yarn_find1(v, n, dep, strlen(dep))) >= 0)
		return i;
	at = strchr(dep + (dep[0] == '@'), '@');
	if (at == NULL || gth_starts_with(at + 1, "npm:"))
		return -1;
	snprintf(buf, sizeof(buf), "%.*s@npm:%s", (int)(at - dep), dep, at + 1);
	return yarn_find1(v, n, buf, strlen(buf));
}

static int parse_yarn(struct lock_pkgs *out, const char *file, const char *data, size_t len,
		      struct gth_error *err)
{
	struct yarn_block *bl = NULL;
	size_t nb = 0, cap = 0;
	const char *p = data, *end = data + len;
	int lineno = 0, in_deps = 0, rc = -1;
	int *queue = NULL;
	size_t qn = 0, qi = 0, nspecs = 0;
	char *indeg = NULL;
	struct yarn_spec *specs = NULL;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		const char *line = p;
		size_t indent = 0;

		lineno++;
		p = eol ? eol + 1 : end;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		while (indent < n && line[indent] == ' ')
			indent++;
		if (indent == n || line[indent] == '#')
			continue;
		if (indent == 0) {
			char *key;
			in_deps = 0;
			if (line[n - 1] != ':') {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: expected a \"package@range:\" line", file,
					      lineno);
				goto done;
			}
			if (nb == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct yarn_block *nbl = realloc(bl, nc * sizeof(*nbl));
				if (nbl == NULL) {
					oom(err);
					goto done;
				}
				bl = nbl;
				cap = nc;
			}
			memset(&bl[nb], 0, sizeof(bl[nb]));
			bl[nb].line = lineno;
			bl[nb].parent = -2;
			key = unquote(line, n - 1);
			if (key == NULL) {
				oom(err);
				goto done;
			}
			/* berry quotes the whole key, classic each spec: normalise both */
			{
				struct gth_buf b = GTH_BUF_INIT;
				const char *q = key;
				while (*q) {
					const char *e = strchr(q, ',');
					size_t m = e ? (size_t)(e - q) : strlen(q);
					char *one = unquote(q, m);
					if (one == NULL) {
						free(key);
						gth_buf_release(&b);
						oom(err);
						goto done;
					}
					if (b.len)
						gth_buf_puts(&b, ", ");
					gth_buf_puts(&b, one);
					free(one);
					q = e ? e + 1 : q + m;
				}
				bl[nb].specs = gth_buf_detach(&b);
			}
			free(key);
			if (bl[nb].specs == NULL)
				bl[nb].specs = strdup("");
			bl[nb].name = spec_name(bl[nb].specs);
			if (bl[nb].name == NULL) {
				oom(err);
				goto done;
			}
			nb++;
			if (strcmp(bl[nb - 1].name, "__metadata") == 0)
				bl[nb - 1].skip = 1;
			if (strstr(bl[nb - 1].specs, "@workspace:") || strstr(bl[nb - 1].specs, "@link:") ||
			    strstr(bl[nb - 1].specs, "@portal:") || strstr(bl[nb - 1].specs, "@file:"))
				bl[nb - 1].skip = 1;
			continue;
		}
		if (nb == 0) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: indented line outside an entry", file, lineno);
			goto done;
		}
		if (indent == 2) {
			const char *k = line + 2;
			size_t kn = n - 2;
			in_deps = 0;
			if ((kn > 8 && memcmp(k, "version ", 8) == 0) || (kn > 9 && memcmp(k, "version: ", 9) == 0)) {
				size_t off = k[7] == ':' ? 9 : 8;
				free(bl[nb - 1].version);
				bl[nb - 1].version = unquote(k + off, kn - off);
			} else if ((kn == 13 && memcmp(k, "dependencies:", 13) == 0) ||
				   (kn == 21 && memcmp(k, "optionalDependencies:", 21) == 0)) {
				in_deps = 1;
			}
			continue;
		}
		if (indent == 4 && in_deps) {
			const char *k = line + 4, *sep;
			size_t kn = n - 4;
			char *dn, *dr, **nd;
			/* classic: name "range"; berry: name: range */
			if (k[0] == '"') {
				const char *q = memchr(k + 1, '"', kn - 1);
				sep = q ? q + 1 : NULL;
			} else {
				sep = memchr(k, ' ', kn);
				if (sep && sep > k && sep[-1] == ':')
					sep--;
			}
			if (sep == NULL)
				continue;
			dn = unquote(k, (size_t)(sep - k));
			/* a quoted name may end the line: sep is then one past it */
			if (sep < k + kn && *sep == ':')
				sep++;
			dr = unquote(sep, (size_t)(k + kn - sep));
			nd = realloc(bl[nb - 1].deps, (bl[nb - 1].ndeps + 1) * sizeof(*nd));
			if (nd)
				bl[nb - 1].deps = nd;
			if (dn == NULL || dr == NULL || nd == NULL) {
				free(dn);
				free(dr);
				oom(err);
				goto done;
			}
			bl[nb - 1].deps = nd;
			nd[bl[nb - 1].ndeps++] = gth_strdupf("%s@%s", dn, dr);
			free(dn);
			free(dr);
		}
	}
	/* dependency graph: every spec of every entry, sorted, to find a dependency's
	 * entry; roots are entries nothing depends on */
	{
		size_t ns = 0;
		for (size_t i = 0; i < nb; i++) {
			const char *q = bl[i].specs;
			ns++;
			while ((q = strstr(q, ", ")) != NULL) {
				ns++;
				q += 2;
			}
		}
		specs = calloc(ns + 1, sizeof(*specs));
		queue = calloc(nb + 1, sizeof(*queue));
		indeg = calloc(nb + 1, 1);
		if (specs == NULL || queue == NULL || indeg == NULL) {
			oom(err);
			goto done;
		}
		for (size_t i = 0; i < nb; i++) {
			const char *q = bl[i].specs;
			while (q) {
				const char *e = strstr(q, ", ");
				specs[nspecs].s = q;
				specs[nspecs].n = e ? (size_t)(e - q) : strlen(q);
				specs[nspecs].block = (int)i;
				nspecs++;
				q = e ? e + 2 : NULL;
			}
		}
		qsort(specs, nspecs, sizeof(*specs), yarn_spec_cmp);
	}
	for (size_t i = 0; i < nb; i++)
		for (size_t d = 0; d < bl[i].ndeps; d++) {
			int j = yarn_find(specs, nspecs, bl[i].deps[d]);
			if (j >= 0)
				indeg[j] = 1;
		}
	for (size_t i = 0; i < nb; i++)
		if (!indeg[i]) {
			bl[i].parent = -1;
			queue[qn++] = (int)i;
		}
	while (qi < qn) {
		int i = queue[qi++];
		for (size_t d = 0; d < bl[i].ndeps; d++) {
			int j = yarn_find(specs, nspecs, bl[i].deps[d]);
			if (j >= 0 && bl[j].parent == -2) {
				bl[j].parent = i;
				queue[qn++] = j;
			}
		}
	}
	for (size_t i = 0; i < nb; i++) {
		struct gth_buf path = GTH_BUF_INIT;
		int chain[256], cn = 0, j = (int)i, r;
		if (bl[i].skip || bl[i].version == NULL)
			continue;
		while (j >= 0 && cn < 256) {
			chain[cn++] = j;
			j = bl[j].parent;
		}
		while (cn-- > 0) {
			if (bl[chain[cn]].skip)
				continue; /* the workspace itself */
			if (path.len)
				gth_buf_puts(&path, " > ");
			gth_buf_puts(&path, bl[chain[cn]].name);
		}
		r = lock_pkgs_add(out, "npm", bl[i].name, bl[i].version, gth_buf_cstr(&path), bl[i].line, 0);
		gth_buf_release(&path);
		if (r < 0) {
			oom(err);
			goto done;
		}
	}
	rc = 0;
done:
	for (size_t i = 0; i < nb; i++) {
		free(bl[i].specs);
		free(bl[i].name);
		free(bl[i].version);
		for (size_t d = 0; d < bl[i].ndeps; d++)
			free(bl[i].deps[d]);
		free(bl[i].deps);
	}
	free(bl);
	free(queue);
	free(indeg);
	free(specs);
	return rc;
}

/* ---- pnpm ------------------------------------------------------------------ */

/* "/name/1.2.3_peer" (v5), "/name@1.2.3(peer)" (v6), "name@1.2.3(peer)" (v9). */
static int pnpm_key(const char *key, int v5, char **name, char **version)
{
	const char *k = key[0] == '/' ? key + 1 : key;
	const char *paren = strchr(k, '(');
	size_t kl = paren ? (size_t)(paren - k) : strlen(k);
	const char *at = NULL;

	*name = *version = NULL;
	for (size_t i = 1; i < kl && !v5; i++)
		if (k[i] == '@')
			at = k + i;
	if (at) {
		*name = strndup(k, (size_t)(at - k));
		*version = strndup(at + 1, kl - (size_t)(at - k) - 1);
	} else {
		const char *slash = NULL;
		for (size_t i = 0; i < kl; i++)
			if (k[i] == '/')
				slash = k + i;
		if (slash == NULL || slash == k)
			return -1;
		*name = strndup(k, (size_t)(slash - k));
		{
			const char *v = slash + 1, *us = memchr(v, '_', kl - (size_t)(v - k));
			*version = strndup(v, us ? (size_t)(us - v) : kl - (size_t)(v - k));
		}
	}
	if (*name == NULL || *version == NULL) {
		free(*name);
		free(*version);
		*name = *version = NULL;
		return -1;
	}
	return 0;
}

struct pnpm_ix {
	const char *key;
	int idx;
};

static int pnpm_ix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pnpm_ix *)a)->key, ((const struct pnpm_ix *)b)->key);
}

/* The packages entry of a key; "(peer...)" suffixes and a leading '/' are ignored
 * when the exact key is not there (v9 packages keys have neither). */
static int pnpm_find(const struct pnpm_ix *ix, size_t n, const char *key)
{
	struct pnpm_ix k = { key, 0 }, *hit = bsearch(&k, ix, n, sizeof(*ix), pnpm_ix_cmp);
	char buf[1024];
	const char *p;

	if (hit)
		return hit->idx;
	snprintf(buf, sizeof(buf), "%s", key[0] == '/' ? key + 1 : key);
	if ((p = strchr(buf + 1, '(')) != NULL)
		buf[p - buf] = '\0';
	k.key = buf;
	hit = bsearch(&k, ix, n, sizeof(*ix), pnpm_ix_cmp);
	return hit ? hit->idx : -1;
}

/* The key a dependency "name: version" of a lockfile of that version names. */
static void pnpm_dep_key(char *out, size_t size, int v5, int v9, const char *name, const char *ver)
{
	if (ver[0] == '/')
		snprintf(out, size, "%s", ver);
	else if (v5)
		snprintf(out, size, "/%s/%s", name, ver);
	else
		snprintf(out, size, "%s%s@%s", v9 ? "" : "/", name, ver);
}

static const char *pnpm_dep_version(const struct gth_node *v)
{
	if (v == NULL)
		return NULL;
	if (v->kind == GTH_NODE_MAP)
		return gth_node_str(gth_node_get(v, "version"));
	return gth_node_str(v);
}

/* Queue the packages a dependency map (name: version) names that no one reached
 * yet, with from as their parent (-1: a project's own dependency). */
static void pnpm_queue_deps(const struct gth_node *dm, int from, const struct pnpm_ix *ix,
			    size_t n, int v5, int v9, int *parent, int *queue, size_t *qn)
{
	for (size_t d = 0; dm && dm->kind == GTH_NODE_MAP && d < dm->n; d++) {
		const char *ver = pnpm_dep_version(dm->items[d]);
		char key[1024];
		int k;
		if (ver == NULL)
			continue;
		pnpm_dep_key(key, sizeof(key), v5, v9, dm->keys[d], ver);
		k = pnpm_find(ix, n, key);
		if (k >= 0 && parent[k] == -2) {
			parent[k] = from;
			queue[(*qn)++] = k;
		}
	}
}

static int parse_pnpm(struct lock_pkgs *out, const char *file, const char *data, size_t len,
		      struct gth_error *err)
{
	static const char *const dep_kinds[] = { "dependencies", "optionalDependencies", "devDependencies" };
	struct gth_yaml_doc doc = GTH_YAML_DOC_INIT;
	const struct gth_node *root, *pkgs, *snaps, *importers;
	const struct gth_node **deps = NULL;
	struct pnpm_ix *ix = NULL;
	int *parent = NULL, *queue = NULL;
	size_t qn = 0, qi = 0;
	int rc = -1, v5, v9;

	if (gth_yaml_parse(&doc, data, len, file, err) < 0)
		return -1;
	root = gth_yaml_root(&doc);
	if (root == NULL) {
		rc = 0;
		goto done;
	}
	if (root->kind != GTH_NODE_MAP) {
		gth_node_error(err, GTH_EXIT_DATAERR, root, "expected a map");
		goto done;
	}
	{
		const char *lv = gth_node_str(gth_node_get(root, "lockfileVersion"));
		v5 = lv != NULL && lv[0] >= '1' && lv[0] <= '5' && (lv[1] == '.' || lv[1] == '\0');
		v9 = lv != NULL && lv[0] >= '7' && lv[0] <= '9' && (lv[1] == '.' || lv[1] == '\0');
	}
	pkgs = gth_node_get(root, "packages");
	if (pkgs == NULL) {
		rc = 0;
		goto done;
	}
	if (pkgs->kind != GTH_NODE_MAP) {
		gth_node_error(err, GTH_EXIT_DATAERR, pkgs, "expected a map of packages");
		goto done;
	}
	/* the dependency graph, to give each package the path that brings it in */
	ix = calloc(pkgs->n + 1, sizeof(*ix));
	deps = calloc(pkgs->n + 1, sizeof(*deps));
	parent = calloc(pkgs->n + 1, sizeof(*parent));
	queue = calloc(pkgs->n + 1, sizeof(*queue));
	if (!ix || !deps || !parent || !queue) {
		oom(err);
		goto done;
	}
	for (size_t i = 0; i < pkgs->n; i++) {
		ix[i].key = pkgs->keys[i];
		ix[i].idx = (int)i;
		parent[i] = -2;
		deps[i] = pkgs->items[i];
	}
	qsort(ix, pkgs->n, sizeof(*ix), pnpm_ix_cmp);
	snaps = gth_node_get(root, "snapshots");
	if (snaps && snaps->kind == GTH_NODE_MAP) {
		for (size_t i = 0; i < pkgs->n; i++)
			deps[i] = NULL;
		for (size_t i = 0; i < snaps->n; i++) {
			int k = pnpm_find(ix, pkgs->n, snaps->keys[i]);
			if (k >= 0 && deps[k] == NULL)
				deps[k] = snaps->items[i];
		}
	}
	importers = gth_node_get(root, "importers");
	for (size_t imp = 0; ; imp++) {
		const struct gth_node *proj;
		if (importers && importers->kind == GTH_NODE_MAP) {
			if (imp >= importers->n)
				break;
			proj = importers->items[imp];
		} else {
			if (imp > 0)
				break;
			proj = root;
		}
		for (size_t kd = 0; kd < 3; kd++)
			pnpm_queue_deps(gth_node_get(proj, dep_kinds[kd]), -1, ix, pkgs->n, v5, v9,
					parent, queue, &qn);
	}
	while (qi < qn) {
		int i = queue[qi++];
		for (size_t kd = 0; deps[i] && kd < 2; kd++)
			pnpm_queue_deps(gth_node_get(deps[i], dep_kinds[kd]), i, ix, pkgs->n, v5, v9,
					parent, queue, &qn);
	}
	for (size_t i = 0; i < pkgs->n; i++) {
		const struct gth_node *p = pkgs->items[i];
		const char *fname = gth_node_str(gth_node_get(p, "name"));
		const char *fver = gth_node_str(gth_node_get(p, "version"));
		const char *dev = gth_node_str(gth_node_get(p, "dev"));
		char *name = NULL, *version = NULL;
		struct gth_buf path = GTH_BUF_INIT;
		int chain[256], cn = 0, j = (int)i, r;
		if (pnpm_key(pkgs->keys[i], v5, &name, &version) < 0 && (fname == NULL || fver == NULL))
			continue;
		if (fname) {
			free(name);
			name = strdup(fname);
		}
		if (fver) {
			free(version);
			version = strdup(fver);
		}
		if (name == NULL || version == NULL) {
			free(name);
			free(version);
			oom(err);
			goto done;
		}
		if (gth_starts_with(version, "link:") || gth_starts_with(version, "file:")) {
			free(name);
			free(version);
			continue;
		}
		while (j >= 0 && cn < 256) {
			chain[cn++] = j;
			j = parent[j];
		}
		while (cn-- > 0) {
			char *n2 = NULL, *v2 = NULL;
			const char *nm = gth_node_str(gth_node_get(pkgs->items[chain[cn]], "name"));
			if (nm == NULL && pnpm_key(pkgs->keys[chain[cn]], v5, &n2, &v2) == 0)
				nm = n2;
			if (path.len)
				gth_buf_puts(&path, " > ");
			gth_buf_puts(&path, nm ? nm : pkgs->keys[chain[cn]]);
			free(n2);
			free(v2);
		}
		r = lock_pkgs_add(out, "npm", name, version, path.len ? gth_buf_cstr(&path) : name,
				  p->line > 1 ? p->line - 1 : p->line, dev && strcmp(dev, "true") == 0);
		gth_buf_release(&path);
		free(name);
		free(version);
		if (r < 0) {
			oom(err);
			goto done;
		}
	}
	rc = 0;
done:
	free(ix);
	free(deps);
	free(parent);
	free(queue);
	gth_yaml_doc_release(&doc);
	return rc;
}

/* ---- line-based formats ---------------------------------------------------- */

struct line_iter {
	const char *p, *end;
	int lineno;
};

/* Next line without its newline; 0 at the end. */
static int next_line(struct line_iter *it, const char **s, size_t *n)
{
	const char *eol;

	if (it->p >= it->end)
		return 0;
	eol = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*s = it->p;
	*n = eol ? (size_t)(eol - it->p) : (size_t)(it->end - it->p);
	it->p = eol ? eol + 1 : it->end;
	it->lineno++;
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* One "require" or "replace" statement's words (comments stripped). */
static int go_words(const char *s, size_t n, char w[5][512])
{
	int k = 0;
	size_t i = 0;

	while (i < n && k < 5) {
		size_t st;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n)
			break;
		st = i;
		while (i < n && !isspace((unsigned char)s[i]))
			i++;
		if (i - st >= 512)
			return -1;
		memcpy(w[k], s + st, i - st);
		w[k][i - st] = '\0';
		if (w[k][0] == '"' && i - st >= 2 && w[k][i - st - 1] == '"') {
			memmove(w[k], w[k] + 1, i - st - 2);
			w[k][i - st - 2] = '\0';
		}
		k++;
	}
	return k;
}

struct go_replace {
	char from[512], fromv[512], to[512], tov[512];
};

static int parse_gomod(struct lock_pkgs *out, const char *file, const char *data, size_t len,
		       struct gth_error *err)
{
	struct line_iter it = { data, data + len, 0 };
	const char *s;
	size_t n, start = out->n, nrep = 0;
	int block = 0; /* 1 require, 2 replace */
	struct go_replace *rep = NULL;
	int rc = 0;

	while (next_line(&it, &s, &n)) {
		char w[5][512];
		int nw, kind = block;
		for (size_t i = 0; i + 1 < n; i++)
			if (s[i] == '/' && s[i + 1] == '/') {
				n = i;
				break;
			}
		trim(&s, &n);
		if (n == 0)
			continue;
		if (block) {
			if (s[0] == ')') {
				block = 0;
				continue;
			}
		} else if (n > 8 && memcmp(s, "require", 7) == 0 && isspace((unsigned char)s[7])) {
			kind = 1;
			s += 8;
			n -= 8;
		} else if (n > 8 && memcmp(s, "replace", 7) == 0 && isspace((unsigned char)s[7])) {
			kind = 2;
			s += 8;
			n -= 8;
		} else {
			continue;
		}
		trim(&s, &n);
		if (n == 1 && s[0] == '(') {
			block = kind;
			continue;
		}
		nw = go_words(s, n, w);
		if (kind == 1) {
			if (nw < 2) {
				rc = gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: expected \"module version\"", file,
						   it.lineno);
				break;
			}
			if (lock_pkgs_add(out, "Go", w[0], w[1], w[0], it.lineno, 0) < 0) {
				rc = oom(err);
				break;
			}
		} else {
			/* from [version] => to [version] */
			struct go_replace r, *nr;
			int arrow = nw >= 2 && strcmp(w[1], "=>") == 0 ? 1 : nw >= 3 && strcmp(w[2], "=>") == 0 ? 2 : 0;
			if (arrow == 0 || nw < arrow + 2) {
				rc = gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: expected \"module [version] => target [version]\"",
						   file, it.lineno);
				break;
			}
			memset(&r, 0, sizeof(r));
			snprintf(r.from, sizeof(r.from), "%s", w[0]);
			if (arrow == 2)
				snprintf(r.fromv, sizeof(r.fromv), "%s", w[1]);
			snprintf(r.to, sizeof(r.to), "%s", w[arrow + 1]);
			if (nw > arrow + 2)
				snprintf(r.tov, sizeof(r.tov), "%s", w[arrow + 2]);
			nr = realloc(rep, (nrep + 1) * sizeof(*rep));
			if (nr == NULL) {
				rc = oom(err);
				break;
			}
			rep = nr;
			rep[nrep++] = r;
		}
	}
	/* replacements: a local folder is no registry module; another module takes over */
	for (size_t i = start; rc == 0 && i < out->n; i++) {
		for (size_t k = 0; k < nrep; k++) {
			struct lock_pkg *p = &out->v[i];
			if (strcmp(p->name, rep[k].from) != 0 || (rep[k].fromv[0] && strcmp(p->version, rep[k].fromv) != 0))
				continue;
			if (rep[k].tov[0] == '\0') {
				free(p->ecosystem);
				free(p->name);
				free(p->version);
				free(p->path);
				memmove(p, p + 1, (out->n - i - 1) * sizeof(*p));
				out->n--;
				i--;
			} else {
				char *nm = strdup(rep[k].to), *nv = strdup(rep[k].tov), *np = strdup(rep[k].to);
				if (!nm || !nv || !np) {
					free(nm);
					free(nv);
					free(np);
					rc = oom(err);
					break;
				}
				free(p->name);
				free(p->version);
				free(p->path);
				p->name = nm;
				p->version = nv;
				p->path = np;
			}
			break;
		}
	}
	free(rep);
	return rc;
}

/* [[package]] tables of Cargo.lock and poetry.lock: name, version, source. */
static int parse_toml_packages(struct lock_pkgs *out, const char *file, const char *data, size_t len,
			       const char *ecosystem, int need_source, struct gth_error *err)
{
	struct line_iter it = { data, data + len, 0 };
	const char *s;
	size_t n;
	char *name = NULL, *version = NULL;
	int in_pkg = 0, has_source = 0, pkg_line = 0, in_array = 0, rc = 0;

	for (;;) {
		int more = next_line(&it, &s, &n);
		if (more)
			trim(&s, &n);
		if (!more || (n > 0 && s[0] == '[')) {
			if (in_pkg && name && version && (!need_source || has_source)) {
				if (lock_pkgs_add(out, ecosystem, name, version, name, pkg_line, 0) < 0) {
					rc = oom(err);
					break;
				}
			}
			free(name);
			free(version);
			name = version = NULL;
			has_source = 0;
			in_pkg = more && n == 11 && memcmp(s, "[[package]]", 11) == 0;
			pkg_line = it.lineno;
			if (!more)
				break;
			continue;
		}
		if (in_array) {
			if (n > 0 && s[0] == ']')
				in_array = 0;
			continue;
		}
		if (!in_pkg || n == 0 || s[0] == '#')
			continue;
		{
			const char *eq = memchr(s, '=', n);
			const char *k = s;
			size_t kn;
			if (eq == NULL) {
				rc = gth_error_set(err, GTH_EXIT_DATAERR, "%s:%d: expected \"key = value\"", file,
						   it.lineno);
				break;
			}
			kn = (size_t)(eq - s);
			trim(&k, &kn);
			{
				const char *val = eq + 1;
				size_t vn = (size_t)(s + n - val);
				trim(&val, &vn);
				if (vn > 0 && val[0] == '[' && memchr(val, ']', vn) == NULL)
					in_array = 1;
			}
			if (kn == 4 && memcmp(k, "name", 4) == 0) {
				free(name);
				name = unquote(eq + 1, (size_t)(s + n - eq - 1));
			} else if (kn == 7 && memcmp(k, "version", 7) == 0) {
				free(version);
				version = unquote(eq + 1, (size_t)(s + n - eq - 1));
			} else if (kn == 6 && memcmp(k, "source", 6) == 0) {
				has_source = 1;
			}
		}
	}
	free(name);
	free(version);
	return rc;
}

static int parse_requirements(struct lock_pkgs *out, const char *file, const char *data, size_t len,
			      struct gth_error *err)
{
	struct line_iter it = { data, data + len, 0 };
	const char *s;
	size_t n;
	int cont = 0;

	(void)file;
	while (next_line(&it, &s, &n)) {
		int was_cont = cont;
		const char *hash;
		char *line, *eq, *p;
		cont = n > 0 && s[n - 1] == '\\';
		if (was_cont)
			continue; /* --hash continuation lines */
		for (size_t i = 0; i < n; i++)
			if (s[i] == '#' && (i == 0 || isspace((unsigned char)s[i - 1]))) {
				n = i;
				break;
			}
		trim(&s, &n);
		if (n == 0 || s[0] == '-')
			continue;
		line = strndup(s, n);
		if (line == NULL)
			return oom(err);
		if ((p = strchr(line, ';')) != NULL)
			*p = '\0';
		if ((hash = strstr(line, " --")) != NULL)
			line[hash - line] = '\0';
		eq = strstr(line, "==");
		if (eq == NULL || strchr(line, '@') != NULL) {
			free(line);
			continue; /* not pinned: nothing to match */
		}
		{
			char *name = line, *ver = eq + 2, *e;
			*eq = '\0';
			if (*ver == '=')
				ver++;
			if ((e = strchr(name, '[')) != NULL)
				*e = '\0';
			while (*ver == ' ')
				ver++;
			for (e = ver; *e && !isspace((unsigned char)*e) && *e != ',' && *e != '\\'; e++)
				;
			*e = '\0';
			for (e = name + strlen(name); e > name && isspace((unsigned char)e[-1]); e--)
				e[-1] = '\0';
			if (*name && *ver && strchr(ver, '*') == NULL &&
			    lock_pkgs_add(out, "PyPI", name, ver, name, it.lineno, 0) < 0) {
				free(line);
				return oom(err);
			}
		}
		free(line);
	}
	return 0;
}

static int parse_pipfile(struct lock_pkgs *out, const char *file, const char *data, size_t len,
			 struct gth_error *err)
{
	cJSON *root = NULL;
	static const char *const sections[] = { "default", "develop" };
	int rc = 0;

	if (gth_json_parse(&root, data, len, file, err) < 0)
		return -1;
	for (size_t k = 0; k < 2 && rc == 0; k++) {
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, sections[k]), *it;
		if (!cJSON_IsObject(sec))
			continue;
		cJSON_ArrayForEach(it, sec) {
			const char *v = gth_json_str(it, "version");
			char needle[600];
			if (v == NULL || !gth_starts_with(v, "=="))
				continue;
			v += 2;
			if (*v == '=')
				v++;
			snprintf(needle, sizeof(needle), "\"%s\":", it->string);
			if (lock_pkgs_add(out, "PyPI", it->string, v, it->string, line_of(data, len, needle),
					  k == 1) < 0) {
				rc = oom(err);
				break;
			}
		}
	}
	cJSON_Delete(root);
	return rc;
}

int lockfile_parse(struct lock_pkgs *out, const char *path, const char *data, size_t len,
		   struct gth_error *err)
{
	switch (kind_of(path)) {
	case LOCK_NPM: return parse_npm(out, path, data, len, err);
	case LOCK_YARN: return parse_yarn(out, path, data, len, err);
	case LOCK_PNPM: return parse_pnpm(out, path, data, len, err);
	case LOCK_GOMOD: return parse_gomod(out, path, data, len, err);
	case LOCK_CARGO: return parse_toml_packages(out, path, data, len, "crates.io", 1, err);
	case LOCK_POETRY: return parse_toml_packages(out, path, data, len, "PyPI", 0, err);
	case LOCK_REQUIREMENTS: return parse_requirements(out, path, data, len, err);
	case LOCK_PIPFILE: return parse_pipfile(out, path, data, len, err);
	default:
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a lockfile gth-scan reads", path);
	}
}
