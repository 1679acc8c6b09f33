/* gth-build assemble: a reproducible image from a base (registry, layout or
 * scratch) and layers made from files, written as an OCI layout and/or pushed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/ref.h"
#include "gth/registry.h"
#include "gth/util.h"

struct base_layer {
	char *digest;
	char *media_type;
	int64_t size;
};

struct base {
	cJSON *config;            /* owned */
	struct base_layer *layers;
	size_t nlayers;
	char *name;               /* "domain/path" for a registry base */
	char *digest;             /* its manifest digest */
	char *domain, *repo;      /* for mount hints */
};

static void base_release(struct base *b)
{
	size_t i;

	cJSON_Delete(b->config);
	for (i = 0; i < b->nlayers; i++) {
		free(b->layers[i].digest);
		free(b->layers[i].media_type);
	}
	free(b->layers);
	free(b->name);
	free(b->digest);
	free(b->domain);
	free(b->repo);
	memset(b, 0, sizeof(*b));
}

char **split_args(const char *s, struct gth_error *err)
{
	char **v = NULL;
	size_t n = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		cJSON *j = NULL;
		const cJSON *it;

		if (gth_json_parse(&j, s, strlen(s), "argument list", err) < 0)
			return NULL;
		if (!cJSON_IsArray(j)) {
			cJSON_Delete(j);
			gth_error_set(err, GTH_EXIT_USAGE, "'%s' is not a JSON array of strings", s);
			return NULL;
		}
		v = calloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(char *));
		cJSON_ArrayForEach(it, j) {
			if (!cJSON_IsString(it)) {
				cJSON_Delete(j);
				for (n = 0; v && v[n]; n++)
					free(v[n]);
				free(v);
				gth_error_set(err, GTH_EXIT_USAGE, "'%s' is not a JSON array of strings",
					      s);
				return NULL;
			}
			if (v)
				v[n++] = strdup(it->valuestring);
		}
		cJSON_Delete(j);
		if (!v)
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return v;
	}
	v = calloc(strlen(s) / 2 + 2, sizeof(char *));
	if (!v) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		return NULL;
	}
	while (*p) {
		size_t len = strcspn(p, " \t");

		v[n++] = strndup(p, len);
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	return v;
}

static void free_args(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static cJSON *args_json(char **v)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; v && v[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

/* os/arch[/variant] */
static int split_platform(const char *p, char *os, char *arch, char *variant, size_t n)
{
	const char *s1 = strchr(p, '/'), *s2;

	if (!s1 || s1 == p || !s1[1])
		return -1;
	s2 = strchr(s1 + 1, '/');
	snprintf(os, n, "%.*s", (int)(s1 - p), p);
	if (s2) {
		snprintf(arch, n, "%.*s", (int)(s2 - s1 - 1), s1 + 1);
		snprintf(variant, n, "%s", s2 + 1);
	} else {
		snprintf(arch, n, "%s", s1 + 1);
		variant[0] = '\0';
	}
	return 0;
}

/* Pick the manifest for platform out of an index's JSON. */
static int pick_platform(struct gth_oci_desc *out, const cJSON *index, const char *platform,
			 struct gth_error *err)
{
	const cJSON *m;
	const char *want = platform ? platform : "linux/amd64";

	cJSON_ArrayForEach(m, gth_json_arr(index, "manifests")) {
		struct gth_oci_desc d;

		if (gth_oci_desc_from_json(&d, m, "base index", err) < 0)
			return -1;
		if (d.platform && (!strcmp(d.platform, want) ||
				   (gth_starts_with(d.platform, want) &&
				    d.platform[strlen(want)] == '/'))) {
			*out = d;
			return 0;
		}
		gth_oci_desc_release(&d);
	}
	return gth_error_set(err, GTH_EXIT_NOINPUT, "the base has no image for %s", want);
}

/* Copy a blob of src to a hidden temporary file in the layout DIR (*tmp_out, to be
 * moved into place by place_layers, or unlinked). */
static int copy_blob_to_tmp(char **tmp_out, const char *dir, struct gth_oci_src *src,
			    const char *digest, struct gth_error *err)
{
	struct gth_oci_blob b;
	char *tmp = gth_strdupf("%s/blobs/sha256/.copy.XXXXXX", dir);
	char *buf = malloc(1 << 16);
	int fd = -1, ret = -1;
	int64_t pos = 0;

	if (!tmp || !buf) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	if (gth_oci_src_blob(&b, src, digest, err) < 0)
		goto done;
	fd = mkstemp(tmp);
	if (fd < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "'%s': %s", tmp, strerror(errno));
		goto done;
	}
	while (pos < b.size) {
		ssize_t n = gth_oci_blob_pread(&b, buf, 1 << 16, pos), w;

		if (n <= 0) {
			gth_error_set(err, GTH_EXIT_DATAERR, "reading %s: %s", digest,
				      n < 0 ? strerror(errno) : "truncated");
			goto done;
		}
		w = write(fd, buf, (size_t)n);
		if (w != n) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "writing %s: %s", tmp, strerror(errno));
			goto done;
		}
		pos += n;
	}
	close(fd);
	fd = -1;
	chmod(tmp, 0644);
	*tmp_out = tmp;
	tmp = NULL;
	ret = 0;
done:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(buf);
	return ret;
}

struct file_sink {
	int fd;
	int failed;
};

static int file_sink_cb(void *ctx, const char *data, size_t len)
{
	struct file_sink *s = ctx;

	while (len) {
		ssize_t w = write(s->fd, data, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			s->failed = 1;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int buf_sink_cb(void *ctx, const char *data, size_t len)
{
	struct gth_buf *b = ctx;

	if (b->len + len > (16u << 20))
		return -1;
	return gth_buf_put(b, data, len);
}

/* Check a base layer (its copy at path, not yet in the layout) entry by entry: no
 * '..', no absolute paths, no escaping links. */
static int check_layer(const char *path, const char *digest, struct gth_error *err)
{
	struct gth_layer *l = NULL;
	struct gth_layer_entry e;
	int r;

	r = gth_layer_open_file(&l, path, err);
	while (r == 0 && (r = gth_layer_next(l, &e, err)) == 1)
		r = 0;
	gth_layer_close(l);
	if (r < 0) {
		gth_error_prefix(err, "base layer %.19s: ", digest);
		return -1;
	}
	return 0;
}

/* The base's layers, copied and checked (tmps[i] holds layer i), move into the
 * layout only once every one of them passed: an unsafe layer leaves no blob behind.
 * Every temporary file not moved is unlinked; tmps is freed. */
static int place_layers(const struct base *b, const char *dir, char **tmps, int ok,
			struct gth_error *err)
{
	size_t i;
	int ret = ok ? 0 : -1;

	for (i = 0; tmps && i < b->nlayers; i++) {
		if (!tmps[i])
			continue;
		if (ret == 0 && gth_oci_layout_put_file(dir, tmps[i], b->layers[i].digest, err) < 0)
			ret = -1;
		if (ret < 0)
			unlink(tmps[i]);
		free(tmps[i]);
	}
	free(tmps);
	return ret;
}

static const char *oci_layer_type(const char *mt)
{
	if (!strcmp(mt, GTH_MT_DOCKER_LAYER_GZIP))
		return GTH_MT_OCI_LAYER_GZIP;
	if (!strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar"))
		return GTH_MT_OCI_LAYER;
	return mt;
}

static int base_layers_from_manifest(struct base *b, const cJSON *man, struct gth_error *err)
{
	const cJSON *l, *layers = gth_json_arr(man, "layers");
	size_t n = 0;

	if (!layers || !gth_json_obj(man, "config"))
		return gth_error_set(err, GTH_EXIT_DATAERR, "the base manifest is not an image");
	b->layers = calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof(*b->layers));
	if (!b->layers)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	cJSON_ArrayForEach(l, layers) {
		struct gth_oci_desc d;

		if (gth_oci_desc_from_json(&d, l, "base manifest", err) < 0)
			return -1;
		b->layers[n].digest = d.digest;
		b->layers[n].media_type = strdup(oci_layer_type(d.media_type));
		b->layers[n].size = d.size;
		free(d.media_type);
		free(d.platform);
		n++;
		b->nlayers = n;
	}
	return 0;
}

static int base_from_src(struct base *b, const char *spec, const char *dir, const char *platform,
			 struct gth_error *err)
{
	struct gth_oci_src *src = NULL;
	struct gth_buf body = GTH_BUF_INIT;
	cJSON *j = NULL;
	struct gth_oci_desc md = { 0 };
	const cJSON *cfg;
	struct gth_oci_desc cd = { 0 };
	char **tmps = NULL;
	size_t i;
	int ret = -1;

	if (gth_oci_src_open(&src, spec, err) < 0)
		goto done;
	if (gth_oci_src_read(&body, src, gth_oci_src_root(src)->digest,
			     gth_oci_src_root(src)->size, 0, err) < 0)
		goto done;
	if (gth_json_parse(&j, body.ptr, body.len, "base", err) < 0)
		goto done;
	if (gth_oci_is_index(gth_oci_src_root(src)->media_type)) {
		if (pick_platform(&md, j, platform, err) < 0)
			goto done;
		cJSON_Delete(j);
		j = NULL;
		if (gth_oci_src_read(&body, src, md.digest, md.size, 0, err) < 0 ||
		    gth_json_parse(&j, body.ptr, body.len, "base manifest", err) < 0)
			goto done;
	}
	cfg = gth_json_obj(j, "config");
	if (!cfg || gth_oci_desc_from_json(&cd, cfg, "base manifest", err) < 0) {
		if (!cfg)
			gth_error_set(err, GTH_EXIT_DATAERR, "the base manifest has no config");
		goto done;
	}
	if (gth_oci_src_read(&body, src, cd.digest, cd.size, 0, err) < 0)
		goto done;
	if (gth_json_parse(&b->config, body.ptr, body.len, "base config", err) < 0)
		goto done;
	if (base_layers_from_manifest(b, j, err) < 0)
		goto done;
	tmps = calloc(b->nlayers + 1, sizeof(*tmps));
	if (!tmps) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (i = 0; i < b->nlayers; i++) {
		if (copy_blob_to_tmp(&tmps[i], dir, src, b->layers[i].digest, err) < 0)
			goto done;
		if (check_layer(tmps[i], b->layers[i].digest, err) < 0)
			goto done;
	}
	ret = 0;
done:
	ret = place_layers(b, dir, tmps, ret == 0, err);
	gth_oci_desc_release(&md);
	gth_oci_desc_release(&cd);
	cJSON_Delete(j);
	gth_buf_release(&body);
	gth_oci_src_close(src);
	return ret;
}

static int base_from_registry(struct base *b, const char *refstr, const char *dir,
			      const char *platform, const struct build_opts *o,
			      struct gth_error *err)
{
	struct gth_ref ref = GTH_REF_INIT;
	struct gth_registry *reg = NULL;
	struct gth_registry_opts ro = GTH_REGISTRY_OPTS_INIT;
	struct gth_buf body = GTH_BUF_INIT, cfgbuf = GTH_BUF_INIT;
	char *mt = NULL;
	char digest[GTH_DIGEST_STR_LEN];
	cJSON *j = NULL;
	struct gth_oci_desc cd = { 0 };
	char **tmps = NULL;
	size_t i;
	int ret = -1;

	ro.insecure_hosts = o->insecure_hosts;
	if (gth_ref_parse(&ref, refstr, err) < 0) {
		gth_error_prefix(err, "--base: ");
		goto done;
	}
	if (gth_registry_open(&reg, ref.domain, &ro, err) < 0)
		goto done;
	if (gth_registry_manifest_get(reg, ref.path, gth_ref_selector(&ref), &body, &mt, digest,
				      err) < 0)
		goto done;
	if (gth_json_parse(&j, body.ptr, body.len, "base manifest", err) < 0)
		goto done;
	if (gth_oci_is_index(mt)) {
		struct gth_oci_desc md;

		if (pick_platform(&md, j, platform, err) < 0)
			goto done;
		cJSON_Delete(j);
		j = NULL;
		free(mt);
		mt = NULL;
		if (gth_registry_manifest_get(reg, ref.path, md.digest, &body, &mt, digest, err) < 0) {
			gth_oci_desc_release(&md);
			goto done;
		}
		gth_oci_desc_release(&md);
		if (gth_json_parse(&j, body.ptr, body.len, "base manifest", err) < 0)
			goto done;
	}
	if (!gth_json_obj(j, "config") ||
	    gth_oci_desc_from_json(&cd, gth_json_obj(j, "config"), "base manifest", err) < 0) {
		if (!err || !err->exit)
			gth_error_set(err, GTH_EXIT_DATAERR, "the base manifest has no config");
		goto done;
	}
	if (gth_registry_blob_get(reg, ref.path, cd.digest, buf_sink_cb, &cfgbuf, err) < 0)
		goto done;
	if (gth_json_parse(&b->config, cfgbuf.ptr, cfgbuf.len, "base config", err) < 0)
		goto done;
	if (base_layers_from_manifest(b, j, err) < 0)
		goto done;
	tmps = calloc(b->nlayers + 1, sizeof(*tmps));
	if (!tmps) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (i = 0; i < b->nlayers; i++) {
		char *tmp = gth_strdupf("%s/blobs/sha256/.base.XXXXXX", dir);
		struct file_sink s = { -1, 0 };

		s.fd = tmp ? mkstemp(tmp) : -1;
		if (s.fd < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot create a file in '%s'", dir);
			free(tmp);
			goto done;
		}
		tmps[i] = tmp;
		if (gth_registry_blob_get(reg, ref.path, b->layers[i].digest, file_sink_cb, &s,
					  err) < 0) {
			close(s.fd);
			goto done;
		}
		close(s.fd);
		chmod(tmp, 0644);
		if (check_layer(tmp, b->layers[i].digest, err) < 0)
			goto done;
	}
	if (place_layers(b, dir, tmps, 1, err) < 0) {
		tmps = NULL;
		goto done;
	}
	tmps = NULL;
	b->name = gth_strdupf("%s/%s", ref.domain, ref.path);
	b->digest = strdup(digest);
	b->domain = strdup(ref.domain);
	b->repo = strdup(ref.path);
	ret = 0;
done:
	if (tmps)
		place_layers(b, dir, tmps, 0, NULL);
	gth_oci_desc_release(&cd);
	cJSON_Delete(j);
	free(mt);
	gth_buf_release(&body);
	gth_buf_release(&cfgbuf);
	gth_registry_close(reg);
	gth_ref_release(&ref);
	return ret;
}

static cJSON *obj_member(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (!cJSON_IsObject(o)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		o = cJSON_AddObjectToObject(parent, key);
	}
	return o;
}

static void set_str(cJSON *obj, const char *key, const char *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	cJSON_AddStringToObject(obj, key, v);
}

static int kv_split(const char *kv, const char *what, char **k, const char **v,
		    struct gth_error *err)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return gth_error_set(err, GTH_EXIT_USAGE, "%s '%s': expected K=V", what, kv);
	*k = strndup(kv, (size_t)(eq - kv));
	*v = eq + 1;
	return *k ? 0 : gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

struct facts {
	char created[32];
	char *revision, *source, *version;
};

static void facts_release(struct facts *f)
{
	free(f->revision);
	free(f->source);
	free(f->version);
}

static int facts_load(struct facts *f, int64_t epoch, struct gth_error *err)
{
	struct git_facts g;

	memset(f, 0, sizeof(*f));
	gth_format_time((time_t)epoch, f->created, sizeof(f->created));
	if (git_facts_load(&g, err) < 0)
		return -1;
	if (g.sha)
		f->revision = strdup(g.sha);
	if (g.source)
		f->source = strdup(g.source);
	if (g.ref && gth_starts_with(g.ref, "refs/tags/")) {
		long a, b, c;
		const char *pre, *ver;

		f->version = tags_semver(g.ref + 10, &a, &b, &c, &pre, &ver) ? strdup(ver)
									       : strdup(g.ref + 10);
	}
	git_facts_release(&g);
	return 0;
}

static int edit_config(cJSON *cfg, const struct build_opts *o, const struct facts *f,
		       const char *platform, struct gth_error *err)
{
	cJSON *c = obj_member(cfg, "config");
	size_t i;
	char os[64], arch[64], variant[64];

	if (platform) {
		if (split_platform(platform, os, arch, variant, sizeof(os)) < 0)
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
		set_str(cfg, "os", os);
		set_str(cfg, "architecture", arch);
		cJSON_DeleteItemFromObjectCaseSensitive(cfg, "variant");
		if (*variant)
			cJSON_AddStringToObject(cfg, "variant", variant);
	}
	if (!gth_json_str(cfg, "os"))
		set_str(cfg, "os", "linux");
	if (!gth_json_str(cfg, "architecture"))
		set_str(cfg, "architecture", "amd64");
	set_str(cfg, "created", f->created);
	if (o->entrypoint) {
		char **v = split_args(o->entrypoint, err);

		if (!v)
			return gth_error_prefix(err, "--entrypoint: ");
		cJSON_DeleteItemFromObjectCaseSensitive(c, "Entrypoint");
		cJSON_AddItemToObject(c, "Entrypoint", args_json(v));
		free_args(v);
		if (!o->cmd)
			cJSON_DeleteItemFromObjectCaseSensitive(c, "Cmd");
	}
	if (o->cmd) {
		char **v = split_args(o->cmd, err);

		if (!v)
			return gth_error_prefix(err, "--cmd: ");
		cJSON_DeleteItemFromObjectCaseSensitive(c, "Cmd");
		cJSON_AddItemToObject(c, "Cmd", args_json(v));
		free_args(v);
	}
	if (o->env.n) {
		cJSON *env = cJSON_GetObjectItemCaseSensitive(c, "Env");

		if (!cJSON_IsArray(env)) {
			cJSON_DeleteItemFromObjectCaseSensitive(c, "Env");
			env = cJSON_AddArrayToObject(c, "Env");
		}
		for (i = 0; i < o->env.n; i++) {
			char *k = NULL;
			const char *v = NULL;
			cJSON *it, *next;
			size_t kl;

			if (kv_split(o->env.v[i], "--env", &k, &v, err) < 0)
				return -1;
			kl = strlen(k);
			for (it = env->child; it; it = next) {
				next = it->next;
				if (cJSON_IsString(it) && !strncmp(it->valuestring, k, kl) &&
				    it->valuestring[kl] == '=')
					cJSON_Delete(cJSON_DetachItemViaPointer(env, it));
			}
			cJSON_AddItemToArray(env, cJSON_CreateString(o->env.v[i]));
			free(k);
		}
	}
	if (o->workdir)
		set_str(c, "WorkingDir", o->workdir);
	if (o->user)
		set_str(c, "User", o->user);
	if (o->expose.n) {
		cJSON *ports = obj_member(c, "ExposedPorts");

		for (i = 0; i < o->expose.n; i++) {
			const char *p = o->expose.v[i];
			long num;
			char portnum[16];
			size_t n = strcspn(p, "/");
			char *key;

			snprintf(portnum, sizeof(portnum), "%.*s", (int)(n < 15 ? n : 15), p);
			if (gth_parse_long(portnum, 1, 65535, &num) < 0 ||
			    (p[n] && strcmp(p + n, "/tcp") && strcmp(p + n, "/udp") &&
			     strcmp(p + n, "/sctp")))
				return gth_error_set(err, GTH_EXIT_USAGE,
						     "--expose '%s': expected PORT[/tcp|udp|sctp]", p);
			key = gth_strdupf("%ld%s", num, p[n] ? p + n : "/tcp");
			cJSON_DeleteItemFromObjectCaseSensitive(ports, key);
			cJSON_AddObjectToObject(ports, key);
			free(key);
		}
	}
	{
		cJSON *labels = obj_member(c, "Labels");

		if (f->revision)
			set_str(labels, "org.opencontainers.image.revision", f->revision);
		if (f->source)
			set_str(labels, "org.opencontainers.image.source", f->source);
		if (f->version)
			set_str(labels, "org.opencontainers.image.version", f->version);
		set_str(labels, "org.opencontainers.image.created", f->created);
		for (i = 0; i < o->labels.n; i++) {
			char *k = NULL;
			const char *v = NULL;

			if (kv_split(o->labels.v[i], "--label", &k, &v, err) < 0)
				return -1;
			set_str(labels, k, v);
			free(k);
		}
	}
	return 0;
}

static int parse_output(const char *spec, char **dir, char **tag, struct gth_error *err)
{
	const char *p = spec;
	const char *colon;

	*dir = *tag = NULL;
	if (gth_starts_with(p, "oci:"))
		p += 4;
	else
		return gth_error_set(err, GTH_EXIT_USAGE, "-o '%s': expected oci:DIR[:TAG]", spec);
	colon = strrchr(p, ':');
	if (colon && !strchr(colon, '/')) {
		*dir = strndup(p, (size_t)(colon - p));
		*tag = strdup(colon + 1);
	} else {
		*dir = strdup(p);
		*tag = strdup("latest");
	}
	if (!*dir || !*tag || !**dir)
		return gth_error_set(err, GTH_EXIT_USAGE, "-o '%s': expected oci:DIR[:TAG]", spec);
	return gth_ref_check_tag(*tag, err) < 0 ? gth_error_prefix(err, "-o: ") : 0;
}

int assemble_run(cJSON **image_out, const struct build_opts *o, struct gth_error *err)
{
	struct base b = { 0 };
	struct facts f = { 0 };
	char *dir = NULL, *tag = NULL, *tmpdir = NULL, *text = NULL, *spec = NULL;
	cJSON *cfg = NULL, *man = NULL, *layers, *diff_ids, *history, *ann;
	char cdigest[GTH_DIGEST_STR_LEN], mdigest[GTH_DIGEST_STR_LEN];
	struct gth_oci_desc desc = { 0 };
	struct gth_oci_src *src = NULL;
	struct push_result res;
	cJSON *img = NULL, *layers_out = NULL;
	int64_t epoch;
	size_t i;
	int ret = -1, created = 0;

	memset(&res, 0, sizeof(res));
	*image_out = NULL;
	if (!o->base)
		return gth_error_set(err, GTH_EXIT_USAGE, "assemble needs --base REF or --base scratch");
	if (!o->output && !o->push_refs.n)
		return gth_error_set(err, GTH_EXIT_USAGE, "assemble needs -o oci:DIR or --push REF");
	epoch = source_date_epoch(err);
	if (epoch < 0)
		return -1;
	if (o->output) {
		if (parse_output(o->output, &dir, &tag, err) < 0)
			goto done;
	} else {
		const char *t = getenv("TMPDIR");

		tmpdir = gth_strdupf("%s/gth-build.XXXXXX", t && *t ? t : "/tmp");
		if (!tmpdir || !mkdtemp(tmpdir)) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot create a temporary folder");
			goto done;
		}
		dir = strdup(tmpdir);
		tag = strdup("latest");
	}
	/* a layout this run creates is removed again when it fails before the tag is
	 * written: no partial output */
	created = o->output && !gth_file_exists(dir);
	if (gth_oci_layout_create(dir, err) < 0)
		goto done;
	if (facts_load(&f, epoch, err) < 0)
		goto done;
	/* the base */
	if (!strcmp(o->base, "scratch")) {
		b.config = cJSON_Parse("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
				       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}");
	} else if (gth_starts_with(o->base, "oci:") || gth_starts_with(o->base, "docker-archive:") ||
		   gth_starts_with(o->base, "oci-archive:")) {
		if (base_from_src(&b, o->base, dir, o->platform, err) < 0)
			goto done;
	} else if (base_from_registry(&b, o->base, dir, o->platform, o, err) < 0) {
		goto done;
	}
	cfg = b.config;
	if (!cJSON_IsObject(cfg)) {
		gth_error_set(err, GTH_EXIT_DATAERR, "the base config is not a JSON object");
		goto done;
	}
	if (edit_config(cfg, o, &f, o->platform, err) < 0)
		goto done;
	{
		cJSON *rootfs = obj_member(cfg, "rootfs");

		set_str(rootfs, "type", "layers");
		diff_ids = cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids");
		if (!cJSON_IsArray(diff_ids)) {
			cJSON_DeleteItemFromObjectCaseSensitive(rootfs, "diff_ids");
			diff_ids = cJSON_AddArrayToObject(rootfs, "diff_ids");
		}
		if ((size_t)cJSON_GetArraySize(diff_ids) != b.nlayers) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "the base config lists %d layers, its manifest %zu",
				      cJSON_GetArraySize(diff_ids), b.nlayers);
			goto done;
		}
		history = cJSON_GetObjectItemCaseSensitive(cfg, "history");
		if (!cJSON_IsArray(history)) {
			cJSON_DeleteItemFromObjectCaseSensitive(cfg, "history");
			history = cJSON_AddArrayToObject(cfg, "history");
		}
	}
	man = cJSON_CreateObject();
	cJSON_AddNumberToObject(man, "schemaVersion", 2);
	cJSON_AddStringToObject(man, "mediaType", GTH_MT_OCI_MANIFEST);
	cJSON_AddObjectToObject(man, "config");
	layers = cJSON_AddArrayToObject(man, "layers");
	layers_out = cJSON_CreateArray();
	for (i = 0; i < b.nlayers; i++) {
		cJSON *d = cJSON_CreateObject(), *l = cJSON_CreateObject();

		cJSON_AddStringToObject(d, "mediaType", b.layers[i].media_type);
		cJSON_AddStringToObject(d, "digest", b.layers[i].digest);
		cJSON_AddNumberToObject(d, "size", (double)b.layers[i].size);
		cJSON_AddItemToArray(layers, d);
		cJSON_AddStringToObject(l, "digest", b.layers[i].digest);
		cJSON_AddNumberToObject(l, "size", (double)b.layers[i].size);
		cJSON_AddStringToObject(l, "action", "base");
		cJSON_AddItemToArray(layers_out, l);
	}
	for (i = 0; i < o->layers.n; i++) {
		char ld[GTH_DIGEST_STR_LEN], diff[GTH_DIGEST_STR_LEN];
		int64_t size;
		cJSON *d, *h, *l;
		char *by;

		if (layer_build(o->layers.v[i], dir, epoch, ld, diff, &size, err) < 0)
			goto done;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "mediaType", GTH_MT_OCI_LAYER_GZIP);
		cJSON_AddStringToObject(d, "digest", ld);
		cJSON_AddNumberToObject(d, "size", (double)size);
		cJSON_AddItemToArray(layers, d);
		cJSON_AddItemToArray(diff_ids, cJSON_CreateString(diff));
		h = cJSON_CreateObject();
		cJSON_AddStringToObject(h, "created", f.created);
		by = gth_strdupf("gth-build assemble --layer %s", o->layers.v[i]);
		cJSON_AddStringToObject(h, "created_by", by ? by : "gth-build assemble");
		free(by);
		cJSON_AddItemToArray(history, h);
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "digest", ld);
		cJSON_AddNumberToObject(l, "size", (double)size);
		cJSON_AddStringToObject(l, "action", "built");
		cJSON_AddItemToArray(layers_out, l);
		gth_verbose("layer %s: %s (%lld bytes)", o->layers.v[i], ld, (long long)size);
	}
	text = cJSON_PrintUnformatted(cfg);
	if (!text || gth_oci_layout_put(dir, text, strlen(text), cdigest, err) < 0)
		goto done;
	{
		cJSON *c = cJSON_GetObjectItemCaseSensitive(man, "config");

		cJSON_AddStringToObject(c, "mediaType", GTH_MT_OCI_CONFIG);
		cJSON_AddStringToObject(c, "digest", cdigest);
		cJSON_AddNumberToObject(c, "size", (double)strlen(text));
	}
	free(text);
	text = NULL;
	ann = cJSON_AddObjectToObject(man, "annotations");
	cJSON_AddStringToObject(ann, "org.opencontainers.image.created", f.created);
	if (f.revision)
		cJSON_AddStringToObject(ann, "org.opencontainers.image.revision", f.revision);
	if (f.source)
		cJSON_AddStringToObject(ann, "org.opencontainers.image.source", f.source);
	if (f.version)
		cJSON_AddStringToObject(ann, "org.opencontainers.image.version", f.version);
	if (b.name) {
		cJSON_AddStringToObject(ann, "org.opencontainers.image.base.name", b.name);
		cJSON_AddStringToObject(ann, "org.opencontainers.image.base.digest", b.digest);
	}
	for (i = 0; i < o->annotations.n; i++) {
		char *k = NULL;
		const char *v = NULL;

		if (kv_split(o->annotations.v[i], "--annotation", &k, &v, err) < 0)
			goto done;
		set_str(ann, k, v);
		free(k);
	}
	text = cJSON_PrintUnformatted(man);
	if (!text || gth_oci_layout_put(dir, text, strlen(text), mdigest, err) < 0)
		goto done;
	desc.media_type = strdup(GTH_MT_OCI_MANIFEST);
	desc.digest = strdup(mdigest);
	desc.size = (int64_t)strlen(text);
	if (gth_oci_layout_tag(dir, &desc, tag, err) < 0)
		goto done;
	created = 0;
	if (o->output)
		gth_note("wrote %s to %s", mdigest, o->output);
	/* push */
	if (o->push_refs.n) {
		struct push_blob *hints = calloc(b.nlayers + 1, sizeof(*hints));

		if (!hints) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		for (i = 0; i < b.nlayers && b.repo; i++) {
			hints[i].digest = b.layers[i].digest;
			hints[i].mount_domain = b.domain;
			hints[i].mount_repo = b.repo;
		}
		spec = gth_strdupf("oci:%s:%s", dir, tag);
		if (gth_oci_src_open(&src, spec, err) < 0 ||
		    push_image(&res, src, o->push_refs.v, o->push_refs.n, hints,
			       b.repo ? b.nlayers : 0, o, err) < 0) {
			free(hints);
			goto done;
		}
		free(hints);
	}
	{
		char plat[200];
		const char *os = gth_json_str(cfg, "os"), *arch = gth_json_str(cfg, "architecture");
		const char *var = gth_json_str(cfg, "variant");
		cJSON *a;
		struct gth_ref r = GTH_REF_INIT;
		struct gth_buf name = GTH_BUF_INIT;

		snprintf(plat, sizeof(plat), "%s/%s%s%s", os ? os : "linux", arch ? arch : "amd64",
			 var ? "/" : "", var ? var : "");
		img = cJSON_CreateObject();
		if (o->push_refs.n && gth_ref_parse(&r, o->push_refs.v[0], NULL) == 0)
			gth_ref_format_name(&name, &r);
		cJSON_AddStringToObject(img, "name", gth_buf_cstr(&name));
		cJSON_AddStringToObject(img, "digest", mdigest);
		cJSON_AddStringToObject(img, "media_type", GTH_MT_OCI_MANIFEST);
		cJSON_AddStringToObject(img, "config_digest", cdigest);
		a = cJSON_AddArrayToObject(img, "tags");
		if (o->push_refs.n) {
			for (i = 0; i < o->push_refs.n; i++) {
				struct gth_ref pr = GTH_REF_INIT;

				if (gth_ref_parse(&pr, o->push_refs.v[i], NULL) == 0)
					cJSON_AddItemToArray(a, cJSON_CreateString(pr.tag ? pr.tag
											   : "latest"));
				gth_ref_release(&pr);
			}
		} else {
			cJSON_AddItemToArray(a, cJSON_CreateString(tag));
		}
		a = cJSON_AddArrayToObject(img, "refs");
		for (i = 0; i < res.nrefs; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(res.refs[i]));
		a = cJSON_AddArrayToObject(img, "platforms");
		cJSON_AddItemToArray(a, cJSON_CreateString(plat));
		/* actions: push's for pushed images, "base"/"built" for a layout only */
		if (res.nblobs) {
			cJSON *l;

			cJSON_ArrayForEach(l, layers_out) {
				size_t k;

				for (k = 0; k < res.nblobs; k++)
					if (!strcmp(res.blobs[k].digest, gth_json_str(l, "digest")))
						set_str(l, "action",
							res.blobs[k].action == ACTION_EXISTS ? "exists"
							: res.blobs[k].action == ACTION_MOUNTED
								? "mounted"
								: "uploaded");
			}
		}
		cJSON_AddItemToObject(img, "layers", layers_out);
		layers_out = NULL;
		cJSON_AddNumberToObject(img, "bytes_uploaded", (double)res.bytes_uploaded);
		if (o->output)
			cJSON_AddStringToObject(img, "oci", o->output);
		else
			cJSON_AddNullToObject(img, "oci");
		gth_ref_release(&r);
		gth_buf_release(&name);
	}
	if (o->digest_file && write_digest_file(o->digest_file, mdigest, err) < 0)
		goto done;
	if (!o->output && !gth_log_quiet())
		gth_note("built %s", mdigest);
	*image_out = img;
	img = NULL;
	ret = 0;
done:
	cJSON_Delete(img);
	cJSON_Delete(layers_out);
	push_result_release(&res);
	gth_oci_src_close(src);
	gth_oci_desc_release(&desc);
	cJSON_Delete(man);
	facts_release(&f);
	base_release(&b);
	free(text);
	free(spec);
	if (tmpdir) {
		gth_remove_tree(tmpdir, NULL);
		free(tmpdir);
	}
	if (ret < 0 && created && dir)
		gth_remove_tree(dir, NULL);
	free(dir);
	free(tag);
	return ret;
}
