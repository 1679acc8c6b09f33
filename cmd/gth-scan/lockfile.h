/* Language lockfiles: the packages they pin, each with its OSV ecosystem and the
 * dependency path that brought it in.
 *
 *   package-lock.json, npm-shrinkwrap.json  v1 (nested "dependencies"), v2 and v3
 *                                           ("packages"); path from node_modules nesting
 *   yarn.lock                               classic (v1) and berry (YAML, v2+)
 *   pnpm-lock.yaml                          lockfileVersion 5, 6 and 9
 *   go.mod                                  require lines and blocks
 *   Cargo.lock, poetry.lock                 [[package]] tables
 *   requirements*.txt                       pinned "name==version" lines only
 *   Pipfile.lock                            default and develop sections
 *
 * Workspace members, links and local paths are not packages of a registry and
 * are left out. A file that is not what its name says (bad JSON, bad YAML) is a 65
 * error naming the file (and line where known). */
#ifndef GTH_SCAN_LOCKFILE_H
#define GTH_SCAN_LOCKFILE_H

#include <stddef.h>
#include "gth/error.h"

struct lock_pkg {
	char *ecosystem;   /* "npm", "Go", "crates.io", "PyPI" */
	char *name;
	char *version;
	char *path;        /* dependency path, "express > body-parser > qs"; at least the name */
	int line;          /* 1-based line in the lockfile, 0 when unknown */
	int dev;           /* a development dependency */
};

struct lock_pkgs {
	struct lock_pkg *v;
	size_t n, cap;
};

#define LOCK_PKGS_INIT { NULL, 0, 0 }

/* 1 when the base name of path is a lockfile this module reads. */
int lockfile_recognised(const char *path);
/* Parse data (len bytes) of the lockfile named by path (its base name picks the
 * format); packages are appended to out. */
int lockfile_parse(struct lock_pkgs *out, const char *path, const char *data, size_t len,
		   struct gth_error *err);
/* Append a copy of one package; 0 or -1 when memory runs out. */
int lock_pkgs_add(struct lock_pkgs *l, const char *ecosystem, const char *name, const char *version,
		  const char *path, int line, int dev);
void lock_pkgs_release(struct lock_pkgs *l);

#endif
