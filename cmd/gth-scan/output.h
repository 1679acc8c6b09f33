/* Report formats of gth-scan. Each renders the findings that remain after ignores
 * (res->findings, sorted) into a buffer; json is the event itself (finish.c). */
#ifndef GTH_SCAN_OUTPUT_H
#define GTH_SCAN_OUTPUT_H

#include "gth/buf.h"
#include "scan.h"

/* A table: SEVERITY, ID, PATH:LINE, TITLE, MATCH, then a count line. */
int scan_render_table(struct gth_buf *out, const struct scan_result *res, size_t nignored,
		      int color);
/* SARIF 2.1.0: one run, a rule per distinct id (security-severity, level, tags),
 * results with repository-relative paths and partialFingerprints. */
int scan_render_sarif(struct gth_buf *out, const struct scan_result *res);
/* GitHub workflow commands: ::error/::warning/::notice file=,line=,title=::text */
int scan_render_github(struct gth_buf *out, const struct scan_result *res);
/* Markdown for a step summary: counts and a table of findings. */
int scan_render_markdown(struct gth_buf *out, const struct scan_result *res, size_t nignored,
			 int gate_failed, const char *fail_on);

/* "9.5", "8.0", "5.5", "2.0" for CRITICAL..LOW; NULL for UNKNOWN. */
const char *scan_security_severity(enum scan_severity s);
/* The path as the repository sees it (repo_prefix + path). malloc'd. */
char *scan_repo_path(const struct scan_result *res, const struct scan_finding *f);

#endif
