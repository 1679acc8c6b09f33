#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "rules.h"
#include "secrets.h"

static void test_entropy(void **state)
{
	static const struct { const char *s; double lo, hi; } cases[] = {
		{ "", 0, 0 }, { "aaaa", 0, 0 }, { "abab", 0.99, 1.01 }, { "abcd", 1.99, 2.01 },
		{ "passwordpassword", 2.7, 2.8 }, { "Zk9Qm2Lx8Rt4Vb7Nc1Wd5Ye3Hf6Jg0Ps", 4.9, 5.1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double e = scan_entropy(cases[i].s, strlen(cases[i].s));

		assert_true(e >= cases[i].lo && e <= cases[i].hi);
	}
}

static void test_placeholders(void **state)
{
	static const struct { const char *s; int want; } cases[] = {
		{ "${DB_PASSWORD}", 1 }, { "{{ .Values.x }}", 1 }, { "changeme", 1 },
		{ "my-example-key", 1 }, { "<your-token>", 1 }, { "xxxxxxxxxxxx", 1 },
		{ "$TOKEN", 1 }, { "aaaaaaa", 1 }, { "", 1 }, { "EXAMPLEKEY", 1 },
		{ "Zk9Qm2Lx8Rt4Vb7Nc1Wd", 0 }, { "ghp_aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA2bC4", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(scan_is_placeholder(cases[i].s, strlen(cases[i].s)), cases[i].want);
}

static void test_mask(void **state)
{
	static const struct { const char *in; size_t len; const char *want; } cases[] = {
		{ "ghp_abcdefgh", 12, "ghp_\xe2\x80\xa6" }, { "short", 5, "***" },
		{ "\xc3\xa9t\xc3\xa9secret", 11, "\xc3\xa9t\xc3\xa9s\xe2\x80\xa6" },
		{ "\xff\xfe" "abcdefgh", 10, "??ab\xe2\x80\xa6" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = scan_mask_secret(cases[i].in, cases[i].len);

		assert_string_equal(m, cases[i].want);
		free(m);
	}
}

static void test_scan_lines_and_allow(void **state)
{
	static const char text[] =
		"first\n"
		"GH=ghp_aB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA2bC4\n"
		"GH=ghp_zB3dE5gH7jK9mN1pQ3rS5tU7vW9xY1zA2bC4 # gth:allow\n"
		"  token: \"Zk9Qm2Lx8Rt4Vb7Nc1Wd5Ye3Hf6Jg0Ps\"\n";
	struct scan_secrets *set = NULL;
	struct scan_findings l = SCAN_FINDINGS_INIT;
	struct gth_error err = GTH_ERROR_INIT;

	(void)state;
	assert_true(scan_builtin_rule_count >= 60);
	assert_int_equal(scan_secrets_new(&set, NULL, &err), 0);
	assert_int_equal(scan_secrets_count(set), scan_builtin_rule_count);
	assert_int_equal(scan_secrets_scan(set, &l, "t", "a.txt", text, sizeof(text) - 1), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].id, "github-pat");
	assert_int_equal(l.v[0].line, 2);
	assert_int_equal(l.v[0].col, 4);
	assert_string_equal(l.v[1].id, "generic-api-key");
	assert_int_equal(l.v[1].line, 4);
	assert_string_equal(l.v[1].match, "Zk9Q\xe2\x80\xa6");
	scan_findings_release(&l);
	scan_secrets_free(set);
}

static void test_builtin_rules_sane(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < scan_builtin_rule_count; i++) {
		const struct scan_rule_def *r = &scan_builtin_rules[i];

		assert_non_null(r->keywords);
		assert_true(strlen(r->keywords) > 0);
		for (j = 0; r->keywords[j]; j++)
			assert_false(r->keywords[j] >= 'A' && r->keywords[j] <= 'Z');
		for (j = i + 1; j < scan_builtin_rule_count; j++)
			assert_string_not_equal(r->id, scan_builtin_rules[j].id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entropy),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_scan_lines_and_allow),
		cmocka_unit_test(test_builtin_rules_sane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
