/* A growable byte buffer, always NUL-terminated once anything is put in it.
 * Functions returning int give 0, or -1 when memory runs out. */
#ifndef GTH_BUF_H
#define GTH_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "error.h"

struct gth_buf {
	char *ptr;
	size_t len;
	size_t cap;
};

#define GTH_BUF_INIT { NULL, 0, 0 }

int gth_buf_grow(struct gth_buf *b, size_t extra);
int gth_buf_put(struct gth_buf *b, const void *data, size_t len);
int gth_buf_puts(struct gth_buf *b, const char *s);
int gth_buf_putc(struct gth_buf *b, char c);
int gth_buf_printf(struct gth_buf *b, const char *fmt, ...) GTH_PRINTF(2, 3);
int gth_buf_vprintf(struct gth_buf *b, const char *fmt, va_list ap);
/* The contents as a C string; "" for an empty buffer, never NULL. */
const char *gth_buf_cstr(const struct gth_buf *b);
/* Forget the contents, keep the memory. */
void gth_buf_clear(struct gth_buf *b);
/* Free the memory; the buffer is GTH_BUF_INIT again. */
void gth_buf_release(struct gth_buf *b);
/* Hand the memory to the caller (free() it); NULL for an empty buffer. */
char *gth_buf_detach(struct gth_buf *b);

/* Append a whole file, or at most max bytes of it (0: no limit). A missing file
 * is 66, an unreadable one 77 (permission) or 66, one larger than max 65. */
int gth_buf_read_file(struct gth_buf *b, const char *path, size_t max, struct gth_error *err);
/* Append what an open descriptor gives until end of file; same limits. */
int gth_buf_read_fd(struct gth_buf *b, int fd, const char *name, size_t max, struct gth_error *err);

#endif
