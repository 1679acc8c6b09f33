/* Errors and the suite's one exit-status table.
 *
 * Library functions return 0 on success or a negative value on failure and fill
 * a struct gth_error with a one-line message and the exit status the tool should
 * end with. Only main() prints the message (gth_fail) and exits. Every function
 * that takes a struct gth_error * accepts NULL. */
#ifndef GTH_ERROR_H
#define GTH_ERROR_H

#include <stddef.h>

enum gth_exit {
	GTH_EXIT_OK = 0,           /* success */
	GTH_EXIT_FAIL = 1,         /* the gate said no */
	GTH_EXIT_UNDECIDED = 2,    /* no decision: inconclusive, paused, timed out */
	GTH_EXIT_USAGE = 64,       /* command-line usage */
	GTH_EXIT_DATAERR = 65,     /* bad input data */
	GTH_EXIT_NOINPUT = 66,     /* input missing */
	GTH_EXIT_UNAVAILABLE = 69, /* a service unavailable after retries */
	GTH_EXIT_SOFTWARE = 70,    /* internal error */
	GTH_EXIT_TEMPFAIL = 75,    /* temporary failure worth retrying */
	GTH_EXIT_NOPERM = 77,      /* permission denied */
	GTH_EXIT_CONFIG = 78       /* configuration error */
};

#define GTH_ERROR_MSG_MAX 1024

struct gth_error {
	int exit;                  /* one of enum gth_exit; 0 when no error is set */
	char msg[GTH_ERROR_MSG_MAX];
};

#define GTH_ERROR_INIT { 0, "" }

#if defined(__GNUC__)
#define GTH_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GTH_PRINTF(a, b)
#endif

/* Set the error (message lowercase, no full stop) and return -1. */
int gth_error_set(struct gth_error *err, int exit, const char *fmt, ...) GTH_PRINTF(3, 4);
/* Prepend context ("reading 'x': ") to an error already set; returns -1. */
int gth_error_prefix(struct gth_error *err, const char *fmt, ...) GTH_PRINTF(2, 3);
void gth_error_clear(struct gth_error *err);

/* "usage", "data error", ... for an exit status; "unknown" otherwise. */
const char *gth_exit_name(int exit);
/* The event status for an exit status: success, failure, inconclusive or error. */
const char *gth_exit_status(int exit);

#endif
