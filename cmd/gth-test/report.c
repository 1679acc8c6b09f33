#include "report.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/util.h"

void report_release(struct test_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		struct test_case *c = &r->cases[i];
		free(c->name);
		free(c->classname);
		free(c->file);
		free(c->message);
		free(c->detail);
	}
	free(r->cases);
	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i]);
	free(r->problems);
	memset(r, 0, sizeof(*r));
}

struct test_case *report_add_case(struct test_report *r)
{
	struct test_case *c;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct test_case *v = realloc(r->cases, cap * sizeof(*v));
		if (!v)
			return NULL;
		r->cases = v;
		r->cap = cap;
	}
	c = &r->cases[r->n++];
	memset(c, 0, sizeof(*c));
	c->time = -1;
	return c;
}

int report_problem(struct test_report *r, const char *fmt, ...)
{
	struct gth_buf b = GTH_BUF_INIT;
	char **v;
	va_list ap;

	va_start(ap, fmt);
	gth_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	v = realloc(r->problems, (r->nproblems + 1) * sizeof(*v));
	if (!v) {
		gth_buf_release(&b);
		return -1;
	}
	r->problems = v;
	r->problems[r->nproblems++] = gth_buf_detach(&b);
	return -1;
}

size_t report_count(const struct test_report *r, enum case_status s)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->cases[i].status == s;
	return n;
}

void report_set_location(struct test_case *c, const char *path, int line, const char *root)
{
	size_t rl = root ? strlen(root) : 0;

	if (!path || !*path)
		return;
	if (path[0] == '/') {
		if (!rl || strncmp(path, root, rl) != 0 || path[rl] != '/' || !path[rl + 1])
			return;
		path += rl + 1;
	}
	/* "ROOT//x" and "./" prefixes: never leave an absolute or empty path */
	while (path[0] == '/' || (path[0] == '.' && path[1] == '/'))
		path += path[0] == '/' ? 1 : 2;
	if (!*path)
		return;
	free(c->file);
	c->file = strdup(path);
	c->line = line > 0 ? line : 0;
}

static int path_char(char ch)
{
	return isalnum((unsigned char)ch) || strchr("/._-+@~", ch);
}

int report_find_location(struct test_case *c, const char *text, const char *root)
{
	const char *p;

	if (!text)
		return 0;
	for (p = text; (p = strchr(p, ':')) != NULL; p++) {
		const char *start = p, *q = p + 1;
		long line = 0;
		char *path;

		if (!isdigit((unsigned char)*q))
			continue;
		while (isdigit((unsigned char)*q) && line < 100000000)
			line = line * 10 + (*q++ - '0');
		if (isalnum((unsigned char)*q) || line == 0)
			continue;
		while (start > text && path_char(start[-1]))
			start--;
		if (start == p || !memchr(start, '.', (size_t)(p - start)))
			continue;
		/* "file:///x" and URLs are not paths. */
		if (start > text && start[-1] == ':')
			continue;
		path = strndup(start, (size_t)(p - start));
		if (!path)
			return 0;
		if (strstr(path, "node_modules/") || gth_starts_with(path, "internal/") ||
		    (start >= text + 5 && !strncmp(start - 5, "node:", 5))) {
			free(path);
			continue;
		}
		report_set_location(c, path, (int)line, root);
		free(path);
		if (c->file)
			return 1;
	}
	return 0;
}

char *report_first_line(const char *text)
{
	const char *s, *e;

	if (!text)
		return NULL;
	for (s = text; *s; ) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		e = s + strcspn(s, "\n");
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e > s)
			return strndup(s, (size_t)(e - s));
		s += strcspn(s, "\n");
		if (*s)
			s++;
	}
	return NULL;
}
