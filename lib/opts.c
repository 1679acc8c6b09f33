#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"

void gth_strlist_release(struct gth_strlist *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int gth_strlist_add(struct gth_strlist *l, const char *s)
{
	const char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

static const struct gth_opt *find_long(const struct gth_opt *opts, const char *name, size_t len)
{
	for (; opts->type != GTH_OPT_END; opts++)
		if (opts->longopt && strlen(opts->longopt) == len &&
		    !strncmp(opts->longopt, name, len))
			return opts;
	return NULL;
}

static const struct gth_opt *find_short(const struct gth_opt *opts, char c)
{
	for (; opts->type != GTH_OPT_END; opts++)
		if (opts->shortopt && opts->shortopt == c)
			return opts;
	return NULL;
}

static int takes_arg(const struct gth_opt *o)
{
	return o->type == GTH_OPT_STR || o->type == GTH_OPT_LIST || o->type == GTH_OPT_INT ||
	       o->type == GTH_OPT_DURATION;
}

static void opt_name(char *buf, size_t n, const struct gth_opt *o)
{
	if (o->longopt)
		snprintf(buf, n, "--%s", o->longopt);
	else
		snprintf(buf, n, "-%c", o->shortopt);
}

static int set_value(const struct gth_opt *o, const char *arg, struct gth_error *err)
{
	char name[64];

	opt_name(name, sizeof(name), o);
	switch (o->type) {
	case GTH_OPT_FLAG:
		*(int *)o->value = 1;
		return 0;
	case GTH_OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case GTH_OPT_STR:
		*(const char **)o->value = arg;
		return 0;
	case GTH_OPT_LIST:
		if (gth_strlist_add(o->value, arg) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return 0;
	case GTH_OPT_INT:
		if (gth_parse_long(arg, o->min, o->max, o->value) < 0)
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "%s: expected a number from %ld to %ld, got '%s'",
					     name, o->min, o->max, arg);
		return 0;
	case GTH_OPT_DURATION:
		if (gth_parse_duration(arg, o->value) < 0)
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "%s: expected a duration like 30s, 5m or 1h, got '%s'",
					     name, arg);
		return 0;
	case GTH_OPT_END:
		break;
	}
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "bad option table");
}

int gth_opts_parse(const struct gth_opt *opts, int argc, char **argv,
		   struct gth_strlist *operands, struct gth_error *err)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct gth_opt *o;

		if (!strcmp(a, "--")) {
			for (i++; i < argc; i++)
				if (gth_strlist_add(operands, argv[i]) < 0)
					return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (gth_strlist_add(operands, a) < 0)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const char *arg = NULL;

			o = find_long(opts, name, len);
			if (!o)
				return gth_error_set(err, GTH_EXIT_USAGE, "unknown option '--%.*s'",
						     (int)len, name);
			if (takes_arg(o)) {
				if (eq)
					arg = eq + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return gth_error_set(err, GTH_EXIT_USAGE,
							     "option '--%s' needs a value", o->longopt);
			} else if (eq) {
				return gth_error_set(err, GTH_EXIT_USAGE,
						     "option '--%s' takes no value", o->longopt);
			}
			if (set_value(o, arg, err) < 0)
				return -1;
			continue;
		}
		for (a++; *a; a++) {
			o = find_short(opts, *a);
			if (!o)
				return gth_error_set(err, GTH_EXIT_USAGE, "unknown option '-%c'", *a);
			if (takes_arg(o)) {
				const char *arg;

				if (a[1])
					arg = a + 1;
				else if (i + 1 < argc)
					arg = argv[++i];
				else
					return gth_error_set(err, GTH_EXIT_USAGE,
							     "option '-%c' needs a value", *a);
				if (set_value(o, arg, err) < 0)
					return -1;
				break;
			}
			if (set_value(o, NULL, err) < 0)
				return -1;
		}
	}
	return 0;
}

void gth_opts_usage(FILE *out, const char *synopsis, const struct gth_opt *opts)
{
	const struct gth_opt *o;
	const char *p = synopsis;
	int first = 1;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(out, "%s%.*s\n", first ? "usage: " : "       ", n, p);
		first = 0;
		p += n;
		if (*p == '\n')
			p++;
	}
	if (!opts || opts->type == GTH_OPT_END)
		return;
	fputs("\noptions:\n", out);
	for (o = opts; o->type != GTH_OPT_END; o++) {
		char left[80];
		int n = 0;

		if (!o->help)
			continue;
		if (o->shortopt && o->longopt)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->shortopt, o->longopt);
		else if (o->shortopt)
			n = snprintf(left, sizeof(left), "-%c", o->shortopt);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->longopt);
		if (o->arg && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
		if (strlen(left) > 24)
			fprintf(out, "  %s\n  %-24s  %s\n", left, "", o->help);
		else
			fprintf(out, "  %-24s  %s\n", left, o->help);
	}
}

int gth_opts_dispatch(size_t *verb, int argc, char **argv, const char *tool,
		      const void *verbs, size_t n, size_t stride, void (*usage)(FILE *))
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return GTH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		gth_print_version(tool);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const char *name = *(const char *const *)((const char *)verbs + i * stride);

		if (!strcmp(argv[1], name)) {
			*verb = i;
			return -1;
		}
	}
	gth_errorf("unknown command '%s'", argv[1]);
	usage(stderr);
	return GTH_EXIT_USAGE;
}

int gth_opts_verb(struct gth_strlist *operands, const struct gth_opt *table,
		  const struct gth_common_opts *c, const char *tool, const char *synopsis,
		  int argc, char **argv)
{
	struct gth_error err = GTH_ERROR_INIT;

	if (gth_opts_parse(table, argc, argv, operands, &err) < 0) {
		int rc = gth_fail(&err);

		gth_opts_usage(stderr, synopsis, NULL);
		return rc;
	}
	if (c->help) {
		gth_opts_usage(stdout, synopsis, table);
		return 0;
	}
	if (c->version) {
		gth_print_version(tool);
		return 0;
	}
	gth_log_set_quiet(c->quiet);
	gth_log_set_verbose(c->verbose);
	return -1;
}

void gth_print_version(const char *tool)
{
	printf("%s %s\n", tool, GTH_VERSION);
}
