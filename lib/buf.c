#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/buf.h"

int gth_buf_grow(struct gth_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->ptr, cap);
	if (!p)
		return -1;
	b->ptr = p;
	b->cap = cap;
	b->ptr[b->len] = '\0';
	return 0;
}

int gth_buf_put(struct gth_buf *b, const void *data, size_t len)
{
	if (gth_buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int gth_buf_puts(struct gth_buf *b, const char *s)
{
	return gth_buf_put(b, s, strlen(s));
}

int gth_buf_putc(struct gth_buf *b, char c)
{
	return gth_buf_put(b, &c, 1);
}

int gth_buf_vprintf(struct gth_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (gth_buf_grow(b, 64) < 0)
		return -1;
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if ((size_t)n >= b->cap - b->len) {
		if (gth_buf_grow(b, (size_t)n) < 0)
			return -1;
		va_copy(cp, ap);
		n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
		va_end(cp);
		if (n < 0)
			return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int gth_buf_printf(struct gth_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gth_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *gth_buf_cstr(const struct gth_buf *b)
{
	return b->ptr ? b->ptr : "";
}

void gth_buf_clear(struct gth_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void gth_buf_release(struct gth_buf *b)
{
	if (!b)
		return;
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *gth_buf_detach(struct gth_buf *b)
{
	char *p = b->ptr;

	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

static int open_error(struct gth_error *err, const char *path, int e)
{
	int code = GTH_EXIT_NOINPUT;

	if (e == EACCES || e == EPERM)
		code = GTH_EXIT_NOPERM;
	return gth_error_set(err, code, "unable to open '%s': %s", path, strerror(e));
}

int gth_buf_read_fd(struct gth_buf *b, int fd, const char *name, size_t max, struct gth_error *err)
{
	size_t start = b->len;

	for (;;) {
		ssize_t n;

		if (gth_buf_grow(b, 65536) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory reading '%s'", name);
		n = read(fd, b->ptr + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return gth_error_set(err, GTH_EXIT_NOINPUT, "unable to read '%s': %s",
					     name, strerror(errno));
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->ptr[b->len] = '\0';
		if (max && b->len - start > max)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "'%s' is larger than %zu bytes", name, max);
	}
	return 0;
}

int gth_buf_read_file(struct gth_buf *b, const char *path, size_t max, struct gth_error *err)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_error(err, path, errno);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return gth_error_set(err, GTH_EXIT_NOINPUT, "'%s' is a directory", path);
	}
	if (max && S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		close(fd);
		return gth_error_set(err, GTH_EXIT_DATAERR, "'%s' is larger than %zu bytes",
				     path, max);
	}
	r = gth_buf_read_fd(b, fd, path, max, err);
	close(fd);
	return r;
}
