#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "gth/fs.h"
#include "gth/gha.h"
#include "gth/log.h"
#include "gth/util.h"

static void dur(char *buf, size_t size, int64_t ms)
{
	gth_format_duration(ms, buf, size);
}

/* "failed (exit 1) in 1.2s, 12 tests, 1 failed" */
static void describe(struct gth_buf *b, const struct gate_result *r)
{
	char d[32];
	size_t failed = report_count(&r->report, CASE_FAILED);

	dur(d, sizeof(d), r->duration_ms);
	switch (r->status) {
	case GATE_PASSED:
		gth_buf_printf(b, "passed in %s", d);
		break;
	case GATE_FAILED:
		gth_buf_printf(b, "failed (exit %d) in %s", r->exit, d);
		break;
	case GATE_TIMEOUT:
		dur(d, sizeof(d), r->timeout_ms);
		gth_buf_printf(b, "timed out after %s", d);
		break;
	case GATE_ERROR:
		gth_buf_printf(b, "did not run: %s", r->error ? r->error : "unknown error");
		break;
	case GATE_NOT_RUN:
	case GATE_PENDING:
		gth_buf_puts(b, "not run (interrupted)");
		break;
	}
	if (r->report.n)
		gth_buf_printf(b, ", %zu tests, %zu failed", r->report.n, failed);
	if (r->attempts > 1)
		gth_buf_printf(b, ", attempt %d", r->attempts);
	if (r->status != GATE_PASSED && r->gate->allow_failure)
		gth_buf_puts(b, " (allowed to fail)");
}

/* Output to stderr with secrets redacted, piece by piece: a NUL byte ends a C
 * string, and the output may hold some. */
static void print_text(const char *p, size_t len)
{
	const char *end = p + len;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		char *piece = strndup(p, n), *text = piece ? gth_redact(piece) : NULL;

		if (text)
			fputs(text, stderr);
		else
			fwrite(p, 1, n, stderr);
		free(text);
		free(piece);
		p += n;
		if (p < end) {
			fputc('\0', stderr);
			p++;
		}
	}
}

void print_gate(const struct gate_result *r)
{
	struct gth_buf head = GTH_BUF_INIT;
	int bad = r->status != GATE_PASSED;
	int show = bad || !gth_log_quiet();
	size_t i;

	describe(&head, r);
	if (gth_gha_enabled() && show) {
		struct gth_buf title = GTH_BUF_INIT;
		gth_buf_printf(&title, "%s: %s", r->gate->name, gth_buf_cstr(&head));
		gth_gha_group_begin(gth_buf_cstr(&title));
		gth_buf_release(&title);
	}
	if (!bad)
		gth_note("%s: %s", r->gate->name, gth_buf_cstr(&head));
	else if (gate_failed(r))
		gth_errorf("%s: %s", r->gate->name, gth_buf_cstr(&head));
	else
		gth_warn("%s: %s", r->gate->name, gth_buf_cstr(&head));
	if (show && r->output.len) {
		size_t gap = r->dropped && r->gap <= r->output.len ? r->gap : r->output.len;
		fflush(stderr);
		print_text(r->output.ptr, gap);
		if (r->dropped) {
			if (gap && r->output.ptr[gap - 1] != '\n')
				fputc('\n', stderr);
			gth_warn("%s: output capped: %llu bytes dropped here", r->gate->name,
				 (unsigned long long)r->dropped);
		}
		print_text(r->output.ptr + gap, r->output.len - gap);
		if (r->output.ptr[r->output.len - 1] != '\n')
			fputc('\n', stderr);
	} else if (show && r->dropped) {
		gth_warn("%s: output capped: %llu bytes dropped", r->gate->name,
			 (unsigned long long)r->dropped);
	}
	for (i = 0; i < r->report.nproblems; i++)
		gth_warn("%s: %s", r->gate->name, r->report.problems[i]);
	if (gth_gha_enabled() && show)
		gth_gha_group_end();
	fflush(stderr);
	gth_buf_release(&head);
}

void print_retry(const struct gate_result *r, int attempt, int of)
{
	struct gth_buf head = GTH_BUF_INIT;

	describe(&head, r);
	gth_warn("%s: %s; retrying (attempt %d of %d)", r->gate->name, gth_buf_cstr(&head),
		 attempt, of);
	gth_buf_release(&head);
}

static void count_cell(char *buf, size_t size, const struct gate_result *r, size_t v)
{
	if (r->report.n == 0)
		gth_strlcpy(buf, "-", size);
	else
		snprintf(buf, size, "%zu", v);
}

void print_summary(FILE *out, const struct gate_result *res, size_t n)
{
	size_t i, j, w = 4;

	for (i = 0; i < n; i++)
		if (strlen(res[i].gate->name) > w)
			w = strlen(res[i].gate->name);
	fprintf(out, "%-*s  %-8s %5s %6s %7s %8s %8s\n", (int)w, "GATE", "STATUS", "EXIT", "TESTS",
		"FAILED", "SKIPPED", "TIME");
	for (i = 0; i < n; i++) {
		const struct gate_result *r = &res[i];
		char ex[24], t[24], f[24], s[24], d[32];
		if (r->exit >= 0)
			snprintf(ex, sizeof(ex), "%d", r->exit);
		else
			gth_strlcpy(ex, "-", sizeof(ex));
		count_cell(t, sizeof(t), r, r->report.n);
		count_cell(f, sizeof(f), r, report_count(&r->report, CASE_FAILED));
		count_cell(s, sizeof(s), r, report_count(&r->report, CASE_SKIPPED));
		if (r->attempts)
			dur(d, sizeof(d), r->duration_ms);
		else
			gth_strlcpy(d, "-", sizeof(d));
		fprintf(out, "%-*s  %-8s %5s %6s %7s %8s %8s%s\n", (int)w, r->gate->name,
			gate_status_name(r->status), ex, t, f, s, d,
			r->status != GATE_PASSED && r->gate->allow_failure ? "  (allowed)" : "");
	}
	for (i = 0; i < n; i++) {
		const struct test_report *rep = &res[i].report;
		for (j = 0; j < rep->n; j++) {
			const struct test_case *c = &rep->cases[j];
			if (c->status != CASE_FAILED)
				continue;
			fprintf(out, "FAIL %s: ", res[i].gate->name);
			if (c->file && c->line)
				fprintf(out, "%s:%d: ", c->file, c->line);
			else if (c->file)
				fprintf(out, "%s: ", c->file);
			if (c->classname && *c->classname && strcmp(c->classname, c->name))
				fprintf(out, "%s > ", c->classname);
			fprintf(out, "%s%s%s\n", c->name, c->message ? ": " : "",
				c->message ? c->message : "");
		}
	}
}

void summary_line(struct gth_buf *b, const struct gate_result *res, size_t n)
{
	size_t i, passed = 0, failed = 0, allowed = 0, notrun = 0;

	for (i = 0; i < n; i++) {
		if (res[i].status == GATE_PASSED)
			passed++;
		else if (res[i].status == GATE_NOT_RUN || res[i].status == GATE_PENDING)
			notrun++;
		else if (gate_failed(&res[i]))
			failed++;
		else
			allowed++;
	}
	gth_buf_printf(b, "%zu of %zu gate%s passed", passed, n, n == 1 ? "" : "s");
	if (allowed)
		gth_buf_printf(b, ", %zu failed but allowed", allowed);
	if (notrun)
		gth_buf_printf(b, ", %zu not run", notrun);
	if (failed) {
		size_t k = 0;
		gth_buf_puts(b, "; failed: ");
		for (i = 0; i < n; i++)
			if (gate_failed(&res[i]))
				gth_buf_printf(b, "%s%s", k++ ? ", " : "", res[i].gate->name);
	}
}

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

int event_gates(cJSON *data, const struct gate_result *res, size_t n)
{
	cJSON *gates = cJSON_AddArrayToObject(data, "gates");
	size_t i, j;

	if (!gates)
		return -1;
	for (i = 0; i < n; i++) {
		const struct gate_result *r = &res[i];
		cJSON *g = cJSON_CreateObject(), *tests, *fails, *problems;
		if (!g)
			return -1;
		cJSON_AddItemToArray(gates, g);
		cJSON_AddStringToObject(g, "name", r->gate->name);
		cJSON_AddStringToObject(g, "status", gate_status_name(r->status));
		if (r->exit >= 0)
			cJSON_AddNumberToObject(g, "exit", r->exit);
		else
			cJSON_AddNullToObject(g, "exit");
		cJSON_AddNumberToObject(g, "duration_ms", (double)r->duration_ms);
		tests = cJSON_AddObjectToObject(g, "tests");
		cJSON_AddNumberToObject(tests, "total", (double)r->report.n);
		cJSON_AddNumberToObject(tests, "failed",
					(double)report_count(&r->report, CASE_FAILED));
		cJSON_AddNumberToObject(tests, "skipped",
					(double)report_count(&r->report, CASE_SKIPPED));
		fails = cJSON_AddArrayToObject(g, "failures");
		for (j = 0; j < r->report.n; j++) {
			const struct test_case *c = &r->report.cases[j];
			cJSON *f;
			if (c->status != CASE_FAILED)
				continue;
			f = cJSON_CreateObject();
			cJSON_AddItemToArray(fails, f);
			cJSON_AddStringToObject(f, "name", c->name);
			cJSON_AddItemToObject(f, "classname", str_or_null(c->classname));
			cJSON_AddItemToObject(f, "file", str_or_null(c->file));
			if (c->line)
				cJSON_AddNumberToObject(f, "line", c->line);
			else
				cJSON_AddNullToObject(f, "line");
			cJSON_AddItemToObject(f, "message", str_or_null(c->message));
		}
		cJSON_AddNumberToObject(g, "attempts", r->attempts);
		cJSON_AddBoolToObject(g, "allow_failure", r->gate->allow_failure);
		cJSON_AddNumberToObject(g, "output_dropped", (double)r->dropped);
		problems = cJSON_AddArrayToObject(g, "report_problems");
		for (j = 0; j < r->report.nproblems; j++)
			cJSON_AddItemToArray(problems, cJSON_CreateString(r->report.problems[j]));
		if (r->error)
			cJSON_AddStringToObject(g, "error", r->error);
	}
	return 0;
}

int event_list(cJSON *data, const struct gate_list *l)
{
	cJSON *gates = cJSON_AddArrayToObject(data, "gates");
	size_t i;

	if (!gates)
		return -1;
	cJSON_AddStringToObject(data, "origin", l->origin ? l->origin : "none");
	for (i = 0; i < l->n; i++) {
		const struct gate *g = &l->v[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(gates, o);
		cJSON_AddStringToObject(o, "name", g->name);
		cJSON_AddStringToObject(o, "run", g->run);
		cJSON_AddStringToObject(o, "dir", g->dir);
		cJSON_AddItemToObject(o, "junit", str_or_null(g->junit));
		cJSON_AddBoolToObject(o, "tap", g->tap_output || g->tap);
		cJSON_AddBoolToObject(o, "allow_failure", g->allow_failure);
		cJSON_AddStringToObject(o, "source", g->source);
	}
	return 0;
}

void print_list(FILE *out, const struct gate_list *l)
{
	size_t i, w = 1, rl = l->root ? strlen(l->root) : 0;

	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i].name) > w)
			w = strlen(l->v[i].name);
	for (i = 0; i < l->n; i++) {
		const struct gate *g = &l->v[i];
		const char *dir = g->dir;
		if (rl && !strncmp(dir, l->root, rl) && (dir[rl] == '/' || !dir[rl]))
			dir = dir[rl] ? dir + rl + 1 : ".";
		fprintf(out, "%-*s  %-12s %s\n", (int)w, g->name, dir, g->run);
	}
}

static void md_cell(struct gth_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			gth_buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			gth_buf_putc(b, ' ');
		else if (*s == '<')
			gth_buf_puts(b, "&lt;");
		else
			gth_buf_putc(b, *s);
	}
}

int gha_report(const struct gate_result *res, size_t n, struct gth_error *err)
{
	struct gth_buf md = GTH_BUF_INIT, line = GTH_BUF_INIT, failed_names = GTH_BUF_INIT;
	size_t i, j, total = 0, nfailed_cases = 0, nfailed = 0;
	char num[32];
	int rc = -1;

	if (!gth_gha_enabled())
		return 0;
	summary_line(&line, res, n);
	gth_buf_printf(&md, "### gth-test: %s\n\n", gth_buf_cstr(&line));
	gth_buf_puts(&md, "| gate | status | exit | tests | failed | skipped | time |\n"
			  "|---|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < n; i++) {
		const struct gate_result *r = &res[i];
		char d[32];
		int bad = gate_failed(r);
		const char *level = bad ? "error" : "warning";

		total += r->report.n;
		dur(d, sizeof(d), r->duration_ms);
		gth_buf_puts(&md, "| ");
		md_cell(&md, r->gate->name);
		gth_buf_printf(&md, " | %s %s%s | ", r->status == GATE_PASSED ? "✅" : bad ? "❌" : "⚠️",
			       gate_status_name(r->status),
			       r->status != GATE_PASSED && r->gate->allow_failure ? " (allowed)" : "");
		if (r->exit >= 0)
			gth_buf_printf(&md, "%d", r->exit);
		else
			gth_buf_puts(&md, "–");
		if (r->report.n)
			gth_buf_printf(&md, " | %zu | %zu | %zu | %s |\n", r->report.n,
				       report_count(&r->report, CASE_FAILED),
				       report_count(&r->report, CASE_SKIPPED), d);
		else
			gth_buf_printf(&md, " | – | – | – | %s |\n", d);
		if (bad) {
			gth_buf_printf(&failed_names, "%s%s", nfailed ? "," : "", r->gate->name);
			nfailed++;
		}
		for (j = 0; j < r->report.nproblems; j++)
			gth_gha_annotate("warning", NULL, 0, r->gate->name, "%s",
					 r->report.problems[j]);
		if (r->status == GATE_PASSED || r->status == GATE_NOT_RUN)
			continue;
		if (report_count(&r->report, CASE_FAILED) == 0) {
			struct gth_buf what = GTH_BUF_INIT;
			describe(&what, r);
			gth_gha_annotate(level, NULL, 0, r->gate->name, "gate %s %s", r->gate->name,
					 gth_buf_cstr(&what));
			gth_buf_release(&what);
		}
		for (j = 0; j < r->report.n; j++) {
			const struct test_case *c = &r->report.cases[j];
			struct gth_buf title = GTH_BUF_INIT;
			if (c->status != CASE_FAILED)
				continue;
			int cls = c->classname && *c->classname && strcmp(c->classname, c->name);
			gth_buf_printf(&title, "%s: %s%s%s", r->gate->name, cls ? c->classname : "",
				       cls ? " > " : "", c->name);
			gth_gha_annotate(level, c->file, c->line, gth_buf_cstr(&title), "%s",
					 c->detail ? c->detail : c->message ? c->message : "failed");
			gth_buf_release(&title);
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < res[i].report.n; j++) {
			const struct test_case *c = &res[i].report.cases[j];
			if (c->status != CASE_FAILED)
				continue;
			if (!nfailed_cases++)
				gth_buf_puts(&md, "\n**Failed tests**\n\n");
			gth_buf_puts(&md, "- `");
			md_cell(&md, res[i].gate->name);
			gth_buf_puts(&md, "` ");
			if (c->file) {
				md_cell(&md, c->file);
				if (c->line)
					gth_buf_printf(&md, ":%d", c->line);
				gth_buf_puts(&md, " ");
			}
			gth_buf_puts(&md, "**");
			md_cell(&md, c->name);
			gth_buf_puts(&md, "**");
			if (c->message) {
				gth_buf_puts(&md, ": ");
				md_cell(&md, c->message);
			}
			gth_buf_putc(&md, '\n');
		}
	if (gth_gha_summary(gth_buf_cstr(&md), err) < 0 ||
	    gth_gha_output("result", nfailed ? "failure" : "success", err) < 0 ||
	    gth_gha_output("failed-gates", gth_buf_cstr(&failed_names), err) < 0)
		goto done;
	snprintf(num, sizeof(num), "%zu", total);
	if (gth_gha_output("tests", num, err) < 0)
		goto done;
	snprintf(num, sizeof(num), "%zu", nfailed_cases);
	if (gth_gha_output("failed-tests", num, err) < 0)
		goto done;
	rc = 0;
done:
	gth_buf_release(&md);
	gth_buf_release(&line);
	gth_buf_release(&failed_names);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (at most len bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void xml_escape(struct gth_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n;
		switch (*p) {
		case '&':
			gth_buf_puts(b, "&amp;");
			p++;
			continue;
		case '<':
			gth_buf_puts(b, "&lt;");
			p++;
			continue;
		case '>':
			gth_buf_puts(b, "&gt;");
			p++;
			continue;
		case '"':
			gth_buf_puts(b, "&quot;");
			p++;
			continue;
		case '\'':
			gth_buf_puts(b, "&apos;");
			p++;
			continue;
		case '\n':
		case '\t':
			gth_buf_putc(b, (char)*p++);
			continue;
		case '\r':
			gth_buf_puts(b, "&#13;");
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20) {
			gth_buf_putc(b, '?');
			p++;
			continue;
		}
		n = utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			gth_buf_putc(b, '?');
			p++;
			continue;
		}
		gth_buf_put(b, p, n);
		p += n;
	}
}

static void xml_attr(struct gth_buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	gth_buf_printf(b, " %s=\"", name);
	xml_escape(b, value, strlen(value));
	gth_buf_putc(b, '"');
}

static void xml_case(struct gth_buf *b, const char *name, const char *classname,
		     const char *file, int line, double secs, const char *kind,
		     const char *message, const char *text, size_t text_len)
{
	gth_buf_puts(b, "    <testcase");
	xml_attr(b, "name", name);
	xml_attr(b, "classname", classname);
	xml_attr(b, "file", file);
	if (line)
		gth_buf_printf(b, " line=\"%d\"", line);
	if (secs >= 0)
		gth_buf_printf(b, " time=\"%.3f\"", secs);
	if (!kind) {
		gth_buf_puts(b, "/>\n");
		return;
	}
	gth_buf_printf(b, ">\n      <%s", kind);
	xml_attr(b, "message", message);
	if (text && text_len) {
		gth_buf_puts(b, ">");
		xml_escape(b, text, text_len);
		gth_buf_printf(b, "</%s>\n", kind);
	} else {
		gth_buf_puts(b, "/>\n");
	}
	gth_buf_puts(b, "    </testcase>\n");
}

int junit_write(const char *path, const struct gate_result *res, size_t n,
		struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT, suites = GTH_BUF_INIT;
	size_t i, j, all_tests = 0, all_fail = 0, all_err = 0, all_skip = 0;
	double all_time = 0;
	int rc;

	for (i = 0; i < n; i++) {
		const struct gate_result *r = &res[i];
		const struct test_report *rep = &r->report;
		size_t tests = rep->n, fails = 0, errs = 0, skips = 0;
		int gate_bad = r->status != GATE_PASSED && r->status != GATE_NOT_RUN;
		int synthetic = gate_bad && report_count(rep, CASE_FAILED) == 0;
		int empty = rep->n == 0;
		struct gth_buf what = GTH_BUF_INIT;

		for (j = 0; j < rep->n; j++) {
			if (rep->cases[j].status == CASE_FAILED) {
				if (rep->cases[j].error)
					errs++;
				else
					fails++;
			} else if (rep->cases[j].status == CASE_SKIPPED) {
				skips++;
			}
		}
		if (synthetic || empty) {
			tests++;
			if (gate_bad)
				fails++;
			else if (r->status == GATE_NOT_RUN)
				skips++;
		}
		all_tests += tests;
		all_fail += fails;
		all_err += errs;
		all_skip += skips;
		all_time += (double)r->duration_ms / 1000.0;
		gth_buf_puts(&suites, "  <testsuite");
		xml_attr(&suites, "name", r->gate->name);
		gth_buf_printf(&suites, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
			       "skipped=\"%zu\" time=\"%.3f\">\n", tests, fails, errs, skips,
			       (double)r->duration_ms / 1000.0);
		for (j = 0; j < rep->n; j++) {
			const struct test_case *c = &rep->cases[j];
			const char *kind = c->status == CASE_FAILED ? (c->error ? "error" : "failure") :
					   c->status == CASE_SKIPPED ? "skipped" : NULL;
			xml_case(&suites, c->name, c->classname, c->file, c->line, c->time, kind,
				 c->message, c->detail, c->detail ? strlen(c->detail) : 0);
		}
		if (synthetic || empty) {
			size_t keep = r->output.len, off = 0;
			/* The end of the output says most about a failure. */
			if (keep > REPORT_DETAIL_MAX) {
				off = keep - REPORT_DETAIL_MAX;
				keep = REPORT_DETAIL_MAX;
			}
			describe(&what, r);
			xml_case(&suites, r->gate->name, "gth-test", NULL, 0,
				 (double)r->duration_ms / 1000.0,
				 gate_bad ? "failure" : r->status == GATE_NOT_RUN ? "skipped" : NULL,
				 gth_buf_cstr(&what), gate_bad ? gth_buf_cstr(&r->output) + off : NULL,
				 gate_bad ? keep : 0);
		}
		gth_buf_release(&what);
		gth_buf_puts(&suites, "  </testsuite>\n");
	}
	gth_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<testsuites name=\"gth-test\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		       "skipped=\"%zu\" time=\"%.3f\">\n", all_tests, all_fail, all_err, all_skip,
		       all_time);
	gth_buf_put(&b, suites.ptr ? suites.ptr : "", suites.len);
	gth_buf_puts(&b, "</testsuites>\n");
	rc = gth_write_file_atomic(path, b.ptr, b.len, 0644, err);
	gth_buf_release(&b);
	gth_buf_release(&suites);
	return rc;
}
