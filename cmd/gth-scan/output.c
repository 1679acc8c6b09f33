#include <stdlib.h>
#include <string.h>

#include "gth/gha.h"
#include "gth/json.h"
#include "gth/util.h"
#include "output.h"

const char *scan_security_severity(enum scan_severity s)
{
	switch (s) {
	case SCAN_SEV_CRITICAL:
		return "9.5";
	case SCAN_SEV_HIGH:
		return "8.0";
	case SCAN_SEV_MEDIUM:
		return "5.5";
	case SCAN_SEV_LOW:
		return "2.0";
	default:
		return NULL;
	}
}

static const char *sarif_level(enum scan_severity s)
{
	return s >= SCAN_SEV_HIGH ? "error" : s == SCAN_SEV_MEDIUM ? "warning" : "note";
}

char *scan_repo_path(const struct scan_result *res, const struct scan_finding *f)
{
	const char *p = f->path ? f->path : f->target ? f->target : "";

	return gth_strdupf("%s%s", f->path && res->repo_prefix ? res->repo_prefix : "", p);
}

static const char *sev_color(enum scan_severity s)
{
	switch (s) {
	case SCAN_SEV_CRITICAL:
		return "\033[1;31m";
	case SCAN_SEV_HIGH:
		return "\033[31m";
	case SCAN_SEV_MEDIUM:
		return "\033[33m";
	case SCAN_SEV_LOW:
		return "\033[36m";
	default:
		return "\033[2m";
	}
}

static void counts(const struct scan_findings *l, size_t c[SCAN_SEV_COUNT])
{
	size_t i;

	memset(c, 0, SCAN_SEV_COUNT * sizeof(c[0]));
	for (i = 0; i < l->n; i++)
		c[l->v[i].severity]++;
}

static int count_line(struct gth_buf *out, const struct scan_result *res, size_t nignored)
{
	size_t c[SCAN_SEV_COUNT];
	int s, first = 1;

	counts(&res->findings, c);
	if (gth_buf_printf(out, "%zu finding%s", res->findings.n, res->findings.n == 1 ? "" : "s") < 0)
		return -1;
	for (s = SCAN_SEV_CRITICAL; s >= SCAN_SEV_UNKNOWN; s--) {
		if (!c[s])
			continue;
		if (gth_buf_printf(out, "%s%zu %s", first ? " (" : ", ", c[s],
				   scan_severity_name((enum scan_severity)s)) < 0)
			return -1;
		first = 0;
	}
	if (!first && gth_buf_puts(out, ")") < 0)
		return -1;
	if (nignored && gth_buf_printf(out, ", %zu ignored", nignored) < 0)
		return -1;
	return 0;
}

int scan_render_table(struct gth_buf *out, const struct scan_result *res, size_t nignored,
		      int color)
{
	size_t i, wid = 2, wloc = 8;
	char **loc;
	int rc = -1;

	loc = calloc(res->findings.n ? res->findings.n : 1, sizeof(*loc));
	if (!loc)
		return -1;
	for (i = 0; i < res->findings.n; i++) {
		const struct scan_finding *f = &res->findings.v[i];
		size_t l;

		if (f->line)
			loc[i] = gth_strdupf("%s:%d", f->path ? f->path : f->target ? f->target : "-", f->line);
		else
			loc[i] = gth_strdupf("%s", f->path ? f->path : f->target ? f->target : "-");
		if (!loc[i])
			goto done;
		if ((l = strlen(f->id ? f->id : "")) > wid)
			wid = l;
		if ((l = strlen(loc[i])) > wloc)
			wloc = l;
	}
	if (wid > 40)
		wid = 40;
	if (wloc > 60)
		wloc = 60;
	if (res->findings.n &&
	    gth_buf_printf(out, "%-8s  %-*s  %-*s  %s\n", "SEVERITY", (int)wid, "ID", (int)wloc,
			   "LOCATION", "TITLE") < 0)
		goto done;
	for (i = 0; i < res->findings.n; i++) {
		const struct scan_finding *f = &res->findings.v[i];

		if (color && gth_buf_puts(out, sev_color(f->severity)) < 0)
			goto done;
		if (gth_buf_printf(out, "%-8s", scan_severity_name(f->severity)) < 0)
			goto done;
		if (color && gth_buf_puts(out, "\033[0m") < 0)
			goto done;
		if (gth_buf_printf(out, "  %-*s  %-*s  %s", (int)wid, f->id ? f->id : "", (int)wloc,
				   loc[i], f->title ? f->title : "") < 0)
			goto done;
		if (f->pkg.name && gth_buf_printf(out, " [%s %s%s%s]", f->pkg.name,
						  f->pkg.version ? f->pkg.version : "",
						  f->pkg.fixed ? " -> " : "",
						  f->pkg.fixed ? f->pkg.fixed : "") < 0)
			goto done;
		if (f->match && gth_buf_printf(out, " (%s)", f->match) < 0)
			goto done;
		if (gth_buf_putc(out, '\n') < 0)
			goto done;
	}
	if (count_line(out, res, nignored) < 0 || gth_buf_putc(out, '\n') < 0)
		goto done;
	rc = 0;
done:
	for (i = 0; i < res->findings.n; i++)
		free(loc[i]);
	free(loc);
	return rc;
}

static const char *kind_tag(enum scan_kind k)
{
	return k == SCAN_KIND_SECRET ? "secret" : k == SCAN_KIND_VULN ? "vulnerability" : "misconfiguration";
}

static cJSON *text_obj(const char *text)
{
	cJSON *o = cJSON_CreateObject();

	if (o)
		cJSON_AddStringToObject(o, "text", text ? text : "");
	return o;
}

static cJSON *sarif_rule(const struct scan_finding *f)
{
	cJSON *r = cJSON_CreateObject(), *props, *tags, *conf;
	const char *ss = scan_security_severity(f->severity);
	char *help;

	if (!r)
		return NULL;
	cJSON_AddStringToObject(r, "id", f->id ? f->id : "unknown");
	cJSON_AddStringToObject(r, "name", f->id ? f->id : "unknown");
	cJSON_AddItemToObject(r, "shortDescription", text_obj(f->title ? f->title : f->id));
	cJSON_AddItemToObject(r, "fullDescription",
			      text_obj(f->description ? f->description : f->title ? f->title : f->id));
	conf = cJSON_AddObjectToObject(r, "defaultConfiguration");
	if (conf)
		cJSON_AddStringToObject(conf, "level", sarif_level(f->severity));
	help = gth_strdupf("%s (%s, %s)", f->title ? f->title : f->id ? f->id : "",
			   kind_tag(f->kind), scan_severity_name(f->severity));
	cJSON_AddItemToObject(r, "help", text_obj(help ? help : ""));
	free(help);
	if (f->url)
		cJSON_AddStringToObject(r, "helpUri", f->url);
	props = cJSON_AddObjectToObject(r, "properties");
	if (props) {
		if (ss)
			cJSON_AddStringToObject(props, "security-severity", ss);
		cJSON_AddStringToObject(props, "precision", "high");
		tags = cJSON_AddArrayToObject(props, "tags");
		if (tags) {
			cJSON_AddItemToArray(tags, cJSON_CreateString("security"));
			cJSON_AddItemToArray(tags, cJSON_CreateString(kind_tag(f->kind)));
			cJSON_AddItemToArray(tags, cJSON_CreateString(scan_severity_name(f->severity)));
		}
	}
	return r;
}

int scan_render_sarif(struct gth_buf *out, const struct scan_result *res)
{
	cJSON *root = cJSON_CreateObject(), *runs, *run, *tool, *driver, *rules, *results;
	const char **ids = NULL;
	size_t nids = 0, i, j;
	char *text = NULL;
	int rc = -1;

	if (!root)
		return -1;
	ids = calloc(res->findings.n ? res->findings.n : 1, sizeof(*ids));
	if (!ids)
		goto done;
	cJSON_AddStringToObject(root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	cJSON_AddStringToObject(root, "version", "2.1.0");
	runs = cJSON_AddArrayToObject(root, "runs");
	run = cJSON_CreateObject();
	cJSON_AddItemToArray(runs, run);
	tool = cJSON_AddObjectToObject(run, "tool");
	driver = cJSON_AddObjectToObject(tool, "driver");
	cJSON_AddStringToObject(driver, "name", "gth-scan");
	cJSON_AddStringToObject(driver, "version", GTH_VERSION);
	cJSON_AddStringToObject(driver, "semanticVersion", GTH_VERSION);
	rules = cJSON_AddArrayToObject(driver, "rules");
	results = cJSON_AddArrayToObject(run, "results");
	if (!rules || !results)
		goto done;
	for (i = 0; i < res->findings.n; i++) {
		const struct scan_finding *f = &res->findings.v[i];
		cJSON *r, *locs, *loc, *phys, *art, *fps, *props;
		char *uri, *msg;

		for (j = 0; j < nids; j++)
			if (!strcmp(ids[j], f->id ? f->id : "unknown"))
				break;
		if (j == nids) {
			ids[nids++] = f->id ? f->id : "unknown";
			cJSON_AddItemToArray(rules, sarif_rule(f));
		}
		r = cJSON_CreateObject();
		cJSON_AddItemToArray(results, r);
		cJSON_AddStringToObject(r, "ruleId", ids[j]);
		cJSON_AddNumberToObject(r, "ruleIndex", (double)j);
		cJSON_AddStringToObject(r, "level", sarif_level(f->severity));
		if (f->pkg.name)
			msg = gth_strdupf("%s: %s %s%s%s%s", f->title ? f->title : ids[j], f->pkg.name,
					  f->pkg.version ? f->pkg.version : "",
					  f->pkg.fixed ? " (fixed in " : "", f->pkg.fixed ? f->pkg.fixed : "",
					  f->pkg.fixed ? ")" : "");
		else if (f->match)
			msg = gth_strdupf("%s: %s", f->title ? f->title : ids[j], f->match);
		else
			msg = gth_strdupf("%s", f->title ? f->title : ids[j]);
		cJSON_AddItemToObject(r, "message", text_obj(msg ? msg : ""));
		free(msg);
		locs = cJSON_AddArrayToObject(r, "locations");
		loc = cJSON_CreateObject();
		cJSON_AddItemToArray(locs, loc);
		phys = cJSON_AddObjectToObject(loc, "physicalLocation");
		art = cJSON_AddObjectToObject(phys, "artifactLocation");
		uri = scan_repo_path(res, f);
		cJSON_AddStringToObject(art, "uri", uri ? uri : "");
		free(uri);
		if (f->path && res->repo_prefix)
			cJSON_AddStringToObject(art, "uriBaseId", "%SRCROOT%");
		if (f->line > 0) {
			cJSON *reg = cJSON_AddObjectToObject(phys, "region");

			cJSON_AddNumberToObject(reg, "startLine", f->line);
			if (f->col > 0)
				cJSON_AddNumberToObject(reg, "startColumn", f->col);
		}
		fps = cJSON_AddObjectToObject(r, "partialFingerprints");
		cJSON_AddStringToObject(fps, "primaryLocationLineHash", f->fingerprint ? f->fingerprint : "");
		props = cJSON_AddObjectToObject(r, "properties");
		cJSON_AddStringToObject(props, "severity", scan_severity_name(f->severity));
		cJSON_AddStringToObject(props, "kind", scan_kind_name(f->kind));
		if (f->resource)
			cJSON_AddStringToObject(props, "resource", f->resource);
	}
	text = cJSON_Print(root);
	if (!text || gth_buf_puts(out, text) < 0 || gth_buf_putc(out, '\n') < 0)
		goto done;
	rc = 0;
done:
	free(text);
	free(ids);
	cJSON_Delete(root);
	return rc;
}

int scan_render_github(struct gth_buf *out, const struct scan_result *res)
{
	size_t i;

	for (i = 0; i < res->findings.n; i++) {
		const struct scan_finding *f = &res->findings.v[i];
		const char *level = f->severity >= SCAN_SEV_HIGH ? "error" :
				    f->severity == SCAN_SEV_MEDIUM ? "warning" : "notice";
		char *path = scan_repo_path(res, f), *title, *msg, *ep, *et, *em;
		int rc;

		title = gth_strdupf("%s %s", scan_severity_name(f->severity), f->id ? f->id : "");
		if (f->pkg.name)
			msg = gth_strdupf("%s: %s %s%s%s", f->title ? f->title : "", f->pkg.name,
					  f->pkg.version ? f->pkg.version : "",
					  f->pkg.fixed ? ", fixed in " : "", f->pkg.fixed ? f->pkg.fixed : "");
		else
			msg = gth_strdupf("%s%s%s", f->title ? f->title : "", f->match ? ": " : "",
					  f->match ? f->match : "");
		ep = path ? gth_gha_escape_property(path) : NULL;
		et = title ? gth_gha_escape_property(title) : NULL;
		em = msg ? gth_gha_escape_data(msg) : NULL;
		if (!ep || !et || !em)
			rc = -1;
		else if (f->line > 0)
			rc = gth_buf_printf(out, "::%s file=%s,line=%d,title=%s::%s\n", level, ep, f->line,
					    et, em);
		else
			rc = gth_buf_printf(out, "::%s file=%s,title=%s::%s\n", level, ep, et, em);
		free(path);
		free(title);
		free(msg);
		free(ep);
		free(et);
		free(em);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Markdown table cells: no newlines, '|' escaped. */
static int md_cell(struct gth_buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|' && gth_buf_puts(out, "\\|") < 0)
			return -1;
		else if ((*s == '\n' || *s == '\r') && gth_buf_putc(out, ' ') < 0)
			return -1;
		else if (*s != '|' && *s != '\n' && *s != '\r' && gth_buf_putc(out, *s) < 0)
			return -1;
	}
	return 0;
}

int scan_render_markdown(struct gth_buf *out, const struct scan_result *res, size_t nignored,
			 int gate_failed, const char *fail_on)
{
	size_t i, shown = res->findings.n > 200 ? 200 : res->findings.n;

	if (gth_buf_printf(out, "### gth-scan: %s\n\n", res->target ? res->target : "") < 0 ||
	    count_line(out, res, nignored) < 0)
		return -1;
	if (fail_on && gth_buf_printf(out, "; gate at %s: **%s**", fail_on,
				      gate_failed ? "failed" : "passed") < 0)
		return -1;
	if (gth_buf_puts(out, "\n\n") < 0)
		return -1;
	if (!res->findings.n)
		return 0;
	if (gth_buf_puts(out, "| Severity | ID | Location | Title | Detail |\n|---|---|---|---|---|\n") < 0)
		return -1;
	for (i = 0; i < shown; i++) {
		const struct scan_finding *f = &res->findings.v[i];
		char *path = scan_repo_path(res, f);

		if (!path || gth_buf_printf(out, "| %s | `", scan_severity_name(f->severity)) < 0 ||
		    md_cell(out, f->id) < 0 || gth_buf_puts(out, "` | ") < 0 || md_cell(out, path) < 0 ||
		    (f->line && gth_buf_printf(out, ":%d", f->line) < 0) || gth_buf_puts(out, " | ") < 0 ||
		    md_cell(out, f->title) < 0 || gth_buf_puts(out, " | ") < 0) {
			free(path);
			return -1;
		}
		free(path);
		if (f->pkg.name) {
			if (md_cell(out, f->pkg.name) < 0 || gth_buf_putc(out, ' ') < 0 ||
			    md_cell(out, f->pkg.version) < 0 ||
			    (f->pkg.fixed && (gth_buf_puts(out, " → ") < 0 || md_cell(out, f->pkg.fixed) < 0)))
				return -1;
		} else if (f->match && md_cell(out, f->match) < 0) {
			return -1;
		}
		if (gth_buf_puts(out, " |\n") < 0)
			return -1;
	}
	if (shown < res->findings.n &&
	    gth_buf_printf(out, "\n…and %zu more.\n", res->findings.n - shown) < 0)
		return -1;
	return 0;
}
