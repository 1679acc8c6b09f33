/* The vulnerability scanner: packages (from lockfiles or an image) matched against
 * the OSV cache, one finding per package and vulnerability, with records that
 * share an id or alias merged into one finding (the most severe record's id; the
 * others become aliases; the fix suggested is the highest of their fixed
 * versions, so it fixes all of them).
 *
 * The cache is opened on first use (struct scan_result.vuln holds it): without
 * --offline a missing cache, or one with no records for an ecosystem a scan needs,
 * is filled with 'db update' for that ecosystem first; with --offline a missing
 * cache is a 66 error and a missing ecosystem a warning. A cache older than
 * GTH_OSV_MAX_AGE (default 7 days) is warned about once. */
#ifndef GTH_SCAN_VULN_H
#define GTH_SCAN_VULN_H

#include <stdint.h>
#include "lockfile.h"
#include "osvdb.h"
#include "scan.h"

/* Match pkgs and add findings to res. path is the file the packages came from
 * (relative to the scan root; for image OS packages the package database),
 * target what was scanned. */
int vuln_match(struct scan_result *res, const struct scan_opts *o, const char *target,
	       const char *path, const struct lock_pkgs *pkgs, struct gth_error *err);

/* GTH_OSV_MAX_AGE as milliseconds, else 7 days: older caches are stale. */
int64_t vuln_max_age_ms(void);

/* The mirror base URL (GTH_OSV_MIRROR, else scan.mirror, else osv.dev's bucket). */
const char *vuln_mirror(const struct scan_opts *o);

/* db update for the ecosystems (base names: "npm", "Debian"): conditional GETs of
 * BASE/ECOSYSTEM/all.zip, each imported in its own transaction. results (may be
 * NULL) gets one {name, url, status: "updated"|"unchanged", records} per ecosystem. */
int vuln_db_update(struct osv_db *db, const char *base, const char *const *ecosystems, size_t n,
		   cJSON *results, struct gth_error *err);

#endif
