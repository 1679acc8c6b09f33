#include "gth/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/digest.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/ref.h"
#include "gth/util.h"

#define MAX_JSON_BLOB (16u << 20)

int gth_oci_is_index(const char *mt)
{
	return mt && (strcmp(mt, GTH_MT_OCI_INDEX) == 0 || strcmp(mt, GTH_MT_DOCKER_LIST) == 0);
}

int gth_oci_is_manifest(const char *mt)
{
	return mt && (strcmp(mt, GTH_MT_OCI_MANIFEST) == 0 ||
		      strcmp(mt, GTH_MT_DOCKER_MANIFEST) == 0);
}

void gth_oci_desc_release(struct gth_oci_desc *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->platform);
	memset(d, 0, sizeof(*d));
}

int gth_oci_desc_from_json(struct gth_oci_desc *d, const cJSON *obj, const char *what,
			   struct gth_error *err)
{
	const char *mt = gth_json_str(obj, "mediaType");
	const char *dg = gth_json_str(obj, "digest");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(obj, "size");
	const cJSON *plat = gth_json_obj(obj, "platform");

	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(obj))
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: descriptor is not an object", what);
	if (!dg)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: descriptor has no digest", what);
	if (gth_ref_check_digest(dg, err) < 0)
		return gth_error_prefix(err, "%s: ", what);
	if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 9.0e15)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: descriptor %s has no valid size",
				     what, dg);
	d->media_type = strdup(mt ? mt : "");
	d->digest = strdup(dg);
	d->size = (int64_t)size->valuedouble;
	if (plat && gth_json_str(plat, "os") && gth_json_str(plat, "architecture")) {
		const char *v = gth_json_str(plat, "variant");

		d->platform = gth_strdupf("%s/%s%s%s", gth_json_str(plat, "os"),
					  gth_json_str(plat, "architecture"), v ? "/" : "", v ? v : "");
	}
	if (!d->media_type || !d->digest) {
		gth_oci_desc_release(d);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	return 0;
}

/* ---- tar index: the members of an archive, for random access ---- */

struct tar_member {
	char *name;
	off_t off;
	int64_t size;
};

struct blob_slot {
	char *digest;
	int fd;          /* -1 for memory */
	off_t off;
	int64_t size;
	char *data;      /* owned, for made-up blobs */
};

struct gth_oci_src {
	char *name;
	int is_tar;
	int dirfd;               /* layout directory */
	int tarfd;               /* archive */
	struct tar_member *members;
	size_t nmembers;
	struct blob_slot *slots;
	size_t nslots, capslots;
	pthread_mutex_t lock;
	struct gth_oci_desc root;
};

/* A tar number field: octal, or base-256 when the high bit is set. -1 when it is
 * negative or too large to be a real size or offset. */
static int64_t parse_octal(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	if ((unsigned char)p[0] & 0x80) {
		if ((unsigned char)p[0] & 0x40)
			return -1; /* negative */
		v = p[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v > (INT64_C(1) << 46))
				return -1;
			v = (v << 8) | (unsigned char)p[i];
		}
		return v;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\0'))
		i++;
	for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
		if (v > (INT64_C(1) << 50))
			return -1;
		v = v * 8 + (p[i] - '0');
	}
	return v;
}

/* The value of key in pax extended header records ("LEN key=value\n"...). */
static char *pax_value(const char *rec, size_t len, const char *key)
{
	size_t i = 0, klen = strlen(key);

	while (i < len) {
		size_t j = i, reclen = 0, end;

		while (j < len && rec[j] >= '0' && rec[j] <= '9') {
			reclen = reclen * 10 + (size_t)(rec[j++] - '0');
			if (reclen > len)
				return NULL;
		}
		if (reclen == 0 || j >= len || rec[j] != ' ' || reclen > len - i)
			return NULL;
		j++;
		end = i + reclen - 1; /* the record's '\n' */
		if (end < j || rec[end] != '\n')
			return NULL;
		if (end - j > klen && memcmp(rec + j, key, klen) == 0 && rec[j + klen] == '=')
			return strndup(rec + j + klen + 1, end - (j + klen + 1));
		i += reclen;
	}
	return NULL;
}

static char *norm_member_name(const char *n)
{
	while (n[0] == '.' && n[1] == '/')
		n += 2;
	while (*n == '/')
		n++;
	return strdup(n);
}

static int tar_index(struct gth_oci_src *s, struct gth_error *err)
{
	char hdr[512];
	off_t pos = 0;
	char *longname = NULL;
	size_t cap = 0;
	int ret = -1, zeros = 0;
	struct stat ast;
	int64_t archive_size;

	if (fstat(s->tarfd, &ast) < 0)
		return gth_error_set(err, GTH_EXIT_NOINPUT, "%s: %s", s->name, strerror(errno));
	archive_size = (int64_t)ast.st_size;

	for (;;) {
		ssize_t got = pread(s->tarfd, hdr, 512, pos);
		int64_t size;
		char type;
		char *name = NULL;

		if (got == 0 && pos > 0)
			break;
		if (got != 512) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: truncated tar archive", s->name);
			goto done;
		}
		if (memchr(hdr, 0, 512) && hdr[0] == '\0') {
			size_t k;

			for (k = 0; k < 512 && hdr[k] == 0; k++)
				;
			if (k == 512) {
				if (++zeros == 2)
					break;
				pos += 512;
				continue;
			}
		}
		zeros = 0;
		{
			int64_t sum = parse_octal(hdr + 148, 8), calc = 0;
			int k;

			for (k = 0; k < 512; k++)
				calc += (k >= 148 && k < 156) ? ' ' : (unsigned char)hdr[k];
			if (sum != calc) {
				gth_error_set(err, GTH_EXIT_DATAERR,
					      "%s: not a tar archive (bad header checksum at offset %lld)",
					      s->name, (long long)pos);
				goto done;
			}
		}
		size = parse_octal(hdr + 124, 12);
		type = hdr[156];
		if (size < 0 || size > archive_size - pos) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s: tar member at offset %lld has an impossible size", s->name,
				      (long long)pos);
			goto done;
		}
		if (type == 'L' || type == 'x') {
			char *data = size <= (1 << 20) ? malloc((size_t)size + 1) : NULL;

			if (!data ||
			    pread(s->tarfd, data, (size_t)size, pos + 512) != (ssize_t)size) {
				free(data);
				gth_error_set(err, GTH_EXIT_DATAERR, "%s: broken long name", s->name);
				goto done;
			}
			data[size] = '\0';
			free(longname);
			longname = type == 'L' ? strdup(data) : pax_value(data, (size_t)size, "path");
			if (type == 'x') {
				char *sz = pax_value(data, (size_t)size, "size");

				(void)sz;
				free(sz);
			}
			free(data);
			pos += 512 + ((size + 511) / 512) * 512;
			continue;
		}
		if (longname) {
			name = norm_member_name(longname);
			free(longname);
			longname = NULL;
		} else {
			char buf[257 + 156];
			size_t plen = strnlen(hdr + 345, 155), nlen = strnlen(hdr, 100);

			buf[0] = '\0';
			if (memcmp(hdr + 257, "ustar", 5) == 0 && plen > 0) {
				memcpy(buf, hdr + 345, plen);
				buf[plen] = '/';
				memcpy(buf + plen + 1, hdr, nlen);
				buf[plen + 1 + nlen] = '\0';
			} else {
				memcpy(buf, hdr, nlen);
				buf[nlen] = '\0';
			}
			name = norm_member_name(buf);
		}
		if (!name)
			goto oom;
		if (type == '0' || type == '\0' || type == '7') {
			if (s->nmembers == cap) {
				size_t ncap = cap ? cap * 2 : 32;
				struct tar_member *m = realloc(s->members, ncap * sizeof(*m));

				if (!m) {
					free(name);
					goto oom;
				}
				s->members = m;
				cap = ncap;
			}
			s->members[s->nmembers].name = name;
			s->members[s->nmembers].off = pos + 512;
			s->members[s->nmembers].size = size;
			s->nmembers++;
		} else {
			free(name);
		}
		pos += 512 + ((size + 511) / 512) * 512;
	}
	ret = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	free(longname);
	return ret;
}

static const struct tar_member *tar_find(const struct gth_oci_src *s, const char *name)
{
	size_t i;

	for (i = s->nmembers; i > 0; i--)
		if (strcmp(s->members[i - 1].name, name) == 0)
			return &s->members[i - 1];
	return NULL;
}

/* ---- files inside a source: by relative path ---- */

static int src_file(struct gth_oci_blob *out, struct gth_oci_src *s, const char *rel,
		    struct gth_error *err)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (s->is_tar) {
		const struct tar_member *m = tar_find(s, rel);

		if (!m)
			return gth_error_set(err, GTH_EXIT_DATAERR, "%s: no '%s' in the archive",
					     s->name, rel);
		out->fd = s->tarfd;
		out->off = m->off;
		out->size = m->size;
		return 0;
	} else {
		struct stat st;
		int fd = openat(s->dirfd, rel, O_RDONLY | O_CLOEXEC);
		struct blob_slot *slot;

		if (fd < 0)
			return gth_error_set(err, GTH_EXIT_DATAERR, "%s: cannot open '%s': %s",
					     s->name, rel, strerror(errno));
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return gth_error_set(err, GTH_EXIT_DATAERR, "%s: '%s' is not a file", s->name,
					     rel);
		}
		/* keep the descriptor: the source owns it until it is closed */
		if (s->nslots == s->capslots) {
			size_t ncap = s->capslots ? s->capslots * 2 : 16;
			struct blob_slot *n = realloc(s->slots, ncap * sizeof(*n));

			if (!n) {
				close(fd);
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			s->slots = n;
			s->capslots = ncap;
		}
		slot = &s->slots[s->nslots++];
		memset(slot, 0, sizeof(*slot));
		slot->fd = fd;
		slot->size = st.st_size;
		slot->digest = strdup(rel);
		out->fd = fd;
		out->off = 0;
		out->size = st.st_size;
		return 0;
	}
}

static int src_read_file(struct gth_buf *out, struct gth_oci_src *s, const char *rel,
			 struct gth_error *err)
{
	struct gth_oci_blob b;
	ssize_t got;

	if (src_file(&b, s, rel, err) < 0)
		return -1;
	if (b.size > (int64_t)MAX_JSON_BLOB)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: '%s' is too large", s->name, rel);
	if (gth_buf_grow(out, (size_t)b.size + 1) < 0)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	got = pread(b.fd, out->ptr + out->len, (size_t)b.size, b.off);
	if (got != (ssize_t)b.size)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: cannot read '%s'", s->name, rel);
	out->len += (size_t)got;
	out->ptr[out->len] = '\0';
	return 0;
}

static int add_mem_blob(struct gth_oci_src *s, const char *data, size_t len,
			char digest[GTH_DIGEST_STR_LEN], struct gth_error *err)
{
	char hex[GTH_SHA256_HEX_LEN + 1];
	struct blob_slot *slot;

	if (gth_sha256_hex(data, len, hex) < 0)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "sha256 failed");
	snprintf(digest, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	if (s->nslots == s->capslots) {
		size_t ncap = s->capslots ? s->capslots * 2 : 16;
		struct blob_slot *n = realloc(s->slots, ncap * sizeof(*n));

		if (!n)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		s->slots = n;
		s->capslots = ncap;
	}
	slot = &s->slots[s->nslots];
	memset(slot, 0, sizeof(*slot));
	slot->fd = -1;
	slot->size = (int64_t)len;
	slot->digest = strdup(digest);
	slot->data = malloc(len ? len : 1);
	if (!slot->digest || !slot->data) {
		free(slot->digest);
		free(slot->data);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	memcpy(slot->data, data, len);
	s->nslots++;
	return 0;
}

static int add_file_blob(struct gth_oci_src *s, const char *digest, const struct gth_oci_blob *b,
			 struct gth_error *err)
{
	struct blob_slot *slot;

	if (s->nslots == s->capslots) {
		size_t ncap = s->capslots ? s->capslots * 2 : 16;
		struct blob_slot *n = realloc(s->slots, ncap * sizeof(*n));

		if (!n)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		s->slots = n;
		s->capslots = ncap;
	}
	slot = &s->slots[s->nslots];
	memset(slot, 0, sizeof(*slot));
	slot->fd = -2; /* a reference into the archive, not owned */
	slot->off = b->off;
	slot->size = b->size;
	slot->digest = strdup(digest);
	if (!slot->digest)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	s->nslots++;
	return 0;
}

ssize_t gth_oci_blob_pread(const struct gth_oci_blob *b, void *buf, size_t n, int64_t pos)
{
	if (pos >= b->size)
		return 0;
	if ((int64_t)n > b->size - pos)
		n = (size_t)(b->size - pos);
	if (b->data) {
		memcpy(buf, b->data + pos, n);
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t got = pread(b->fd, buf, n, b->off + pos);

		if (got < 0 && errno == EINTR)
			continue;
		return got;
	}
}

int gth_oci_src_blob(struct gth_oci_blob *out, struct gth_oci_src *s, const char *digest,
		     struct gth_error *err)
{
	size_t i;
	char rel[GTH_DIGEST_STR_LEN + 16];
	const char *colon;
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (gth_ref_check_digest(digest, err) < 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i].digest && strcmp(s->slots[i].digest, digest) == 0 &&
		    s->slots[i].fd == -1) {
			out->data = s->slots[i].data;
			out->size = s->slots[i].size;
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		if (s->slots[i].digest && strcmp(s->slots[i].digest, digest) == 0 &&
		    s->slots[i].fd == -2) {
			out->fd = s->tarfd;
			out->off = s->slots[i].off;
			out->size = s->slots[i].size;
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
	}
	colon = strchr(digest, ':');
	snprintf(rel, sizeof(rel), "blobs/%.*s/%s", (int)(colon - digest), digest, colon + 1);
	if (!s->is_tar) {
		/* reuse a descriptor opened before for the same path */
		for (i = 0; i < s->nslots; i++) {
			if (s->slots[i].fd >= 0 && strcmp(s->slots[i].digest, rel) == 0) {
				out->fd = s->slots[i].fd;
				out->size = s->slots[i].size;
				pthread_mutex_unlock(&s->lock);
				return 0;
			}
		}
	}
	ret = src_file(out, s, rel, err);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: blob %s is missing", s->name, digest);
		return -1;
	}
	return 0;
}

static int hash_blob(char digest[GTH_DIGEST_STR_LEN], const struct gth_oci_blob *b,
		     struct gth_error *err)
{
	struct gth_sha256 h;
	char hex[GTH_SHA256_HEX_LEN + 1];
	char *buf = malloc(1 << 16);
	int64_t pos = 0;

	if (!buf || gth_sha256_init(&h) < 0) {
		free(buf);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "sha256 failed");
	}
	while (pos < b->size) {
		ssize_t got = gth_oci_blob_pread(b, buf, 1 << 16, pos);

		if (got <= 0) {
			free(buf);
			gth_sha256_release(&h);
			return gth_error_set(err, GTH_EXIT_DATAERR, "read error: %s",
					     got < 0 ? strerror(errno) : "truncated");
		}
		gth_sha256_update(&h, buf, (size_t)got);
		pos += got;
	}
	free(buf);
	gth_sha256_final(&h, hex);
	snprintf(digest, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	return 0;
}

int gth_oci_src_read(struct gth_buf *out, struct gth_oci_src *s, const char *digest,
		     int64_t expected_size, size_t max, struct gth_error *err)
{
	struct gth_oci_blob b;
	char hex[GTH_SHA256_HEX_LEN + 1];
	ssize_t got;

	if (max == 0)
		max = MAX_JSON_BLOB;
	if (gth_oci_src_blob(&b, s, digest, err) < 0)
		return -1;
	if (expected_size >= 0 && b.size != expected_size)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "%s: blob %s has %lld bytes, its descriptor says %lld", s->name,
				     digest, (long long)b.size, (long long)expected_size);
	if (b.size > (int64_t)max)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: blob %s is too large (%lld bytes)",
				     s->name, digest, (long long)b.size);
	gth_buf_clear(out);
	if (gth_buf_grow(out, (size_t)b.size + 1) < 0)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	got = gth_oci_blob_pread(&b, out->ptr, (size_t)b.size, 0);
	if (got != (ssize_t)b.size)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: cannot read blob %s", s->name,
				     digest);
	out->len = (size_t)got;
	out->ptr[out->len] = '\0';
	if (strncmp(digest, "sha256:", 7) == 0) {
		gth_sha256_hex(out->ptr, out->len, hex);
		if (strcmp(hex, digest + 7) != 0)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: blob %s does not match its digest (content is sha256:%s)",
					     s->name, digest, hex);
	}
	return 0;
}

const struct gth_oci_desc *gth_oci_src_root(const struct gth_oci_src *s)
{
	return &s->root;
}

const char *gth_oci_src_name(const struct gth_oci_src *s)
{
	return s->name;
}

void gth_oci_src_close(struct gth_oci_src *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nmembers; i++)
		free(s->members[i].name);
	free(s->members);
	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i].fd >= 0)
			close(s->slots[i].fd);
		free(s->slots[i].digest);
		free(s->slots[i].data);
	}
	free(s->slots);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->tarfd >= 0)
		close(s->tarfd);
	pthread_mutex_destroy(&s->lock);
	gth_oci_desc_release(&s->root);
	free(s->name);
	free(s);
}

/* ---- choosing the root ---- */

static int tag_matches(const cJSON *entry, const char *tag)
{
	const cJSON *ann = gth_json_obj(entry, "annotations");
	const char *name = ann ? gth_json_str(ann, GTH_ANNOT_REF_NAME) : NULL;
	const char *full = ann ? gth_json_str(ann, "io.containerd.image.name") : NULL;
	size_t nl, tl = strlen(tag);

	if (name && strcmp(name, tag) == 0)
		return 1;
	/* a full reference "host/repo:TAG" as the name */
	if (name && (nl = strlen(name)) > tl && name[nl - tl - 1] == ':' &&
	    strcmp(name + nl - tl, tag) == 0)
		return 1;
	if (full && strcmp(full, tag) == 0)
		return 1;
	if (full) {
		struct gth_ref a = GTH_REF_INIT, b = GTH_REF_INIT;
		int same = gth_ref_parse(&a, full, NULL) == 0 && gth_ref_parse(&b, tag, NULL) == 0 &&
			   strcmp(a.domain, b.domain) == 0 && strcmp(a.path, b.path) == 0 &&
			   strcmp(gth_ref_selector(&a), gth_ref_selector(&b)) == 0;

		gth_ref_release(&a);
		gth_ref_release(&b);
		return same;
	}
	return 0;
}

static int choose_root(struct gth_oci_src *s, const char *tag, struct gth_error *err)
{
	struct gth_buf text = GTH_BUF_INIT;
	cJSON *idx = NULL;
	const cJSON *mans, *e, *pick = NULL;
	int ret = -1, n = 0, all_platform = 1;
	char where[512];

	snprintf(where, sizeof(where), "%s: index.json", s->name);
	if (src_read_file(&text, s, "index.json", err) < 0)
		goto done;
	if (gth_json_parse(&idx, text.ptr, text.len, where, err) < 0)
		goto done;
	mans = gth_json_arr(idx, "manifests");
	if (!cJSON_IsObject(idx) || !mans) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: no manifests array", where);
		goto done;
	}
	cJSON_ArrayForEach(e, mans) {
		n++;
		if (!gth_json_obj(e, "platform"))
			all_platform = 0;
		if (tag && !pick && tag_matches(e, tag))
			pick = e;
	}
	if (tag && !pick) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "%s: no image named '%s'", where, tag);
		goto done;
	}
	if (!tag && n == 1)
		pick = cJSON_GetArrayItem(mans, 0);
	if (pick) {
		if (gth_oci_desc_from_json(&s->root, pick, where, err) < 0)
			goto done;
	} else if (n > 1 && all_platform) {
		char digest[GTH_DIGEST_STR_LEN];

		if (add_mem_blob(s, text.ptr, text.len, digest, err) < 0)
			goto done;
		s->root.digest = strdup(digest);
		s->root.media_type = strdup(GTH_MT_OCI_INDEX);
		s->root.size = (int64_t)text.len;
	} else if (n == 0) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: holds no image", where);
		goto done;
	} else {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "%s: holds %d images; name one with %s:TAG", where, n, s->name);
		goto done;
	}
	if (!gth_oci_is_index(s->root.media_type) && !gth_oci_is_manifest(s->root.media_type)) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: root %s has media type '%s', not an image",
			      where, s->root.digest, s->root.media_type);
		goto done;
	}
	ret = 0;
done:
	cJSON_Delete(idx);
	gth_buf_release(&text);
	return ret;
}

static const char *layer_media_type(const struct gth_oci_blob *b)
{
	unsigned char m[4] = { 0, 0, 0, 0 };

	gth_oci_blob_pread(b, m, 4, 0);
	if (m[0] == 0x1f && m[1] == 0x8b)
		return GTH_MT_OCI_LAYER_GZIP;
	if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return GTH_MT_OCI_LAYER_ZSTD;
	return GTH_MT_OCI_LAYER;
}

/* An old docker-save archive: make an OCI manifest for the chosen manifest.json entry. */
static int docker_archive_root(struct gth_oci_src *s, const char *ref, struct gth_error *err)
{
	struct gth_buf text = GTH_BUF_INIT, cfg = GTH_BUF_INIT;
	cJSON *man = NULL, *out = NULL, *layers_out;
	const cJSON *e, *pick = NULL, *layers, *l;
	char where[512], cdigest[GTH_DIGEST_STR_LEN], mdigest[GTH_DIGEST_STR_LEN];
	char *printed = NULL;
	int ret = -1, n = 0;
	const char *config;

	snprintf(where, sizeof(where), "%s: manifest.json", s->name);
	if (src_read_file(&text, s, "manifest.json", err) < 0)
		goto done;
	if (gth_json_parse(&man, text.ptr, text.len, where, err) < 0)
		goto done;
	if (!cJSON_IsArray(man)) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: not an array", where);
		goto done;
	}
	cJSON_ArrayForEach(e, man) {
		const cJSON *tags = gth_json_arr(e, "RepoTags"), *t;

		n++;
		if (!ref)
			continue;
		cJSON_ArrayForEach(t, tags) {
			struct gth_ref a = GTH_REF_INIT, b = GTH_REF_INIT;

			if (!cJSON_IsString(t))
				continue;
			if (strcmp(t->valuestring, ref) == 0 ||
			    (gth_ref_parse(&a, t->valuestring, NULL) == 0 &&
			     gth_ref_parse(&b, ref, NULL) == 0 && strcmp(a.domain, b.domain) == 0 &&
			     strcmp(a.path, b.path) == 0 &&
			     strcmp(gth_ref_selector(&a), gth_ref_selector(&b)) == 0))
				pick = pick ? pick : e;
			gth_ref_release(&a);
			gth_ref_release(&b);
		}
	}
	if (ref && !pick) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "%s: no image tagged '%s'", where, ref);
		goto done;
	}
	if (!ref) {
		if (n != 1) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s: holds %d images; name one with %s:REF", where, n, s->name);
			goto done;
		}
		pick = cJSON_GetArrayItem(man, 0);
	}
	config = gth_json_str(pick, "Config");
	layers = gth_json_arr(pick, "Layers");
	if (!config || !layers) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: entry lacks Config or Layers", where);
		goto done;
	}
	if (src_read_file(&cfg, s, config, err) < 0)
		goto done;
	if (add_mem_blob(s, cfg.ptr, cfg.len, cdigest, err) < 0)
		goto done;
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "schemaVersion", 2);
	cJSON_AddStringToObject(out, "mediaType", GTH_MT_OCI_MANIFEST);
	{
		cJSON *c = cJSON_AddObjectToObject(out, "config");

		cJSON_AddStringToObject(c, "mediaType", GTH_MT_OCI_CONFIG);
		cJSON_AddStringToObject(c, "digest", cdigest);
		cJSON_AddNumberToObject(c, "size", (double)cfg.len);
	}
	layers_out = cJSON_AddArrayToObject(out, "layers");
	cJSON_ArrayForEach(l, layers) {
		struct gth_oci_blob b;
		char ld[GTH_DIGEST_STR_LEN];
		cJSON *d;

		if (!cJSON_IsString(l)) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: a layer is not a string", where);
			goto done;
		}
		if (src_file(&b, s, l->valuestring, err) < 0)
			goto done;
		if (hash_blob(ld, &b, err) < 0) {
			gth_error_prefix(err, "%s: %s: ", s->name, l->valuestring);
			goto done;
		}
		if (add_file_blob(s, ld, &b, err) < 0)
			goto done;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "mediaType", layer_media_type(&b));
		cJSON_AddStringToObject(d, "digest", ld);
		cJSON_AddNumberToObject(d, "size", (double)b.size);
		cJSON_AddItemToArray(layers_out, d);
	}
	printed = cJSON_PrintUnformatted(out);
	if (!printed || add_mem_blob(s, printed, strlen(printed), mdigest, err) < 0)
		goto done;
	s->root.media_type = strdup(GTH_MT_OCI_MANIFEST);
	s->root.digest = strdup(mdigest);
	s->root.size = (int64_t)strlen(printed);
	ret = 0;
done:
	free(printed);
	cJSON_Delete(out);
	cJSON_Delete(man);
	gth_buf_release(&text);
	gth_buf_release(&cfg);
	return ret;
}

int gth_oci_src_open(struct gth_oci_src **out, const char *spec, struct gth_error *err)
{
	struct gth_oci_src *s = NULL;
	const char *rest = spec;
	char *path = NULL, *tag = NULL;
	int kind = 0; /* 0 oci dir, 1 docker-archive, 2 oci-archive */
	struct stat st;
	int ret = -1;

	*out = NULL;
	if (gth_starts_with(spec, "oci:"))
		rest = spec + 4;
	else if (gth_starts_with(spec, "docker-archive:"))
		rest = spec + 15, kind = 1;
	else if (gth_starts_with(spec, "oci-archive:"))
		rest = spec + 12, kind = 2;
	if (!*rest)
		return gth_error_set(err, GTH_EXIT_USAGE, "'%s': no path", spec);
	path = strdup(rest);
	if (!path)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (stat(path, &st) < 0) {
		/* PATH:TAG — the first ':' after which the path exists (TAG may hold ':') */
		char *c;

		for (c = strchr(path + 1, ':'); c; c = strchr(c + 1, ':')) {
			*c = '\0';
			if (stat(path, &st) == 0) {
				tag = c + 1;
				break;
			}
			*c = ':';
		}
		if (!tag && stat(path, &st) < 0) {
			gth_error_set(err, GTH_EXIT_NOINPUT, "'%s': %s", path, strerror(errno));
			goto done;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	s->dirfd = s->tarfd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->name = gth_strdupf("%s%s%s%s", kind == 1 ? "docker-archive:" : kind == 2 ? "oci-archive:" : "oci:",
			      path, tag ? ":" : "", tag ? tag : "");
	if (S_ISDIR(st.st_mode)) {
		if (kind != 0) {
			gth_error_set(err, GTH_EXIT_USAGE, "'%s' is a directory, not an archive", path);
			goto done;
		}
		s->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->dirfd < 0) {
			gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				      "'%s': %s", path, strerror(errno));
			goto done;
		}
		if (!gth_file_exists(path) || faccessat(s->dirfd, "oci-layout", F_OK, 0) < 0) {
			struct stat ist;

			if (fstatat(s->dirfd, "index.json", &ist, 0) < 0) {
				gth_error_set(err, GTH_EXIT_DATAERR,
					      "'%s' is not an OCI image layout (no index.json)", path);
				goto done;
			}
		}
		if (choose_root(s, tag, err) < 0)
			goto done;
	} else {
		s->is_tar = 1;
		s->tarfd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->tarfd < 0) {
			gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				      "'%s': %s", path, strerror(errno));
			goto done;
		}
		if (tar_index(s, err) < 0)
			goto done;
		if (tar_find(s, "index.json") && (kind != 1 || !tar_find(s, "manifest.json") ||
						   tar_find(s, "oci-layout"))) {
			if (choose_root(s, tag, err) < 0)
				goto done;
		} else if (tar_find(s, "manifest.json")) {
			if (docker_archive_root(s, tag, err) < 0)
				goto done;
		} else {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s: neither a docker-save archive nor an OCI layout", s->name);
			goto done;
		}
	}
	*out = s;
	s = NULL;
	ret = 0;
done:
	gth_oci_src_close(s);
	free(path);
	return ret;
}

/* ---- writing a layout ---- */

int gth_oci_layout_create(const char *dir, struct gth_error *err)
{
	struct gth_buf p = GTH_BUF_INIT;
	int ret = -1;
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

	if (gth_path_join(&p, dir, "blobs/sha256") < 0 || gth_mkdir_p(p.ptr, 0755, err) < 0)
		goto done;
	if (gth_path_join(&p, dir, "oci-layout") < 0)
		goto done;
	if (!gth_file_exists(p.ptr) &&
	    gth_write_file_atomic(p.ptr, layout, sizeof(layout) - 1, 0644, err) < 0)
		goto done;
	if (gth_path_join(&p, dir, "index.json") < 0)
		goto done;
	if (!gth_file_exists(p.ptr)) {
		static const char idx[] = "{\"schemaVersion\":2,\"mediaType\":\"" GTH_MT_OCI_INDEX
					  "\",\"manifests\":[]}";

		if (gth_write_file_atomic(p.ptr, idx, sizeof(idx) - 1, 0644, err) < 0)
			goto done;
	}
	ret = 0;
done:
	gth_buf_release(&p);
	return ret;
}

int gth_oci_layout_put(const char *dir, const void *data, size_t len,
		       char digest_out[GTH_DIGEST_STR_LEN], struct gth_error *err)
{
	char hex[GTH_SHA256_HEX_LEN + 1];
	char *path;
	int ret;

	gth_sha256_hex(data, len, hex);
	if (digest_out)
		snprintf(digest_out, GTH_DIGEST_STR_LEN, "sha256:%s", hex);
	path = gth_strdupf("%s/blobs/sha256/%s", dir, hex);
	if (!path)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	ret = gth_write_file_atomic(path, data, len, 0644, err);
	free(path);
	return ret;
}

int gth_oci_layout_put_file(const char *dir, const char *path, const char *digest,
			    struct gth_error *err)
{
	char *dst;
	const char *colon;

	if (gth_ref_check_digest(digest, err) < 0)
		return -1;
	colon = strchr(digest, ':');
	dst = gth_strdupf("%s/blobs/%.*s/%s", dir, (int)(colon - digest), digest, colon + 1);
	if (!dst)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (rename(path, dst) < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot move '%s' to '%s': %s", path, dst,
			      strerror(errno));
		free(dst);
		return -1;
	}
	free(dst);
	return 0;
}

int gth_oci_layout_tag(const char *dir, const struct gth_oci_desc *desc, const char *tag,
		       struct gth_error *err)
{
	char *path = gth_strdupf("%s/index.json", dir);
	cJSON *idx = NULL, *mans, *e, *d, *next;
	char *text = NULL;
	int ret = -1;

	if (!path)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (gth_file_exists(path)) {
		if (gth_json_parse_file(&idx, path, 0, err) < 0)
			goto done;
	} else {
		idx = cJSON_CreateObject();
		cJSON_AddNumberToObject(idx, "schemaVersion", 2);
		cJSON_AddStringToObject(idx, "mediaType", GTH_MT_OCI_INDEX);
	}
	mans = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
	if (!mans) {
		mans = cJSON_AddArrayToObject(idx, "manifests");
	} else if (!cJSON_IsArray(mans)) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: manifests is not an array", path);
		goto done;
	}
	for (e = mans->child; e; e = next) {
		const cJSON *ann = gth_json_obj(e, "annotations");
		const char *name = ann ? gth_json_str(ann, GTH_ANNOT_REF_NAME) : NULL;

		next = e->next;
		if ((tag && name && strcmp(name, tag) == 0) ||
		    (!tag && !name && gth_json_str(e, "digest") &&
		     strcmp(gth_json_str(e, "digest"), desc->digest) == 0))
			cJSON_Delete(cJSON_DetachItemViaPointer(mans, e));
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "mediaType", desc->media_type);
	cJSON_AddStringToObject(d, "digest", desc->digest);
	cJSON_AddNumberToObject(d, "size", (double)desc->size);
	if (tag) {
		cJSON *ann = cJSON_AddObjectToObject(d, "annotations");

		cJSON_AddStringToObject(ann, GTH_ANNOT_REF_NAME, tag);
	}
	cJSON_AddItemToArray(mans, d);
	text = cJSON_PrintUnformatted(idx);
	if (!text) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	ret = gth_write_file_atomic(path, text, strlen(text), 0644, err);
done:
	free(text);
	cJSON_Delete(idx);
	free(path);
	return ret;
}
