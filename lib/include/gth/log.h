/* Human output on stderr: "gth-tool: message". Notes are muted by -q, never errors.
 * Colour only when stderr is a terminal, TERM is not "dumb", NO_COLOR is unset and
 * CI is not set. Every message passes through the secret redactor: a value given to
 * gth_secret_add() is replaced by "***" wherever it appears. Not thread-safe for
 * gth_log_init/gth_secret_add; the printing functions may be called from threads. */
#ifndef GTH_LOG_H
#define GTH_LOG_H

#include <stdio.h>
#include "error.h"

/* Called first by every tool's main. Also sets SIGXFSZ to ignored, so a write past
 * the file-size limit fails with EFBIG (reported as 74) instead of killing the tool. */
void gth_log_init(const char *tool);
const char *gth_tool_name(void);
void gth_log_set_quiet(int quiet);
void gth_log_set_verbose(int verbose);
int gth_log_quiet(void);
int gth_log_verbose(void);
/* 1 when colour may be used on the stream (stderr or stdout). */
int gth_log_color(FILE *stream);
/* 1 when stderr is an interactive terminal (live progress allowed). */
int gth_log_interactive(void);

void gth_note(const char *fmt, ...) GTH_PRINTF(1, 2);     /* muted by -q */
void gth_verbose(const char *fmt, ...) GTH_PRINTF(1, 2);  /* only with -v */
void gth_warn(const char *fmt, ...) GTH_PRINTF(1, 2);     /* "warning: " */
void gth_errorf(const char *fmt, ...) GTH_PRINTF(1, 2);   /* "error: " */

/* Print err as an error line and return its exit status (70 when none is set), so
 * main can end with: return gth_fail(&err); */
int gth_fail(const struct gth_error *err);

/* Register a secret value (length >= 4) to redact from every message and, in
 * GitHub Actions, mask with ::add-mask::. The value is copied. */
void gth_secret_add(const char *value);
/* Copy of s with every registered secret replaced by "***"; free() it. */
char *gth_redact(const char *s);

/* Flush stdout and report a write error (EPIPE included) as 70 ... returns 0 or -1. */
int gth_close_stdout(struct gth_error *err);

#endif
