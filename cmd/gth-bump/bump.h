/* gth-bump's run: which image, which repository, the edit, the commit, the push
 * and the pull request. */
#ifndef GTH_BUMP_BUMP_H
#define GTH_BUMP_BUMP_H

#include <cjson/cJSON.h>
#include "gth/buf.h"
#include "gth/error.h"
#include "gth/opts.h"
#include "manifests.h"

struct bump_opts {
	struct gth_common_opts common;
	const char *image;
	const char *from;
	const char *repo;
	const char *branch;
	struct gth_strlist paths;
	const char *container;
	const char *message;
	const char *push_branch;
	const char *author;
	const char *app;
	const char *config_app;   /* gth.yaml's top-level app */
	const char *source_sha;
	int pr;
	int dry_run;
	int no_push;
	long retries;      /* -1: default */
};

/* The new image: from --image, else from a gth-build event (--from). */
struct bump_image {
	char *ref;         /* as it goes into the trailer: name[:tag][@digest] */
	char *name;        /* normalised repository */
	char *tag;
	char *digest;
	char *app;         /* --app, the event's app, gth.yaml's app, else the repository's last part */
	char *source_sha;  /* --source-sha, the event's git.sha, else $GITHUB_SHA */
};

#define BUMP_IMAGE_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

int bump_image_resolve(struct bump_image *img, const struct bump_opts *o, struct gth_error *err);
void bump_image_release(struct bump_image *img);

/* Render a --message template: {{app}} {{image}} {{old}} {{new}} {{source_sha}};
 * unknown placeholders stay as written. */
int bump_render_message(struct gth_buf *out, const char *tmpl, const struct bump_image *img,
			const char *old_version);

struct bump_result {
	char commit[41];
	char *branch;
	char *base_branch;
	int pushed;
	int attempts;
	struct bump_changes changes;
	struct gth_buf diff;
	long pr_number;
	char *pr_url;
};

#define BUMP_RESULT_INIT { "", NULL, NULL, 0, 0, BUMP_CHANGES_INIT, GTH_BUF_INIT, 0, NULL }

/* Everything after option parsing. */
int bump_run(struct bump_result *res, const struct bump_opts *o, const struct bump_image *img,
	     struct gth_error *err);
void bump_result_release(struct bump_result *res);

/* Open a pull request head -> base in the GitHub repository owner/repo. */
int bump_open_pr(struct bump_result *res, const char *owner_repo, const char *head,
		 const char *base, const char *title, const char *body, struct gth_error *err);
/* "owner/repo" from a remote URL's last two path parts ("x.git" -> "x"). */
char *bump_github_repo(const char *url);

#endif
