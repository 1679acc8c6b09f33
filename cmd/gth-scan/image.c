#include "image.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/json.h"
#include "gth/log.h"
#include "gth/oci.h"
#include "gth/ref.h"
#include "gth/registry.h"
#include "gth/util.h"
#include "scan.h"
#include "secrets.h"
#include "vuln.h"

#define MAX_KEPT_FILE (64u << 20)
#define MAX_SECRET_FILE (1u << 20)
#define BINARY_PROBE 8000

/* ---- the merged view of the files that matter ------------------------------ */

/* ".../node_modules/NAME/package.json" or ".../node_modules/@scope/NAME/package.json" */
static int is_module_manifest(const char *path)
{
	const char *nm = NULL, *p = path, *rest;
	size_t slashes = 0;

	if (!gth_ends_with(path, "/package.json"))
		return 0;
	while ((p = strstr(p, "node_modules/")) != NULL) {
		if (p == path || p[-1] == '/')
			nm = p;
		p += 13;
	}
	if (nm == NULL)
		return 0;
	rest = nm + 13;
	for (const char *q = rest; *q; q++)
		if (*q == '/')
			slashes++;
	return rest[0] == '@' ? slashes == 2 : slashes == 1;
}

int img_interesting(const char *path)
{
	if (strcmp(path, "etc/os-release") == 0 || strcmp(path, "usr/lib/os-release") == 0 ||
	    strcmp(path, "var/lib/dpkg/status") == 0 || strcmp(path, "lib/apk/db/installed") == 0)
		return 1;
	if (gth_starts_with(path, "var/lib/dpkg/status.d/") && !gth_ends_with(path, ".md5sums") &&
	    strchr(path + 22, '/') == NULL)
		return 1;
	if (is_module_manifest(path))
		return 1;
	if (lockfile_recognised(path) && strstr(path, "node_modules/") == NULL)
		return 1;
	return 0;
}

void img_fs_release(struct img_fs *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->v[i].path);
		free(fs->v[i].link);
		gth_buf_release(&fs->v[i].data);
		scan_findings_release(&fs->v[i].secrets);
	}
	free(fs->v);
	fs->v = NULL;
	fs->n = fs->cap = 0;
}

static void fs_drop(struct img_fs *fs, size_t i)
{
	free(fs->v[i].path);
	free(fs->v[i].link);
	gth_buf_release(&fs->v[i].data);
	scan_findings_release(&fs->v[i].secrets);
	fs->v[i] = fs->v[--fs->n];
}

/* Remove what lower layers gave at path (and under it when tree). */
static void fs_remove(struct img_fs *fs, const char *path, size_t layer, int self, int tree)
{
	size_t pl = strlen(path);

	for (size_t i = 0; i < fs->n;) {
		const char *p = fs->v[i].path;
		int hit = (self && strcmp(p, path) == 0) ||
			  (tree && (pl == 0 || (strncmp(p, path, pl) == 0 && p[pl] == '/')));
		if (hit && fs->v[i].layer < layer)
			fs_drop(fs, i);
		else
			i++;
	}
}

static struct img_file *fs_find(struct img_fs *fs, const char *path)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->v[i].path, path) == 0)
			return &fs->v[i];
	return NULL;
}

static struct img_file *fs_put(struct img_fs *fs, const char *path, size_t layer)
{
	struct img_file *f = fs_find(fs, path);

	if (f) {
		free(f->link);
		f->link = NULL;
		f->hardlink = 0;
		f->keep = 0;
		gth_buf_clear(&f->data);
		scan_findings_release(&f->secrets);
		f->layer = layer;
		return f;
	}
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 32;
		struct img_file *v = realloc(fs->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		fs->v = v;
		fs->cap = cap;
	}
	f = &fs->v[fs->n];
	memset(f, 0, sizeof(*f));
	if ((f->path = strdup(path)) == NULL)
		return NULL;
	f->layer = layer;
	fs->n++;
	return f;
}

struct layer_ctx {
	const struct scan_secrets *sec;  /* NULL: no secret scanning */
	const char *target;
};

static int apply_layer(struct img_fs *fs, struct gth_layer *l, size_t layer, const char *name,
		       const struct layer_ctx *lc, struct gth_error *err)
{
	struct gth_layer_entry e;
	struct gth_buf data = GTH_BUF_INIT;
	int r, rc = -1;

	while ((r = gth_layer_next(l, &e, err)) == 1) {
		struct img_file *f;
		int keep = img_interesting(e.path), secret;
		switch (e.type) {
		case GTH_LAYER_WHITEOUT:
			fs_remove(fs, e.path, layer, 1, 1);
			break;
		case GTH_LAYER_OPAQUE:
			fs_remove(fs, e.path, layer, 0, 1);
			break;
		case GTH_LAYER_FILE:
			secret = lc->sec && e.size > 0 && e.size <= (int64_t)MAX_SECRET_FILE;
			if ((!keep && !secret) || e.size > (int64_t)MAX_KEPT_FILE) {
				if (keep)
					gth_warn("%s: %s: %lld bytes, too large to read", name, e.path, (long long)e.size);
				/* what a lower layer gave at this path is gone */
				fs_remove(fs, e.path, layer, 1, 0);
				break;
			}
			gth_buf_clear(&data);
			for (;;) {
				char chunk[65536];
				ssize_t n = gth_layer_read(l, chunk, sizeof(chunk), err);
				if (n < 0)
					goto done;
				if (n == 0)
					break;
				if (data.len + (size_t)n > MAX_KEPT_FILE || gth_buf_put(&data, chunk, (size_t)n) < 0) {
					gth_error_set(err, GTH_EXIT_DATAERR, "%s: %s: larger than it said", name, e.path);
					goto done;
				}
			}
			{
				struct scan_findings found = SCAN_FINDINGS_INIT;
				if (secret && memchr(gth_buf_cstr(&data), '\0',
						     data.len < BINARY_PROBE ? data.len : BINARY_PROBE) == NULL &&
				    scan_secrets_scan(lc->sec, &found, lc->target, e.path, gth_buf_cstr(&data), data.len) < 0) {
					scan_findings_release(&found);
					gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
					goto done;
				}
				if (!keep && found.n == 0) {
					fs_remove(fs, e.path, layer, 1, 0);
					break;
				}
				if ((f = fs_put(fs, e.path, layer)) == NULL) {
					scan_findings_release(&found);
					gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
					goto done;
				}
				f->secrets = found;
				f->keep = keep;
				if (keep) {
					f->data = data;
					memset(&data, 0, sizeof(data));
				}
			}
			break;
		case GTH_LAYER_SYMLINK:
		case GTH_LAYER_HARDLINK:
			if (!keep) {
				fs_remove(fs, e.path, layer, 1, 0);
				break;
			}
			if ((f = fs_put(fs, e.path, layer)) == NULL || (f->link = strdup(e.link ? e.link : "")) == NULL) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				goto done;
			}
			f->keep = 1;
			f->hardlink = e.type == GTH_LAYER_HARDLINK;
			if (f->hardlink) {
				struct img_file *t = fs_find(fs, e.link);
				if (t && t != f && t->link == NULL)
					gth_buf_put(&f->data, t->data.ptr ? t->data.ptr : "", t->data.len);
			}
			break;
		default:
			/* a directory or device where a file was */
			fs_remove(fs, e.path, layer, 1, 0);
			break;
		}
	}
	rc = r < 0 ? -1 : 0;
done:
	gth_buf_release(&data);
	return rc;
}

/* The contents of path, following symlinks among the kept files. */
static const struct gth_buf *fs_read(struct img_fs *fs, const char *path)
{
	char cur[4096];

	snprintf(cur, sizeof(cur), "%s", path);
	for (int hops = 0; hops < 8; hops++) {
		struct img_file *f = fs_find(fs, cur);
		char next[4096];
		if (f == NULL || !f->keep)
			return NULL;
		if (f->link == NULL || f->hardlink)
			return &f->data;
		if (f->link[0] == '/') {
			snprintf(next, sizeof(next), "%s", f->link + 1);
		} else {
			/* relative to the link's folder, with ".." resolved */
			char dir[4096];
			const char *t = f->link;
			char *slash;
			snprintf(dir, sizeof(dir), "%s", cur);
			slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			else
				dir[0] = '\0';
			while (gth_starts_with(t, "../") || gth_starts_with(t, "./")) {
				if (t[1] == '.') {
					slash = strrchr(dir, '/');
					if (slash)
						*slash = '\0';
					else
						dir[0] = '\0';
					t += 3;
				} else {
					t += 2;
				}
			}
			snprintf(next, sizeof(next), "%s%s%s", dir, dir[0] ? "/" : "", t);
		}
		snprintf(cur, sizeof(cur), "%s", next);
	}
	return NULL;
}

/* ---- OS and package databases ---------------------------------------------- */

static char *os_field(const char *data, size_t len, const char *key)
{
	const char *p = data, *end = data + len;
	size_t kl = strlen(key);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (n > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t vn = n - kl - 1;
			while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == ' '))
				vn--;
			if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
				v++;
				vn -= 2;
			}
			return strndup(v, vn);
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

int img_os_ecosystem(char **eco, char **pretty, const char *data, size_t len)
{
	char *id = os_field(data, len, "ID"), *ver = os_field(data, len, "VERSION_ID");
	char *like = os_field(data, len, "ID_LIKE"), *version = os_field(data, len, "VERSION");

	*eco = NULL;
	*pretty = os_field(data, len, "PRETTY_NAME");
	if (id && strcmp(id, "debian") == 0) {
		*eco = ver ? gth_strdupf("Debian:%s", ver) : strdup("Debian");
	} else if (id && strcmp(id, "alpine") == 0 && ver) {
		const char *d1 = strchr(ver, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
		*eco = gth_strdupf("Alpine:v%.*s", d2 ? (int)(d2 - ver) : (int)strlen(ver), ver);
	} else if (id && strcmp(id, "ubuntu") == 0 && ver) {
		*eco = gth_strdupf("Ubuntu:%s%s", ver, version && strstr(version, "LTS") ? ":LTS" : "");
	} else if (like && strstr(like, "debian")) {
		*eco = strdup("Debian");
	} else if (id) {
		*eco = gth_strdupf("%s%s%s", id, ver ? ":" : "", ver ? ver : "");
	}
	free(id);
	free(ver);
	free(like);
	free(version);
	return 0;
}

struct src_group {
	char *name, *version;
	struct gth_buf bins;
};

static int group_add(struct src_group **g, size_t *n, const char *src, const char *ver, const char *bin)
{
	struct src_group *ng;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*g)[i].name, src) == 0 && strcmp((*g)[i].version, ver) == 0) {
			gth_buf_printf(&(*g)[i].bins, ", %s", bin);
			return 0;
		}
	}
	ng = realloc(*g, (*n + 1) * sizeof(**g));
	if (ng == NULL)
		return -1;
	*g = ng;
	memset(&ng[*n], 0, sizeof(ng[*n]));
	ng[*n].name = strdup(src);
	ng[*n].version = strdup(ver);
	gth_buf_puts(&ng[*n].bins, bin);
	(*n)++;
	return ng[*n - 1].name && ng[*n - 1].version ? 0 : -1;
}

static int groups_emit(struct lock_pkgs *out, const char *ecosystem, struct src_group *g, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			char *res = gth_strdupf("installed: %s", gth_buf_cstr(&g[i].bins));
			rc = res ? lock_pkgs_add(out, ecosystem, g[i].name, g[i].version, res, 0, 0) : -1;
			free(res);
		}
		free(g[i].name);
		free(g[i].version);
		gth_buf_release(&g[i].bins);
	}
	free(g);
	return rc;
}

/* Stanzas of "Key: value" lines (dpkg) or "K:value" lines (apk), blank-separated. */
struct stanza {
	char *f[4];
};

static void stanza_clear(struct stanza *s)
{
	for (int i = 0; i < 4; i++) {
		free(s->f[i]);
		s->f[i] = NULL;
	}
}

int img_dpkg_packages(struct lock_pkgs *out, const char *ecosystem, const char *file,
		      const char *data, size_t len, struct gth_error *err)
{
	static const char *const keys[4] = { "Package:", "Status:", "Version:", "Source:" };
	struct stanza s = { { NULL } };
	struct src_group *g = NULL;
	size_t ng = 0;
	const char *p = data, *end = data + len;
	int rc = 0;

	(void)file;
	for (;;) {
		const char *eol = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		size_t n = p < end ? (eol ? (size_t)(eol - p) : (size_t)(end - p)) : 0;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			/* end of a stanza */
			if (s.f[0] && s.f[2] && (s.f[1] == NULL || gth_ends_with(s.f[1], " installed"))) {
				char src[512], srcver[256];
				snprintf(src, sizeof(src), "%s", s.f[3] ? s.f[3] : s.f[0]);
				snprintf(srcver, sizeof(srcver), "%s", s.f[2]);
				/* "Source: name (version)" when the source version differs */
				{
					char *paren = strchr(src, '(');
					if (paren) {
						char *close = strchr(paren, ')');
						if (close) {
							*close = '\0';
							snprintf(srcver, sizeof(srcver), "%s", paren + 1);
						}
						*paren = '\0';
					}
					for (char *q = src + strlen(src); q > src && q[-1] == ' '; q--)
						q[-1] = '\0';
				}
				if (group_add(&g, &ng, src, srcver, s.f[0]) < 0)
					rc = gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			}
			stanza_clear(&s);
			if (p >= end || rc < 0)
				break;
			p = eol ? eol + 1 : end;
			continue;
		}
		for (int k = 0; k < 4; k++) {
			size_t kl = strlen(keys[k]);
			if (n > kl && memcmp(p, keys[k], kl) == 0) {
				const char *v = p + kl;
				size_t vn = n - kl;
				while (vn > 0 && *v == ' ') {
					v++;
					vn--;
				}
				free(s.f[k]);
				s.f[k] = strndup(v, vn);
			}
		}
		p = eol ? eol + 1 : end;
	}
	stanza_clear(&s);
	if (groups_emit(out, ecosystem, g, ng) < 0 && rc == 0)
		rc = gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return rc;
}

int img_apk_packages(struct lock_pkgs *out, const char *ecosystem, const char *file,
		     const char *data, size_t len, struct gth_error *err)
{
	struct stanza s = { { NULL } };
	struct src_group *g = NULL;
	size_t ng = 0;
	const char *p = data, *end = data + len;
	int rc = 0;

	(void)file;
	for (;;) {
		const char *eol = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		size_t n = p < end ? (eol ? (size_t)(eol - p) : (size_t)(end - p)) : 0;
		if (n == 0) {
			if (s.f[0] && s.f[2] && group_add(&g, &ng, s.f[3] ? s.f[3] : s.f[0], s.f[2], s.f[0]) < 0)
				rc = gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			stanza_clear(&s);
			if (p >= end || rc < 0)
				break;
			p = eol ? eol + 1 : end;
			continue;
		}
		if (n > 2 && p[1] == ':') {
			int k = p[0] == 'P' ? 0 : p[0] == 'V' ? 2 : p[0] == 'o' ? 3 : -1;
			if (k >= 0) {
				free(s.f[k]);
				s.f[k] = strndup(p + 2, n - 2);
			}
		}
		p = eol ? eol + 1 : end;
	}
	stanza_clear(&s);
	if (groups_emit(out, ecosystem, g, ng) < 0 && rc == 0)
		rc = gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return rc;
}

/* ---- where the layers come from -------------------------------------------- */

/* Pick a manifest from an index: linux/amd64 (or this machine's arch), else the first. */
static const cJSON *pick_manifest(const cJSON *index)
{
	const cJSON *ms = gth_json_arr(index, "manifests"), *m, *first = NULL;

	cJSON_ArrayForEach(m, ms) {
		const cJSON *pl = gth_json_obj(m, "platform");
		const char *os = gth_json_str(pl, "os"), *arch = gth_json_str(pl, "architecture");
		if (first == NULL && (os == NULL || strcmp(os, "unknown") != 0))
			first = m;
		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0)
			return m;
	}
	return first;
}

struct image_ctx {
	struct img_fs fs;
	size_t layers;
	struct layer_ctx lc;
};

static int scan_oci(struct image_ctx *ic, const char *spec, struct gth_error *err)
{
	struct gth_oci_src *src = NULL;
	struct gth_buf body = GTH_BUF_INIT;
	cJSON *doc = NULL;
	const struct gth_oci_desc *root;
	const cJSON *layers, *ld;
	char *digest = NULL, *mt = NULL;
	int rc = -1;

	if (gth_oci_src_open(&src, spec, err) < 0)
		return -1;
	root = gth_oci_src_root(src);
	digest = strdup(root->digest);
	mt = strdup(root->media_type ? root->media_type : "");
	for (int depth = 0; depth < 3; depth++) {
		gth_buf_clear(&body);
		cJSON_Delete(doc);
		doc = NULL;
		if (gth_oci_src_read(&body, src, digest, -1, 0, err) < 0 ||
		    gth_json_parse(&doc, body.ptr, body.len, gth_oci_src_name(src), err) < 0)
			goto done;
		if (gth_oci_is_index(mt) || gth_json_arr(doc, "manifests")) {
			const cJSON *m = pick_manifest(doc);
			if (m == NULL || gth_json_str(m, "digest") == NULL) {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s: the index names no image", gth_oci_src_name(src));
				goto done;
			}
			free(digest);
			free(mt);
			digest = strdup(gth_json_str(m, "digest"));
			mt = strdup(gth_json_str(m, "mediaType") ? gth_json_str(m, "mediaType") : "");
			continue;
		}
		break;
	}
	layers = gth_json_arr(doc, "layers");
	if (layers == NULL) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: the manifest has no layers", gth_oci_src_name(src));
		goto done;
	}
	cJSON_ArrayForEach(ld, layers) {
		struct gth_oci_blob b;
		struct gth_layer *l = NULL;
		const char *d = gth_json_str(ld, "digest");
		char *name;
		int r;
		if (d == NULL) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: a layer without a digest", gth_oci_src_name(src));
			goto done;
		}
		name = gth_strdupf("%s: layer %s", gth_oci_src_name(src), d);
		r = gth_oci_src_blob(&b, src, d, err) < 0 || gth_layer_open_blob(&l, &b, name, err) < 0 ? -1 : 0;
		if (r == 0)
			r = apply_layer(&ic->fs, l, ic->layers, name, &ic->lc, err);
		gth_layer_close(l);
		free(name);
		ic->layers++;
		if (r < 0)
			goto done;
	}
	rc = 0;
done:
	free(digest);
	free(mt);
	cJSON_Delete(doc);
	gth_buf_release(&body);
	gth_oci_src_close(src);
	return rc;
}

struct file_sink {
	FILE *f;
};

static int file_sink_write(void *ctx, const char *data, size_t len)
{
	struct file_sink *s = ctx;

	return fwrite(data, 1, len, s->f) == len ? 0 : -1;
}

static int insecure_host(const char *domain)
{
	const char *env = getenv("GTH_INSECURE_REGISTRIES");
	size_t dl = strlen(domain);

	if (gth_starts_with(domain, "localhost") || gth_starts_with(domain, "127.0.0.1") ||
	    gth_starts_with(domain, "[::1]"))
		return 1;
	for (const char *p = env; p && *p;) {
		size_t n = strcspn(p, ", ");
		if (n == dl && strncmp(p, domain, n) == 0)
			return 1;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

static int scan_registry(struct image_ctx *ic, const char *image, struct gth_error *err)
{
	struct gth_ref ref = GTH_REF_INIT;
	struct gth_registry *reg = NULL;
	struct gth_registry_opts ro = GTH_REGISTRY_OPTS_INIT;
	struct gth_buf body = GTH_BUF_INIT;
	cJSON *doc = NULL;
	char *mt = NULL, *tmpdir = NULL;
	const char *insecure[2] = { NULL, NULL };
	char sel[256];
	const cJSON *layers, *ld;
	int rc = -1;

	if (gth_ref_parse(&ref, image, err) < 0)
		return -1;
	if (insecure_host(ref.domain)) {
		insecure[0] = ref.domain;
		ro.insecure_hosts = insecure;
	}
	if (gth_registry_open(&reg, ref.domain, &ro, err) < 0)
		goto done;
	snprintf(sel, sizeof(sel), "%s", gth_ref_selector(&ref));
	for (int depth = 0; depth < 3; depth++) {
		gth_buf_clear(&body);
		cJSON_Delete(doc);
		doc = NULL;
		free(mt);
		mt = NULL;
		if (gth_registry_manifest_get(reg, ref.path, sel, &body, &mt, NULL, err) < 0 ||
		    gth_json_parse(&doc, body.ptr, body.len, image, err) < 0)
			goto done;
		if ((mt && gth_oci_is_index(mt)) || gth_json_arr(doc, "manifests")) {
			const cJSON *m = pick_manifest(doc);
			if (m == NULL || gth_json_str(m, "digest") == NULL) {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s: the index names no image", image);
				goto done;
			}
			snprintf(sel, sizeof(sel), "%s", gth_json_str(m, "digest"));
			continue;
		}
		break;
	}
	layers = gth_json_arr(doc, "layers");
	if (layers == NULL) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: the manifest has no layers", image);
		goto done;
	}
	{
		struct gth_buf t = GTH_BUF_INIT;
		const char *td = getenv("TMPDIR");
		gth_buf_printf(&t, "%s/gth-scan-image.XXXXXX", td && *td ? td : "/tmp");
		tmpdir = gth_buf_detach(&t);
		if (tmpdir == NULL || mkdtemp(tmpdir) == NULL) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot make a temporary folder: %s", strerror(errno));
			goto done;
		}
	}
	cJSON_ArrayForEach(ld, layers) {
		const char *d = gth_json_str(ld, "digest");
		char *path, *name;
		struct file_sink fsk;
		struct gth_layer *l = NULL;
		int r;
		if (d == NULL) {
			gth_error_set(err, GTH_EXIT_DATAERR, "%s: a layer without a digest", image);
			goto done;
		}
		path = gth_strdupf("%s/layer", tmpdir);
		name = gth_strdupf("%s: layer %s", image, d);
		fsk.f = path ? fopen(path, "wb") : NULL;
		if (fsk.f == NULL) {
			free(path);
			free(name);
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot write a temporary file: %s", strerror(errno));
			goto done;
		}
		gth_verbose("pulling %s", d);
		r = gth_registry_blob_get(reg, ref.path, d, file_sink_write, &fsk, err);
		if (fclose(fsk.f) != 0 && r == 0)
			r = gth_error_set(err, GTH_EXIT_SOFTWARE, "writing a temporary file: %s", strerror(errno));
		if (r == 0)
			r = gth_layer_open_file(&l, path, err);
		if (r == 0)
			r = apply_layer(&ic->fs, l, ic->layers, name, &ic->lc, err);
		gth_layer_close(l);
		unlink(path);
		free(path);
		free(name);
		ic->layers++;
		if (r < 0)
			goto done;
	}
	rc = 0;
done:
	if (tmpdir) {
		rmdir(tmpdir);
		free(tmpdir);
	}
	cJSON_Delete(doc);
	free(mt);
	gth_buf_release(&body);
	gth_registry_close(reg);
	gth_ref_release(&ref);
	return rc;
}

/* ---- the verb -------------------------------------------------------------- */

static int is_local_spec(const char *image)
{
	struct stat sb;

	if (gth_starts_with(image, "oci:") || gth_starts_with(image, "docker-archive:") ||
	    gth_starts_with(image, "oci-archive:"))
		return 1;
	return stat(image, &sb) == 0;
}

/* The packages a node_modules folder holds, as "a > b" paths from nesting. */
static int module_packages(struct lock_pkgs *out, struct img_fs *fs, const char *root,
			   struct gth_error *err)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct img_file *f = &fs->v[i];
		cJSON *pj = NULL;
		const char *name, *version;
		struct gth_buf path = GTH_BUF_INIT;
		const char *p;
		if (!f->keep || !is_module_manifest(f->path) || f->link || !gth_starts_with(f->path, root))
			continue;
		if (gth_json_parse(&pj, f->data.ptr ? f->data.ptr : "", f->data.len, f->path, err) < 0) {
			/* a broken package.json in node_modules is not fatal */
			gth_warn("%s", err->msg);
			gth_error_clear(err);
			continue;
		}
		name = gth_json_str(pj, "name");
		version = gth_json_str(pj, "version");
		for (p = f->path; (p = strstr(p, "node_modules/")) != NULL;) {
			const char *s = p + 13, *e = strstr(s, "/node_modules/");
			if (e == NULL)
				e = s + strlen(s) - strlen("/package.json");
			if (path.len)
				gth_buf_puts(&path, " > ");
			gth_buf_put(&path, s, (size_t)(e - s));
			p = e;
		}
		if (name && version && lock_pkgs_add(out, "npm", name, version, gth_buf_cstr(&path), 0, 0) < 0) {
			cJSON_Delete(pj);
			gth_buf_release(&path);
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		}
		cJSON_Delete(pj);
		gth_buf_release(&path);
	}
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct img_file *)a)->path, ((const struct img_file *)b)->path);
}

int scan_image(struct scan_result *res, const struct scan_opts *o, const char *image,
	       struct gth_error *err)
{
	struct image_ctx ic = { IMG_FS_INIT, 0, { NULL, NULL } };
	struct scan_secrets *sec = NULL;
	const struct gth_buf *osr;
	char *eco = NULL, *pretty = NULL;
	int rc = -1, warned_no_os = 0;

	free(res->target);
	res->target = strdup(image);
	if (res->target == NULL)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_SECRET)) {
		if (scan_secrets_new(&sec, o->cfg, err) < 0)
			return -1;
		ic.lc.sec = sec;
	}
	ic.lc.target = image;
	if (is_local_spec(image)) {
		if (scan_oci(&ic, image, err) < 0)
			goto done;
	} else if (scan_registry(&ic, image, err) < 0) {
		goto done;
	}
	if (ic.fs.n > 1)
		qsort(ic.fs.v, ic.fs.n, sizeof(*ic.fs.v), cmp_path);
	osr = fs_read(&ic.fs, "etc/os-release");
	if (osr == NULL)
		osr = fs_read(&ic.fs, "usr/lib/os-release");
	if (osr)
		img_os_ecosystem(&eco, &pretty, osr->ptr ? osr->ptr : "", osr->len);
	gth_note("%s: %zu layers%s%s", image, ic.layers, pretty ? ", " : "", pretty ? pretty : "");
	/* the secrets of the files still there after the last layer */
	for (size_t i = 0; i < ic.fs.n; i++)
		for (size_t k = 0; k < ic.fs.v[i].secrets.n; k++)
			if (scan_findings_add(&res->findings, &ic.fs.v[i].secrets.v[k]) < 0) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				goto done;
			}
	if (!(o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_VULN))) {
		rc = 0;
		goto done;
	}
	/* OS packages, each package database on its own so findings name their file */
	for (size_t i = 0; i < ic.fs.n; i++) {
		const struct img_file *f = &ic.fs.v[i];
		struct lock_pkgs os = LOCK_PKGS_INIT;
		const char *data = f->data.ptr ? f->data.ptr : "";
		int r = 0;
		if (!f->keep || (f->link && !f->hardlink))
			continue;
		if (strcmp(f->path, "var/lib/dpkg/status") == 0 || gth_starts_with(f->path, "var/lib/dpkg/status.d/"))
			r = img_dpkg_packages(&os, eco ? eco : "Debian", f->path, data, f->data.len, err);
		else if (strcmp(f->path, "lib/apk/db/installed") == 0)
			r = img_apk_packages(&os, eco ? eco : "Alpine", f->path, data, f->data.len, err);
		else
			continue;
		if (r == 0 && os.n > 0 && eco == NULL && !warned_no_os) {
			scan_result_warn(res, "%s: no os-release: OS packages matched without a release", image);
			warned_no_os = 1;
		}
		gth_verbose("%s: %s: %zu source packages", image, f->path, os.n);
		if (r == 0)
			r = vuln_match(res, o, image, f->path, &os, err);
		lock_pkgs_release(&os);
		if (r < 0)
			goto done;
	}
	/* lockfiles, then node_modules not covered by a lockfile of the same app */
	{
		struct gth_buf roots = GTH_BUF_INIT;
		int failed = 0;
		gth_buf_puts(&roots, "\n");
		for (size_t i = 0; i < ic.fs.n && !failed; i++) {
			const struct img_file *f = &ic.fs.v[i];
			struct lock_pkgs pkgs = LOCK_PKGS_INIT;
			if (!f->keep || f->link || !lockfile_recognised(f->path) || strstr(f->path, "node_modules/"))
				continue;
			if (lockfile_parse(&pkgs, f->path, f->data.ptr ? f->data.ptr : "", f->data.len, err) < 0 ||
			    vuln_match(res, o, image, f->path, &pkgs, err) < 0)
				failed = 1;
			else {
				const char *slash = strrchr(f->path, '/');
				gth_buf_put(&roots, f->path, slash ? (size_t)(slash - f->path) + 1 : 0);
				gth_buf_puts(&roots, "\n");
			}
			lock_pkgs_release(&pkgs);
		}
		/* every folder holding node_modules/ at its top: one set of packages each */
		for (size_t i = 0; i < ic.fs.n && !failed; i++) {
			const struct img_file *f = &ic.fs.v[i];
			const char *nm;
			char *root, *needle, *manifest;
			struct lock_pkgs pkgs = LOCK_PKGS_INIT;
			if (!f->keep || !is_module_manifest(f->path))
				continue;
			nm = strstr(f->path, "node_modules/");
			if (nm != f->path && nm[-1] != '/')
				continue;
			root = strndup(f->path, (size_t)(nm - f->path));
			needle = root ? gth_strdupf("\n%s\n", root) : NULL;
			if (needle == NULL) {
				free(root);
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				failed = 1;
				break;
			}
			if (strstr(gth_buf_cstr(&roots), needle) == NULL) {
				gth_buf_puts(&roots, needle + 1);
				manifest = gth_strdupf("%snode_modules", root);
				if (module_packages(&pkgs, &ic.fs, root, err) < 0 ||
				    vuln_match(res, o, image, manifest, &pkgs, err) < 0)
					failed = 1;
				free(manifest);
			}
			lock_pkgs_release(&pkgs);
			free(root);
			free(needle);
		}
		gth_buf_release(&roots);
		if (failed)
			goto done;
	}
	rc = 0;
done:
	free(eco);
	free(pretty);
	img_fs_release(&ic.fs);
	scan_secrets_free(sec);
	return rc;
}
