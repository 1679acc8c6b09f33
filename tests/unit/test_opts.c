#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/opts.h"

struct vals {
	struct gth_common_opts c;
	long jobs;
	int64_t timeout;
	const char *out;
	struct gth_strlist gates;
	int list;
};

static void table(struct gth_opt *o, struct vals *v)
{
	struct gth_opt t[] = {
		{ GTH_OPT_INT, 'j', "jobs", &v->jobs, "N", "run N at once", 1, 64 },
		{ GTH_OPT_DURATION, 0, "timeout", &v->timeout, "DUR", "time limit", 0, 0 },
		{ GTH_OPT_STR, 'o', "output", &v->out, "FILE", "write to FILE", 0, 0 },
		{ GTH_OPT_LIST, 0, "gate", &v->gates, "NAME", "only NAME", 0, 0 },
		{ GTH_OPT_FLAG, 0, "list", &v->list, NULL, "list", 0, 0 },
		GTH_OPTS_COMMON(&v->c),
		GTH_OPTS_END
	};
	memcpy(o, t, sizeof(t));
}

static int parse(struct vals *v, struct gth_strlist *ops, struct gth_error *err, int argc,
		 ...)
{
	struct gth_opt o[12];
	char *argv[32];
	va_list ap;
	int i;

	memset(v, 0, sizeof(*v));
	table(o, v);
	argv[0] = "prog";
	va_start(ap, argc);
	for (i = 1; i <= argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc + 1] = NULL;
	return gth_opts_parse(o, argc + 1, argv, ops, err);
}

static void test_parse(void **state)
{
	struct vals v;
	struct gth_strlist ops = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;

	(void)state;
	assert_int_equal(parse(&v, &ops, &err, 9, "-j4", "a", "--gate", "unit", "--gate=lint",
			       "-qv", "--timeout=1m", "--", "-notopt"), 0);
	assert_int_equal(v.jobs, 4);
	assert_int_equal(v.gates.n, 2);
	assert_string_equal(v.gates.v[1], "lint");
	assert_int_equal(v.c.quiet, 1);
	assert_int_equal(v.c.verbose, 1);
	assert_int_equal(v.timeout, 60000);
	assert_int_equal(ops.n, 2);
	assert_string_equal(ops.v[0], "a");
	assert_string_equal(ops.v[1], "-notopt");
	gth_strlist_release(&ops);
	gth_strlist_release(&v.gates);

	assert_int_equal(parse(&v, &ops, &err, 2, "-o", "-"), 0);
	assert_string_equal(v.out, "-");
	gth_strlist_release(&ops);
}

static void test_errors(void **state)
{
	static const struct { const char *a, *b; const char *msg; } cases[] = {
		{ "--bogus", NULL, "unknown option '--bogus'" },
		{ "-x", NULL, "unknown option '-x'" },
		{ "--jobs", NULL, "option '--jobs' needs a value" },
		{ "-j", NULL, "option '-j' needs a value" },
		{ "-j", "0", "--jobs: expected a number from 1 to 64, got '0'" },
		{ "--jobs=abc", NULL, "--jobs: expected a number from 1 to 64, got 'abc'" },
		{ "--timeout", "soon", "--timeout: expected a duration like 30s, 5m or 1h, got 'soon'" },
		{ "--list=yes", NULL, "option '--list' takes no value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vals v;
		struct gth_strlist ops = GTH_STRLIST_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		int r = cases[i].b ? parse(&v, &ops, &err, 2, cases[i].a, cases[i].b)
				   : parse(&v, &ops, &err, 1, cases[i].a);

		assert_int_equal(r, -1);
		assert_int_equal(err.exit, GTH_EXIT_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		gth_strlist_release(&ops);
		gth_strlist_release(&v.gates);
	}
}

static void test_usage(void **state)
{
	struct vals v;
	struct gth_opt o[12];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	memset(&v, 0, sizeof(v));
	table(o, &v);
	gth_opts_usage(f, "gth-x [-j N]\n[--gate NAME]...", o);
	fclose(f);
	assert_non_null(strstr(text, "usage: gth-x [-j N]\n       [--gate NAME]...\n"));
	assert_non_null(strstr(text, "\n  -j, --jobs N              run N at once\n"));
	assert_non_null(strstr(text, "\n      --gate NAME           only NAME\n"));
	assert_non_null(strstr(text, "\n  -h, --help                show this help and exit\n"));
	free(text);
}

static int usage_calls;
static FILE *usage_stream;

static void usage_probe(FILE *out)
{
	usage_calls++;
	usage_stream = out;
}

static void test_dispatch(void **state)
{
	static const struct { const char *name; int x; } verbs[] = { { "fs", 1 }, { "db", 2 } };
	static const struct { int argc; const char *a1; int rc; size_t verb; int usage; int to_stdout; } cases[] = {
		{ 1, NULL, GTH_EXIT_USAGE, 9, 1, 0 }, { 2, "-h", 0, 9, 1, 1 }, { 2, "--help", 0, 9, 1, 1 },
		{ 2, "--version", 0, 9, 0, 0 }, { 2, "db", -1, 1, 0, 0 }, { 2, "fs", -1, 0, 0, 0 },
		{ 2, "dbx", GTH_EXIT_USAGE, 9, 1, 0 }, { 2, "--bogus", GTH_EXIT_USAGE, 9, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "gth-x", (char *)cases[i].a1, NULL };
		size_t v = 9;
		int rc;

		usage_calls = 0;
		usage_stream = NULL;
		rc = gth_opts_dispatch(&v, cases[i].argc, argv, "gth-x", verbs, 2, sizeof(verbs[0]),
				       usage_probe);
		assert_int_equal(rc, cases[i].rc);
		assert_int_equal(v, cases[i].verb);
		assert_int_equal(usage_calls, cases[i].usage);
		if (cases[i].usage)
			assert_ptr_equal(usage_stream, cases[i].to_stdout ? stdout : stderr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
