/* gth-scan: the options every verb shares, the result a scan fills, and the entry
 * points of the verbs and scanners. main.c parses options into struct scan_opts,
 * calls one verb, then scan_finish() applies ignores, severity filter, dedupe,
 * renders the report and decides the gate.
 *
 * Who implements what:
 *   scan_fs, the walker, secrets, misconfigurations  walk.c secrets.c misconfig.c
 *   scan_report_load (Trivy JSON)                    report.c
 *   scan_finish, outputs, ignores                    finish.c output.c ignore.c
 *   scan_image, scan_db, scan_vuln_* (OSV, lockfiles) part 2 (osv/lockfile/image);
 *                                                    placeholders.c until it lands */
#ifndef GTH_SCAN_SCAN_H
#define GTH_SCAN_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "gth/error.h"
#include "gth/event.h"
#include "gth/opts.h"
#include "gth/yaml.h"
#include "finding.h"

enum scan_format {
	SCAN_FMT_TABLE = 0,
	SCAN_FMT_JSON,
	SCAN_FMT_SARIF,
	SCAN_FMT_GITHUB,
	SCAN_FMT_MARKDOWN
};

struct scan_opts {
	struct gth_common_opts common;
	const char *scanners;     /* --scanners as given, or NULL */
	unsigned scanner_mask;    /* SCAN_KIND_BIT set; the verb's default when not given */
	const char *severity;
	unsigned sev_mask;        /* SCAN_SEV_BIT set; all by default */
	const char *fail_on;
	int fail_on_sev;          /* enum scan_severity, or -1: no gate */
	const char *format;
	enum scan_format fmt;
	const char *output;       /* -o FILE or NULL */
	const char *ignore_file;  /* --ignore-file or NULL: .gthignore/.trivyignore found in the root */
	int ignore_unfixed;
	const char *db;           /* --db PATH or NULL: the default cache */
	int offline;
	struct gth_strlist skip;  /* --skip GLOB... (fs: relative to the root) */
	const char *git_ref;      /* fs --git-ref REF or NULL */
	int list_rules;           /* fs --list-rules */
	const struct gth_node *cfg; /* the "scan" section of gth.yaml, or NULL */
	const char *cfg_file;       /* path of gth.yaml or NULL */
};

/* Why the walker did not scan a file; counts are in the event's data.files. */
enum scan_skip {
	SCAN_SKIP_IGNORED = 0,  /* .gitignore or --skip */
	SCAN_SKIP_BINARY,
	SCAN_SKIP_HUGE,
	SCAN_SKIP_SYMLINK,      /* symlink loop or dangling link */
	SCAN_SKIP_UNREADABLE,
	SCAN_SKIP_SPECIAL       /* fifo, socket, device */
};
#define SCAN_SKIP_COUNT 6

struct scan_stats {
	uint64_t files;         /* files read and scanned */
	uint64_t bytes;
	uint64_t skipped[SCAN_SKIP_COUNT];
};

struct scan_result {
	struct scan_findings findings;
	char *target;           /* what was scanned, for the event and the reports */
	char *root;             /* folder paths are relative to (for ignore files), or NULL */
	struct scan_stats stats;
	cJSON *warnings;        /* array of strings: expired ignore entries, unreadable files */
	void *vuln;             /* state of the vulnerability scanner (part 2), or NULL */
	char *repo_prefix;      /* root's path inside its git work tree ("" or "sub/dir/"), or
				 * NULL outside one: SARIF paths are repository-relative */
};

#define SCAN_RESULT_INIT { SCAN_FINDINGS_INIT, NULL, NULL, { 0, 0, { 0 } }, NULL, NULL, NULL }
void scan_result_release(struct scan_result *r);
/* Record a warning (printed now with gth_warn, listed in the event). */
void scan_result_warn(struct scan_result *r, const char *fmt, ...) GTH_PRINTF(2, 3);

/* fs [PATH]: walk PATH (or the tree of --git-ref) with the enabled scanners. */
int scan_fs(struct scan_result *res, const struct scan_opts *o, const char *path,
	    struct gth_error *err);
/* fs --list-rules: "ID<TAB>KIND<TAB>SEVERITY<TAB>TITLE" for every secret rule
 * (built-in and custom, less the disabled) and misconfiguration check; with
 * --json, data.rules[] {id, kind, severity, title} of ev instead. */
int scan_list_rules(const struct scan_opts *o, struct gth_event *ev, struct gth_error *err);
/* report FILE: read a Trivy JSON report's findings ("-" is stdin). */
int scan_report_load(struct scan_result *res, const struct scan_opts *o, const char *file,
		     struct gth_error *err);
/* image IMAGE (part 2). */
int scan_image(struct scan_result *res, const struct scan_opts *o, const char *image,
	       struct gth_error *err);
/* db update|import PATH|info (part 2): does its own output, fills ev->data; returns
 * the exit status (0 or an error status with err set). */
int scan_db(const struct scan_opts *o, const struct gth_strlist *operands,
	    struct gth_event *ev, struct gth_error *err);

/* Lockfile scanning inside fs (part 2). The walker asks scan_vuln_wants() for each
 * file's relative path; when it says 1, it passes the contents to scan_vuln_file()
 * (0 or -1 with err). scan_vuln_end() releases res->vuln; called once, always. */
int scan_vuln_wants(const char *relpath);
int scan_vuln_file(struct scan_result *res, const struct scan_opts *o, const char *relpath,
		   const char *data, size_t len, struct gth_error *err);
void scan_vuln_end(struct scan_result *res);

/* After a verb: ignores (--ignore-file or the root's .gthignore/.trivyignore),
 * severity filter, dedupe, sort, the report in o->fmt to -o or stdout, GitHub
 * annotations and step summary, event data. Returns the exit status: 1 when a
 * finding at or above --fail-on remains, else 0; an error status with err set. */
int scan_finish(struct scan_result *res, const struct scan_opts *o, struct gth_event *ev,
		struct gth_error *err);

#endif
