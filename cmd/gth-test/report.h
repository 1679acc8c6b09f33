/* Test results read from a gate's reports (JUnit XML, TAP): every case with its
 * outcome, and the problems met while reading (a malformed or truncated report
 * keeps the cases read before the fault). */
#ifndef GTH_TEST_REPORT_H
#define GTH_TEST_REPORT_H

#include <stddef.h>

#include "gth/error.h"

enum case_status { CASE_PASSED, CASE_FAILED, CASE_SKIPPED };

struct test_case {
	char *name;
	char *classname;    /* JUnit classname, the TAP parent test, or NULL */
	char *file;         /* relative to the project root when under it; NULL */
	int line;           /* 0 when unknown */
	enum case_status status;
	int error;          /* a JUnit <error> rather than a <failure> */
	double time;        /* seconds; negative when unknown */
	char *message;      /* first line of the failure, NULL when none */
	char *detail;       /* the whole failure text (capped), NULL when none */
};

struct test_report {
	struct test_case *cases;
	size_t n, cap;
	char **problems;    /* "FILE:LINE: malformed JUnit XML: ..." */
	size_t nproblems;
};

#define TEST_REPORT_INIT { NULL, 0, 0, NULL, 0 }
/* Failure text kept per case. */
#define REPORT_DETAIL_MAX (64 * 1024)

void report_release(struct test_report *r);
/* A new zeroed case at the end; NULL when memory runs out. */
struct test_case *report_add_case(struct test_report *r);
/* Record a problem (printf-style); returns -1. */
int report_problem(struct test_report *r, const char *fmt, ...)
	GTH_PRINTF(2, 3);
size_t report_count(const struct test_report *r, enum case_status s);

/* File and line from a path (absolute or relative) and optional line, made
 * relative to root when under it. Absolute paths outside root are dropped
 * (*file left NULL). */
void report_set_location(struct test_case *c, const char *path, int line, const char *root);
/* Find "PATH:LINE[:COL]" in a failure text or stack trace: the first one that
 * is not node's internals or under node_modules and, when absolute, is under
 * root. 1 when found. */
int report_find_location(struct test_case *c, const char *text, const char *root);
/* The first non-blank line of text, trimmed, malloc'd; NULL for none. */
char *report_first_line(const char *text);

/* JUnit XML (Ant/Maven/pytest/node/jest style) of len bytes; name is used in
 * problems. Returns 0, or -1 when the report is malformed (a problem is added,
 * the cases read so far stay). root is the project root for file names. */
int junit_parse(struct test_report *r, const char *text, size_t len, const char *name,
		const char *root);
/* TAP (12, 13, 14, with indented subtests: only leaves count). Lines that are not
 * TAP are ignored, so a gate's whole output can be given. -1 with a problem
 * when the plan is not met or the producer bailed out. */
int tap_parse(struct test_report *r, const char *text, size_t len, const char *name,
	      const char *root);

#endif
