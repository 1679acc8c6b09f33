/* Misconfiguration checks: Kubernetes workloads (YAML, every document) and
 * Dockerfiles. Each check has an id (GTH-K8S-NNN, GTH-DF-NNN), a severity and a
 * title; findings carry the line of the offending node or instruction. */
#ifndef GTH_SCAN_MISCONFIG_H
#define GTH_SCAN_MISCONFIG_H

#include <stddef.h>
#include "finding.h"
#include "gth/yaml.h"

struct scan_check_def {
	const char *id;
	enum scan_severity severity;
	const char *title;
	const char *description;
};

extern const struct scan_check_def scan_checks[];
extern const size_t scan_check_count;

/* 1 when id is a check id. */
int scan_misconfig_known(const char *id);
/* 1 when path (relative, '/'-separated) is a file the checks read: *.yaml, *.yml,
 * Dockerfile, Dockerfile.*, *.dockerfile, Containerfile. */
int scan_misconfig_wants(const char *path);
/* Check one file; disable is scan.disable of gth.yaml (or NULL). YAML that does
 * not parse is not an error (it may be a template): it is skipped and 1 is
 * returned so the caller can say so with -v. 0 or 1, or -1 when memory runs out. */
int scan_misconfig_scan(struct scan_findings *out, const char *target, const char *path,
			const char *data, size_t len, const struct gth_node *disable);

#endif
