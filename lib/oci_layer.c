/* Safe tar layer reading and applying (see gth/oci.h). */
#include "gth/oci.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/fs.h"
#include "gth/util.h"

#define READ_CHUNK (128 * 1024)
#define MAX_LINKS 40

struct gth_layer {
	struct archive *a;
	struct gth_oci_blob blob;
	int owned_fd;
	int64_t pos;
	char *buf;
	char *name;
	char *path;
	char *link;
	/* symlinks given so far in this layer (a path must not pass through one) */
	char **symlinks;
	size_t nsym, capsym;
};

static ssize_t layer_read_cb(struct archive *a, void *ctx, const void **out)
{
	struct gth_layer *l = ctx;
	ssize_t got = gth_oci_blob_pread(&l->blob, l->buf, READ_CHUNK, l->pos);

	if (got < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	l->pos += got;
	*out = l->buf;
	return got;
}

static int layer_open(struct gth_layer **out, const struct gth_oci_blob *b, const char *name,
		      int owned_fd, struct gth_error *err)
{
	struct gth_layer *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (!l || !(l->buf = malloc(READ_CHUNK)) || !(l->name = strdup(name))) {
		if (l)
			free(l->buf);
		free(l);
		if (owned_fd >= 0)
			close(owned_fd);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	l->blob = *b;
	l->owned_fd = owned_fd;
	l->a = archive_read_new();
	archive_read_support_filter_all(l->a);
	archive_read_support_format_tar(l->a);
	archive_read_support_format_gnutar(l->a);
	if (archive_read_open(l->a, l, NULL, layer_read_cb, NULL) != ARCHIVE_OK) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a tar layer: %s", name,
			      archive_error_string(l->a));
		gth_layer_close(l);
		return -1;
	}
	*out = l;
	return 0;
}

int gth_layer_open_blob(struct gth_layer **out, const struct gth_oci_blob *b, const char *name,
			struct gth_error *err)
{
	return layer_open(out, b, name, -1, err);
}

int gth_layer_open_file(struct gth_layer **out, const char *path, struct gth_error *err)
{
	struct gth_oci_blob b;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				     "'%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return gth_error_set(err, GTH_EXIT_NOINPUT, "'%s': %s", path, strerror(errno));
	}
	memset(&b, 0, sizeof(b));
	b.fd = fd;
	b.size = st.st_size;
	return layer_open(out, &b, path, fd, err);
}

void gth_layer_close(struct gth_layer *l)
{
	size_t i;

	if (!l)
		return;
	if (l->a)
		archive_read_free(l->a);
	if (l->owned_fd >= 0)
		close(l->owned_fd);
	for (i = 0; i < l->nsym; i++)
		free(l->symlinks[i]);
	free(l->symlinks);
	free(l->buf);
	free(l->name);
	free(l->path);
	free(l->link);
	free(l);
}

/* Normalise an archive path: strip "./" and "/" at the front, "/" at the end, and
 * "." components. Returns NULL (and sets *why) for ".." components and, when
 * !allow_abs, absolute paths. */
static char *norm_path(const char *p, int allow_abs, const char **why)
{
	struct gth_buf b = GTH_BUF_INIT;
	const char *s = p, *e;

	if (*p == '/' && !allow_abs) {
		*why = "absolute path";
		return NULL;
	}
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			gth_buf_release(&b);
			*why = "'..' in path";
			return NULL;
		}
		if (!(e - s == 1 && s[0] == '.')) {
			if (b.len)
				gth_buf_putc(&b, '/');
			gth_buf_put(&b, s, (size_t)(e - s));
		}
		s = e;
	}
	{
		char *r = gth_buf_detach(&b);

		return r ? r : strdup("");
	}
}

/* 1 when a symlink at path with target escapes the root. */
static int symlink_escapes(const char *path, const char *target)
{
	int depth = 0;
	const char *s, *e;

	if (target[0] == '/')
		return 0;
	for (s = path; (e = strchr(s, '/')); s = e + 1)
		depth++;
	for (s = target; *s; s = e) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		if (e - s == 2 && s[0] == '.' && s[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (!(e - s == 1 && s[0] == '.')) {
			depth++;
		}
	}
	return 0;
}

static int sym_index(const struct gth_layer *l, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < l->nsym; i++)
		if (strlen(l->symlinks[i]) == n && memcmp(l->symlinks[i], p, n) == 0)
			return (int)i;
	return -1;
}

static int through_symlink(const struct gth_layer *l, const char *path)
{
	const char *e;

	for (e = strchr(path, '/'); e; e = strchr(e + 1, '/'))
		if (sym_index(l, path, (size_t)(e - path)) >= 0)
			return 1;
	return 0;
}

int gth_layer_next(struct gth_layer *l, struct gth_layer_entry *e, struct gth_error *err)
{
	struct archive_entry *ae;
	const char *why = NULL, *raw, *base, *lt;
	char *p;
	int r;
	mode_t ft;

	memset(e, 0, sizeof(*e));
	free(l->path);
	free(l->link);
	l->path = l->link = NULL;
	r = archive_read_next_header(l->a, &ae);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: broken tar layer: %s", l->name,
				     archive_error_string(l->a));
	raw = archive_entry_pathname(ae);
	if (!raw)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: entry without a name", l->name);
	p = norm_path(raw, 0, &why);
	if (!p)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: unsafe entry '%s': %s", l->name, raw,
				     why);
	l->path = p;
	if (!*p) {
		/* the root itself ("./"): report it as a directory named "" */
	} else if (through_symlink(l, p)) {
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "%s: unsafe entry '%s': passes through a symlink", l->name, raw);
	}
	ft = archive_entry_filetype(ae);
	e->path = p;
	e->mode = (unsigned)(archive_entry_perm(ae) & 07777);
	e->uid = (long)archive_entry_uid(ae);
	e->gid = (long)archive_entry_gid(ae);
	e->size = archive_entry_size(ae);
	e->mtime = (int64_t)archive_entry_mtime(ae);
	base = strrchr(p, '/');
	base = base ? base + 1 : p;
	lt = archive_entry_hardlink(ae);
	if (lt) {
		l->link = norm_path(lt, 0, &why);
		if (!l->link)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: unsafe hard link '%s' -> '%s': %s", l->name, raw, lt,
					     why);
		if (through_symlink(l, l->link))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: unsafe hard link '%s' -> '%s': passes through a symlink",
					     l->name, raw, lt);
		e->type = GTH_LAYER_HARDLINK;
		e->link = l->link;
		e->size = 0;
	} else if (ft == AE_IFLNK) {
		lt = archive_entry_symlink(ae);
		if (!lt)
			lt = "";
		if (symlink_escapes(p, lt))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: unsafe symlink '%s' -> '%s': escapes the root", l->name,
					     raw, lt);
		l->link = strdup(lt);
		e->type = GTH_LAYER_SYMLINK;
		e->link = l->link;
		e->size = 0;
	} else if (ft == AE_IFDIR) {
		e->type = GTH_LAYER_DIR;
		e->size = 0;
	} else if (ft == AE_IFREG) {
		e->type = GTH_LAYER_FILE;
	} else {
		e->type = GTH_LAYER_OTHER;
		e->size = 0;
	}
	if (strncmp(base, ".wh.", 4) == 0 && e->type != GTH_LAYER_DIR) {
		size_t dirlen = (size_t)(base - p);

		if (strcmp(base, ".wh..wh..opq") == 0) {
			p[dirlen ? dirlen - 1 : 0] = '\0';
			e->type = GTH_LAYER_OPAQUE;
		} else {
			memmove(p + dirlen, base + 4, strlen(base + 4) + 1);
			e->type = GTH_LAYER_WHITEOUT;
			if (!p[dirlen])
				return gth_error_set(err, GTH_EXIT_DATAERR, "%s: bad whiteout '%s'",
						     l->name, raw);
		}
		e->link = NULL;
		e->size = 0;
	}
	/* track symlinks: an entry that replaces one ends it */
	{
		int i = sym_index(l, p, strlen(p));

		if (e->type == GTH_LAYER_SYMLINK && i < 0) {
			if (l->nsym == l->capsym) {
				size_t ncap = l->capsym ? l->capsym * 2 : 16;
				char **n = realloc(l->symlinks, ncap * sizeof(*n));

				if (!n)
					return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				l->symlinks = n;
				l->capsym = ncap;
			}
			l->symlinks[l->nsym] = strdup(p);
			if (!l->symlinks[l->nsym])
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			l->nsym++;
		} else if (e->type != GTH_LAYER_SYMLINK && i >= 0) {
			free(l->symlinks[i]);
			l->symlinks[i] = l->symlinks[--l->nsym];
		}
	}
	return 1;
}

ssize_t gth_layer_read(struct gth_layer *l, void *buf, size_t n, struct gth_error *err)
{
	la_ssize_t got = archive_read_data(l->a, buf, n);

	if (got < 0) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: %s: %s", l->name, l->path ? l->path : "",
			      archive_error_string(l->a));
		return -1;
	}
	return (ssize_t)got;
}

/* ---- applying ---- */

/* Open the directory at rel (a normalised path) inside root, resolving symlinks as
 * if root were "/", creating missing directories when create is set. Returns a
 * descriptor or -1 with errno. */
static int open_dir_in_root(int rootfd, const char *rel, int create, int depth)
{
	int fd = dup(rootfd);
	const char *s = rel, *e;
	struct gth_buf done_path = GTH_BUF_INIT;

	if (fd < 0)
		return -1;
	while (*s) {
		char comp[256];
		size_t n;
		int nfd;

		e = strchr(s, '/');
		n = e ? (size_t)(e - s) : strlen(s);
		if (n == 0 || n >= sizeof(comp)) {
			close(fd);
			gth_buf_release(&done_path);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				close(fd);
				gth_buf_release(&done_path);
				return -1;
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			char target[4096];
			ssize_t tl = readlinkat(fd, comp, target, sizeof(target) - 1);

			if (tl >= 0 && depth < MAX_LINKS) {
				/* a symlink: resolve it inside root */
				struct gth_buf np = GTH_BUF_INIT;
				const char *why = NULL;
				char *norm;

				target[tl] = '\0';
				if (target[0] != '/' && done_path.len)
					gth_buf_printf(&np, "%s/", done_path.ptr);
				gth_buf_puts(&np, target);
				if (e)
					gth_buf_printf(&np, "/%s", e + 1);
				/* ".." may climb; clamp at root as the kernel does at "/" */
				{
					struct gth_buf c = GTH_BUF_INIT;
					const char *q = gth_buf_cstr(&np), *qe;

					while (*q) {
						while (*q == '/')
							q++;
						if (!*q)
							break;
						qe = strchr(q, '/');
						if (!qe)
							qe = q + strlen(q);
						if (qe - q == 2 && q[0] == '.' && q[1] == '.') {
							char *slash = c.len ? strrchr(c.ptr, '/') : NULL;

							if (slash) {
								c.len = (size_t)(slash - c.ptr);
								c.ptr[c.len] = '\0';
							} else {
								gth_buf_clear(&c);
							}
						} else if (!(qe - q == 1 && q[0] == '.')) {
							if (c.len)
								gth_buf_putc(&c, '/');
							gth_buf_put(&c, q, (size_t)(qe - q));
						}
						q = qe;
					}
					norm = gth_buf_detach(&c);
				}
				(void)why;
				gth_buf_release(&np);
				close(fd);
				gth_buf_release(&done_path);
				fd = open_dir_in_root(rootfd, norm ? norm : "", create, depth + 1);
				free(norm);
				return fd;
			}
			if (tl >= 0)
				errno = ELOOP;
			else
				errno = ENOTDIR;
			close(fd);
			gth_buf_release(&done_path);
			return -1;
		}
		close(fd);
		if (nfd < 0) {
			gth_buf_release(&done_path);
			return -1;
		}
		fd = nfd;
		if (done_path.len)
			gth_buf_putc(&done_path, '/');
		gth_buf_put(&done_path, comp, n);
		s = e ? e + 1 : s + n;
	}
	gth_buf_release(&done_path);
	return fd;
}

static int remove_at(int at, const char *name)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d;
		struct dirent *de;

		if (fd < 0)
			return -1;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -1;
		}
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				remove_at(dirfd(d), de->d_name);
		closedir(d);
		return unlinkat(at, name, AT_REMOVEDIR);
	}
	return unlinkat(at, name, 0);
}

static int empty_dir(int fd)
{
	int dfd = dup(fd);
	DIR *d;
	struct dirent *de;

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			remove_at(fd, de->d_name);
	closedir(d);
	return 0;
}

static void split_parent(const char *path, char *parent, size_t psize, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash) {
		size_t n = (size_t)(slash - path);

		if (n >= psize)
			n = psize - 1;
		memcpy(parent, path, n);
		parent[n] = '\0';
		*base = slash + 1;
	} else {
		parent[0] = '\0';
		*base = path;
	}
}

int gth_layer_apply(const char *root, struct gth_layer *l, struct gth_error *err)
{
	int rootfd = -1, ret = -1, r;
	struct gth_layer_entry e;
	char *buf = malloc(READ_CHUNK);

	if (!buf)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (gth_mkdir_p(root, 0755, err) < 0)
		goto done;
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", root, strerror(errno));
		goto done;
	}
	while ((r = gth_layer_next(l, &e, err)) == 1) {
		char parent[4096];
		const char *base;
		int pfd;

		if (!*e.path) {
			if (e.type == GTH_LAYER_OPAQUE)
				empty_dir(rootfd);
			continue;
		}
		if (e.type == GTH_LAYER_OPAQUE) {
			int dfd = open_dir_in_root(rootfd, e.path, 1, 0);

			if (dfd >= 0) {
				empty_dir(dfd);
				close(dfd);
			}
			continue;
		}
		split_parent(e.path, parent, sizeof(parent), &base);
		pfd = open_dir_in_root(rootfd, parent, e.type != GTH_LAYER_WHITEOUT, 0);
		if (pfd < 0) {
			if (e.type == GTH_LAYER_WHITEOUT)
				continue;
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: cannot create '%s': %s", l->name,
				      e.path, strerror(errno));
			goto done;
		}
		if (e.type == GTH_LAYER_WHITEOUT) {
			remove_at(pfd, base);
			close(pfd);
			continue;
		}
		if (e.type == GTH_LAYER_DIR) {
			struct stat st;

			if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
				remove_at(pfd, base);
			if (mkdirat(pfd, base, (e.mode & 0777) | 0700) < 0 && errno != EEXIST) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", e.path,
					      strerror(errno));
				close(pfd);
				goto done;
			}
			fchmodat(pfd, base, (e.mode & 0777) | 0700, 0);
			close(pfd);
			continue;
		}
		remove_at(pfd, base);
		if (e.type == GTH_LAYER_FILE) {
			int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					(e.mode & 0777) | 0600);
			ssize_t got;

			if (fd < 0) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", e.path,
					      strerror(errno));
				close(pfd);
				goto done;
			}
			while ((got = gth_layer_read(l, buf, READ_CHUNK, err)) > 0) {
				const char *q = buf;

				while (got > 0) {
					ssize_t w = write(fd, q, (size_t)got);

					if (w < 0) {
						gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", e.path,
							      strerror(errno));
						close(fd);
						close(pfd);
						goto done;
					}
					q += w;
					got -= w;
				}
			}
			close(fd);
			if (got < 0) {
				close(pfd);
				goto done;
			}
		} else if (e.type == GTH_LAYER_SYMLINK) {
			if (symlinkat(e.link, pfd, base) < 0) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", e.path,
					      strerror(errno));
				close(pfd);
				goto done;
			}
		} else if (e.type == GTH_LAYER_HARDLINK) {
			char tparent[4096];
			const char *tbase;
			int tfd;

			split_parent(e.link, tparent, sizeof(tparent), &tbase);
			tfd = open_dir_in_root(rootfd, tparent, 0, 0);
			if (tfd < 0 || linkat(tfd, tbase, pfd, base, 0) < 0) {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s: hard link '%s' -> '%s': %s",
					      l->name, e.path, e.link, strerror(errno));
				if (tfd >= 0)
					close(tfd);
				close(pfd);
				goto done;
			}
			close(tfd);
		}
		close(pfd);
	}
	if (r < 0)
		goto done;
	ret = 0;
done:
	if (rootfd >= 0)
		close(rootfd);
	free(buf);
	return ret;
}
