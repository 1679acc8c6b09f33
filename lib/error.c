#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gth/error.h"

int gth_error_set(struct gth_error *err, int exit, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->exit = exit;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int gth_error_prefix(struct gth_error *err, const char *fmt, ...)
{
	char prefix[GTH_ERROR_MSG_MAX];
	size_t plen, mlen;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	mlen = strlen(err->msg);
	if (plen > sizeof(err->msg) - 1)
		plen = sizeof(err->msg) - 1;
	if (plen + mlen > sizeof(err->msg) - 1)
		mlen = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	if (!err->exit)
		err->exit = GTH_EXIT_SOFTWARE;
	return -1;
}

void gth_error_clear(struct gth_error *err)
{
	if (!err)
		return;
	err->exit = 0;
	err->msg[0] = '\0';
}

const char *gth_exit_name(int exit)
{
	switch (exit) {
	case GTH_EXIT_OK: return "success";
	case GTH_EXIT_FAIL: return "failure";
	case GTH_EXIT_UNDECIDED: return "no decision";
	case GTH_EXIT_USAGE: return "usage";
	case GTH_EXIT_DATAERR: return "bad input data";
	case GTH_EXIT_NOINPUT: return "input missing";
	case GTH_EXIT_UNAVAILABLE: return "service unavailable";
	case GTH_EXIT_SOFTWARE: return "internal error";
	case GTH_EXIT_TEMPFAIL: return "temporary failure";
	case GTH_EXIT_NOPERM: return "permission denied";
	case GTH_EXIT_CONFIG: return "configuration error";
	default: return "unknown";
	}
}

const char *gth_exit_status(int exit)
{
	switch (exit) {
	case GTH_EXIT_OK: return "success";
	case GTH_EXIT_FAIL: return "failure";
	case GTH_EXIT_UNDECIDED: return "inconclusive";
	default: return "error";
	}
}
