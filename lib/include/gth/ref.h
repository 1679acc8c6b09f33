/* Image references, parsed by the distribution reference grammar exactly:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | IPv4address | '[' IPv6address ']'
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := /[a-z0-9]+/ [ separator /[a-z0-9]+/ ]*, separator := [_.]|__|-+
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex (sha256: 64, sha512: 128 lowercase hex)
 *
 * Normalisation follows docker: the first component is a domain only when it holds
 * a '.' or ':', is "localhost", or has an upper-case letter; otherwise the domain is
 * "docker.io". "index.docker.io" becomes "docker.io", and a one-component path on
 * docker.io gets "library/". The name (domain "/" path) is at most 255 characters.
 * A 64-hex string alone is refused (it is an image id, not a name).
 *
 * Errors are 65 with a message naming the reference and what is wrong. Not
 * thread-unsafe: no global state. */
#ifndef GTH_REF_H
#define GTH_REF_H

#include "buf.h"
#include "error.h"

#define GTH_REF_NAME_MAX 255
#define GTH_REF_TAG_MAX 128

struct gth_ref {
	char *domain;  /* "docker.io", "ghcr.io", "localhost:5000", "[::1]:5000" */
	char *path;    /* "library/alpine", "acme/api" */
	char *tag;     /* "3.20", or NULL */
	char *digest;  /* "sha256:<64 hex>", or NULL */
};

#define GTH_REF_INIT { NULL, NULL, NULL, NULL }

/* Parse and normalise s into ref (released first). 0 or -1 with a 65 error. */
int gth_ref_parse(struct gth_ref *ref, const char *s, struct gth_error *err);
/* Check a tag or a digest on its own; 0 or -1 with a 65 error. */
int gth_ref_check_tag(const char *tag, struct gth_error *err);
int gth_ref_check_digest(const char *digest, struct gth_error *err);
/* "domain/path[:tag][@digest]" into out (cleared first). */
int gth_ref_format(struct gth_buf *out, const struct gth_ref *ref);
/* "domain/path" into out (cleared first). */
int gth_ref_format_name(struct gth_buf *out, const struct gth_ref *ref);
/* The host:port the registry API answers on: "registry-1.docker.io" for docker.io,
 * the domain otherwise. Points into ref or static storage. */
const char *gth_ref_api_host(const struct gth_ref *ref);
/* The manifest reference to ask the registry for: the digest when set, else the
 * tag, else "latest". */
const char *gth_ref_selector(const struct gth_ref *ref);
void gth_ref_release(struct gth_ref *ref);

#endif
