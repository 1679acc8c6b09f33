#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "gth/util.h"

static void test_parse_long(void **state)
{
	static const struct { const char *s; long min, max; int ok; long v; } cases[] = {
		{ "0", 0, 10, 1, 0 }, { "10", 0, 10, 1, 10 }, { "11", 0, 10, 0, 0 },
		{ "-1", 0, 10, 0, 0 }, { "-5", -10, 10, 1, -5 }, { "", 0, 10, 0, 0 },
		{ " 1", 0, 10, 0, 0 }, { "1 ", 0, 10, 0, 0 }, { "1x", 0, 10, 0, 0 },
		{ "99999999999999999999", 0, 10, 0, 0 }, { "0x10", 0, 100, 0, 0 },
	};
	size_t i;
	long dummy = 0;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		long v = -42;
		int r = gth_parse_long(cases[i].s, cases[i].min, cases[i].max, &v);

		assert_int_equal(r == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].v);
	}
	assert_int_equal(gth_parse_long(NULL, 0, 1, &dummy), -1);
}

static void test_durations(void **state)
{
	static const struct { const char *s; int ok; int64_t ms; } cases[] = {
		{ "30s", 1, 30000 }, { "5m", 1, 300000 }, { "1h", 1, 3600000 },
		{ "1h30m", 1, 5400000 }, { "500ms", 1, 500 }, { "1.5s", 1, 1500 },
		{ "2d", 1, 172800000 }, { "45", 1, 45000 }, { "0", 1, 0 }, { "", 0, 0 },
		{ "5x", 0, 0 }, { "m", 0, 0 }, { "-5s", 0, 0 }, { "5 m", 0, 0 }, { "s5", 0, 0 },
		{ "1e300h", 0, 0 },
	};
	size_t i;
	char buf[32];

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		int64_t ms = -1;
		int r = gth_parse_duration(cases[i].s, &ms);

		if ((r == 0) != cases[i].ok)
			fail_msg("duration '%s': expected %s", cases[i].s, cases[i].ok ? "ok" : "error");
		if (cases[i].ok)
			assert_int_equal(ms, cases[i].ms);
	}
	assert_string_equal(gth_format_duration(450, buf, sizeof(buf)), "450ms");
	assert_string_equal(gth_format_duration(1234, buf, sizeof(buf)), "1.2s");
	assert_string_equal(gth_format_duration(185000, buf, sizeof(buf)), "3m05s");
	assert_string_equal(gth_format_duration(3720000, buf, sizeof(buf)), "1h02m");
}

static void test_time(void **state)
{
	static const struct { const char *s; int ok; long long t; } cases[] = {
		{ "2026-11-26T10:00:00Z", 1, 1795687200LL },
		{ "2026-11-26T10:00:00.123Z", 1, 1795687200LL },
		{ "2026-11-26T12:00:00+02:00", 1, 1795687200LL },
		{ "2026-11-26t10:00:00z", 1, 1795687200LL },
		{ "2026-11-26", 0, 0 }, { "2026-13-01T00:00:00Z", 0, 0 },
		{ "2026-11-26T10:00:00", 0, 0 }, { "garbage", 0, 0 },
	};
	size_t i;
	char buf[32];

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		time_t t = 0;
		int r = gth_parse_time(cases[i].s, &t);

		assert_int_equal(r == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal((long long)t, cases[i].t);
	}
	assert_string_equal(gth_format_time((time_t)1795687200LL, buf, sizeof(buf)),
			    "2026-11-26T10:00:00Z");
}

static void test_glob(void **state)
{
	static const struct { const char *p, *s; int m; } cases[] = {
		{ "*.js", "a.js", 1 }, { "*.js", "src/a.js", 1 }, { "*.js", "a.ts", 0 },
		{ "src/*.js", "src/a.js", 1 }, { "src/*.js", "src/x/a.js", 0 },
		{ "src/**/*.js", "src/x/y/a.js", 1 }, { "src/**/*.js", "src/a.js", 1 },
		{ "**/test-*.xml", "build/reports/test-a.xml", 1 },
		{ "**/test-*.xml", "test-a.xml", 1 }, { "node_modules", "node_modules/x/y.js", 1 },
		{ "vendor/", "vendor/a/b.go", 1 }, { "vendor/", "vendorx/a.go", 0 },
		{ "/top.txt", "top.txt", 1 }, { "/top.txt", "sub/top.txt", 0 },
		{ "a?c", "abc", 1 }, { "a?c", "a/c", 0 }, { "[ab]x", "bx", 1 }, { "[!ab]x", "bx", 0 },
		{ "[a-c]", "b", 1 }, { "*", "", 1 }, { "docs/**", "docs/a/b", 1 },
		{ "a.txt", "./a.txt", 1 }, { "[", "[", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		if (gth_glob_match(cases[i].p, cases[i].s) != cases[i].m)
			fail_msg("glob '%s' on '%s': expected %d", cases[i].p, cases[i].s, cases[i].m);
	}
}

/* Stars that would make a backtracking matcher try every way to split the path
 * (found by libFuzzer: a 10-second timeout); the answer must come at once. */
static void test_glob_hostile(void **state)
{
	char pat[4001], path[4001];
	int64_t t0 = gth_now_ms();
	size_t i;

	(void)state;
	for (i = 0; i < 4000; i++)
		pat[i] = "*?*/*"[i % 5];
	pat[4000] = '\0';
	for (i = 0; i < 4000; i++)
		path[i] = i % 7 == 6 ? '/' : 'a';
	path[4000] = '\0';
	assert_int_equal(gth_glob_match(pat, path), 0);
	memcpy(pat + 3990, "*/z/**/.s", 10);
	assert_int_equal(gth_glob_match(pat, path), 0);
	assert_int_equal(gth_glob_match("***?****/??*****/**/**?*?*/**/**/**/.s", "src/a/b/c/d/e/f/g/h.x"), 0);
	assert_int_equal(gth_glob_match("**/**/**/**/**/**/**/*.s", "a/b/c/d/e/f/g/h/i/j/k/x.s"), 1);
	if (gth_now_ms() - t0 > 2000)
		fail_msg("hostile globs took %lld ms", (long long)(gth_now_ms() - t0));
}

static void test_strings(void **state)
{
	char buf[4];
	char *s;

	(void)state;
	assert_true(gth_starts_with("refs/heads/main", "refs/heads/"));
	assert_false(gth_starts_with("ref", "refs/"));
	assert_true(gth_ends_with("a.yaml", ".yaml"));
	assert_false(gth_ends_with("yaml", ".yaml"));
	assert_int_equal(gth_strlcpy(buf, "abcdef", sizeof(buf)), 6);
	assert_string_equal(buf, "abc");
	s = gth_strdupf("%s-%d", "x", 42);
	assert_string_equal(s, "x-42");
	free(s);
	assert_true(gth_random_below(10) < 10);
	assert_true(gth_ncpu() >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long), cmocka_unit_test(test_durations),
		cmocka_unit_test(test_time), cmocka_unit_test(test_glob),
		cmocka_unit_test(test_glob_hostile),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
