#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "gth/util.h"

struct san {
	const char *in, *out;
};

static const struct san sans[] = {
	{ "main", "main" },
	{ "feature/login-page", "feature-login-page" },
	{ "fix/#12 thing!", "fix-12-thing-" },
	{ "release/v1.2", "release-v1.2" },
	{ "--weird", "weird" },
	{ ".hidden/x", "hidden-x" },
	{ "UPPER_case", "UPPER_case" },
	{ "//", NULL },
};

static void test_sanitize(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(sans); i++) {
		char *s = tags_sanitize(sans[i].in);

		if (sans[i].out)
			assert_string_equal(s, sans[i].out);
		else
			assert_null(s);
		free(s);
	}
	{
		char long_branch[300];
		char *s;

		memset(long_branch, 'a', 299);
		long_branch[299] = '\0';
		s = tags_sanitize(long_branch);
		assert_int_equal(strlen(s), 128);
		free(s);
	}
}

struct sv {
	const char *in;
	int ok;
	long ma, mi, pa;
	const char *pre, *ver;
};

static const struct sv svs[] = {
	{ "v1.2.3", 1, 1, 2, 3, "", "1.2.3" },
	{ "1.2.3", 1, 1, 2, 3, "", "1.2.3" },
	{ "v0.10.0", 1, 0, 10, 0, "", "0.10.0" },
	{ "v2.0.0-rc.1", 1, 2, 0, 0, "rc.1", "2.0.0-rc.1" },
	{ "v1.2.3+build.5", 1, 1, 2, 3, "", "1.2.3+build.5" },
	{ "v1.2", 0, 0, 0, 0, NULL, NULL },
	{ "v01.2.3", 0, 0, 0, 0, NULL, NULL },
	{ "v1.2.3-", 0, 0, 0, 0, NULL, NULL },
	{ "v1.2.3.4", 0, 0, 0, 0, NULL, NULL },
	{ "release", 0, 0, 0, 0, NULL, NULL },
};

static void test_semver(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(svs); i++) {
		long ma = -1, mi = -1, pa = -1;
		const char *pre = NULL, *ver = NULL;
		int ok = tags_semver(svs[i].in, &ma, &mi, &pa, &pre, &ver);

		assert_int_equal(ok, svs[i].ok);
		if (!ok)
			continue;
		assert_int_equal(ma, svs[i].ma);
		assert_int_equal(mi, svs[i].mi);
		assert_int_equal(pa, svs[i].pa);
		assert_string_equal(pre, svs[i].pre);
		assert_string_equal(ver, svs[i].ver);
	}
}

static void test_split_args(void **state)
{
	struct gth_error err = GTH_ERROR_INIT;
	char **v;
	(void)state;
	v = split_args("node  /app/server.js --port 8080", &err);
	assert_non_null(v);
	assert_string_equal(v[0], "node");
	assert_string_equal(v[1], "/app/server.js");
	assert_string_equal(v[3], "8080");
	assert_null(v[4]);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	v = split_args("[\"sh\", \"-c\", \"echo a b\"]", &err);
	assert_non_null(v);
	assert_string_equal(v[2], "echo a b");
	assert_null(v[3]);
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
	assert_null(split_args("[1, 2]", &err));
	assert_int_equal(err.exit, GTH_EXIT_USAGE);
	assert_null(split_args("[\"unterminated", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_semver),
		cmocka_unit_test(test_split_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
