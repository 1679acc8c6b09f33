/* The finding model of gth-scan: what every scanner (secrets, misconfigurations,
 * vulnerabilities) produces and what the ignore rules, the gate and every output
 * format (table, json event, sarif, github, markdown) read.
 *
 * A scanner fills a struct scan_finding on the stack with borrowed strings and
 * calls scan_findings_add(), which copies every string: the template's pointers may
 * be temporaries. Strings in a list's findings belong to the list. A finding's
 * fingerprint is stable across runs (it does not change when lines move for
 * secrets, nor with the scan's root); when the scanner gives none, add computes
 * one from kind, id, path, line and package.
 *
 * Secret values never enter a finding whole: scanners put the masked form
 * (scan_mask_secret) in match. Not thread-safe. */
#ifndef GTH_SCAN_FINDING_H
#define GTH_SCAN_FINDING_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "gth/error.h"

enum scan_severity {
	SCAN_SEV_UNKNOWN = 0,
	SCAN_SEV_LOW,
	SCAN_SEV_MEDIUM,
	SCAN_SEV_HIGH,
	SCAN_SEV_CRITICAL
};
#define SCAN_SEV_COUNT 5

enum scan_kind { SCAN_KIND_SECRET = 0, SCAN_KIND_VULN, SCAN_KIND_MISCONFIG };
#define SCAN_KIND_COUNT 3

/* Bits of a scanner set (--scanners) and of a severity set (--severity). */
#define SCAN_KIND_BIT(k) (1u << (k))
#define SCAN_SEV_BIT(s) (1u << (s))
#define SCAN_SEV_ALL 0x1fu

struct scan_package {
	const char *ecosystem;   /* OSV ecosystem: "npm", "PyPI", "Debian:12" */
	const char *name;
	const char *version;
	const char *fixed;       /* first fixed version or NULL */
};

struct scan_finding {
	enum scan_kind kind;
	const char *id;          /* rule/check id or advisory id: "aws-access-key-id", "GTH-K8S-001", "GHSA-..." */
	enum scan_severity severity;
	const char *title;       /* one line */
	const char *description; /* longer text or NULL */
	const char *target;      /* what was scanned: the fs root, the image, the lockfile */
	const char *path;        /* file, relative to the scan root ('/'-separated); NULL for none */
	int line;                /* 1-based; 0 when unknown */
	int col;                 /* 1-based; 0 when unknown */
	const char *match;       /* masked excerpt (secrets), the offending value (misconfig) */
	const char *resource;    /* misconfig: "Deployment/api container app"; vuln: dependency path */
	const char *url;         /* reference URL or NULL */
	struct scan_package pkg; /* vuln only; all NULL otherwise */
	const char *const *aliases; /* vuln: CVE/GHSA aliases, naliases of them */
	size_t naliases;
	const char *fingerprint; /* NULL: computed by scan_findings_add */
	/* Set by the ignore rules (scan_ignore_apply), not by scanners. */
	int ignored;
	const char *ignore_reason;
};

struct scan_findings {
	struct scan_finding *v;
	size_t n, cap;
};

#define SCAN_FINDINGS_INIT { NULL, 0, 0 }

/* Copy *f (every string) into the list. 0, or -1 when memory runs out. */
int scan_findings_add(struct scan_findings *l, const struct scan_finding *f);
/* Move a finding out of one list (its strings owned by that list) to the end of
 * dst without copying; *f is zeroed, the caller then drops it from its list. */
int scan_findings_move(struct scan_findings *dst, struct scan_finding *f);
/* Most severe first, then path, line, column, id. */
void scan_findings_sort(struct scan_findings *l);
/* Drop findings whose fingerprint occurred before; aliases of the dropped vuln
 * findings are merged into the kept one. Sorts first. */
int scan_findings_dedupe(struct scan_findings *l);
/* Remove findings whose severity is not in mask (SCAN_SEV_BIT). */
void scan_findings_filter(struct scan_findings *l, unsigned sev_mask);
void scan_findings_release(struct scan_findings *l);

/* "CRITICAL", ... "UNKNOWN". */
const char *scan_severity_name(enum scan_severity s);
/* Case-insensitive name to severity; -1 when not a severity. */
int scan_severity_parse(const char *s);
/* "HIGH,CRITICAL" into a mask; -1 with a 64 error naming the bad item. */
int scan_severity_list_parse(const char *list, unsigned *mask, struct gth_error *err);
/* "secret", "vuln", "misconfig". */
const char *scan_kind_name(enum scan_kind k);
/* "secret,vuln" into a mask; "vulnerability" is accepted for vuln. */
int scan_kind_list_parse(const char *list, unsigned *mask, struct gth_error *err);

/* A finding as the event's JSON object (kind, id, severity, title, target, path,
 * line, package{ecosystem,name,version,fixed}, fingerprint, and the optional
 * fields when set). NULL when memory runs out. */
cJSON *scan_finding_json(const struct scan_finding *f);

/* The first four characters of a secret, then "…" ("***" for shorter values);
 * malloc'd. */
char *scan_mask_secret(const char *value, size_t len);

#endif
