#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"

struct hits {
	char buf[512];
	size_t len;
};

static int collect(void *ctx, uint32_t id, size_t end)
{
	struct hits *h = ctx;

	h->len += (size_t)snprintf(h->buf + h->len, sizeof(h->buf) - h->len, "%u@%zu ", id, end);
	return 0;
}

static void test_matches(void **state)
{
	static const char *const pats[] = { "he", "she", "his", "hers", "ghp_", "a" };
	static const struct { const char *text; const char *want; } cases[] = {
		{ "", "" },
		{ "ushers", "1@4 0@4 3@6 " },
		{ "USHERS", "1@4 0@4 3@6 " },
		{ "xx GHP_abc", "4@7 5@8 " },
		{ "hishe", "2@3 1@5 0@5 " },
		{ "aaa", "5@1 5@2 5@3 " },
		{ "nothing", "" },
	};
	struct scan_ac *ac = scan_ac_new(pats, 6);
	size_t i;

	(void)state;
	assert_non_null(ac);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hits h = { "", 0 };

		assert_int_equal(scan_ac_scan(ac, cases[i].text, strlen(cases[i].text), collect, &h), 0);
		assert_string_equal(h.buf, cases[i].want);
	}
	scan_ac_free(ac);
}

static int stop_first(void *ctx, uint32_t id, size_t end)
{
	(void)ctx;
	(void)end;
	return (int)id + 10;
}

static void test_stop_and_binary(void **state)
{
	static const char *const pats[] = { "k\x01y", "key" };
	static const char data[] = "x\0k\x01y key";
	struct scan_ac *ac = scan_ac_new(pats, 2);
	struct hits h = { "", 0 };

	(void)state;
	assert_non_null(ac);
	assert_int_equal(scan_ac_scan(ac, data, sizeof(data) - 1, stop_first, NULL), 10);
	assert_int_equal(scan_ac_scan(ac, data, sizeof(data) - 1, collect, &h), 0);
	assert_string_equal(h.buf, "0@5 1@9 ");
	scan_ac_free(ac);
	assert_null(scan_ac_new((const char *const[]){ "" }, 1));
	scan_ac_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_stop_and_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
