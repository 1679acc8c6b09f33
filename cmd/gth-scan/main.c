/* gth-scan: the security gate. Options, one call per verb, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"
#include "scan.h"

#define TOOL "gth-scan"

static const char synopsis[] =
	"gth-scan fs [PATH] [--git-ref REF] [--list-rules] [options]\n"
	"gth-scan image IMAGE [options]\n"
	"gth-scan report FILE [options]\n"
	"gth-scan db update|import PATH|info [options]";

static const char commands[] =
	"commands:\n"
	"  fs      secrets, vulnerable dependencies and misconfigurations under PATH\n"
	"  image   OS and language packages (and secrets) inside an image\n"
	"  report  gate and render an existing Trivy JSON report\n"
	"  db      the local OSV vulnerability cache: update, import PATH, info\n"
	"\n";

enum verb { VERB_FS, VERB_IMAGE, VERB_REPORT, VERB_DB };

struct verb_def {
	const char *name;
	enum verb verb;
	const char *synopsis;
	unsigned default_scanners;
};

static const struct verb_def verbs[] = {
	{ "fs", VERB_FS, "gth-scan fs [PATH] [--git-ref REF] [--list-rules] [options]",
	  SCAN_KIND_BIT(SCAN_KIND_SECRET) | SCAN_KIND_BIT(SCAN_KIND_VULN) |
		  SCAN_KIND_BIT(SCAN_KIND_MISCONFIG) },
	{ "image", VERB_IMAGE, "gth-scan image IMAGE [options]",
	  SCAN_KIND_BIT(SCAN_KIND_VULN) | SCAN_KIND_BIT(SCAN_KIND_SECRET) },
	{ "report", VERB_REPORT, "gth-scan report FILE [options]",
	  SCAN_KIND_BIT(SCAN_KIND_SECRET) | SCAN_KIND_BIT(SCAN_KIND_VULN) |
		  SCAN_KIND_BIT(SCAN_KIND_MISCONFIG) },
	{ "db", VERB_DB, "gth-scan db update|import PATH|info [options]", 0 },
};

#define SCAN_OPTS_TABLE(o, with_ref)                                                       \
	{ GTH_OPT_STR, 0, "scanners", &(o)->scanners, "LIST",                              \
	  "secret,vuln,misconfig (default: all the verb has)", 0, 0 },                     \
	{ GTH_OPT_STR, 0, "severity", &(o)->severity, "LIST",                              \
	  "report only these severities (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)", 0, 0 },       \
	{ GTH_OPT_STR, 0, "fail-on", &(o)->fail_on, "SEVERITY",                            \
	  "exit 1 when a finding at or above SEVERITY remains", 0, 0 },                    \
	{ GTH_OPT_STR, 0, "format", &(o)->format, "FORMAT",                                \
	  "table, json, sarif, github or markdown (default table)", 0, 0 },                \
	{ GTH_OPT_STR, 'o', "output", &(o)->output, "FILE", "write the report to FILE", 0, 0 }, \
	{ GTH_OPT_STR, 0, "ignore-file", &(o)->ignore_file, "FILE",                        \
	  ".gthignore or .trivyignore to apply (default: the root's)", 0, 0 },             \
	{ GTH_OPT_FLAG, 0, "ignore-unfixed", &(o)->ignore_unfixed, NULL,                   \
	  "drop vulnerabilities without a fixed version", 0, 0 },                          \
	{ GTH_OPT_STR, 0, "db", &(o)->db, "PATH", "the OSV cache (default: the cache folder)", 0, 0 }, \
	{ GTH_OPT_FLAG, 0, "offline", &(o)->offline, NULL, "never use the network", 0, 0 }, \
	{ GTH_OPT_LIST, 0, "skip", &(o)->skip, "GLOB", "do not scan paths matching GLOB", 0, 0 }

/* Re-locate an error about a config value at its node, as a configuration error. */
static int cfg_error(struct gth_error *err, const struct gth_node *cfg, const char *key)
{
	char msg[GTH_ERROR_MSG_MAX];

	gth_strlcpy(msg, err->msg, sizeof(msg));
	return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(cfg, key), "%s", msg);
}

static int resolve_opts(struct scan_opts *o, const struct verb_def *vd, struct gth_error *err)
{
	const char *s;
	int r;

	o->scanner_mask = vd->default_scanners;
	o->sev_mask = SCAN_SEV_ALL;
	o->fail_on_sev = -1;
	o->fmt = SCAN_FMT_TABLE;

	/* gth.yaml's scan section gives defaults; flags override. */
	if (o->cfg) {
		static const char *const known[] = {
			"scanners", "severity", "fail-on", "format", "ignore-file", "skip",
			"ignore-unfixed", "db", "offline", "rules", "disable", "max-file-size",
			"ecosystems", "mirror", NULL
		};
		int b;

		if (gth_node_check_keys(o->cfg, known, GTH_EXIT_CONFIG, err) < 0)
			return -1;
		s = NULL;
		if ((r = gth_node_get_str(o->cfg, "scanners", &s, GTH_EXIT_CONFIG, err)) < 0)
			return -1;
		if (r && !o->scanners && scan_kind_list_parse(s, &o->scanner_mask, err) < 0)
			return cfg_error(err, o->cfg, "scanners");
		s = NULL;
		if ((r = gth_node_get_str(o->cfg, "severity", &s, GTH_EXIT_CONFIG, err)) < 0)
			return -1;
		if (r && !o->severity && scan_severity_list_parse(s, &o->sev_mask, err) < 0)
			return cfg_error(err, o->cfg, "severity");
		s = NULL;
		if ((r = gth_node_get_str(o->cfg, "fail-on", &s, GTH_EXIT_CONFIG, err)) < 0)
			return -1;
		if (r && !o->fail_on) {
			if ((o->fail_on_sev = scan_severity_parse(s)) < 0)
				return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(o->cfg, "fail-on"),
						      "expected a severity (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)");
		}
		if (!o->format && gth_node_get_str(o->cfg, "format", &o->format, GTH_EXIT_CONFIG, err) < 0)
			return -1;
		if (!o->ignore_file &&
		    gth_node_get_str(o->cfg, "ignore-file", &o->ignore_file, GTH_EXIT_CONFIG, err) < 0)
			return -1;
		if (!o->db && gth_node_get_str(o->cfg, "db", &o->db, GTH_EXIT_CONFIG, err) < 0)
			return -1;
		b = 0;
		if ((r = gth_node_get_bool(o->cfg, "ignore-unfixed", &b, GTH_EXIT_CONFIG, err)) < 0)
			return -1;
		if (r && b)
			o->ignore_unfixed = 1;
		b = 0;
		if ((r = gth_node_get_bool(o->cfg, "offline", &b, GTH_EXIT_CONFIG, err)) < 0)
			return -1;
		if (r && b)
			o->offline = 1;
	}
	if (o->scanners && scan_kind_list_parse(o->scanners, &o->scanner_mask, err) < 0)
		return -1;
	if (o->severity && scan_severity_list_parse(o->severity, &o->sev_mask, err) < 0)
		return -1;
	if (o->fail_on && (o->fail_on_sev = scan_severity_parse(o->fail_on)) < 0)
		return gth_error_set(err, GTH_EXIT_USAGE,
				     "--fail-on: unknown severity '%s' (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)",
				     o->fail_on);
	if (o->format) {
		static const char *const names[] = { "table", "json", "sarif", "github", "markdown" };
		size_t i;

		for (i = 0; i < GTH_ARRAY_SIZE(names); i++)
			if (!strcmp(o->format, names[i]))
				break;
		if (i == GTH_ARRAY_SIZE(names))
			return gth_error_set(err, GTH_EXIT_USAGE,
					     "unknown format '%s' (table, json, sarif, github, markdown)",
					     o->format);
		o->fmt = (enum scan_format)i;
	}
	if (o->common.json && !o->output && o->fmt != SCAN_FMT_TABLE && o->fmt != SCAN_FMT_JSON)
		return gth_error_set(err, GTH_EXIT_USAGE,
				     "--format %s with --json needs -o FILE (stdout holds the event)",
				     o->format);
	return 0;
}

static void print_main_usage(FILE *out)
{
	struct gth_common_opts c = GTH_COMMON_OPTS_INIT;
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&c), GTH_OPTS_END };

	gth_opts_usage(out, synopsis, common);
	fputs("\n", out);
	fputs(commands, out);
	fputs("Run 'gth-scan VERB --help' for a verb's options.\n", out);
}

static int run_verb(const struct verb_def *vd, int argc, char **argv)
{
	struct scan_opts o;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	struct scan_result res = SCAN_RESULT_INIT;
	int rc = GTH_EXIT_SOFTWARE, event_begun = 0;

	memset(&o, 0, sizeof(o));
	{
		const struct gth_opt with_ref[] = {
			SCAN_OPTS_TABLE(&o, 1),
			{ GTH_OPT_STR, 0, "git-ref", &o.git_ref, "REF",
			  "scan the tree of commit REF instead of the work tree", 0, 0 },
			{ GTH_OPT_FLAG, 0, "list-rules", &o.list_rules, NULL,
			  "list the secret rules and misconfiguration checks, then exit", 0, 0 },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt plain[] = {
			SCAN_OPTS_TABLE(&o, 0), GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt *table = vd->verb == VERB_FS ? with_ref : plain;

		if ((rc = gth_opts_verb(&operands, table, &o.common, TOOL, vd->synopsis, argc,
					argv)) >= 0)
			goto done;
	}

	if (gth_event_begin(&ev, TOOL) < 0) {
		gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
		goto fail;
	}
	event_begun = 1;

	if (gth_config_load(&cfg, o.common.config, &err) < 0)
		goto fail;
	if (gth_config_section(&o.cfg, &cfg, "scan", &err) < 0)
		goto fail;
	o.cfg_file = cfg.path;
	if (resolve_opts(&o, vd, &err) < 0)
		goto fail;

	switch (vd->verb) {
	case VERB_FS:
		if (o.list_rules) {
			if (scan_list_rules(&o, &ev, &err) < 0)
				goto fail;
			rc = 0;
			goto finish;
		}
		if (operands.n > 1) {
			gth_error_set(&err, GTH_EXIT_USAGE, "fs takes at most one PATH");
			goto fail;
		}
		if (scan_fs(&res, &o, operands.n ? operands.v[0] : ".", &err) < 0)
			goto fail;
		break;
	case VERB_IMAGE:
		if (operands.n != 1) {
			gth_error_set(&err, GTH_EXIT_USAGE, "image takes one IMAGE");
			goto fail;
		}
		if (scan_image(&res, &o, operands.v[0], &err) < 0)
			goto fail;
		break;
	case VERB_REPORT:
		if (operands.n != 1) {
			gth_error_set(&err, GTH_EXIT_USAGE, "report takes one FILE");
			goto fail;
		}
		if (scan_report_load(&res, &o, operands.v[0], &err) < 0)
			goto fail;
		break;
	case VERB_DB:
		rc = scan_db(&o, &operands, &ev, &err);
		if (rc != 0 && err.exit)
			goto fail;
		goto finish;
	}
	rc = scan_finish(&res, &o, &ev, &err);
	if (err.exit)
		goto fail;
	goto finish;

fail:
	rc = gth_fail(&err);
	if (rc == GTH_EXIT_USAGE)
		fprintf(stderr, "usage: %s\n", vd->synopsis);
	if (event_begun)
		gth_event_set_summary(&ev, "%s", err.msg);
finish:
	rc = gth_event_end(&ev, event_begun && o.common.json, rc);
done:
	scan_result_release(&res);
	gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&o.skip);
	gth_strlist_release(&operands);
	return rc;
}

int main(int argc, char **argv)
{
	size_t v = 0;
	int rc;

	gth_log_init(TOOL);
	rc = gth_opts_dispatch(&v, argc, argv, TOOL, verbs, GTH_ARRAY_SIZE(verbs),
			       sizeof(verbs[0]), print_main_usage);
	return rc >= 0 ? rc : run_verb(&verbs[v], argc - 1, argv + 1);
}
