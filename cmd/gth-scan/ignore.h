/* Ignore files. .gthignore is YAML: a list (or a map with "ignore:" holding the
 * list) of entries {id, paths: [globs], fingerprint, expires, reason}; an entry
 * needs an id or a fingerprint, and matches a finding when every field it has
 * matches (id also matches an alias; a path glob the finding's path). .trivyignore
 * has one id a line, "ID exp:YYYY-MM-DD" for an expiry, '#' comments. A file named
 * *.trivyignore or .trivyignore is read as Trivy's format, anything else as YAML.
 *
 * An entry whose expiry has passed (dates are valid through their whole UTC day)
 * ignores nothing; loading reports it. Malformed files are 78 errors naming file
 * and line. */
#ifndef GTH_SCAN_IGNORE_H
#define GTH_SCAN_IGNORE_H

#include <stddef.h>
#include <time.h>
#include "finding.h"
#include "gth/error.h"

struct scan_ignore {
	char *id;
	char **paths;
	size_t npaths;
	char *fingerprint;
	time_t expires;    /* 0: never */
	char *expires_text;
	char *reason;
	char *where;       /* "FILE:LINE" */
	int expired;
};

struct scan_ignores {
	struct scan_ignore *v;
	size_t n, cap;
};

#define SCAN_IGNORES_INIT { NULL, 0, 0 }

/* Append the entries of one file; now decides what has expired. */
int scan_ignores_load(struct scan_ignores *ig, const char *path, time_t now,
		      struct gth_error *err);
void scan_ignores_release(struct scan_ignores *ig);
/* The first live entry matching f, or NULL. */
const struct scan_ignore *scan_ignores_match(const struct scan_ignores *ig,
					     const struct scan_finding *f);

#endif
