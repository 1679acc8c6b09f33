#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gth/buf.h"
#include "gth/util.h"
#include "report.h"

#define TAP_MAX_DEPTH 32

struct tap_state {
	struct test_report *r;
	const char *root;
	char *subtest[TAP_MAX_DEPTH];  /* "# Subtest: NAME" seen at each depth */
	int child_seen[TAP_MAX_DEPTH]; /* a test point deeper than this depth since the last one here */
	int child_failed[TAP_MAX_DEPTH]; /* ... and one of them failed */
	long top_points;
	long plan;                     /* top-level plan, -1 when none */
	long plan_line;
	long last_case;                /* case of the last test point, for its YAML block; -1 */
	int last_indent;
};

/* Leading blanks in bytes (what pointers may skip). */
static int indent_of(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && i < 4096 && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return (int)i;
}

/* The same blanks as columns, a tab counting four: the subtest depth is cols / 4. */
static int indent_cols(const char *s, int bytes)
{
	int i, n = 0;

	for (i = 0; i < bytes; i++)
		n += s[i] == '\t' ? 4 : 1;
	return n;
}

static char *classname_for(struct tap_state *st, int depth)
{
	struct gth_buf b = GTH_BUF_INIT;
	int d;

	for (d = 0; d < depth && d < TAP_MAX_DEPTH; d++) {
		if (!st->subtest[d])
			continue;
		if (b.len)
			gth_buf_puts(&b, " > ");
		gth_buf_puts(&b, st->subtest[d]);
	}
	return gth_buf_detach(&b);
}

/* "ok 3 - name # SKIP why" -> status, name; 0 when the line is not a test point. */
static int test_point(struct tap_state *st, const char *s, size_t len, int depth)
{
	int ok;
	const char *p = s, *end = s + len, *hash = NULL, *q;
	char *name;
	struct test_case *c;
	int parent, child_failed, d;

	if (len >= 6 && !strncmp(s, "not ok", 6) && (len == 6 || s[6] == ' ')) {
		ok = 0;
		p += 6;
	} else if (len >= 2 && !strncmp(s, "ok", 2) && (len == 2 || s[2] == ' ')) {
		ok = 1;
		p += 2;
	} else {
		return 0;
	}
	while (p < end && *p == ' ')
		p++;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	while (p < end && *p == ' ')
		p++;
	if (p + 1 < end && p[0] == '-' && p[1] == ' ')
		p += 2;
	for (q = p; q < end; q++)
		if (*q == '#' && (q == s || q[-1] != '\\')) {
			hash = q;
			break;
		}
	q = hash ? hash : end;
	while (q > p && q[-1] == ' ')
		q--;
	name = q > p ? strndup(p, (size_t)(q - p)) : strdup("(unnamed)");
	if (!name)
		return -1;

	if (depth >= TAP_MAX_DEPTH)
		depth = TAP_MAX_DEPTH - 1;
	parent = st->child_seen[depth];
	child_failed = st->child_failed[depth];
	for (d = depth; d < TAP_MAX_DEPTH; d++)
		st->child_seen[d] = st->child_failed[d] = 0;
	for (d = 0; d < depth; d++) {
		st->child_seen[d] = 1;
		st->child_failed[d] |= !ok;
	}
	if (depth == 0)
		st->top_points++;
	st->last_case = -1;
	/* A parent counts only when it failed with every child passing (a hook). */
	if (parent && (ok || child_failed)) {
		free(name);
		free(st->subtest[depth]);
		st->subtest[depth] = NULL;
		return 1;
	}
	c = report_add_case(st->r);
	if (!c) {
		free(name);
		return -1;
	}
	c->name = name;
	c->classname = classname_for(st, depth);
	c->status = ok ? CASE_PASSED : CASE_FAILED;
	if (hash) {
		const char *dir = hash + 1;
		while (dir < end && *dir == ' ')
			dir++;
		if (end - dir >= 4 && !strncasecmp(dir, "skip", 4)) {
			c->status = CASE_SKIPPED;
		} else if (end - dir >= 4 && !strncasecmp(dir, "todo", 4)) {
			c->status = CASE_SKIPPED; /* a failing TODO is expected */
		}
	}
	free(st->subtest[depth]);
	st->subtest[depth] = NULL;
	st->last_case = (long)(c - st->r->cases);
	st->last_indent = depth * 4;
	return 1;
}

static char *unquote(const char *s, size_t len)
{
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	if (len >= 2 && (s[0] == '\'' || s[0] == '"') && s[len - 1] == s[0]) {
		s++;
		len -= 2;
	}
	return strndup(s, len);
}

/* The YAML diagnostics after a test point: message, location, stack. */
static void yaml_block(struct tap_state *st, char **lines, size_t *lens, size_t n)
{
	struct test_case *c = &st->r->cases[st->last_case];
	struct gth_buf detail = GTH_BUF_INIT;
	char *file = NULL, *location = NULL;
	long line = 0;
	size_t i;
	int key_indent = -1;

	for (i = 0; i < n; i++) {
		const char *s = lines[i];
		size_t len = lens[i];
		int ind = indent_of(s, len);
		const char *colon, *v;
		size_t klen, vlen;
		struct gth_buf val = GTH_BUF_INIT;
		char *value;

		if ((size_t)ind == len)
			continue;
		if (key_indent < 0)
			key_indent = ind;
		if (ind != key_indent)
			continue;
		s += (size_t)ind;
		len -= (size_t)ind;
		colon = memchr(s, ':', len);
		if (!colon)
			continue;
		klen = (size_t)(colon - s);
		v = colon + 1;
		vlen = len - klen - 1;
		while (vlen && *v == ' ') {
			v++;
			vlen--;
		}
		if (vlen && (*v == '|' || *v == '>')) {
			while (i + 1 < n && (lens[i + 1] == 0 ||
					     indent_of(lines[i + 1], lens[i + 1]) > key_indent)) {
				size_t cut;
				i++;
				cut = (size_t)indent_of(lines[i], lens[i]);
				if (cut > (size_t)key_indent + 2)
					cut = (size_t)key_indent + 2;
				if (cut > lens[i])
					cut = lens[i];
				gth_buf_put(&val, lines[i] + cut, lens[i] - cut);
				gth_buf_putc(&val, '\n');
			}
			value = gth_buf_detach(&val);
		} else if (vlen == 0 && klen == 2 && !strncmp(s, "at", 2)) {
			/* node-tap: "at:" holding a mapping with file and line */
			while (i + 1 < n && indent_of(lines[i + 1], lens[i + 1]) > key_indent) {
				const char *q;
				size_t ql;
				i++;
				q = lines[i] + indent_of(lines[i], lens[i]);
				ql = lens[i] - (size_t)(q - lines[i]);
				if (ql > 6 && !strncmp(q, "file: ", 6)) {
					free(file);
					file = unquote(q + 6, ql - 6);
				} else if (ql > 6 && !strncmp(q, "line: ", 6)) {
					char *l = unquote(q + 6, ql - 6);
					if (!l || gth_parse_long(l, 0, 100000000, &line) < 0)
						line = 0;
					free(l);
				}
			}
			continue;
		} else {
			value = unquote(v, vlen);
		}
		if (!value)
			continue;
		if ((klen == 7 && !strncmp(s, "message", 7)) || (klen == 5 && !strncmp(s, "error", 5))) {
			if (!c->message)
				c->message = report_first_line(value);
			if (detail.len < REPORT_DETAIL_MAX)
				gth_buf_printf(&detail, "%s%s", detail.len ? "\n" : "", value);
		} else if (klen == 5 && !strncmp(s, "stack", 5)) {
			if (detail.len < REPORT_DETAIL_MAX)
				gth_buf_printf(&detail, "%s%s", detail.len ? "\n" : "", value);
		} else if ((klen == 8 && !strncmp(s, "location", 8)) || (klen == 2 && !strncmp(s, "at", 2))) {
			free(location);
			location = value;
			value = NULL;
		} else if (klen == 4 && !strncmp(s, "file", 4)) {
			free(file);
			file = value;
			value = NULL;
		} else if (klen == 4 && !strncmp(s, "line", 4)) {
			if (gth_parse_long(value, 0, 100000000, &line) < 0)
				line = 0;
		}
		free(value);
	}
	if (c->status == CASE_FAILED) {
		if (detail.len) {
			if (detail.len > REPORT_DETAIL_MAX)
				detail.len = REPORT_DETAIL_MAX;
			detail.ptr[detail.len] = '\0';
			c->detail = gth_buf_detach(&detail);
		}
		if (file)
			report_set_location(c, file, (int)line, st->root);
		if (!c->file && location)
			report_find_location(c, location, st->root);
		if (!c->file)
			report_find_location(c, c->detail, st->root);
	}
	gth_buf_release(&detail);
	free(file);
	free(location);
}

int tap_parse(struct test_report *r, const char *text, size_t len, const char *name,
	      const char *root)
{
	struct tap_state st;
	char **lines = NULL;
	size_t *lens = NULL, nlines = 0, i, cap = 0;
	const char *p = text, *end = text + len;
	int rc = 0, bailed = 0, any = 0;

	memset(&st, 0, sizeof(st));
	st.r = r;
	st.root = root;
	st.plan = -1;
	st.last_case = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (nlines == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			char **nv = realloc(lines, ncap * sizeof(*nv));
			size_t *nlv;
			if (!nv) {
				rc = report_problem(r, "%s: out of memory", name);
				goto done;
			}
			lines = nv;
			nlv = realloc(lens, ncap * sizeof(*nlv));
			if (!nlv) {
				rc = report_problem(r, "%s: out of memory", name);
				goto done;
			}
			lens = nlv;
			cap = ncap;
		}
		if (l && p[l - 1] == '\r')
			l--;
		lines[nlines] = (char *)p;
		lens[nlines++] = l;
		p = nl ? nl + 1 : end;
	}

	for (i = 0; i < nlines; i++) {
		const char *s = lines[i];
		size_t l = lens[i];
		int ind = indent_of(s, l), cols = indent_cols(s, ind), depth = cols / 4;
		const char *t = s + ind;
		size_t tl = l - (size_t)ind;
		int tp;

		if (depth >= TAP_MAX_DEPTH)
			depth = TAP_MAX_DEPTH - 1;
		if (tl == 3 && !strncmp(t, "---", 3) && st.last_case >= 0 &&
		    cols == st.last_indent + 2) {
			size_t j = i + 1;
			while (j < nlines && !(lens[j] >= (size_t)ind + 3 &&
					       indent_of(lines[j], lens[j]) == ind &&
					       !strncmp(lines[j] + ind, "...", 3)))
				j++;
			yaml_block(&st, lines + i + 1, lens + i + 1, j - i - 1);
			st.last_case = -1;
			i = j;
			continue;
		}
		if (tl >= 11 && !strncmp(t, "# Subtest: ", 11)) {
			free(st.subtest[depth]);
			st.subtest[depth] = strndup(t + 11, tl - 11);
			continue;
		}
		if (tl >= 9 && !strncmp(t, "Bail out!", 9)) {
			const char *why = t + 9;
			size_t wl = tl - 9;
			while (wl && *why == ' ') {
				why++;
				wl--;
			}
			rc = report_problem(r, "%s:%zu: bail out%s%.*s", name, i + 1,
					    wl ? ": " : "", (int)wl, why);
			bailed = 1;
			break;
		}
		if (depth == 0 && tl >= 3 && !strncmp(t, "1..", 3)) {
			long n;
			size_t k = 3;
			char num[24];
			while (k < tl && isdigit((unsigned char)t[k]) && k - 3 < sizeof(num) - 1)
				k++;
			memcpy(num, t + 3, k - 3);
			num[k - 3] = '\0';
			if (k > 3 && gth_parse_long(num, 0, 1000000000, &n) == 0) {
				st.plan = n;
				st.plan_line = (long)i + 1;
				any = 1;
			}
			continue;
		}
		tp = test_point(&st, t, tl, depth);
		if (tp < 0) {
			rc = report_problem(r, "%s: out of memory", name);
			goto done;
		}
		if (tp)
			any = 1;
	}
	if (!bailed) {
		if (!any)
			rc = report_problem(r, "%s: no TAP test points found", name);
		else if (st.plan < 0)
			rc = report_problem(r, "%s: TAP output has no plan (truncated?) after %ld tests",
					    name, st.top_points);
		else if (st.plan != st.top_points)
			rc = report_problem(r, "%s:%ld: planned %ld tests, ran %ld", name,
					    st.plan_line, st.plan, st.top_points);
	}
done:
	for (i = 0; i < TAP_MAX_DEPTH; i++)
		free(st.subtest[i]);
	free(lines);
	free(lens);
	return rc;
}
