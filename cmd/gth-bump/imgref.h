/* Image references as gth-bump needs them, through lib/ref: the normalised repository to compare
 * ("nginx" and "docker.io/library/nginx" are the same), the tag and the digest,
 * and where the repository ends in a reference as it is written in a manifest. */
#ifndef GTH_BUMP_IMGREF_H
#define GTH_BUMP_IMGREF_H

#include <stddef.h>
#include "gth/error.h"

struct bump_ref {
	char *name;    /* normalised "domain/path" */
	char *tag;     /* or NULL */
	char *digest;  /* "sha256:..." or NULL */
};

#define BUMP_REF_INIT { NULL, NULL, NULL }

/* Parse s; 0, or -1 with a 65 error naming s. */
int bump_ref_parse(struct bump_ref *r, const char *s, struct gth_error *err);
void bump_ref_release(struct bump_ref *r);
/* Length of the repository part of s as written: "nginx" in "nginx:1@sha256:..",
 * "localhost:5000/a" in "localhost:5000/a:1". */
size_t bump_ref_repo_len(const char *s);

#endif
