/* gth-build push: an image from an OCI layout or docker archive to registries,
 * blobs in parallel (one registry client per thread), children before indexes. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/ref.h"
#include "gth/registry.h"
#include "gth/util.h"

struct manifest_item {
	char *digest;
	char *media_type;
	struct gth_buf body;
};

struct graph {
	struct manifest_item *items; /* children first, the root last */
	size_t nitems;
	struct push_blob *blobs;
	size_t nblobs;
	char **platforms;
	size_t nplatforms;
};

static void graph_release(struct graph *g)
{
	size_t i;

	for (i = 0; i < g->nitems; i++) {
		free(g->items[i].digest);
		free(g->items[i].media_type);
		gth_buf_release(&g->items[i].body);
	}
	free(g->items);
	for (i = 0; i < g->nblobs; i++) {
		free(g->blobs[i].digest);
		free(g->blobs[i].mount_domain);
		free(g->blobs[i].mount_repo);
	}
	free(g->blobs);
	for (i = 0; i < g->nplatforms; i++)
		free(g->platforms[i]);
	free(g->platforms);
	memset(g, 0, sizeof(*g));
}

static int add_blob(struct graph *g, const struct gth_oci_desc *d, int is_layer,
		    struct gth_oci_src *src, struct gth_error *err)
{
	struct gth_oci_blob b;
	struct push_blob *n;
	size_t i;

	for (i = 0; i < g->nblobs; i++)
		if (!strcmp(g->blobs[i].digest, d->digest))
			return 0;
	if (gth_oci_src_blob(&b, src, d->digest, err) < 0)
		return -1;
	if (b.size != d->size)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "%s: blob %s has %lld bytes, its descriptor says %lld",
				     gth_oci_src_name(src), d->digest, (long long)b.size,
				     (long long)d->size);
	n = realloc(g->blobs, (g->nblobs + 1) * sizeof(*n));
	if (!n)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	g->blobs = n;
	memset(&n[g->nblobs], 0, sizeof(*n));
	n[g->nblobs].digest = strdup(d->digest);
	n[g->nblobs].size = d->size;
	n[g->nblobs].is_layer = is_layer;
	g->nblobs++;
	return 0;
}

static int add_item(struct graph *g, const struct gth_oci_desc *d, struct gth_oci_src *src,
		    struct gth_error *err)
{
	struct manifest_item *n = realloc(g->items, (g->nitems + 1) * sizeof(*n));

	if (!n)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	g->items = n;
	memset(&n[g->nitems], 0, sizeof(*n));
	n[g->nitems].digest = strdup(d->digest);
	n[g->nitems].media_type = strdup(d->media_type);
	g->nitems++;
	return gth_oci_src_read(&n[g->nitems - 1].body, src, d->digest, d->size, 4u << 20, err);
}

static int collect_manifest(struct graph *g, const struct gth_oci_desc *d, struct gth_oci_src *src,
			    struct gth_error *err)
{
	cJSON *j = NULL;
	const cJSON *cfg, *layers, *l;
	struct gth_oci_desc cd = { 0 };
	int ret = -1;
	char where[200];
	struct manifest_item *it;

	if (add_item(g, d, src, err) < 0)
		return -1;
	it = &g->items[g->nitems - 1];
	snprintf(where, sizeof(where), "manifest %.80s", d->digest);
	if (gth_json_parse(&j, it->body.ptr, it->body.len, where, err) < 0)
		goto done;
	cfg = gth_json_obj(j, "config");
	layers = gth_json_arr(j, "layers");
	if (!cfg || !layers) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: not an image manifest (no config or layers)",
			      where);
		goto done;
	}
	if (gth_oci_desc_from_json(&cd, cfg, where, err) < 0 || add_blob(g, &cd, 0, src, err) < 0)
		goto done;
	gth_oci_desc_release(&cd);
	cJSON_ArrayForEach(l, layers) {
		if (gth_oci_desc_from_json(&cd, l, where, err) < 0 || add_blob(g, &cd, 1, src, err) < 0)
			goto done;
		gth_oci_desc_release(&cd);
	}
	ret = 0;
done:
	gth_oci_desc_release(&cd);
	cJSON_Delete(j);
	return ret;
}

static int collect(struct graph *g, struct gth_oci_src *src, struct gth_error *err)
{
	const struct gth_oci_desc *root = gth_oci_src_root(src);
	struct gth_buf body = GTH_BUF_INIT;
	cJSON *j = NULL;
	const cJSON *mans, *m;
	int ret = -1;

	if (!gth_oci_is_index(root->media_type))
		return collect_manifest(g, root, src, err);
	if (gth_oci_src_read(&body, src, root->digest, root->size, 4u << 20, err) < 0)
		goto done;
	if (gth_json_parse(&j, body.ptr, body.len, "image index", err) < 0)
		goto done;
	mans = gth_json_arr(j, "manifests");
	if (!mans) {
		gth_error_set(err, GTH_EXIT_DATAERR, "image index %s has no manifests", root->digest);
		goto done;
	}
	cJSON_ArrayForEach(m, mans) {
		struct gth_oci_desc d;

		if (gth_oci_desc_from_json(&d, m, "image index", err) < 0)
			goto done;
		if (gth_oci_is_index(d.media_type)) {
			gth_oci_desc_release(&d);
			gth_error_set(err, GTH_EXIT_DATAERR, "nested image indexes are not supported");
			goto done;
		}
		if (collect_manifest(g, &d, src, err) < 0) {
			gth_oci_desc_release(&d);
			goto done;
		}
		if (d.platform) {
			char **np = realloc(g->platforms, (g->nplatforms + 1) * sizeof(*np));

			if (np) {
				g->platforms = np;
				g->platforms[g->nplatforms++] = d.platform;
				d.platform = NULL;
			}
		}
		gth_oci_desc_release(&d);
	}
	/* the root goes last: children are pushed first */
	{
		struct manifest_item *n = realloc(g->items, (g->nitems + 1) * sizeof(*n));

		if (!n) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		g->items = n;
		memset(&n[g->nitems], 0, sizeof(*n));
		n[g->nitems].digest = strdup(root->digest);
		n[g->nitems].media_type = strdup(root->media_type);
		n[g->nitems].body = body;
		memset(&body, 0, sizeof(body));
		g->nitems++;
	}
	ret = 0;
done:
	cJSON_Delete(j);
	gth_buf_release(&body);
	return ret;
}

/* ---- the blob workers ---- */

struct work {
	pthread_mutex_t lock;
	struct graph *g;
	struct gth_oci_src *src;
	const struct gth_ref *dest;
	const struct build_opts *o;
	struct gth_registry *primary;
	size_t next;
	int failed;
	struct gth_error err;
	atomic_llong sent;        /* bytes of finished uploads */
	atomic_llong inflight[64];
	atomic_int done_threads;
};

struct reader_ctx {
	struct gth_oci_blob b;
	const char *name;
};

static int64_t blob_reader(void *ctx, char *buf, size_t n, int64_t pos, struct gth_error *err)
{
	struct reader_ctx *r = ctx;
	ssize_t got = gth_oci_blob_pread(&r->b, buf, n, pos);

	if (got < 0)
		return gth_error_set(err, GTH_EXIT_NOINPUT, "%s: read error: %s", r->name,
				     strerror(errno));
	return got;
}

struct progress_ctx {
	struct work *w;
	int slot;
};

static void on_progress(void *ctx, int64_t sent)
{
	struct progress_ctx *p = ctx;

	atomic_store(&p->w->inflight[p->slot], sent);
}

static int push_one_blob(struct gth_registry *reg, struct work *w, struct push_blob *b, int slot,
			 struct gth_error *err)
{
	const char *repo = w->dest->path;
	int r;
	struct reader_ctx rc;
	struct progress_ctx pc = { w, slot };

	r = gth_registry_blob_exists(reg, repo, b->digest, NULL, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		b->action = ACTION_EXISTS;
		gth_verbose("%s: exists", b->digest);
		return 0;
	}
	if (b->mount_repo && !w->o->no_mount && !strcmp(b->mount_domain, w->dest->domain) &&
	    strcmp(b->mount_repo, repo)) {
		r = gth_registry_blob_mount(reg, repo, b->digest, b->mount_repo, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			b->action = ACTION_MOUNTED;
			gth_verbose("%s: mounted from %s", b->digest, b->mount_repo);
			return 0;
		}
		gth_verbose("%s: mount from %s declined; uploading", b->digest, b->mount_repo);
	}
	memset(&rc, 0, sizeof(rc));
	rc.name = gth_oci_src_name(w->src);
	if (gth_oci_src_blob(&rc.b, w->src, b->digest, err) < 0)
		return -1;
	if (gth_registry_blob_upload(reg, repo, b->digest, b->size, blob_reader, &rc, on_progress,
				     &pc, err) < 0)
		return -1;
	atomic_store(&w->inflight[slot], 0);
	atomic_fetch_add(&w->sent, b->size);
	b->action = ACTION_UPLOADED;
	gth_verbose("%s: uploaded (%lld bytes)", b->digest, (long long)b->size);
	return 0;
}

struct worker_arg {
	struct work *w;
	int slot;
};

static void *worker(void *arg)
{
	struct worker_arg *a = arg;
	struct work *w = a->w;
	struct gth_registry *reg = NULL;
	struct gth_error err = GTH_ERROR_INIT;

	if (gth_registry_dup(&reg, w->primary, &err) < 0)
		goto fail;
	for (;;) {
		size_t i;

		pthread_mutex_lock(&w->lock);
		if (w->failed || w->next >= w->g->nblobs) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		if (push_one_blob(reg, w, &w->g->blobs[i], a->slot, &err) < 0)
			goto fail;
	}
	gth_registry_close(reg);
	atomic_fetch_add(&w->done_threads, 1);
	return NULL;
fail:
	pthread_mutex_lock(&w->lock);
	if (!w->failed) {
		w->failed = 1;
		w->err = err;
	}
	pthread_mutex_unlock(&w->lock);
	gth_registry_close(reg);
	atomic_fetch_add(&w->done_threads, 1);
	return NULL;
}

static void human_bytes(char *buf, size_t n, long long v)
{
	if (v >= 1024LL * 1024 * 1024)
		snprintf(buf, n, "%.1f GiB", (double)v / (1024.0 * 1024 * 1024));
	else if (v >= 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", (double)v / (1024.0 * 1024));
	else if (v >= 1024)
		snprintf(buf, n, "%.1f KiB", (double)v / 1024.0);
	else
		snprintf(buf, n, "%lld B", v);
}

static void draw_progress(struct work *w, int nthreads, long long total, const char *name)
{
	long long cur = atomic_load(&w->sent);
	char a[32], b[32], bar[31];
	int i, fill;

	for (i = 0; i < nthreads; i++)
		cur += atomic_load(&w->inflight[i]);
	if (cur > total)
		cur = total;
	fill = total ? (int)(cur * 30 / total) : 30;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[30] = '\0';
	human_bytes(a, sizeof(a), cur);
	human_bytes(b, sizeof(b), total);
	fprintf(stderr, "\r%s: pushing %s [%s] %s / %s ", gth_tool_name(), name, bar, a, b);
	fflush(stderr);
}

static int push_blobs(struct graph *g, struct gth_oci_src *src, const struct gth_ref *dest,
		      struct gth_registry *primary, const struct build_opts *o, int64_t *bytes,
		      struct gth_error *err)
{
	struct work w;
	pthread_t th[64];
	struct worker_arg args[64];
	int n = (int)(o->jobs > 0 ? o->jobs : 4), i, started = 0;
	int show = gth_log_interactive() && !gth_log_quiet();
	long long total = 0;
	size_t k;
	char name[300];

	if (n > 64)
		n = 64;
	if ((size_t)n > g->nblobs)
		n = g->nblobs ? (int)g->nblobs : 1;
	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.lock, NULL);
	w.g = g;
	w.src = src;
	w.dest = dest;
	w.o = o;
	w.primary = primary;
	for (k = 0; k < g->nblobs; k++)
		total += g->blobs[k].size;
	snprintf(name, sizeof(name), "%s/%s", dest->domain, dest->path);
	for (i = 0; i < n; i++) {
		args[i].w = &w;
		args[i].slot = i;
		if (pthread_create(&th[i], NULL, worker, &args[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		pthread_mutex_destroy(&w.lock);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot start threads");
	}
	while (atomic_load(&w.done_threads) < started) {
		if (show)
			draw_progress(&w, started, total, name);
		gth_sleep_ms(show ? 100 : 20);
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (show) {
		draw_progress(&w, started, total, name);
		fputc('\n', stderr);
	}
	*bytes += atomic_load(&w.sent);
	pthread_mutex_destroy(&w.lock);
	if (w.failed) {
		*err = w.err;
		return -1;
	}
	return 0;
}

void push_result_release(struct push_result *res)
{
	size_t i;

	if (!res)
		return;
	free(res->digest);
	free(res->media_type);
	for (i = 0; i < res->nblobs; i++) {
		free(res->blobs[i].digest);
		free(res->blobs[i].mount_domain);
		free(res->blobs[i].mount_repo);
	}
	free(res->blobs);
	for (i = 0; i < res->nplatforms; i++)
		free(res->platforms[i]);
	free(res->platforms);
	for (i = 0; i < res->nrefs; i++)
		free(res->refs[i]);
	free(res->refs);
	memset(res, 0, sizeof(*res));
}

static int parse_dest(struct gth_ref *ref, const char *dest, struct gth_error *err)
{
	if (gth_starts_with(dest, "docker://"))
		dest += 9;
	if (gth_ref_parse(ref, dest, err) < 0)
		return -1;
	if (!ref->tag && !ref->digest) {
		ref->tag = strdup("latest");
		if (!ref->tag)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	return 0;
}

int push_image(struct push_result *res, struct gth_oci_src *src, const char *const *dests,
	       size_t ndests, const struct push_blob *hints, size_t nhints,
	       const struct build_opts *o, struct gth_error *err)
{
	struct graph g = { 0 };
	struct gth_ref *refs = NULL;
	struct gth_registry *reg = NULL;
	struct gth_registry_opts ro = GTH_REGISTRY_OPTS_INIT;
	const struct gth_oci_desc *root = gth_oci_src_root(src);
	size_t d, i, k;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	ro.insecure_hosts = o->insecure_hosts;
	refs = calloc(ndests, sizeof(*refs));
	if (!refs)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	for (d = 0; d < ndests; d++)
		if (parse_dest(&refs[d], dests[d], err) < 0) {
			gth_error_prefix(err, "destination: ");
			goto done;
		}
	/* the whole image must be readable before anything is sent */
	if (collect(&g, src, err) < 0)
		goto done;
	for (i = 0; i < g.nblobs; i++)
		for (k = 0; k < nhints; k++)
			if (!strcmp(g.blobs[i].digest, hints[k].digest) && hints[k].mount_repo) {
				g.blobs[i].mount_domain = strdup(hints[k].mount_domain);
				g.blobs[i].mount_repo = strdup(hints[k].mount_repo);
			}
	res->refs = calloc(ndests, sizeof(char *));
	if (!res->refs) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	for (d = 0; d < ndests; d++) {
		const struct gth_ref *ref = &refs[d];
		char digest[GTH_DIGEST_STR_LEN];
		int up_to_date;

		if (ref->digest && strcmp(ref->digest, root->digest)) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "destination %s names digest %s but the image is %s", dests[d],
				      ref->digest, root->digest);
			goto done;
		}
		if (!reg || strcmp(ref->domain, refs[d - 1].domain)) {
			gth_registry_close(reg);
			reg = NULL;
			if (gth_registry_open(&reg, ref->domain, &ro, err) < 0)
				goto done;
		}
		/* the tag already names this image: its blobs are there, nothing to send
		 * (this request also authenticates, so workers start with a token) */
		{
			char have[GTH_DIGEST_STR_LEN];
			int r = gth_registry_manifest_head(reg, ref->path,
							   ref->tag ? ref->tag : ref->digest, have, err);

			if (r < 0)
				goto done;
			up_to_date = r == 1 && !strcmp(have, root->digest);
		}
		if (up_to_date) {
			for (i = 0; i < g.nblobs; i++)
				g.blobs[i].action = ACTION_EXISTS;
			gth_verbose("%s/%s:%s is %s already", ref->domain, ref->path,
				    ref->tag ? ref->tag : "", root->digest);
		} else if (push_blobs(&g, src, ref, reg, o, &res->bytes_uploaded, err) < 0) {
			goto done;
		}
		for (i = 0; !up_to_date && i < g.nitems; i++) {
			const struct manifest_item *it = &g.items[i];
			const char *where = i + 1 == g.nitems ? (ref->tag ? ref->tag : ref->digest)
							      : it->digest;

			if (gth_registry_manifest_put(reg, ref->path, where, it->media_type,
						      it->body.ptr, it->body.len, digest, err) < 0) {
				gth_error_prefix(err, "%s/%s: ", ref->domain, ref->path);
				goto done;
			}
			if (strcmp(digest, it->digest)) {
				gth_error_set(err, GTH_EXIT_DATAERR, "manifest %s hashes to %s",
					      it->digest, digest);
				goto done;
			}
		}
		res->refs[res->nrefs++] = ref->tag ? gth_strdupf("%s/%s:%s@%s", ref->domain, ref->path,
								 ref->tag, root->digest)
						   : gth_strdupf("%s/%s@%s", ref->domain, ref->path,
								 root->digest);
		gth_note("pushed %s", res->refs[res->nrefs - 1]);
		if (d == 0) {
			/* report the first destination's actions */
			res->blobs = calloc(g.nblobs ? g.nblobs : 1, sizeof(*res->blobs));
			for (i = 0; res->blobs && i < g.nblobs; i++) {
				res->blobs[i] = g.blobs[i];
				res->blobs[i].digest = strdup(g.blobs[i].digest);
				res->blobs[i].mount_domain = NULL;
				res->blobs[i].mount_repo = NULL;
			}
			res->nblobs = res->blobs ? g.nblobs : 0;
		}
		/* later destinations on the same registry may mount from this one */
		for (i = 0; i < g.nblobs; i++) {
			free(g.blobs[i].mount_domain);
			free(g.blobs[i].mount_repo);
			g.blobs[i].mount_domain = strdup(ref->domain);
			g.blobs[i].mount_repo = strdup(ref->path);
		}
	}
	res->digest = strdup(root->digest);
	res->media_type = strdup(root->media_type);
	res->platforms = g.platforms;
	res->nplatforms = g.nplatforms;
	g.platforms = NULL;
	g.nplatforms = 0;
	ret = 0;
done:
	gth_registry_close(reg);
	for (d = 0; d < ndests; d++)
		gth_ref_release(&refs[d]);
	free(refs);
	graph_release(&g);
	return ret;
}

static const char *action_name(enum layer_action a)
{
	return a == ACTION_EXISTS ? "exists" : a == ACTION_MOUNTED ? "mounted" : "uploaded";
}

cJSON *push_result_json(const struct push_result *res, const char *name, const char *const *tags,
			size_t ntags)
{
	cJSON *img = cJSON_CreateObject(), *a;
	size_t i;

	cJSON_AddStringToObject(img, "name", name ? name : "");
	if (res->digest)
		cJSON_AddStringToObject(img, "digest", res->digest);
	else
		cJSON_AddNullToObject(img, "digest");
	if (res->media_type)
		cJSON_AddStringToObject(img, "media_type", res->media_type);
	a = cJSON_AddArrayToObject(img, "tags");
	for (i = 0; i < ntags; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(tags[i]));
	a = cJSON_AddArrayToObject(img, "refs");
	for (i = 0; i < res->nrefs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(res->refs[i]));
	a = cJSON_AddArrayToObject(img, "platforms");
	for (i = 0; i < res->nplatforms; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(res->platforms[i]));
	a = cJSON_AddArrayToObject(img, "layers");
	for (i = 0; i < res->nblobs; i++) {
		cJSON *l;

		if (!res->blobs[i].is_layer)
			continue;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "digest", res->blobs[i].digest);
		cJSON_AddNumberToObject(l, "size", (double)res->blobs[i].size);
		cJSON_AddStringToObject(l, "action", action_name(res->blobs[i].action));
		cJSON_AddItemToArray(a, l);
	}
	cJSON_AddNumberToObject(img, "bytes_uploaded", (double)res->bytes_uploaded);
	return img;
}

int write_digest_file(const char *path, const char *digest, struct gth_error *err)
{
	char *text = gth_strdupf("%s\n", digest);
	int r;

	if (!text)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	r = gth_write_file_atomic(path, text, strlen(text), 0644, err);
	free(text);
	if (r < 0)
		gth_error_prefix(err, "--digest-file: ");
	return r;
}
