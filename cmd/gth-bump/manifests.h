/* Where an image is named in Kubernetes YAML, and the byte-exact edit that points
 * it at a new version. Understood: container and initContainer (and ephemeral
 * container) images of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, Pod and Argo Rollout (also inside a List); kustomization "images"
 * entries (name/newName, newTag, digest); Helm values maps with "repository" (and
 * "registry") plus "tag"; scalars marked by a line comment
 * {"$imagepolicy": "NS:POLICY"} (a whole reference), "NS:POLICY:name" (the
 * repository) and "NS:POLICY:tag" (the tag), or "gth:image" (a whole reference).
 * Matching is by normalised repository; a reference keeps its spelling of the
 * repository and gets ":TAG" and/or "@DIGEST" from the target. */
#ifndef GTH_BUMP_MANIFESTS_H
#define GTH_BUMP_MANIFESTS_H

#include <stddef.h>
#include "gth/buf.h"
#include "gth/error.h"

struct bump_target {
	const char *name;      /* normalised repository, "ghcr.io/acme/api" */
	const char *tag;       /* new tag or NULL */
	const char *digest;    /* new digest or NULL */
	const char *container; /* only containers of this name, or NULL */
	const char *app;       /* matches a ":tag" marker whose policy has no ":name" */
};

struct bump_change {
	char *file;
	int line;
	char *old;      /* the value before ("" for an added key) */
	char *new_value;
	char *old_version; /* the tag or digest the old value named, for messages */
};

struct bump_changes {
	struct bump_change *v;
	size_t n, cap;
};

#define BUMP_CHANGES_INIT { NULL, 0, 0 }

/* Edit text (from file) for target t: 1 with the new text in out and the changes
 * appended to ch, 0 when nothing refers to the image (or it already has the new
 * version), -1 with a 65 error "FILE:LINE: ..." for malformed YAML. */
int bump_text(struct gth_buf *out, struct bump_changes *ch, const struct bump_target *t,
	      const char *file, const char *text, size_t len, struct gth_error *err);
/* 1 when text may refer to the image: a cheap filter before parsing. */
int bump_text_may_match(const struct bump_target *t, const char *text, size_t len);
void bump_changes_clear(struct bump_changes *ch);

#endif
