/* GitHub Actions integration. Everything here does nothing unless GITHUB_ACTIONS is
 * "true". Workflow commands go to stderr (the runner reads both streams), so stdout
 * keeps exactly the --json event. */
#ifndef GTH_GHA_H
#define GTH_GHA_H

#include "error.h"

int gth_gha_enabled(void);

/* ::error file=F,line=L,title=T::message (level: "error", "warning" or "notice").
 * file may be NULL and line 0. Properties and message are escaped as the runner
 * expects (%25, %0D, %0A, and %3A/%2C in properties). */
void gth_gha_annotate(const char *level, const char *file, int line, const char *title,
		      const char *fmt, ...) GTH_PRINTF(5, 6);
void gth_gha_group_begin(const char *title);
void gth_gha_group_end(void);
/* ::add-mask:: for a value (gth_secret_add calls this). */
void gth_gha_mask(const char *value);
/* Append name=value to $GITHUB_OUTPUT; multi-line values use a random heredoc
 * delimiter that does not occur in the value. */
int gth_gha_output(const char *name, const char *value, struct gth_error *err);
/* Append Markdown to $GITHUB_STEP_SUMMARY. */
int gth_gha_summary(const char *markdown, struct gth_error *err);

/* Escaping helpers, exposed for tests. Return malloc'd strings. */
char *gth_gha_escape_data(const char *s);
char *gth_gha_escape_property(const char *s);

#endif
