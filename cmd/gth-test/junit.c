#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/util.h"
#include "report.h"

struct junit_state {
	XML_Parser parser;
	struct test_report *r;
	const char *root;
	int depth;
	int seen_root;
	int bad_root;
	long current;        /* index of the open <testcase>, -1 when none */
	int in_failure;      /* inside <failure>/<error>/<skipped> of the current case */
	struct gth_buf text;
	int oom;
};

static const char *attr(const XML_Char **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp(atts[0], name))
			return atts[1];
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void stop(struct junit_state *st)
{
	st->oom = 1;
	XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct junit_state *st = ud;
	struct test_case *c;

	st->depth++;
	if (!st->seen_root) {
		st->seen_root = 1;
		if (strcmp(el, "testsuites") && strcmp(el, "testsuite")) {
			st->bad_root = 1;
			XML_StopParser(st->parser, XML_FALSE);
		}
		return;
	}
	if (!strcmp(el, "testcase")) {
		const char *t = attr(atts, "time"), *line = attr(atts, "line");
		long l = 0;

		c = report_add_case(st->r);
		if (!c) {
			stop(st);
			return;
		}
		st->current = (long)(c - st->r->cases);
		c->name = strdup(attr(atts, "name") ? attr(atts, "name") : "(unnamed)");
		c->classname = dup_or_null(attr(atts, "classname"));
		if (line && gth_parse_long(line, 0, 100000000, &l) < 0)
			l = 0;
		report_set_location(c, attr(atts, "file"), (int)l, st->root);
		if (t) {
			char *end;
			c->time = strtod(t, &end);
			if (end == t || *end)
				c->time = -1;
		}
		if (!c->name)
			stop(st);
		return;
	}
	if (st->current < 0 || st->in_failure)
		return;
	c = &st->r->cases[st->current];
	if (!strcmp(el, "failure") || !strcmp(el, "error")) {
		const char *msg = attr(atts, "message");
		c->status = CASE_FAILED;
		c->error = !strcmp(el, "error");
		free(c->message);
		c->message = msg && *msg ? report_first_line(msg) : NULL;
		st->in_failure = st->depth;
		gth_buf_clear(&st->text);
	} else if (!strcmp(el, "skipped")) {
		const char *msg = attr(atts, "message");
		if (c->status != CASE_FAILED)
			c->status = CASE_SKIPPED;
		if (msg && *msg && !c->message)
			c->message = report_first_line(msg);
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct junit_state *st = ud;

	if (st->in_failure && st->in_failure == st->depth && st->current >= 0) {
		struct test_case *c = &st->r->cases[st->current];
		if (st->text.len) {
			free(c->detail);
			c->detail = strdup(gth_buf_cstr(&st->text));
			if (!c->message)
				c->message = report_first_line(c->detail);
		}
		if (!c->line)
			report_find_location(c, c->detail, st->root);
		if (!c->line && c->message)
			report_find_location(c, c->message, st->root);
		st->in_failure = 0;
	}
	if (!strcmp(el, "testcase"))
		st->current = -1;
	st->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct junit_state *st = ud;
	size_t room;

	if (!st->in_failure || len <= 0 || st->text.len >= REPORT_DETAIL_MAX)
		return;
	room = REPORT_DETAIL_MAX - st->text.len;
	if (gth_buf_put(&st->text, s, (size_t)len < room ? (size_t)len : room) < 0)
		stop(st);
}

int junit_parse(struct test_report *r, const char *text, size_t len, const char *name,
		const char *root)
{
	struct junit_state st;
	enum XML_Status status = XML_STATUS_OK;
	size_t off = 0;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.r = r;
	st.root = root;
	st.current = -1;
	st.parser = XML_ParserCreate(NULL);
	if (!st.parser)
		return report_problem(r, "%s: out of memory", name);
	XML_SetUserData(st.parser, &st);
	XML_SetElementHandler(st.parser, on_start, on_end);
	XML_SetCharacterDataHandler(st.parser, on_text);
	/* XML_Parse takes an int length: feed big reports in pieces. */
	do {
		size_t chunk = len - off > (1u << 30) ? (1u << 30) : len - off;
		status = XML_Parse(st.parser, text + off, (int)chunk, off + chunk == len);
		off += chunk;
	} while (status == XML_STATUS_OK && off < len);
	if (len == 0)
		status = XML_Parse(st.parser, "", 0, 1);

	if (st.oom) {
		rc = report_problem(r, "%s: out of memory", name);
	} else if (st.bad_root) {
		rc = report_problem(r, "%s:%lu: not a JUnit report: the root element is not "
				    "<testsuites> or <testsuite>", name,
				    (unsigned long)XML_GetCurrentLineNumber(st.parser));
	} else if (status != XML_STATUS_OK) {
		enum XML_Error code = XML_GetErrorCode(st.parser);
		int at_end = (size_t)XML_GetCurrentByteIndex(st.parser) >= len;
		int truncated = code == XML_ERROR_NO_ELEMENTS || code == XML_ERROR_UNCLOSED_TOKEN ||
				(at_end && code == XML_ERROR_UNCLOSED_CDATA_SECTION);
		if (len == 0)
			rc = report_problem(r, "%s: empty JUnit report", name);
		else
			rc = report_problem(r, "%s:%lu: %s JUnit XML: %s", name,
					    (unsigned long)XML_GetCurrentLineNumber(st.parser),
					    truncated ? "truncated" : "malformed",
					    XML_ErrorString(code));
	}
	XML_ParserFree(st.parser);
	gth_buf_release(&st.text);
	return rc;
}
