#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/gha.h"
#include "gth/util.h"

int gth_gha_enabled(void)
{
	const char *v = getenv("GITHUB_ACTIONS");

	return v && !strcmp(v, "true");
}

static char *escape(const char *s, int property)
{
	struct gth_buf b = GTH_BUF_INIT;

	gth_buf_puts(&b, "");
	for (; *s; s++) {
		switch (*s) {
		case '%': gth_buf_puts(&b, "%25"); break;
		case '\r': gth_buf_puts(&b, "%0D"); break;
		case '\n': gth_buf_puts(&b, "%0A"); break;
		case ':':
			if (property) {
				gth_buf_puts(&b, "%3A");
				break;
			}
			gth_buf_putc(&b, *s);
			break;
		case ',':
			if (property) {
				gth_buf_puts(&b, "%2C");
				break;
			}
			gth_buf_putc(&b, *s);
			break;
		default: gth_buf_putc(&b, *s);
		}
	}
	return gth_buf_detach(&b);
}

char *gth_gha_escape_data(const char *s) { return escape(s, 0); }
char *gth_gha_escape_property(const char *s) { return escape(s, 1); }

void gth_gha_annotate(const char *level, const char *file, int line, const char *title,
		      const char *fmt, ...)
{
	struct gth_buf msg = GTH_BUF_INIT;
	struct gth_buf out = GTH_BUF_INIT;
	const char *sep = " ";
	char *e;
	va_list ap;

	if (!gth_gha_enabled())
		return;
	va_start(ap, fmt);
	gth_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	gth_buf_printf(&out, "::%s", level);
	if (file && *file) {
		e = escape(file, 1);
		gth_buf_printf(&out, "%sfile=%s", sep, e);
		free(e);
		sep = ",";
		if (line > 0) {
			gth_buf_printf(&out, ",line=%d", line);
		}
	}
	if (title && *title) {
		e = escape(title, 1);
		gth_buf_printf(&out, "%stitle=%s", sep, e);
		free(e);
	}
	e = escape(gth_buf_cstr(&msg), 0);
	gth_buf_printf(&out, "::%s\n", e);
	free(e);
	fputs(out.ptr, stderr);
	fflush(stderr);
	gth_buf_release(&msg);
	gth_buf_release(&out);
}

void gth_gha_group_begin(const char *title)
{
	char *e;

	if (!gth_gha_enabled())
		return;
	e = escape(title, 0);
	fprintf(stderr, "::group::%s\n", e);
	fflush(stderr);
	free(e);
}

void gth_gha_group_end(void)
{
	if (!gth_gha_enabled())
		return;
	fputs("::endgroup::\n", stderr);
	fflush(stderr);
}

void gth_gha_mask(const char *value)
{
	const char *p, *nl;

	if (!gth_gha_enabled() || !value || !*value)
		return;
	/* One mask per line: the runner masks line by line. */
	for (p = value; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n)
			fprintf(stderr, "::add-mask::%.*s\n", (int)n, p);
		if (!nl)
			break;
	}
	fflush(stderr);
}

static int append_env_file(const char *var, const char *text, struct gth_error *err)
{
	const char *path = getenv(var);
	FILE *f;
	int bad;

	if (!gth_gha_enabled() || !path || !*path)
		return 0;
	f = fopen(path, "a");
	if (!f)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to open $%s '%s': %s",
				     var, path, strerror(errno));
	fputs(text, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write $%s '%s'", var, path);
	return 0;
}

int gth_gha_output(const char *name, const char *value, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	int r;

	if (!gth_gha_enabled())
		return 0;
	if (!strchr(value, '\n') && !strchr(value, '\r')) {
		gth_buf_printf(&b, "%s=%s\n", name, value);
	} else {
		char delim[40];
		unsigned char rnd[8];

		do {
			size_t i;

			gth_random(rnd, sizeof(rnd));
			memcpy(delim, "ghadelimiter_", 13);
			for (i = 0; i < sizeof(rnd); i++)
				snprintf(delim + 13 + 2 * i, 3, "%02x", rnd[i]);
		} while (strstr(value, delim));
		gth_buf_printf(&b, "%s<<%s\n%s\n%s\n", name, delim, value, delim);
	}
	r = append_env_file("GITHUB_OUTPUT", gth_buf_cstr(&b), err);
	gth_buf_release(&b);
	return r;
}

int gth_gha_summary(const char *markdown, struct gth_error *err)
{
	return append_env_file("GITHUB_STEP_SUMMARY", markdown, err);
}
