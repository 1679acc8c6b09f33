/* gth-build's modules: push, assemble, image, tags. */
#ifndef GTH_BUILD_H
#define GTH_BUILD_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "gth/error.h"
#include "gth/oci.h"
#include "gth/opts.h"

struct build_opts {
	struct gth_common_opts common;
	struct gth_strlist insecure;      /* --insecure HOST */
	long jobs;                        /* -j N */
	const char *digest_file;
	const char *tag_policy;
	/* assemble */
	const char *base;
	struct gth_strlist layers;
	const char *entrypoint;
	const char *cmd;
	struct gth_strlist env;
	const char *workdir;
	const char *user;
	struct gth_strlist expose;
	struct gth_strlist labels;
	struct gth_strlist annotations;
	const char *platform;
	const char *output;
	struct gth_strlist push_refs;
	/* image */
	const char *builder;
	const char *file;
	const char *context;
	const char *image;
	struct gth_strlist tags;
	struct gth_strlist build_args;
	int push;
	int no_mount;
	const char *const *insecure_hosts; /* NULL-terminated copy of insecure */
};

/* ---- push ---- */

enum layer_action { ACTION_UPLOADED, ACTION_EXISTS, ACTION_MOUNTED };

/* A blob to push, with an optional repository on the same registry to mount from. */
struct push_blob {
	char *digest;
	int64_t size;
	char *mount_domain;  /* domain of mount_repo, or NULL */
	char *mount_repo;
	int is_layer;        /* reported in the event's layers[] */
	enum layer_action action;
};

struct push_result {
	char *digest;            /* the root's digest */
	char *media_type;
	struct push_blob *blobs;
	size_t nblobs;
	char **platforms;
	size_t nplatforms;
	char **refs;             /* domain/path:tag@digest per destination */
	size_t nrefs;
	int64_t bytes_uploaded;
};

/* Push the image of src to every destination reference. Mount hints are given per
 * blob digest (hints may be NULL). Fills res (release with push_result_release). */
int push_image(struct push_result *res, struct gth_oci_src *src, const char *const *dests,
	       size_t ndests, const struct push_blob *hints, size_t nhints,
	       const struct build_opts *o, struct gth_error *err);
void push_result_release(struct push_result *res);
/* The event's "image" object for a push. */
cJSON *push_result_json(const struct push_result *res, const char *name, const char *const *tags,
			size_t ntags);
int write_digest_file(const char *path, const char *digest, struct gth_error *err);

/* ---- tags ---- */

/* Which tags the current commit gets under policy ("sha,branch,semver,latest" by
 * default), from the GitHub environment or the git repository of the current
 * directory. *out is a NULL-terminated malloc'd array of malloc'd strings. */
int tags_compute(char ***out, const char *policy, struct gth_error *err);
void tags_free(char **tags);
/* Sanitise a branch name into a tag (docker/metadata-action's rules). */
char *tags_sanitize(const char *branch);
/* 1 and the parts when s is semver (an optional leading 'v'); prerelease is "" or
 * the part after '-'. */
int tags_semver(const char *s, long *major, long *minor, long *patch, const char **prerelease,
		const char **version);

/* ---- git and GitHub facts ---- */

struct git_facts {
	char *sha;          /* full commit id */
	char *ref;          /* refs/heads/main, refs/tags/v1.2.3, refs/pull/7/merge */
	char *source;       /* https://github.com/acme/api */
	char *default_branch;
	char **head_tags;   /* tags pointing at HEAD (git only), NULL-terminated */
};

int git_facts_load(struct git_facts *f, struct gth_error *err);
void git_facts_release(struct git_facts *f);

/* ---- assemble ---- */

int assemble_run(cJSON **image_out, const struct build_opts *o, struct gth_error *err);

/* Reproducible tar+gzip layer from SRC[:DEST] into layout dir; fills digest,
 * diff_id and size. mtime from SOURCE_DATE_EPOCH or 0. */
int layer_build(const char *spec, const char *layout_dir, int64_t mtime,
		char digest[GTH_DIGEST_STR_LEN], char diff_id[GTH_DIGEST_STR_LEN], int64_t *size,
		struct gth_error *err);
/* Split "a b c" or a JSON array into words; NULL-terminated malloc'd array. */
char **split_args(const char *s, struct gth_error *err);
int64_t source_date_epoch(struct gth_error *err);

/* ---- image ---- */

int image_run(cJSON **image_out, const struct build_opts *o, struct gth_error *err);

#endif
