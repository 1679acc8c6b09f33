/* Reproducible tar+gzip layers from files and directories: entries sorted with
 * parents first, uid/gid 0, no user or group names, one mtime for all, modes
 * normalised (directories 0755, files 0644 or 0755, symlinks 0777), no atime or
 * ctime, gzip with no name and no timestamp at a fixed level. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "build.h"
#include "gth/buf.h"
#include "gth/digest.h"
#include "gth/util.h"

#define GZIP_LEVEL 6
#define BUF_SIZE (64 * 1024)

enum ent_type { ENT_DIR, ENT_FILE, ENT_LINK };

struct ent {
	char *path;     /* in the image, no leading '/', no trailing '/' */
	char *src;      /* on disk, NULL for made-up parent directories */
	enum ent_type type;
	unsigned mode;
	int64_t size;
	char *link;
};

struct ents {
	struct ent *v;
	size_t n, cap;
};

static void ents_release(struct ents *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].path);
		free(e->v[i].src);
		free(e->v[i].link);
	}
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int ents_add(struct ents *e, const char *path, const char *src, enum ent_type t,
		    unsigned mode, int64_t size, const char *link)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (!strcmp(e->v[i].path, path)) {
			if (e->v[i].type == ENT_DIR && t == ENT_DIR)
				return 0;
			/* a later --layer entry replaces an earlier one in the same layer */
			free(e->v[i].src);
			free(e->v[i].link);
			e->v[i].src = src ? strdup(src) : NULL;
			e->v[i].link = link ? strdup(link) : NULL;
			e->v[i].type = t;
			e->v[i].mode = mode;
			e->v[i].size = size;
			return 0;
		}
	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		struct ent *n = realloc(e->v, ncap * sizeof(*n));

		if (!n)
			return -1;
		e->v = n;
		e->cap = ncap;
	}
	e->v[e->n].path = strdup(path);
	e->v[e->n].src = src ? strdup(src) : NULL;
	e->v[e->n].link = link ? strdup(link) : NULL;
	e->v[e->n].type = t;
	e->v[e->n].mode = mode;
	e->v[e->n].size = size;
	if (!e->v[e->n].path)
		return -1;
	e->n++;
	return 0;
}

/* Component-wise: a parent sorts before its children, and "a/b" before "a-b". */
static int path_cmp(const void *pa, const void *pb)
{
	const char *a = ((const struct ent *)pa)->path, *b = ((const struct ent *)pb)->path;

	for (;;) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
		size_t m = la < lb ? la : lb;
		int c = memcmp(a, b, m);

		if (c)
			return c;
		if (la != lb)
			return la < lb ? -1 : 1;
		a += la;
		b += lb;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		a++;
		b++;
	}
}

static int add_parents(struct ents *e, const char *path)
{
	char buf[4096];
	char *p;

	gth_strlcpy(buf, path, sizeof(buf));
	for (p = strchr(buf, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (ents_add(e, buf, NULL, ENT_DIR, 0755, 0, NULL) < 0)
			return -1;
		*p = '/';
	}
	return 0;
}

static int walk(struct ents *e, const char *src, const char *dest, struct gth_error *err)
{
	struct stat st;

	if (lstat(src, &st) < 0)
		return gth_error_set(err, errno == ENOENT ? GTH_EXIT_NOINPUT : GTH_EXIT_NOPERM,
				     "--layer: '%s': %s", src, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *de;
		int ret = 0;

		if (*dest && ents_add(e, dest, src, ENT_DIR, 0755, 0, NULL) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		d = opendir(src);
		if (!d)
			return gth_error_set(err, GTH_EXIT_NOPERM, "--layer: '%s': %s", src,
					     strerror(errno));
		while (ret == 0 && (de = readdir(d))) {
			char *s, *t;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			s = gth_strdupf("%s/%s", src, de->d_name);
			t = *dest ? gth_strdupf("%s/%s", dest, de->d_name) : strdup(de->d_name);
			ret = walk(e, s, t, err);
			free(s);
			free(t);
		}
		closedir(d);
		return ret;
	}
	if (!*dest)
		return gth_error_set(err, GTH_EXIT_USAGE, "--layer: '%s' needs a destination path",
				     src);
	if (S_ISREG(st.st_mode)) {
		if (ents_add(e, dest, src, ENT_FILE, (st.st_mode & 0111) ? 0755 : 0644,
			     (int64_t)st.st_size, NULL) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return gth_error_set(err, GTH_EXIT_NOPERM, "--layer: '%s': %s", src,
					     strerror(errno));
		target[n] = '\0';
		if (ents_add(e, dest, src, ENT_LINK, 0777, 0, target) < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return 0;
	}
	return gth_error_set(err, GTH_EXIT_DATAERR,
			     "--layer: '%s' is not a file, directory or symlink", src);
}

/* SRC[:DEST] with DEST absolute; "dir" alone goes to "/", "file" alone to "/file". */
static int collect(struct ents *e, const char *spec, struct gth_error *err)
{
	char *src = strdup(spec), *colon, *dest;
	struct gth_buf d = GTH_BUF_INIT;
	struct stat st;
	int ret = -1;
	const char *p;

	if (!src)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	colon = strrchr(src, ':');
	dest = NULL;
	if (colon && colon[1] == '/') {
		*colon = '\0';
		dest = colon + 1;
	}
	if (!*src) {
		gth_error_set(err, GTH_EXIT_USAGE, "--layer '%s': no source", spec);
		goto done;
	}
	if (stat(src, &st) < 0) {
		gth_error_set(err, errno == ENOENT ? GTH_EXIT_NOINPUT : GTH_EXIT_NOPERM,
			      "--layer: '%s': %s", src, strerror(errno));
		goto done;
	}
	if (!dest) {
		if (S_ISDIR(st.st_mode)) {
			dest = "/";
		} else {
			const char *base = strrchr(src, '/');

			gth_buf_printf(&d, "/%s", base ? base + 1 : src);
		}
	} else if (!S_ISDIR(st.st_mode) && gth_ends_with(dest, "/")) {
		const char *base = strrchr(src, '/');

		gth_buf_printf(&d, "%s%s", dest, base ? base + 1 : src);
	}
	if (!d.len)
		gth_buf_puts(&d, dest);
	/* normalise: no leading or trailing '/', no '.' or '..' */
	{
		struct gth_buf n = GTH_BUF_INIT;

		for (p = d.ptr; *p;) {
			size_t len;

			while (*p == '/')
				p++;
			len = strcspn(p, "/");
			if (!len)
				break;
			if (len == 2 && !strncmp(p, "..", 2)) {
				gth_buf_release(&n);
				gth_error_set(err, GTH_EXIT_USAGE, "--layer '%s': '..' in destination",
					      spec);
				goto done;
			}
			if (!(len == 1 && *p == '.')) {
				if (n.len)
					gth_buf_putc(&n, '/');
				gth_buf_put(&n, p, len);
			}
			p += len;
		}
		gth_buf_release(&d);
		d = n;
	}
	if (d.len && add_parents(e, d.ptr) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	ret = walk(e, src, gth_buf_cstr(&d), err);
done:
	gth_buf_release(&d);
	free(src);
	return ret;
}

/* ---- output: tar -> (sha256 diff_id) -> gzip -> (sha256 digest) -> file ---- */

struct out {
	z_stream z;
	struct gth_sha256 diff, dig;
	int fd;
	int64_t zsize;
	unsigned char zbuf[BUF_SIZE];
	struct gth_error *err;
	int failed;
};

static int out_flush(struct out *o, int flush)
{
	int zr;

	do {
		o->z.next_out = o->zbuf;
		o->z.avail_out = sizeof(o->zbuf);
		zr = deflate(&o->z, flush);
		if (zr == Z_STREAM_ERROR)
			return gth_error_set(o->err, GTH_EXIT_SOFTWARE, "gzip failed");
		{
			size_t have = sizeof(o->zbuf) - o->z.avail_out;
			const unsigned char *p = o->zbuf;

			gth_sha256_update(&o->dig, p, have);
			o->zsize += (int64_t)have;
			while (have) {
				ssize_t w = write(o->fd, p, have);

				if (w < 0) {
					if (errno == EINTR)
						continue;
					return gth_error_set(o->err, GTH_EXIT_SOFTWARE,
							     "writing a layer: %s", strerror(errno));
				}
				p += w;
				have -= (size_t)w;
			}
		}
	} while (o->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int out_put(struct out *o, const void *data, size_t len)
{
	gth_sha256_update(&o->diff, data, len);
	o->z.next_in = (unsigned char *)data;
	o->z.avail_in = (uInt)len;
	while (o->z.avail_in)
		if (out_flush(o, Z_NO_FLUSH) < 0)
			return -1;
	return 0;
}

static void octal(char *dst, size_t n, unsigned long long v)
{
	/* n-1 digits, zero-padded, NUL-terminated */
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(n - 1), v);
	memcpy(dst, tmp, n - 1);
	dst[n - 1] = '\0';
}

static void pax_record(struct gth_buf *b, const char *key, const char *value)
{
	size_t base = strlen(key) + strlen(value) + 3, len = base, digits;

	/* the length counts its own digits */
	for (;;) {
		char tmp[32];

		digits = (size_t)snprintf(tmp, sizeof(tmp), "%zu", len);
		if (base + digits == len)
			break;
		len = base + digits;
	}
	gth_buf_printf(b, "%zu %s=%s\n", len, key, value);
}

static int write_header(struct out *o, const char *name, char type, unsigned mode, int64_t size,
			const char *link, int64_t mtime)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t i, nlen = strlen(name), llen = link ? strlen(link) : 0;
	const char *prefix = NULL;
	size_t plen = 0;
	const char *short_name = name;

	if (nlen > 100) {
		/* try the ustar prefix split, else a PAX header */
		const char *slash;

		for (slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
			size_t pl = (size_t)(slash - name);

			if (pl <= 155 && nlen - pl - 1 <= 100 && nlen - pl - 1 > 0) {
				prefix = name;
				plen = pl;
				short_name = slash + 1;
				break;
			}
		}
	}
	if ((nlen > 100 && !prefix) || llen > 100) {
		struct gth_buf pax = GTH_BUF_INIT;
		int r;

		if (nlen > 100 && !prefix)
			pax_record(&pax, "path", name);
		if (llen > 100)
			pax_record(&pax, "linkpath", link);
		r = write_header(o, "PaxHeader", 'x', 0644, (int64_t)pax.len, NULL, mtime);
		if (r == 0)
			r = out_put(o, pax.ptr, pax.len);
		if (r == 0 && pax.len % 512) {
			static const char zeros[512];

			r = out_put(o, zeros, 512 - pax.len % 512);
		}
		gth_buf_release(&pax);
		if (r < 0)
			return -1;
		if (nlen > 100 && !prefix)
			short_name = "PaxPath";
	}
	memset(h, 0, sizeof(h));
	memcpy(h, short_name, strlen(short_name) > 100 ? 100 : strlen(short_name));
	octal((char *)h + 100, 8, mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, (unsigned long long)size);
	octal((char *)h + 136, 12, (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, llen > 100 ? 100 : llen);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	octal((char *)h + 329, 8, 0);
	octal((char *)h + 337, 8, 0);
	if (prefix)
		memcpy(h + 345, prefix, plen);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return out_put(o, h, 512);
}

static int write_entry(struct out *o, const struct ent *e, int64_t mtime, char *buf)
{
	static const char zeros[512];

	if (e->type == ENT_DIR) {
		char *name = gth_strdupf("%s/", e->path);
		int r = write_header(o, name, '5', e->mode, 0, NULL, mtime);

		free(name);
		return r;
	}
	if (e->type == ENT_LINK)
		return write_header(o, e->path, '2', e->mode, 0, e->link, mtime);
	{
		int fd = open(e->src, O_RDONLY | O_CLOEXEC);
		int64_t left = e->size;

		if (fd < 0)
			return gth_error_set(o->err, GTH_EXIT_NOINPUT, "--layer: '%s': %s", e->src,
					     strerror(errno));
		if (write_header(o, e->path, '0', e->mode, e->size, NULL, mtime) < 0) {
			close(fd);
			return -1;
		}
		while (left > 0) {
			ssize_t n = read(fd, buf, left < BUF_SIZE ? (size_t)left : BUF_SIZE);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fd);
				return gth_error_set(o->err, GTH_EXIT_DATAERR,
						     "--layer: '%s' changed while being read", e->src);
			}
			if (out_put(o, buf, (size_t)n) < 0) {
				close(fd);
				return -1;
			}
			left -= n;
		}
		close(fd);
		if (e->size % 512)
			return out_put(o, zeros, 512 - (size_t)(e->size % 512));
		return 0;
	}
}

int64_t source_date_epoch(struct gth_error *err)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	long t;

	if (!v || !*v)
		return 0;
	if (gth_parse_long(v, 0, 253402300799L, &t) < 0)
		return gth_error_set(err, GTH_EXIT_CONFIG,
				     "SOURCE_DATE_EPOCH '%s' is not a number of seconds", v);
	return t;
}

int layer_build(const char *spec, const char *layout_dir, int64_t mtime,
		char digest[GTH_DIGEST_STR_LEN], char diff_id[GTH_DIGEST_STR_LEN], int64_t *size,
		struct gth_error *err)
{
	struct ents e = { 0 };
	struct out *o = calloc(1, sizeof(*o));
	char *tmp = NULL, *buf = malloc(BUF_SIZE);
	char hex[GTH_SHA256_HEX_LEN + 1];
	gz_header gz;
	size_t i;
	int ret = -1, zinit = 0;

	if (!o || !buf) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	o->fd = -1;
	o->err = err;
	if (collect(&e, spec, err) < 0)
		goto done;
	qsort(e.v, e.n, sizeof(*e.v), path_cmp);
	tmp = gth_strdupf("%s/blobs/sha256/.layer.XXXXXX", layout_dir);
	o->fd = mkstemp(tmp);
	if (o->fd < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (deflateInit2(&o->z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "gzip failed");
		goto done;
	}
	zinit = 1;
	memset(&gz, 0, sizeof(gz));
	gz.os = 255; /* unknown: the same bytes on every system */
	deflateSetHeader(&o->z, &gz);
	gth_sha256_init(&o->diff);
	gth_sha256_init(&o->dig);
	for (i = 0; i < e.n; i++)
		if (write_entry(o, &e.v[i], mtime, buf) < 0)
			goto done;
	{
		static const char end[1024];

		if (out_put(o, end, sizeof(end)) < 0)
			goto done;
	}
	if (out_flush(o, Z_FINISH) < 0)
		goto done;
	if (fsync(o->fd) < 0 || close(o->fd) < 0) {
		o->fd = -1;
		gth_error_set(err, GTH_EXIT_SOFTWARE, "writing a layer: %s", strerror(errno));
		goto done;
	}
	o->fd = -1;
	gth_sha256_final(&o->diff, hex);
	snprintf(diff_id, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	gth_sha256_final(&o->dig, hex);
	snprintf(digest, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	*size = o->zsize;
	chmod(tmp, 0644);
	if (gth_oci_layout_put_file(layout_dir, tmp, digest, err) < 0)
		goto done;
	free(tmp);
	tmp = NULL;
	ret = 0;
done:
	if (o) {
		if (zinit)
			deflateEnd(&o->z);
		gth_sha256_release(&o->diff);
		gth_sha256_release(&o->dig);
		if (o->fd >= 0)
			close(o->fd);
	}
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(o);
	free(buf);
	ents_release(&e);
	return ret;
}
