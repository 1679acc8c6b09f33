/* OSV records (https://ossf.github.io/osv-schema/): parsing and the schema's
 * evaluation algorithm.
 *
 * A record owns its cJSON tree; every string in it points into that tree. A
 * package is affected when its version is in an affected entry's "versions" list
 * or inside one of its SEMVER or ECOSYSTEM ranges, evaluated exactly as the
 * schema's pseudocode says: events sorted by version ("0" first), introduced
 * opens, fixed closes at the version, last_affected closes after it, and a range
 * with limit events only covers versions below one of them ("*" is infinity).
 * GIT ranges and ECOSYSTEM ranges of ecosystems without a known ordering are not
 * evaluated (the versions list still is). Withdrawn records never match. */
#ifndef GTH_SCAN_OSV_H
#define GTH_SCAN_OSV_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "gth/error.h"
#include "vercmp.h"

enum osv_event_kind { OSV_INTRODUCED, OSV_FIXED, OSV_LAST_AFFECTED, OSV_LIMIT };
enum osv_range_type { OSV_RANGE_SEMVER, OSV_RANGE_ECOSYSTEM, OSV_RANGE_GIT, OSV_RANGE_OTHER };

struct osv_event {
	enum osv_event_kind kind;
	const char *version;
};

struct osv_range {
	enum osv_range_type type;
	struct osv_event *events;
	size_t nevents;
};

struct osv_affected {
	const char *ecosystem;        /* as written: "npm", "Debian:12" */
	const char *name;
	struct osv_range *ranges;
	size_t nranges;
	const char **versions;
	size_t nversions;
	const cJSON *severity;        /* affected[].severity array or NULL */
	const cJSON *json;            /* the affected object */
};

struct osv_record {
	cJSON *root;
	const char *id;
	const char *summary;
	const char *details;
	const char *modified;
	const char *published;
	const char *withdrawn;        /* timestamp or NULL */
	const char **aliases;
	size_t naliases;
	struct osv_affected *affected;
	size_t naffected;
	const char *url;              /* the first ADVISORY reference, else the first one */
};

/* Parse one record. Not JSON, not an object, no string "id", or a field of the
 * wrong type (affected, ranges, events, versions, aliases) is a 65 error naming
 * name and the record. On success *out owns root (also on failure: root is freed). */
int osv_record_from_json(struct osv_record **out, cJSON *root, const char *name,
			 struct gth_error *err);
int osv_record_parse(struct osv_record **out, const char *text, size_t len, const char *name,
		     struct gth_error *err);
void osv_record_free(struct osv_record *r);

/* 1 when ecosystem/name of an affected entry is the package: ecosystems equal, or
 * the entry's has no ":release" and equals the package's base ("Debian" covers
 * "Debian:12"); PyPI names compare normalised. */
int osv_affected_is_package(const struct osv_affected *a, const char *ecosystem, const char *name);

/* 1 when version is affected by a; then *fixed (may be NULL) is the smallest
 * fixed version above it in the ranges that matched, or NULL when none is known. */
int osv_affected_match(const struct osv_affected *a, const char *version, const char **fixed);

/* 1 when the record affects the package at version (0 for withdrawn records);
 * *aff (may be NULL) is the affected entry that matched. */
int osv_record_match(const struct osv_record *r, const char *ecosystem, const char *name,
		     const char *version, const struct osv_affected **aff, const char **fixed);

/* Severity for a match: 0 unknown, 1 low, 2 medium, 3 high, 4 critical (the order
 * of enum scan_severity). From the affected entry's severity, else the record's:
 * a CVSS_V4 vector, else CVSS_V3 (base score computed), else an "Ubuntu" priority,
 * else database_specific.severity / ecosystem_specific.severity ("MODERATE" is
 * medium). *score is the CVSS base score or -1. */
int osv_record_severity(const struct osv_record *r, const struct osv_affected *a, double *score);

/* The package names an ecosystem's records are indexed under: PyPI normalised,
 * others as they are. Writes into out (size bytes); returns out. */
const char *osv_index_name(char *out, size_t size, const char *ecosystem, const char *name);

#endif
