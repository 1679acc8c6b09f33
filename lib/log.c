#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/gha.h"
#include "gth/log.h"

static const char *tool_name = "gth";
static int quiet;
static int verbose;
static char **secrets;
static size_t nsecrets;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void free_secrets(void)
{
	size_t i;

	for (i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
}

void gth_log_init(const char *tool)
{
	static int registered;

	tool_name = tool;
	/* past a file-size limit (ulimit -f) a write fails with EFBIG and the tool
	 * reports it, instead of the default SIGXFSZ killing it mid-write */
	signal(SIGXFSZ, SIG_IGN);
	if (!registered) {
		atexit(free_secrets);
		registered = 1;
	}
}

const char *gth_tool_name(void) { return tool_name; }
void gth_log_set_quiet(int q) { quiet = q; }
void gth_log_set_verbose(int v) { verbose = v; }
int gth_log_quiet(void) { return quiet; }
int gth_log_verbose(void) { return verbose; }

int gth_log_color(FILE *stream)
{
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return 0;
	if (getenv("CI") || gth_gha_enabled())
		return 0;
	if (!term || !strcmp(term, "dumb"))
		return 0;
	return isatty(fileno(stream));
}

int gth_log_interactive(void)
{
	const char *term = getenv("TERM");

	if (getenv("CI") || gth_gha_enabled())
		return 0;
	if (!term || !strcmp(term, "dumb"))
		return 0;
	return isatty(STDERR_FILENO);
}

void gth_secret_add(const char *value)
{
	char **n;
	size_t i;

	if (!value || strlen(value) < 4)
		return;
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < nsecrets; i++)
		if (!strcmp(secrets[i], value))
			break;
	if (i == nsecrets) {
		n = realloc(secrets, (nsecrets + 1) * sizeof(*n));
		if (n) {
			secrets = n;
			secrets[nsecrets] = strdup(value);
			if (secrets[nsecrets])
				nsecrets++;
		}
	}
	pthread_mutex_unlock(&log_lock);
	gth_gha_mask(value);
}

static void redact_into(struct gth_buf *out, const char *s)
{
	while (*s) {
		size_t i, best = 0;

		for (i = 0; i < nsecrets; i++) {
			size_t l = strlen(secrets[i]);

			if (l > best && !strncmp(s, secrets[i], l))
				best = l;
		}
		if (best) {
			gth_buf_puts(out, "***");
			s += best;
		} else {
			gth_buf_putc(out, *s++);
		}
	}
}

char *gth_redact(const char *s)
{
	struct gth_buf b = GTH_BUF_INIT;

	pthread_mutex_lock(&log_lock);
	redact_into(&b, s);
	pthread_mutex_unlock(&log_lock);
	if (!b.ptr)
		return strdup("");
	return gth_buf_detach(&b);
}

static void emit(const char *label, const char *color, const char *fmt, va_list ap)
{
	struct gth_buf msg = GTH_BUF_INIT;
	struct gth_buf line = GTH_BUF_INIT;
	int c = gth_log_color(stderr);

	gth_buf_vprintf(&msg, fmt, ap);
	pthread_mutex_lock(&log_lock);
	gth_buf_printf(&line, "%s: ", tool_name);
	if (label) {
		if (c)
			gth_buf_printf(&line, "%s%s\033[0m: ", color, label);
		else
			gth_buf_printf(&line, "%s: ", label);
	}
	redact_into(&line, gth_buf_cstr(&msg));
	gth_buf_putc(&line, '\n');
	fwrite(line.ptr, 1, line.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	gth_buf_release(&msg);
	gth_buf_release(&line);
}

void gth_note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	emit(NULL, NULL, fmt, ap);
	va_end(ap);
}

void gth_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose || quiet)
		return;
	va_start(ap, fmt);
	emit(NULL, NULL, fmt, ap);
	va_end(ap);
}

void gth_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", "\033[1;33m", fmt, ap);
	va_end(ap);
}

void gth_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", "\033[1;31m", fmt, ap);
	va_end(ap);
}

int gth_fail(const struct gth_error *err)
{
	if (!err || !err->exit) {
		gth_errorf("%s", err && err->msg[0] ? err->msg : "internal error");
		return GTH_EXIT_SOFTWARE;
	}
	gth_errorf("%s", err->msg[0] ? err->msg : gth_exit_name(err->exit));
	return err->exit;
}

int gth_close_stdout(struct gth_error *err)
{
	int bad = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		bad = 1;
	if (bad)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write to stdout: %s",
				     strerror(errno));
	return 0;
}
