#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/util.h"
#include "report.h"

struct tap_case {
	const char *what;
	const char *tap;
	int rc;
	size_t total, failed, skipped;
	const char *problem;
	const char *name, *classname, *file;
	int line;
	const char *message;
};

#define ROOT "/work/app"

static const struct tap_case cases[] = {
	{ "node's reporter: subtests, YAML diagnostics, only leaves count",
	  "TAP version 13\n"
	  "# Subtest: adds\n"
	  "ok 1 - adds\n"
	  "  ---\n  duration_ms: 1.5\n  ...\n"
	  "# Subtest: fails\n"
	  "not ok 2 - fails\n"
	  "  ---\n"
	  "  duration_ms: 1.7\n"
	  "  location: '/work/app/test/a.test.js:4:1'\n"
	  "  failureType: 'testCodeFailure'\n"
	  "  error: |-\n"
	  "    Expected values to be strictly equal:\n"
	  "    \n"
	  "    2 !== 3\n"
	  "    \n"
	  "  code: 'ERR_ASSERTION'\n"
	  "  stack: |-\n"
	  "    TestContext.<anonymous> (/work/app/test/a.test.js:4:30)\n"
	  "  ...\n"
	  "# Subtest: group\n"
	  "    # Subtest: inner ok\n"
	  "    ok 1 - inner ok\n"
	  "      ---\n      duration_ms: 0.2\n      ...\n"
	  "    # Subtest: inner skip\n"
	  "    ok 2 - inner skip # SKIP\n"
	  "    1..2\n"
	  "ok 3 - group\n"
	  "1..3\n# tests 5\n# pass 3\n",
	  0, 4, 1, 1, NULL, "fails", NULL, "test/a.test.js", 4,
	  "Expected values to be strictly equal:" },
	{ "a failing subtest names its parent",
	  "TAP version 14\n"
	  "# Subtest: api\n"
	  "    # Subtest: GET /healthz\n"
	  "    not ok 1 - GET /healthz\n"
	  "      ---\n"
	  "      location: '/work/app/test/api.test.js:20:3'\n"
	  "      error: 'expected 200, got 500'\n"
	  "      ...\n"
	  "    1..1\n"
	  "not ok 1 - api\n"
	  "  ---\n  error: '1 subtest failed'\n  ...\n"
	  "1..1\n",
	  0, 1, 1, 0, NULL, "GET /healthz", "api", "test/api.test.js", 20, "expected 200, got 500" },
	{ "a parent failing with passing children (a hook) counts itself",
	  "# Subtest: suite\n"
	  "    ok 1 - a\n"
	  "    1..1\n"
	  "not ok 1 - suite\n"
	  "  ---\n  error: 'after hook failed'\n  ...\n"
	  "1..1\n",
	  0, 2, 1, 0, NULL, "suite", NULL, NULL, 0, "after hook failed" },
	{ "classic TAP with at:, todo, skip, and noise between",
	  "make[1]: Entering directory\n"
	  "1..4\n"
	  "ok 1 first\n"
	  "not ok 2 - second\n"
	  "  ---\n"
	  "  message: \"values differ\"\n"
	  "  at: src/calc.c:88\n"
	  "  ...\n"
	  "some log line\n"
	  "not ok 3 - later # TODO not written\n"
	  "ok 4 # skip no network\n",
	  0, 4, 1, 2, NULL, "second", NULL, "src/calc.c", 88, "values differ" },
	{ "file and line keys",
	  "not ok 1 - x\n  ---\n  file: /work/app/lib/x.py\n  line: 7\n  ...\n1..1\n",
	  0, 1, 1, 0, NULL, "x", NULL, "lib/x.py", 7, NULL },
	{ "node-tap: at: as a mapping",
	  "not ok 1 - should be equal\n  ---\n  found: 1\n  wanted: 2\n  at:\n    line: 14\n"
	  "    column: 5\n    file: test/sum.js\n  stack: |\n    Test.<anonymous> (test/helper.js:99:5)\n"
	  "  ...\n1..1\n",
	  0, 1, 1, 0, NULL, "should be equal", NULL, "test/sum.js", 14, NULL },
	{ "plan at the start not met: truncated",
	  "TAP version 13\n1..3\nok 1 - a\nnot ok 2 - b\n",
	  -1, 2, 1, 0, "out:2: planned 3 tests, ran 2", "b", NULL, NULL, 0, NULL },
	{ "no plan at all",
	  "ok 1 - a\nok 2 - b\n",
	  -1, 2, 0, 0, "out: TAP output has no plan (truncated?) after 2 tests", NULL, NULL, NULL, 0, NULL },
	{ "bail out",
	  "1..3\nok 1 - a\nBail out! database is down\nok 2 - b\n",
	  -1, 1, 0, 0, "out:3: bail out: database is down", NULL, NULL, NULL, 0, NULL },
	{ "nothing that is TAP", "hello\nworld\n", -1, 0, 0, 0, "out: no TAP test points found",
	  NULL, NULL, NULL, 0, NULL },
	{ "skip the whole file", "1..0 # SKIP no tests here\n", 0, 0, 0, 0, NULL, NULL, NULL,
	  NULL, 0, NULL },
	{ "escaped hash, CRLF, no description",
	  "1..2\r\nok 1 - a \\# not a directive\r\nnot ok 2\r\n",
	  0, 2, 1, 0, NULL, "(unnamed)", NULL, NULL, 0, NULL },
	{ "'okay' and 'not okay' are not test points",
	  "okay then\nnot okay\n1..1\nok 1 - real\n", 0, 1, 0, 0, NULL, NULL, NULL, NULL, 0, NULL },
};

static void test_tap_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		const struct tap_case *c = &cases[i];
		struct test_report r = TEST_REPORT_INIT;
		int rc = tap_parse(&r, c->tap, strlen(c->tap), "out", ROOT);
		const struct test_case *f = NULL;
		size_t j;

		for (j = 0; j < r.n && !f; j++)
			if (r.cases[j].status == CASE_FAILED)
				f = &r.cases[j];
		if (rc != c->rc || r.n != c->total || report_count(&r, CASE_FAILED) != c->failed ||
		    report_count(&r, CASE_SKIPPED) != c->skipped)
			fail_msg("%s: rc %d total %zu failed %zu skipped %zu", c->what, rc, r.n,
				 report_count(&r, CASE_FAILED), report_count(&r, CASE_SKIPPED));
		if (c->problem) {
			if (r.nproblems != 1 || !strstr(r.problems[0], c->problem))
				fail_msg("%s: problem '%s'", c->what, r.nproblems ? r.problems[0] : "none");
		} else if (r.nproblems) {
			fail_msg("%s: unexpected problem '%s'", c->what, r.problems[0]);
		}
		if (c->name) {
			if (!f)
				fail_msg("%s: no failed case", c->what);
			if (strcmp(f->name, c->name))
				fail_msg("%s: name '%s'", c->what, f->name);
			if (c->classname && (!f->classname || strcmp(f->classname, c->classname)))
				fail_msg("%s: classname '%s'", c->what, f->classname ? f->classname : "-");
			if (!c->classname && f->classname && *f->classname)
				fail_msg("%s: classname '%s'", c->what, f->classname);
			if (c->file) {
				if (!f->file || strcmp(f->file, c->file) || f->line != c->line)
					fail_msg("%s: location %s:%d", c->what, f->file ? f->file : "(none)",
						 f->line);
			} else if (f->file) {
				fail_msg("%s: unexpected file %s", c->what, f->file);
			}
			if (c->message && (!f->message || strcmp(f->message, c->message)))
				fail_msg("%s: message '%s'", c->what, f->message ? f->message : "-");
		}
		report_release(&r);
	}
}

static void test_tap_names(void **state)
{
	static const char tap[] = "1..3\nok 1 - one\nnot ok 2 - two # TODO later\nok 3 three\n";
	struct test_report r = TEST_REPORT_INIT;
	(void)state;

	assert_int_equal(tap_parse(&r, tap, strlen(tap), "t", ROOT), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.cases[0].name, "one");
	assert_string_equal(r.cases[1].name, "two");
	assert_int_equal(r.cases[1].status, CASE_SKIPPED);
	assert_string_equal(r.cases[2].name, "three");
	report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_table),
		cmocka_unit_test(test_tap_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
