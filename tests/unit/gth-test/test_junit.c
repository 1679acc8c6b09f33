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

/* One report: what it holds, what comes out. */
struct junit_case {
	const char *what;
	const char *xml;
	int rc;
	size_t total, failed, skipped;
	const char *problem;      /* part of the one problem, NULL for none */
	/* the first failed case */
	const char *name, *classname, *file;
	int line;
	const char *message;
};

#define ROOT "/work/app"

static const struct junit_case cases[] = {
	{ "node's reporter, location from the stack",
	  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n"
	  "<testcase name=\"adds\" time=\"0.001\" classname=\"test\"/>\n"
	  "<testcase name=\"fails\" time=\"0.002\" classname=\"test\" failure=\"x\">\n"
	  "<failure type=\"testCodeFailure\" message=\"Expected values to be strictly equal:2 !== 3\">\n"
	  "[Error [ERR_TEST_FAILURE]: Expected values\n"
	  "    at TestContext.&lt;anonymous> (/work/app/test/app.test.js:4:30)\n"
	  "    at Test.runInAsyncScope (node:async_hooks:206:9)\n"
	  "</failure></testcase>\n"
	  "<testsuite name=\"group\" tests=\"2\"><testcase name=\"inner ok\" classname=\"test\"/>"
	  "<testcase name=\"inner skip\" classname=\"test\"><skipped type=\"skipped\" message=\"true\"/>"
	  "</testcase></testsuite></testsuites>\n",
	  0, 4, 1, 1, NULL, "fails", "test", "test/app.test.js", 4,
	  "Expected values to be strictly equal:2 !== 3" },
	{ "pytest with file and line attributes",
	  "<testsuites><testsuite name=\"pytest\" tests=\"2\">"
	  "<testcase classname=\"tests.test_app\" name=\"test_ok\" file=\"tests/test_app.py\" line=\"3\"/>"
	  "<testcase classname=\"tests.test_app\" name=\"test_bad\" file=\"tests/test_app.py\" line=\"11\">"
	  "<failure message=\"assert 1 == 2\">def test_bad():\n&gt;  assert 1 == 2</failure>"
	  "</testcase></testsuite></testsuites>",
	  0, 2, 1, 0, NULL, "test_bad", "tests.test_app", "tests/test_app.py", 11, "assert 1 == 2" },
	{ "an error element, message from the text, absolute file made relative",
	  "<testsuite name=\"s\"><testcase name=\"boom\" file=\"/work/app/src/a.c\">"
	  "<error>\n\n  segfault in a\n more</error></testcase></testsuite>",
	  0, 1, 1, 0, NULL, "boom", NULL, "src/a.c", 0, "segfault in a" },
	{ "a file outside the project is dropped, a relative one kept from the text",
	  "<testsuite><testcase name=\"t\" file=\"/elsewhere/x.js\">"
	  "<failure message=\"bad\">at lib/util.go:42 something</failure></testcase></testsuite>",
	  0, 1, 1, 0, NULL, "t", NULL, "lib/util.go", 42, "bad" },
	{ "no failures",
	  "<testsuites><testsuite><testcase name=\"a\"/><testcase name=\"b\"/></testsuite></testsuites>",
	  0, 2, 0, 0, NULL, NULL, NULL, NULL, 0, NULL },
	{ "empty testsuites", "<testsuites/>", 0, 0, 0, 0, NULL, NULL, NULL, NULL, 0, NULL },
	{ "truncated in the middle: cases before the cut count",
	  "<testsuites><testsuite><testcase name=\"a\"/>\n<testcase name=\"b\"><failure message=\"m\">"
	  "text</failure></testcase>\n<testcase name=\"c\"/>\n<testca",
	  -1, 3, 1, 0, "x.xml:4: truncated JUnit XML", "b", NULL, NULL, 0, "m" },
	{ "truncated after a complete element",
	  "<testsuites>\n<testsuite>\n<testcase name=\"a\"/>\n",
	  -1, 1, 0, 0, "x.xml:4: truncated JUnit XML: no element found", NULL, NULL, NULL, 0, NULL },
	{ "malformed: mismatched tag",
	  "<testsuites>\n<testcase name=\"a\"></testsuite>\n</testsuites>",
	  -1, 1, 0, 0, "x.xml:2: malformed JUnit XML: mismatched tag", NULL, NULL, NULL, 0, NULL },
	{ "malformed: not XML at all", "hello, world", -1, 0, 0, 0,
	  "x.xml:1: malformed JUnit XML: syntax error", NULL, NULL, NULL, 0, NULL },
	{ "empty file", "", -1, 0, 0, 0, "x.xml: empty JUnit report", NULL, NULL, NULL, 0, NULL },
	{ "another XML document",
	  "<?xml version=\"1.0\"?><project><testcase name=\"a\"/></project>", -1, 0, 0, 0,
	  "x.xml:1: not a JUnit report", NULL, NULL, NULL, 0, NULL },
	{ "entity expansion stays bounded",
	  "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	  "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
	  "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
	  "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">]>"
	  "<testsuites><testcase name=\"x\"><failure>&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;</failure>"
	  "</testcase></testsuites>",
	  -1, 1, 1, 0, "JUnit XML", "x", NULL, NULL, 0, NULL },
};

static void test_junit_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		const struct junit_case *c = &cases[i];
		struct test_report r = TEST_REPORT_INIT;
		int rc = junit_parse(&r, c->xml, strlen(c->xml), "x.xml", ROOT);
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
			assert_string_equal(f->name, c->name);
			if (c->classname)
				assert_string_equal(f->classname, c->classname);
			else
				assert_null(f->classname);
			if (c->file) {
				if (!f->file || strcmp(f->file, c->file) || f->line != c->line)
					fail_msg("%s: location %s:%d", c->what, f->file ? f->file : "(none)",
						 f->line);
			} else if (f->file) {
				fail_msg("%s: unexpected file %s", c->what, f->file);
			}
			if (c->message)
				assert_string_equal(f->message, c->message);
		}
		report_release(&r);
	}
}

static void test_detail_capped(void **state)
{
	struct test_report r = TEST_REPORT_INIT;
	static char xml[REPORT_DETAIL_MAX * 2 + 200];
	size_t off;
	(void)state;

	off = (size_t)snprintf(xml, sizeof(xml), "<testsuite><testcase name=\"big\"><failure>");
	memset(xml + off, 'y', REPORT_DETAIL_MAX * 2);
	off += REPORT_DETAIL_MAX * 2;
	off += (size_t)snprintf(xml + off, sizeof(xml) - off, "</failure></testcase></testsuite>");
	assert_int_equal(junit_parse(&r, xml, off, "big.xml", ROOT), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(strlen(r.cases[0].detail), REPORT_DETAIL_MAX);
	report_release(&r);
	report_release(NULL);
}

static void test_location_and_first_line(void **state)
{
	static const struct {
		const char *text, *file;
		int line;
	} locs[] = {
		{ "at Object.<anonymous> (/work/app/src/server.js:17:9)", "src/server.js", 17 },
		{ "node:internal/x:1:2 then (/work/app/node_modules/a/b.js:3:4) then ./t/x.test.js:9",
		  "t/x.test.js", 9 },
		{ "see https://example.com:443/x.html:5 or file:///work/app/a.js:3", NULL, 0 },
		{ "version 1.2:3", "1.2", 3 },
		{ "no location here", NULL, 0 },
		{ "/work/app/a.js:0", NULL, 0 },
	};
	size_t i;
	char *s;
	(void)state;

	for (i = 0; i < GTH_ARRAY_SIZE(locs); i++) {
		struct test_case c;
		int found;
		memset(&c, 0, sizeof(c));
		found = report_find_location(&c, locs[i].text, ROOT);
		if (found != (locs[i].file != NULL) ||
		    (locs[i].file && (strcmp(c.file, locs[i].file) || c.line != locs[i].line)))
			fail_msg("'%s': found %d %s:%d", locs[i].text, found, c.file ? c.file : "-",
				 c.line);
		free(c.file);
	}
	s = report_first_line("\n \n  first line  \nsecond");
	assert_string_equal(s, "first line");
	free(s);
	assert_null(report_first_line(" \n\t\n"));
	assert_null(report_first_line(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit_table),
		cmocka_unit_test(test_detail_capped),
		cmocka_unit_test(test_location_and_first_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
