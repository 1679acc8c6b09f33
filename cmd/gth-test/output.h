/* What gth-test shows: each gate's output whole as it ends, the summary table,
 * the JSON event data, GitHub Actions annotations, outputs and step summary, and
 * the merged JUnit report. */
#ifndef GTH_TEST_OUTPUT_H
#define GTH_TEST_OUTPUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "gate.h"
#include "gth/buf.h"
#include "runner.h"

/* A gate ended: its header line and output, whole; in Actions inside a group.
 * Passing gates are muted by -q. */
void print_gate(const struct gate_result *r);
void print_retry(const struct gate_result *r, int attempt, int of);
/* The table of gates and the list of failed cases, to out. */
void print_summary(FILE *out, const struct gate_result *res, size_t n);
/* "2 of 3 gates passed; failed: unit" into b. */
void summary_line(struct gth_buf *b, const struct gate_result *res, size_t n);

/* data.gates[] of the event. */
int event_gates(cJSON *data, const struct gate_result *res, size_t n);
/* data.gates[] for --list. */
int event_list(cJSON *data, const struct gate_list *l);
void print_list(FILE *out, const struct gate_list *l);

/* Annotations for failed cases and gates, $GITHUB_OUTPUT and the step summary;
 * nothing outside Actions. */
int gha_report(const struct gate_result *res, size_t n, struct gth_error *err);

/* Every gate as a <testsuite> of one JUnit XML file, written atomically. */
int junit_write(const char *path, const struct gate_result *res, size_t n,
		struct gth_error *err);
/* XML text with &<>"' escaped, control characters and invalid UTF-8 replaced. */
void xml_escape(struct gth_buf *b, const char *s, size_t len);

#endif
