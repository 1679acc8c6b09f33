/* Version ordering for the ecosystems gth-scan matches OSV records in.
 *
 * osv_vercmp() returns <0, 0 or >0 like strcmp. It never fails: a version that
 * does not parse for its scheme still gets a total, deterministic order (so a
 * sort never misbehaves), and osv_version_valid() says whether it parsed, so a
 * matcher can refuse to judge ranges on garbage. Thread-safe, no allocation. */
#ifndef GTH_SCAN_VERCMP_H
#define GTH_SCAN_VERCMP_H

#include <stddef.h>

enum osv_scheme {
	OSV_SCHEME_NONE = 0,  /* unknown ecosystem: only exact "versions" entries match */
	OSV_SCHEME_SEMVER,    /* SemVer 2.0 (npm, crates.io, SEMVER ranges); a leading v/= is allowed */
	OSV_SCHEME_GO,        /* Go modules: SemVer with an optional v, +incompatible ignored */
	OSV_SCHEME_PYPI,      /* PEP 440 */
	OSV_SCHEME_DEBIAN,    /* dpkg: epoch:upstream-revision, with ~ */
	OSV_SCHEME_ALPINE     /* apk: 1.2.3a_rc1_p2-r4 */
};

/* The ordering an OSV ecosystem string uses: "npm", "crates.io", "Go", "PyPI",
 * "Debian", "Debian:12", "Alpine:v3.20", "Ubuntu:22.04" (dpkg), ... */
enum osv_scheme osv_scheme_for_ecosystem(const char *ecosystem);
const char *osv_scheme_name(enum osv_scheme s);

int osv_vercmp(enum osv_scheme s, const char *a, const char *b);
/* 1 when v is a well-formed version of the scheme. */
int osv_version_valid(enum osv_scheme s, const char *v);

/* PyPI package names compare normalised (PEP 503): lowercase, runs of -_. as one
 * '-'. Writes at most size-1 bytes and a NUL into out; returns out. */
char *osv_pypi_normalize(char *out, size_t size, const char *name);

#endif
