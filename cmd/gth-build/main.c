/* gth-build: images without a daemon, registry pushes, builder driving, tags.
 * Options, one call per verb, exit status. */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/ref.h"
#include "gth/gha.h"
#include "gth/util.h"

#define TOOL "gth-build"

static const char synopsis[] =
	"gth-build push SRC DEST... [-j N] [--insecure HOST]... [--digest-file FILE]\n"
	"gth-build assemble --base REF|scratch --layer SRC[:DEST]... [options] (-o oci:DIR | --push REF)\n"
	"gth-build image [--builder auto|docker|podman|buildah] [-f FILE] [--context DIR] [options]\n"
	"gth-build tags [--image NAME] [--tag-policy LIST]";

static const char commands[] =
	"commands:\n"
	"  push      upload an OCI layout or docker-save archive to registries\n"
	"  assemble  build a reproducible image from a base and files, no daemon\n"
	"  image     build with docker buildx, podman or buildah, with computed tags\n"
	"  tags      the tags this commit gets\n"
	"\n";

enum verb { VERB_PUSH, VERB_ASSEMBLE, VERB_IMAGE, VERB_TAGS };

struct verb_def {
	const char *name;
	enum verb verb;
	const char *synopsis;
};

static const struct verb_def verbs[] = {
	{ "push", VERB_PUSH,
	  "gth-build push SRC DEST... [-j N] [--insecure HOST]... [--digest-file FILE] [--no-mount]" },
	{ "assemble", VERB_ASSEMBLE,
	  "gth-build assemble --base REF|scratch --layer SRC[:DEST]... [--entrypoint ARGS]\n"
	  "[--cmd ARGS] [--env K=V]... [--workdir DIR] [--user U] [--expose PORT]...\n"
	  "[--label K=V]... [--annotation K=V]... [--platform OS/ARCH]\n"
	  "(-o oci:DIR[:TAG] | --push REF)..." },
	{ "image", VERB_IMAGE,
	  "gth-build image [--builder auto|docker|podman|buildah] [-f FILE] [--context DIR]\n"
	  "[--image NAME] [--tag TAG]... [--platform LIST] [--build-arg K=V]... [--label K=V]...\n"
	  "[--push] [--tag-policy LIST]" },
	{ "tags", VERB_TAGS, "gth-build tags [--image NAME] [--tag-policy LIST]" },
};

#define OPT_INSECURE(o) \
	{ GTH_OPT_LIST, 0, "insecure", &(o)->insecure, "HOST", \
	  "speak plain HTTP to registry HOST (host or host:port)", 0, 0 }
#define OPT_JOBS(o) \
	{ GTH_OPT_INT, 'j', "jobs", &(o)->jobs, "N", "parallel blob uploads (default 4)", 1, 64 }
#define OPT_DIGEST_FILE(o) \
	{ GTH_OPT_STR, 0, "digest-file", &(o)->digest_file, "FILE", \
	  "write the image digest to FILE", 0, 0 }
#define OPT_TAG_POLICY(o) \
	{ GTH_OPT_STR, 0, "tag-policy", &(o)->tag_policy, "LIST", \
	  "tag kinds: sha,branch,semver,latest (default all)", 0, 0 }

static void print_main_usage(FILE *out)
{
	struct gth_common_opts c = GTH_COMMON_OPTS_INIT;
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&c), GTH_OPTS_END };

	gth_opts_usage(out, synopsis, common);
	fputs("\n", out);
	fputs(commands, out);
	fputs("Run 'gth-build VERB --help' for a verb's options.\n", out);
}

static int load_config(struct build_opts *o, struct gth_config *cfg, struct gth_error *err)
{
	const struct gth_node *sec = NULL, *ins;
	static const char *const known[] = { "insecure", "jobs", "tag-policy", "image", NULL };
	size_t i;

	if (gth_config_load(cfg, o->common.config, err) < 0)
		return -1;
	if (gth_config_section(&sec, cfg, "build", err) < 0)
		return -1;
	if (!sec)
		return 0;
	if (gth_node_check_keys(sec, known, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->jobs && gth_node_get_long(sec, "jobs", 1, 64, &o->jobs, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->tag_policy &&
	    gth_node_get_str(sec, "tag-policy", &o->tag_policy, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->image && gth_node_get_str(sec, "image", &o->image, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	ins = gth_node_get(sec, "insecure");
	if (ins) {
		if (ins->kind != GTH_NODE_SEQ)
			return gth_node_error(err, GTH_EXIT_CONFIG, ins, "expected a list of hosts");
		for (i = 0; i < ins->n; i++) {
			const char *h = gth_node_str(ins->items[i]);

			if (!h)
				return gth_node_error(err, GTH_EXIT_CONFIG, ins->items[i],
						      "expected a host");
			gth_strlist_add(&o->insecure, h);
		}
	}
	return 0;
}

static int do_push(cJSON **image, struct build_opts *o, const struct gth_strlist *operands,
		   struct gth_error *err)
{
	struct gth_oci_src *src = NULL;
	struct push_result res;
	int ret = -1;

	memset(&res, 0, sizeof(res));
	if (operands->n < 2)
		return gth_error_set(err, GTH_EXIT_USAGE, "push takes SRC and at least one DEST");
	if (gth_oci_src_open(&src, operands->v[0], err) < 0)
		goto done;
	if (push_image(&res, src, operands->v + 1, operands->n - 1, NULL, 0, o, err) < 0)
		goto done;
	if (o->digest_file && write_digest_file(o->digest_file, res.digest, err) < 0)
		goto done;
	{
		const char *tags[64];
		char *owned[64];
		size_t nt = 0, i;
		struct gth_ref r = GTH_REF_INIT;
		struct gth_buf name = GTH_BUF_INIT;

		for (i = 1; i < operands->n && nt < 64; i++) {
			const char *d = operands->v[i];

			if (gth_starts_with(d, "docker://"))
				d += 9;
			if (gth_ref_parse(&r, d, NULL) < 0)
				continue;
			if (i == 1)
				gth_ref_format_name(&name, &r);
			if (r.tag || !r.digest) {
				owned[nt] = strdup(r.tag ? r.tag : "latest");
				tags[nt] = owned[nt];
				nt++;
			}
		}
		*image = push_result_json(&res, gth_buf_cstr(&name), tags, nt);
		for (i = 0; i < nt; i++)
			free(owned[i]);
		gth_ref_release(&r);
		gth_buf_release(&name);
	}
	ret = 0;
done:
	push_result_release(&res);
	gth_oci_src_close(src);
	return ret;
}

static int do_tags(cJSON **image, struct build_opts *o, const struct gth_strlist *operands,
		   struct gth_error *err)
{
	char **tags = NULL;
	cJSON *a, *r;
	size_t i;

	if (operands->n)
		return gth_error_set(err, GTH_EXIT_USAGE, "tags takes no operands");
	if (tags_compute(&tags, o->tag_policy, err) < 0)
		return -1;
	*image = cJSON_CreateObject();
	cJSON_AddStringToObject(*image, "name", o->image ? o->image : "");
	a = cJSON_AddArrayToObject(*image, "tags");
	r = cJSON_AddArrayToObject(*image, "refs");
	for (i = 0; tags[i]; i++) {
		cJSON_AddItemToArray(a, cJSON_CreateString(tags[i]));
		if (o->image) {
			char *ref = gth_strdupf("%s:%s", o->image, tags[i]);

			cJSON_AddItemToArray(r, cJSON_CreateString(ref));
			if (!o->common.json)
				printf("%s\n", ref);
			free(ref);
		} else if (!o->common.json) {
			printf("%s\n", tags[i]);
		}
	}
	tags_free(tags);
	return 0;
}

static void summarise(struct gth_event *ev, enum verb v, const cJSON *image, const char *app)
{
	const char *digest = image ? gth_json_str(image, "digest") : NULL;
	const cJSON *refs = image ? gth_json_arr(image, "refs") : NULL;
	const cJSON *first = refs ? cJSON_GetArrayItem(refs, 0) : NULL;

	if (v == VERB_TAGS) {
		const cJSON *tags = gth_json_arr(image, "tags");

		gth_event_set_summary(ev, "%d tags", tags ? cJSON_GetArraySize(tags) : 0);
	} else if (cJSON_IsString(first)) {
		gth_event_set_summary(ev, "pushed %s", first->valuestring);
	} else if (digest) {
		gth_event_set_summary(ev, "built %s", digest);
	}
	if (app) {
		gth_event_set_app(ev, app);
	} else if (image && gth_json_str(image, "name") && *gth_json_str(image, "name")) {
		const char *name = gth_json_str(image, "name");
		const char *slash = strrchr(name, '/');

		gth_event_set_app(ev, slash ? slash + 1 : name);
	}
}

static int run_verb(const struct verb_def *vd, int argc, char **argv)
{
	struct build_opts o;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	cJSON *image = NULL;
	const char **hosts = NULL;
	int rc = GTH_EXIT_SOFTWARE, event_begun = 0, http_init = 0, git_init = 0;

	memset(&o, 0, sizeof(o));
	{
		const struct gth_opt push_opts[] = {
			OPT_JOBS(&o), OPT_INSECURE(&o), OPT_DIGEST_FILE(&o),
			{ GTH_OPT_FLAG, 0, "no-mount", &o.no_mount, NULL,
			  "never try cross-repository mounts", 0, 0 },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt assemble_opts[] = {
			{ GTH_OPT_STR, 0, "base", &o.base, "REF",
			  "base image: a registry reference, oci:DIR[:TAG], or scratch", 0, 0 },
			{ GTH_OPT_LIST, 0, "layer", &o.layers, "SRC[:DEST]",
			  "a layer from a file or directory, placed at DEST (default /)", 0, 0 },
			{ GTH_OPT_STR, 0, "entrypoint", &o.entrypoint, "ARGS",
			  "entrypoint: words, or a JSON array", 0, 0 },
			{ GTH_OPT_STR, 0, "cmd", &o.cmd, "ARGS", "command: words, or a JSON array", 0, 0 },
			{ GTH_OPT_LIST, 0, "env", &o.env, "K=V", "set an environment variable", 0, 0 },
			{ GTH_OPT_STR, 0, "workdir", &o.workdir, "DIR", "working directory", 0, 0 },
			{ GTH_OPT_STR, 0, "user", &o.user, "U", "user (name, uid or uid:gid)", 0, 0 },
			{ GTH_OPT_LIST, 0, "expose", &o.expose, "PORT", "expose PORT[/tcp|udp]", 0, 0 },
			{ GTH_OPT_LIST, 0, "label", &o.labels, "K=V", "add a config label", 0, 0 },
			{ GTH_OPT_LIST, 0, "annotation", &o.annotations, "K=V",
			  "add a manifest annotation", 0, 0 },
			{ GTH_OPT_STR, 0, "platform", &o.platform, "OS/ARCH",
			  "platform (default the base's, or linux/amd64)", 0, 0 },
			{ GTH_OPT_STR, 'o', "output", &o.output, "oci:DIR[:TAG]",
			  "write an OCI image layout", 0, 0 },
			{ GTH_OPT_LIST, 0, "push", &o.push_refs, "REF", "push the image to REF", 0, 0 },
			OPT_JOBS(&o), OPT_INSECURE(&o), OPT_DIGEST_FILE(&o),
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt image_opts[] = {
			{ GTH_OPT_STR, 0, "builder", &o.builder, "NAME",
			  "auto, docker, podman or buildah (default auto)", 0, 0 },
			{ GTH_OPT_STR, 'f', "file", &o.file, "FILE", "the Dockerfile", 0, 0 },
			{ GTH_OPT_STR, 0, "context", &o.context, "DIR", "build context (default .)", 0, 0 },
			{ GTH_OPT_STR, 0, "image", &o.image, "NAME", "image name without tag", 0, 0 },
			{ GTH_OPT_LIST, 0, "tag", &o.tags, "TAG", "a tag (default: computed tags)", 0, 0 },
			{ GTH_OPT_STR, 0, "platform", &o.platform, "LIST",
			  "platforms, e.g. linux/amd64,linux/arm64", 0, 0 },
			{ GTH_OPT_LIST, 0, "build-arg", &o.build_args, "K=V", "a build argument", 0, 0 },
			{ GTH_OPT_LIST, 0, "label", &o.labels, "K=V", "an extra label", 0, 0 },
			{ GTH_OPT_FLAG, 0, "push", &o.push, NULL, "push the image", 0, 0 },
			OPT_TAG_POLICY(&o), OPT_INSECURE(&o), OPT_DIGEST_FILE(&o),
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt tags_opts[] = {
			{ GTH_OPT_STR, 0, "image", &o.image, "NAME", "print NAME:TAG references", 0, 0 },
			OPT_TAG_POLICY(&o), GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt *table = vd->verb == VERB_PUSH ? push_opts
					      : vd->verb == VERB_ASSEMBLE ? assemble_opts
					      : vd->verb == VERB_IMAGE ? image_opts
								      : tags_opts;

		if ((rc = gth_opts_verb(&operands, table, &o.common, TOOL, vd->synopsis, argc,
					argv)) >= 0)
			goto done;
	}
	/* The event (its git facts) only with --json: a push needs nothing from git,
	 * and starting libgit2 loads the CA bundle. One start serves the event, the
	 * config and tags. */
	if (o.common.json) {
		git_libgit2_init();
		git_init = 1;
		if (gth_event_begin(&ev, TOOL) < 0) {
			gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
			goto fail;
		}
		event_begun = 1;
	}
	if (load_config(&o, &cfg, &err) < 0)
		goto fail;
	{
		const char *env_insecure = getenv("GTH_INSECURE_REGISTRIES");
		size_t i;

		if (env_insecure && *env_insecure) {
			/* comma-separated; the pieces must outlive o.insecure */
			static char buf[4096];
			char *p = buf;

			gth_strlcpy(buf, env_insecure, sizeof(buf));
			while (p && *p) {
				char *comma = strchr(p, ',');

				if (comma)
					*comma = '\0';
				if (*p)
					gth_strlist_add(&o.insecure, p);
				p = comma ? comma + 1 : NULL;
			}
		}
		hosts = calloc(o.insecure.n + 1, sizeof(*hosts));
		if (!hosts) {
			gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
			goto fail;
		}
		for (i = 0; i < o.insecure.n; i++)
			hosts[i] = o.insecure.v[i];
		o.insecure_hosts = hosts;
	}
	if (gth_http_global_init(&err) < 0)
		goto fail;
	http_init = 1;
	switch (vd->verb) {
	case VERB_PUSH:
		if (do_push(&image, &o, &operands, &err) < 0)
			goto fail;
		break;
	case VERB_ASSEMBLE:
		if (operands.n) {
			gth_error_set(&err, GTH_EXIT_USAGE, "assemble takes no operands");
			goto fail;
		}
		if (assemble_run(&image, &o, &err) < 0)
			goto fail;
		break;
	case VERB_IMAGE:
		if (operands.n) {
			gth_error_set(&err, GTH_EXIT_USAGE, "image takes no operands");
			goto fail;
		}
		if (image_run(&image, &o, &err) < 0)
			goto fail;
		break;
	case VERB_TAGS:
		if (do_tags(&image, &o, &operands, &err) < 0)
			goto fail;
		break;
	}
	rc = 0;
	if (event_begun)
		summarise(&ev, vd->verb, image, gth_config_app(&cfg));
	if (image && gth_json_str(image, "digest") && vd->verb != VERB_TAGS) {
		struct gth_error gerr = GTH_ERROR_INIT;

		if (gth_gha_output("digest", gth_json_str(image, "digest"), &gerr) < 0)
			gth_warn("%s", gerr.msg);
	}
	goto finish;
fail:
	rc = gth_fail(&err);
	if (rc == GTH_EXIT_USAGE)
		fprintf(stderr, "usage: %s\n", vd->synopsis);
	if (event_begun)
		gth_event_set_summary(&ev, "%s", err.msg);
finish:
	if (event_begun && o.common.json) {
		if (image)
			cJSON_AddItemToObject(ev.data, "image", image);
		else
			cJSON_AddNullToObject(ev.data, "image");
		image = NULL;
	}
	rc = gth_event_end(&ev, event_begun && o.common.json, rc);
done:
	cJSON_Delete(image);
	free(hosts);
	if (http_init)
		gth_http_global_cleanup();
	if (git_init)
		git_libgit2_shutdown();
	gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&o.insecure);
	gth_strlist_release(&o.layers);
	gth_strlist_release(&o.env);
	gth_strlist_release(&o.expose);
	gth_strlist_release(&o.labels);
	gth_strlist_release(&o.annotations);
	gth_strlist_release(&o.push_refs);
	gth_strlist_release(&o.tags);
	gth_strlist_release(&o.build_args);
	gth_strlist_release(&operands);
	return rc;
}

int main(int argc, char **argv)
{
	size_t v = 0;
	int rc;

	gth_log_init(TOOL);
	rc = gth_opts_dispatch(&v, argc, argv, TOOL, verbs, GTH_ARRAY_SIZE(verbs),
			       sizeof(verbs[0]), print_main_usage);
	return rc >= 0 ? rc : run_verb(&verbs[v], argc - 1, argv + 1);
}
