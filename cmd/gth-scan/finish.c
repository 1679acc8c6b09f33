/* After a verb: ignores, filters, the gate, the report and the event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/gha.h"
#include "gth/log.h"
#include "gth/util.h"
#include "ignore.h"
#include "output.h"
#include "scan.h"

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static int load_ignores(struct scan_ignores *ig, const struct scan_result *res,
			const struct scan_opts *o, struct gth_error *err)
{
	static const char *const names[] = { ".gthignore", ".trivyignore" };
	time_t now = time(NULL);
	const char *env = getenv("GTH_SCAN_NOW");
	struct gth_buf p = GTH_BUF_INIT;
	size_t i;
	int rc = -1;

	/* For tests and reproducible reports: the time expiries are judged at. */
	if (env && *env && gth_parse_time(env, &now) < 0)
		return gth_error_set(err, GTH_EXIT_USAGE, "GTH_SCAN_NOW: expected an RFC 3339 time");
	if (o->ignore_file)
		return scan_ignores_load(ig, o->ignore_file, now, err);
	for (i = 0; i < GTH_ARRAY_SIZE(names); i++) {
		if (gth_path_join(&p, res->root ? res->root : ".", names[i]) < 0) {
			oom(err);
			goto done;
		}
		if (gth_file_exists(gth_buf_cstr(&p)) &&
		    scan_ignores_load(ig, gth_buf_cstr(&p), now, err) < 0)
			goto done;
	}
	rc = 0;
done:
	gth_buf_release(&p);
	return rc;
}

/* Move ignored findings from res to ignored; say which entries have expired. */
static int apply_ignores(struct scan_result *res, const struct scan_ignores *ig,
			 struct scan_findings *ignored)
{
	size_t i, out = 0;

	for (i = 0; i < ig->n; i++)
		if (ig->v[i].expired)
			scan_result_warn(res, "%s: ignore entry for %s expired on %s; no longer ignored",
					 ig->v[i].where, ig->v[i].id ? ig->v[i].id : ig->v[i].fingerprint,
					 ig->v[i].expires_text);
	for (i = 0; i < res->findings.n; i++) {
		struct scan_finding *f = &res->findings.v[i];
		const struct scan_ignore *e = scan_ignores_match(ig, f);

		if (e) {
			char *reason = e->reason ? gth_strdupf("%s (%s)", e->reason, e->where) :
						   gth_strdupf("%s", e->where);

			if (!reason)
				return -1;
			f->ignored = 1;
			f->ignore_reason = reason;
			if (scan_findings_move(ignored, f) < 0)
				return -1;
			continue;
		}
		res->findings.v[out++] = *f;
	}
	res->findings.n = out;
	return 0;
}

/* --ignore-unfixed: vulnerabilities without a fixed version are dropped. */
static void drop_unfixed(struct scan_findings *l)
{
	struct scan_findings drop = SCAN_FINDINGS_INIT;
	size_t i, out = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].kind == SCAN_KIND_VULN && !l->v[i].pkg.fixed) {
			if (scan_findings_move(&drop, &l->v[i]) < 0)
				l->v[out++] = l->v[i];
		} else {
			l->v[out++] = l->v[i];
		}
	}
	l->n = out;
	scan_findings_release(&drop);
}

static int fill_event(struct gth_event *ev, const struct scan_result *res,
		      const struct scan_findings *ignored, const struct scan_opts *o, int gate_failed)
{
	static const char *const skip_names[SCAN_SKIP_COUNT] = {
		"ignored", "binary", "huge", "symlink", "unreadable", "special"
	};
	cJSON *d = ev->data, *c, *a, *files, *sk;
	size_t i, n[SCAN_SEV_COUNT] = { 0 };
	int s;

	if (!d)
		return -1;
	cJSON_AddStringToObject(d, "target", res->target ? res->target : "");
	for (i = 0; i < res->findings.n; i++)
		n[res->findings.v[i].severity]++;
	if (!(c = cJSON_AddObjectToObject(d, "counts")))
		return -1;
	for (s = SCAN_SEV_CRITICAL; s >= SCAN_SEV_UNKNOWN; s--)
		cJSON_AddNumberToObject(c, scan_severity_name((enum scan_severity)s), (double)n[s]);
	if (o->fail_on_sev >= 0)
		cJSON_AddStringToObject(d, "fail_on", scan_severity_name((enum scan_severity)o->fail_on_sev));
	else
		cJSON_AddNullToObject(d, "fail_on");
	cJSON_AddBoolToObject(d, "gate_failed", gate_failed);
	if (!(a = cJSON_AddArrayToObject(d, "findings")))
		return -1;
	for (i = 0; i < res->findings.n; i++)
		cJSON_AddItemToArray(a, scan_finding_json(&res->findings.v[i]));
	if (!(a = cJSON_AddArrayToObject(d, "ignored")))
		return -1;
	for (i = 0; i < ignored->n; i++)
		cJSON_AddItemToArray(a, scan_finding_json(&ignored->v[i]));
	if (!(files = cJSON_AddObjectToObject(d, "files")))
		return -1;
	cJSON_AddNumberToObject(files, "scanned", (double)res->stats.files);
	cJSON_AddNumberToObject(files, "bytes", (double)res->stats.bytes);
	if (!(sk = cJSON_AddObjectToObject(files, "skipped")))
		return -1;
	for (i = 0; i < SCAN_SKIP_COUNT; i++)
		cJSON_AddNumberToObject(sk, skip_names[i], (double)res->stats.skipped[i]);
	a = res->warnings ? cJSON_Duplicate(res->warnings, 1) : cJSON_CreateArray();
	cJSON_AddItemToObject(d, "warnings", a);
	return 0;
}

static int write_report(const struct scan_opts *o, const struct gth_buf *b, struct gth_error *err)
{
	if (o->output)
		return gth_write_file_atomic(o->output, b->ptr ? b->ptr : "", b->len, 0644, err);
	if (o->common.json) {
		/* stdout holds the event: the table goes to stderr. */
		if (!gth_log_quiet())
			fwrite(b->ptr ? b->ptr : "", 1, b->len, stderr);
		return 0;
	}
	if (b->len && fwrite(b->ptr, 1, b->len, stdout) != b->len)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "writing the report failed");
	return 0;
}

int scan_finish(struct scan_result *res, const struct scan_opts *o, struct gth_event *ev,
		struct gth_error *err)
{
	struct scan_ignores ig = SCAN_IGNORES_INIT;
	struct scan_findings ignored = SCAN_FINDINGS_INIT;
	struct gth_buf out = GTH_BUF_INIT, md = GTH_BUF_INIT;
	size_t i, skipped = 0;
	int rc = -1, gate_failed = 0, at_or_above = 0;
	const char *fail_on = o->fail_on_sev >= 0 ?
				      scan_severity_name((enum scan_severity)o->fail_on_sev) : NULL;

	if (load_ignores(&ig, res, o, err) < 0)
		goto done;
	if (o->ignore_unfixed)
		drop_unfixed(&res->findings);
	scan_findings_filter(&res->findings, o->sev_mask);
	if (scan_findings_dedupe(&res->findings) < 0 || apply_ignores(res, &ig, &ignored) < 0) {
		oom(err);
		goto done;
	}
	scan_findings_sort(&ignored);
	for (i = 0; i < res->findings.n; i++)
		if (o->fail_on_sev >= 0 && (int)res->findings.v[i].severity >= o->fail_on_sev)
			at_or_above++;
	gate_failed = at_or_above > 0;
	for (i = 0; i < SCAN_SKIP_COUNT; i++)
		skipped += res->stats.skipped[i];

	if (fill_event(ev, res, &ignored, o, gate_failed) < 0) {
		oom(err);
		goto done;
	}
	{
		struct gth_buf sum = GTH_BUF_INIT;
		size_t n[SCAN_SEV_COUNT] = { 0 };

		for (i = 0; i < res->findings.n; i++)
			n[res->findings.v[i].severity]++;
		gth_buf_printf(&sum, "%zu findings in %s (%zu critical, %zu high, %zu medium, %zu low)",
			       res->findings.n, res->target ? res->target : "", n[SCAN_SEV_CRITICAL],
			       n[SCAN_SEV_HIGH], n[SCAN_SEV_MEDIUM], n[SCAN_SEV_LOW]);
		if (fail_on)
			gth_buf_printf(&sum, "; gate at %s %s", fail_on, gate_failed ? "failed" : "passed");
		gth_event_set_summary(ev, "%s", gth_buf_cstr(&sum));
		gth_buf_release(&sum);
	}

	switch (o->fmt) {
	case SCAN_FMT_TABLE:
		rc = scan_render_table(&out, res, ignored.n, !o->output && !o->common.json &&
							    gth_log_color(stdout));
		break;
	case SCAN_FMT_JSON:
		if (!o->output && o->common.json) {
			rc = 0; /* the event main writes is the report */
			break;
		}
		gth_event_finish(ev, gate_failed ? GTH_EXIT_FAIL : 0);
		{
			char *j = cJSON_PrintUnformatted(ev->root);

			rc = j && gth_buf_puts(&out, j) == 0 && gth_buf_putc(&out, '\n') == 0 ? 0 : -1;
			free(j);
		}
		break;
	case SCAN_FMT_SARIF:
		rc = scan_render_sarif(&out, res);
		break;
	case SCAN_FMT_GITHUB:
		rc = scan_render_github(&out, res);
		break;
	case SCAN_FMT_MARKDOWN:
		rc = scan_render_markdown(&out, res, ignored.n, gate_failed, fail_on);
		break;
	}
	if (rc < 0) {
		oom(err);
		goto done;
	}
	rc = -1;
	if (write_report(o, &out, err) < 0)
		goto done;

	if (gth_gha_enabled()) {
		if (o->fmt != SCAN_FMT_GITHUB || o->output)
			for (i = 0; i < res->findings.n; i++) {
				const struct scan_finding *f = &res->findings.v[i];
				char *path = scan_repo_path(res, f);

				gth_gha_annotate(f->severity >= SCAN_SEV_HIGH ? "error" :
						 f->severity == SCAN_SEV_MEDIUM ? "warning" : "notice",
						 path, f->line, f->id, "%s%s%s", f->title ? f->title : "",
						 f->match ? ": " : "", f->match ? f->match : "");
				free(path);
			}
		if (scan_render_markdown(&md, res, ignored.n, gate_failed, fail_on) == 0) {
			struct gth_error serr = GTH_ERROR_INIT;

			if (gth_gha_summary(gth_buf_cstr(&md), &serr) < 0)
				gth_warn("%s", serr.msg);
		}
	}
	gth_note("%llu files scanned, %zu skipped%s; %zu findings, %zu ignored",
		 (unsigned long long)res->stats.files, skipped,
		 skipped && !gth_log_verbose() ? " (-v says which)" : "", res->findings.n, ignored.n);
	if (gate_failed)
		gth_note("gate: %d finding%s at or above %s", at_or_above, at_or_above == 1 ? "" : "s",
			 fail_on);
	rc = gate_failed ? GTH_EXIT_FAIL : 0;
done:
	scan_ignores_release(&ig);
	scan_findings_release(&ignored);
	gth_buf_release(&out);
	gth_buf_release(&md);
	return rc < 0 ? -1 : rc;
}
