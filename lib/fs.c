#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/fs.h"
#include "gth/util.h"

/* All of data to fd; errors name path. */
static int write_all(int fd, const void *data, size_t len, const char *path,
		     struct gth_error *err)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write '%s': %s",
					     path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int gth_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct gth_error *err)
{
	struct gth_buf tmp = GTH_BUF_INIT;
	int fd = -1, r = -1;
	unsigned char rnd[6];
	struct stat st;
	size_t i;

	/* A device or a FIFO (-o /dev/null, a process substitution) is written in place:
	 * renaming over it would replace /dev/null itself with a file. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_SOFTWARE,
				      "unable to open '%s': %s", path, strerror(errno));
			goto done;
		}
		if (write_all(fd, data, len, path, err) < 0)
			goto done;
		r = close(fd) < 0 ? gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write '%s': %s",
						  path, strerror(errno)) : 0;
		fd = -1;
		goto done;
	}
	gth_random(rnd, sizeof(rnd));
	gth_buf_printf(&tmp, "%s.tmp-", path);
	for (i = 0; i < sizeof(rnd); i++)
		gth_buf_printf(&tmp, "%02x", rnd[i]);
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_SOFTWARE,
			      "unable to create '%s': %s", tmp.ptr, strerror(errno));
		goto done;
	}
	if (write_all(fd, data, len, path, err) < 0)
		goto done;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write '%s': %s", path,
			      strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to write '%s': %s", path,
			      strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to replace '%s': %s", path,
			      strerror(errno));
		goto done;
	}
	r = 0;
done:
	if (fd >= 0)
		close(fd);
	if (r < 0 && tmp.ptr)
		unlink(tmp.ptr);
	gth_buf_release(&tmp);
	return r;
}

int gth_mkdir_p(const char *path, mode_t mode, struct gth_error *err)
{
	char *copy = strdup(path);
	char *p;
	int r = 0;

	if (!copy)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	for (p = copy + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				r = gth_error_set(err,
						  errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_SOFTWARE,
						  "unable to create '%s': %s", copy, strerror(errno));
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	if (!r && !gth_is_dir(path))
		r = gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s' is not a directory", path);
	free(copy);
	return r;
}

int gth_cache_dir(struct gth_buf *out, const char *sub, struct gth_error *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	gth_buf_clear(out);
	if (xdg && *xdg == '/')
		gth_buf_printf(out, "%s/gth", xdg);
	else if (home && *home)
		gth_buf_printf(out, "%s/.cache/gth", home);
	else
		return gth_error_set(err, GTH_EXIT_CONFIG,
				     "neither XDG_CACHE_HOME nor HOME is set");
	if (sub && *sub)
		gth_buf_printf(out, "/%s", sub);
	if (gth_mkdir_p(out->ptr, 0700, err) < 0)
		return -1;
	return 0;
}

int gth_path_join(struct gth_buf *out, const char *a, const char *b)
{
	size_t n = strlen(a);

	gth_buf_clear(out);
	if (b[0] == '/' || n == 0)
		return gth_buf_puts(out, b);
	while (n > 1 && a[n - 1] == '/')
		n--;
	if (gth_buf_put(out, a, n) < 0)
		return -1;
	if (a[n - 1] != '/' && gth_buf_putc(out, '/') < 0)
		return -1;
	return gth_buf_puts(out, b);
}

int gth_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int gth_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int gth_remove_tree(const char *path, struct gth_error *err)
{
	if (!gth_file_exists(path))
		return 0;
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "unable to remove '%s': %s", path,
				     strerror(errno));
	return 0;
}
