/* gth-build image: drive docker buildx, podman or buildah with the computed tags
 * and OCI labels, and report the pushed digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/proc.h"
#include "gth/ref.h"
#include "gth/util.h"

struct argv_b {
	char **v;
	size_t n, cap;
};

static void av_add(struct argv_b *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 32;
		char **n = realloc(a->v, ncap * sizeof(*n));

		if (!n)
			return;
		a->v = n;
		a->cap = ncap;
	}
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
}

static void av_addf2(struct argv_b *a, const char *flag, const char *value)
{
	av_add(a, flag);
	av_add(a, value);
}

static void av_release(struct argv_b *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Is prog on PATH (an executable file)? */
static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *p;
	int found = 0;

	if (!path)
		return 0;
	copy = strdup(path);
	for (p = copy; p && !found;) {
		char *colon = strchr(p, ':');
		char *full;

		if (colon)
			*colon = '\0';
		full = gth_strdupf("%s/%s", *p ? p : ".", prog);
		if (full && access(full, X_OK) == 0)
			found = 1;
		free(full);
		p = colon ? colon + 1 : NULL;
	}
	free(copy);
	return found;
}

static int run_quiet(const char *const *argv)
{
	struct gth_proc_opts po = GTH_PROC_OPTS_INIT;
	struct gth_proc_result res = GTH_PROC_RESULT_INIT;
	int ok;

	po.argv = argv;
	po.out = GTH_PROC_DISCARD;
	po.err = GTH_PROC_DISCARD;
	po.timeout_ms = 30000;
	ok = gth_proc_run(&res, &po, NULL) == 0 && res.exited && res.status == 0;
	gth_proc_result_release(&res);
	return ok;
}

static const char *detect_builder(const char *want, struct gth_error *err)
{
	if (want && strcmp(want, "auto")) {
		if (strcmp(want, "docker") && strcmp(want, "podman") && strcmp(want, "buildah")) {
			gth_error_set(err, GTH_EXIT_USAGE,
				      "--builder '%s': expected auto, docker, podman or buildah", want);
			return NULL;
		}
		if (!on_path(want)) {
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "builder '%s' is not installed", want);
			return NULL;
		}
		return want;
	}
	if (on_path("docker")) {
		const char *const v[] = { "docker", "buildx", "version", NULL };

		if (run_quiet(v))
			return "docker";
	}
	if (on_path("podman"))
		return "podman";
	if (on_path("buildah"))
		return "buildah";
	gth_error_set(err, GTH_EXIT_UNAVAILABLE,
		      "no builder found: install docker with buildx, podman or buildah");
	return NULL;
}

/* Run a builder command; its output goes to stderr (stdout keeps the event). */
static int run_builder(const struct argv_b *a, struct gth_error *err)
{
	struct gth_proc_opts po = GTH_PROC_OPTS_INIT;
	struct gth_proc_result res = GTH_PROC_RESULT_INIT;
	struct gth_buf line = GTH_BUF_INIT;
	size_t i;
	int ret = -1;

	for (i = 0; i < a->n; i++)
		gth_buf_printf(&line, "%s%s", i ? " " : "", a->v[i]);
	gth_note("running %s", gth_buf_cstr(&line));
	po.argv = (const char *const *)a->v;
	po.out = GTH_PROC_CAPTURE;
	po.err = GTH_PROC_MERGE;
	po.max_output = 8u << 20;
	if (gth_proc_run(&res, &po, err) < 0) {
		gth_error_prefix(err, "%s: ", a->v[0]);
		goto done;
	}
	if (res.out.len && !gth_log_quiet())
		fwrite(res.out.ptr, 1, res.out.len, stderr);
	if (!res.exited || res.status != 0) {
		gth_error_set(err, GTH_EXIT_FAIL, "%s %s failed with status %d", a->v[0],
			      a->n > 1 ? a->v[1] : "", res.status);
		goto done;
	}
	ret = 0;
done:
	gth_buf_release(&line);
	gth_proc_result_release(&res);
	return ret;
}

static int host_insecure(const struct build_opts *o, const char *image)
{
	struct gth_ref r = GTH_REF_INIT;
	size_t i;
	int hit = 0;

	if (gth_ref_parse(&r, image, NULL) < 0)
		return 0;
	for (i = 0; o->insecure_hosts && o->insecure_hosts[i]; i++)
		if (!strcmp(o->insecure_hosts[i], r.domain))
			hit = 1;
	gth_ref_release(&r);
	return hit;
}

static char *read_digest(const char *path)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *d;

	if (gth_buf_read_file(&b, path, 1 << 20, NULL) < 0 || !b.ptr) {
		gth_buf_release(&b);
		return NULL;
	}
	if (b.ptr[0] == '{') {
		cJSON *j = NULL;
		const char *s;

		d = NULL;
		if (gth_json_parse(&j, b.ptr, b.len, path, NULL) == 0 &&
		    (s = gth_json_str(j, "containerimage.digest")))
			d = strdup(s);
		cJSON_Delete(j);
	} else {
		d = strndup(b.ptr, strcspn(b.ptr, " \r\n"));
	}
	gth_buf_release(&b);
	if (d && gth_ref_check_digest(d, NULL) < 0) {
		free(d);
		d = NULL;
	}
	return d;
}

int image_run(cJSON **image_out, const struct build_opts *o, struct gth_error *err)
{
	const char *builder;
	char **tags = NULL;
	struct argv_b a = { 0 };
	struct gth_buf labels = GTH_BUF_INIT;
	struct git_facts g = { 0 };
	char created[32], *tmpdir = NULL, *mfile = NULL, *digest = NULL;
	size_t i, ntags = 0;
	int ret = -1, multi;
	int64_t epoch;
	const char *t;
	cJSON *img, *arr;

	*image_out = NULL;
	if (!o->image)
		return gth_error_set(err, GTH_EXIT_USAGE, "image needs --image NAME");
	{
		struct gth_ref r = GTH_REF_INIT;

		if (gth_ref_parse(&r, o->image, err) < 0)
			return gth_error_prefix(err, "--image: ");
		if (r.tag || r.digest) {
			gth_ref_release(&r);
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "--image '%s': give the name without a tag; use --tag",
					     o->image);
		}
		gth_ref_release(&r);
	}
	if (!(builder = detect_builder(o->builder, err)))
		return -1;
	if (o->tags.n) {
		tags = calloc(o->tags.n + 1, sizeof(char *));
		for (i = 0; tags && i < o->tags.n; i++) {
			if (gth_ref_check_tag(o->tags.v[i], err) < 0) {
				tags_free(tags);
				return gth_error_prefix(err, "--tag: ");
			}
			tags[i] = strdup(o->tags.v[i]);
		}
	} else if (tags_compute(&tags, o->tag_policy, err) < 0) {
		return -1;
	}
	if (!tags)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	while (tags[ntags])
		ntags++;
	if (!ntags) {
		tags_free(tags);
		return gth_error_set(err, GTH_EXIT_USAGE,
				     "no tags: give --tag, or build from a git commit");
	}
	epoch = getenv("SOURCE_DATE_EPOCH") ? source_date_epoch(err) : (int64_t)time(NULL);
	if (epoch < 0)
		goto done;
	gth_format_time((time_t)epoch, created, sizeof(created));
	if (git_facts_load(&g, err) < 0)
		goto done;
	t = getenv("TMPDIR");
	tmpdir = gth_strdupf("%s/gth-build.XXXXXX", t && *t ? t : "/tmp");
	if (!tmpdir || !mkdtemp(tmpdir)) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot create a temporary folder");
		goto done;
	}
	mfile = gth_strdupf("%s/digest", tmpdir);
	multi = o->platform && strchr(o->platform, ',') != NULL;

	if (!strcmp(builder, "docker")) {
		av_add(&a, "docker");
		av_add(&a, "buildx");
		av_add(&a, "build");
	} else if (!strcmp(builder, "podman")) {
		av_add(&a, "podman");
		av_add(&a, "build");
	} else {
		av_add(&a, "buildah");
		av_add(&a, "build");
	}
	if (o->file)
		av_addf2(&a, "--file", o->file);
	if (o->platform)
		av_addf2(&a, "--platform", o->platform);
	for (i = 0; i < ntags; i++) {
		char *ref = gth_strdupf("%s:%s", o->image, tags[i]);

		if (multi && strcmp(builder, "docker") && i == 0)
			av_addf2(&a, "--manifest", ref);
		else
			av_addf2(&a, "--tag", ref);
		free(ref);
	}
	{
		const char *kv[8][2];
		size_t nkv = 0;

		kv[nkv][0] = "org.opencontainers.image.created";
		kv[nkv++][1] = created;
		if (g.sha) {
			kv[nkv][0] = "org.opencontainers.image.revision";
			kv[nkv++][1] = g.sha;
		}
		if (g.source) {
			kv[nkv][0] = "org.opencontainers.image.source";
			kv[nkv++][1] = g.source;
		}
		for (i = 0; i < nkv; i++) {
			gth_buf_clear(&labels);
			gth_buf_printf(&labels, "%s=%s", kv[i][0], kv[i][1]);
			av_addf2(&a, "--label", labels.ptr);
		}
	}
	for (i = 0; i < o->labels.n; i++)
		av_addf2(&a, "--label", o->labels.v[i]);
	for (i = 0; i < o->build_args.n; i++)
		av_addf2(&a, "--build-arg", o->build_args.v[i]);
	if (!strcmp(builder, "docker")) {
		if (o->push)
			av_add(&a, "--push");
		else if (!multi)
			av_add(&a, "--load");
		av_addf2(&a, "--metadata-file", mfile);
	}
	av_add(&a, o->context ? o->context : ".");
	if (run_builder(&a, err) < 0)
		goto done;
	if (o->push && strcmp(builder, "docker")) {
		/* podman and buildah push separately, each tag */
		for (i = 0; i < ntags; i++) {
			char *ref = gth_strdupf("%s:%s", o->image, tags[i]);

			av_release(&a);
			av_add(&a, builder);
			if (multi && i == 0) {
				char *dst = gth_strdupf("docker://%s", ref);

				av_add(&a, "manifest");
				av_add(&a, "push");
				av_add(&a, "--all");
				if (host_insecure(o, o->image))
					av_add(&a, "--tls-verify=false");
				av_addf2(&a, "--digestfile", mfile);
				av_add(&a, ref);
				av_add(&a, dst);
				free(dst);
			} else {
				av_add(&a, "push");
				if (host_insecure(o, o->image))
					av_add(&a, "--tls-verify=false");
				if (i == 0)
					av_addf2(&a, "--digestfile", mfile);
				av_add(&a, ref);
			}
			free(ref);
			if (run_builder(&a, err) < 0)
				goto done;
		}
	}
	if (o->push) {
		digest = read_digest(mfile);
		if (!digest) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "%s did not report the pushed digest",
				      builder);
			goto done;
		}
		if (o->digest_file && write_digest_file(o->digest_file, digest, err) < 0)
			goto done;
	}
	img = cJSON_CreateObject();
	cJSON_AddStringToObject(img, "name", o->image);
	if (digest)
		cJSON_AddStringToObject(img, "digest", digest);
	else
		cJSON_AddNullToObject(img, "digest");
	cJSON_AddStringToObject(img, "builder", builder);
	arr = cJSON_AddArrayToObject(img, "tags");
	for (i = 0; i < ntags; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(tags[i]));
	arr = cJSON_AddArrayToObject(img, "refs");
	for (i = 0; digest && i < ntags; i++) {
		char *r = gth_strdupf("%s:%s@%s", o->image, tags[i], digest);

		cJSON_AddItemToArray(arr, cJSON_CreateString(r));
		free(r);
	}
	arr = cJSON_AddArrayToObject(img, "platforms");
	if (o->platform) {
		const char *p = o->platform;

		while (*p) {
			size_t n = strcspn(p, ",");
			char *one = strndup(p, n);

			cJSON_AddItemToArray(arr, cJSON_CreateString(one));
			free(one);
			p += n;
			if (*p == ',')
				p++;
		}
	}
	cJSON_AddArrayToObject(img, "layers");
	*image_out = img;
	if (digest)
		gth_note("pushed %s:%s@%s", o->image, tags[0], digest);
	ret = 0;
done:
	free(digest);
	free(mfile);
	if (tmpdir) {
		gth_remove_tree(tmpdir, NULL);
		free(tmpdir);
	}
	git_facts_release(&g);
	gth_buf_release(&labels);
	av_release(&a);
	tags_free(tags);
	return ret;
}
