/* gth-notify's own modules: truncation within limits, escaping, Slack's error
 * table, GitHub states, the message model, renderings and templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/json.h"
#include "gth/util.h"
#include "notify.h"

static void test_truncate(void **state)
{
	static const struct { const char *in; size_t max; const char *out; } cases[] = {
		{ "hello", 10, "hello" },
		{ "hello", 5, "hello" },
		{ "hello", 4, "hel\xe2\x80\xa6" },
		{ "hello", 1, "\xe2\x80\xa6" },
		{ "hello", 0, "" },
		{ "", 3, "" },
		/* characters, not bytes: é is two bytes, 🛑 four */
		{ "\xc3\xa9\xc3\xa9\xc3\xa9", 3, "\xc3\xa9\xc3\xa9\xc3\xa9" },
		{ "\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xe2\x80\xa6" },
		{ "\xf0\x9f\x9b\x91 stop", 3, "\xf0\x9f\x9b\x91 \xe2\x80\xa6" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		char *out = notify_truncate(cases[i].in, cases[i].max);

		assert_non_null(out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("truncate('%s', %zu) = '%s', expected '%s'", cases[i].in, cases[i].max,
				 out, cases[i].out);
		assert_true(notify_utf8_len(out) <= cases[i].max || cases[i].max == 0);
		free(out);
	}
	assert_int_equal(notify_utf8_len("a\xc3\xa9\xf0\x9f\x9b\x91"), 3);
	assert_int_equal(notify_utf8_len(NULL), 0);
}

static void test_slack_escape(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "a < b > c & d", "a &lt; b &gt; c &amp; d" },
		{ "<!channel>", "&lt;!channel&gt;" },
		{ "&amp;", "&amp;amp;" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct gth_buf b = GTH_BUF_INIT;

		assert_int_equal(notify_slack_escape(&b, cases[i].in), 0);
		assert_string_equal(gth_buf_cstr(&b), cases[i].out);
		gth_buf_release(&b);
	}
}

static void test_slack_errors(void **state)
{
	static const struct { const char *error; long http; int exit; int hint; } cases[] = {
		{ "invalid_payload", 400, 65, 1 },
		{ "invalid_blocks", 200, 65, 1 },
		{ "missing_text_or_fallback_or_attachments", 400, 65, 1 },
		{ "message_not_found", 200, 65, 1 },
		{ "invalid_auth", 200, 77, 1 },
		{ "not_authed", 200, 77, 1 },
		{ "action_prohibited", 403, 77, 1 },
		{ "invalid_token", 403, 77, 1 },
		{ "not_in_channel", 200, 77, 1 },
		{ "channel_not_found", 404, 69, 1 },
		{ "channel_is_archived", 410, 69, 1 },
		{ "no_service", 404, 69, 1 },
		{ "rollup_error", 500, 69, 1 },
		{ "ratelimited", 200, 75, 1 },
		/* unknown strings fall back on the HTTP status */
		{ "something_new", 400, 65, 0 },
		{ "something_new", 401, 77, 0 },
		{ "something_new", 404, 69, 0 },
		{ "something_new", 429, 75, 0 },
		{ "something_new", 503, 69, 0 },
		{ "something_new", 200, 69, 0 },
		{ NULL, 403, 77, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		int got = notify_slack_error_exit(cases[i].error, cases[i].http);

		if (got != cases[i].exit)
			fail_msg("%s (HTTP %ld): exit %d, expected %d", cases[i].error ? cases[i].error : "NULL",
				 cases[i].http, got, cases[i].exit);
		assert_int_equal(notify_slack_error_hint(cases[i].error) != NULL, cases[i].hint);
	}
}

static void test_statuses(void **state)
{
	static const struct { const char *status, *state, *word; } cases[] = {
		{ "success", "success", "succeeded" },
		{ "failure", "failure", "failed" },
		{ "error", "error", "error" },
		{ "inconclusive", "pending", "inconclusive" },
		{ "started", "in_progress", "started" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		assert_true(notify_status_valid(cases[i].status));
		assert_string_equal(notify_github_state(cases[i].status), cases[i].state);
		assert_true(notify_github_state_valid(cases[i].state));
		assert_string_equal(notify_status_word(cases[i].status), cases[i].word);
	}
	assert_false(notify_status_valid("ok"));
	assert_false(notify_status_valid(NULL));
	assert_false(notify_github_state_valid("done"));
	assert_true(notify_github_state_valid("inactive"));
	assert_true(notify_github_state_valid("queued"));
	assert_string_equal(notify_stage_name("gth-canary"), "canary");
	assert_string_equal(notify_stage_name("trivy"), "trivy");
	assert_string_equal(notify_stage_name("gth-"), "gth-");
	assert_string_equal(notify_stage_name(NULL), "event");
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/gth-notify-unit.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void build(struct notify_msg *msg, const char *events, const char *status,
		  const char *title, const char *const *fields, size_t nfields)
{
	struct notify_input in;
	struct gth_error err = GTH_ERROR_INIT;
	char *path = events ? write_tmp(events) : NULL;
	const char *from[1] = { path };

	memset(&in, 0, sizeof(in));
	in.from = from;
	in.nfrom = path ? 1 : 0;
	in.status = status;
	in.title = title;
	in.fields = fields;
	in.nfields = nfields;
	if (notify_msg_build(msg, &in, &err) < 0)
		fail_msg("build: %s", err.msg);
	if (path) {
		unlink(path);
		free(path);
	}
}

#define EV(tool, status, summary, started, ms) \
	"{\"schema\":\"gth.event/v1\",\"tool\":\"" tool "\",\"status\":\"" status "\",\"app\":\"api\"," \
	"\"summary\":\"" summary "\",\"git\":{\"sha\":\"0123456789abcdef\",\"repo\":\"acme/api\"}," \
	"\"run\":{\"url\":\"https://ghe.example.com/acme/api/actions/runs/9\"}," \
	"\"started_at\":\"" started "\",\"duration_ms\":" #ms "}\n"

static void test_message_model(void **state)
{
	struct notify_msg msg;

	(void)state;
	unsetenv("GITHUB_SHA");
	unsetenv("GITHUB_REPOSITORY");
	unsetenv("GITHUB_SERVER_URL");
	build(&msg, EV("gth-test", "success", "ok", "2026-11-26T10:00:00Z", 30000)
		    EV("gth-scan", "inconclusive", "db stale", "2026-11-26T10:00:10Z", 5000)
		    EV("gth-canary", "failure", "aborted", "2026-11-26T10:01:00Z", 60000),
	      NULL, NULL, NULL, 0);
	/* the worst status, the stage that failed, a span of first start to last end */
	assert_string_equal(msg.status, "failure");
	assert_string_equal(msg.title, "api: failed at canary");
	assert_int_equal(msg.nrows, 3);
	assert_int_equal(msg.duration_ms, 120000);
	assert_null(msg.text);
	/* the commit link on the server of the run, not github.com */
	assert_string_equal(msg.commit_url, "https://ghe.example.com/acme/api/commit/0123456789abcdef");
	assert_false(msg.overridden);
	notify_msg_release(&msg);

	build(&msg, EV("gth-build", "success", "pushed", "2026-11-26T10:00:00Z", 1500), NULL, NULL, NULL, 0);
	assert_string_equal(msg.title, "api: succeeded");
	assert_string_equal(msg.text, "pushed");
	assert_int_equal(msg.duration_ms, 1500);
	notify_msg_release(&msg);

	{
		const char *fields[] = { "a=1", "b=x=y" };

		build(&msg, NULL, "started", NULL, fields, 2);
		assert_string_equal(msg.title, "gth: started");
		assert_int_equal(msg.nfields, 2);
		assert_string_equal(msg.fields[1].key, "b");
		assert_string_equal(msg.fields[1].value, "x=y");
		assert_int_equal(msg.duration_ms, -1);
		assert_null(msg.commit_url);
		assert_true(msg.overridden);
		notify_msg_release(&msg);
	}
}

static void test_message_errors(void **state)
{
	static const struct { const char *status, *field; int nothing; int exit; } cases[] = {
		{ "fine", NULL, 0, 64 },
		{ NULL, "=v", 0, 64 },
		{ NULL, "k", 0, 64 },
		{ NULL, NULL, 1, 64 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct notify_input in;
		struct notify_msg msg;
		struct gth_error err = GTH_ERROR_INIT;
		const char *fields[1] = { cases[i].field };

		memset(&in, 0, sizeof(in));
		in.status = cases[i].status;
		in.fields = fields;
		in.nfields = cases[i].field ? 1 : 0;
		if (!cases[i].nothing && !cases[i].status && !cases[i].field)
			in.title = "t";
		assert_int_equal(notify_msg_build(&msg, &in, &err), -1);
		assert_int_equal(err.exit, cases[i].exit);
		notify_msg_release(&msg);
	}
}

static void test_slack_render_limits(void **state)
{
	struct notify_msg msg;
	const char *fields[25];
	char keys[25][16];
	char title[400];
	cJSON *out = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	const cJSON *blocks, *b;
	int nsections = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 25; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu=v", i);
		fields[i] = keys[i];
	}
	memset(title, 'T', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	build(&msg, NULL, "error", title, fields, 25);
	assert_int_equal(notify_render_slack(&out, &msg, &err), 0);
	assert_int_equal(notify_utf8_len(gth_json_str(gth_json_path(cJSON_GetArrayItem(
			 gth_json_arr(out, "blocks"), 0), "text"), "text")), NOTIFY_SLACK_HEADER_MAX);
	blocks = gth_json_arr(cJSON_GetArrayItem(gth_json_arr(out, "attachments"), 0), "blocks");
	cJSON_ArrayForEach(b, blocks) {
		const cJSON *f = gth_json_arr(b, "fields");

		if (f) {
			assert_true(cJSON_GetArraySize(f) <= NOTIFY_SLACK_FIELDS_MAX);
			nsections++;
		}
	}
	assert_int_equal(nsections, 3);
	assert_string_equal(gth_json_str(cJSON_GetArrayItem(gth_json_arr(out, "attachments"), 0), "color"),
			    "#a30200");
	cJSON_Delete(out);
	notify_msg_release(&msg);
}

static void test_template(void **state)
{
	static const struct { const char *tpl; const char *want; int exit; } cases[] = {
		{ "{\"t\":\"{{title}} / {{ status }} / {{field.k}} / {{field.none}}|\"}",
		  "{\"t\":\"hello / failure / v2 / |\"}", 0 },
		{ "{\"a\":[\"{{emoji}}\",1,{\"b\":\"{{status_word}}\"}]}",
		  "{\"a\":[\"\xe2\x9d\x8c\",1,{\"b\":\"failed\"}]}", 0 },
		{ "{\"e\":\" {{events}} \",\"n\":null}", "{\"e\":[],\"n\":null}", 0 },
		{ "{\"x\":\"{{ not closed\"}", "{\"x\":\"{{ not closed\"}", 0 },
		{ "{\"x\":\"{{sha}}{{short_sha}}{{duration}}\"}", "{\"x\":\"\"}", 0 },
		{ "{\"x\":\"{{bogus}}\"}", NULL, 65 },
		{ "[1, 2]", NULL, 65 },
		{ "{not json", NULL, 65 },
	};
	const char *fields[] = { "k=v1", "k=v2" };
	struct notify_msg msg;
	size_t i;

	(void)state;
	build(&msg, NULL, "failure", "hello", fields, 2);
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct gth_error err = GTH_ERROR_INIT;
		char *path = write_tmp(cases[i].tpl);
		cJSON *out = NULL;
		int r = notify_render_template(&out, path, &msg, &err);

		if (cases[i].want) {
			char *s;

			if (r < 0)
				fail_msg("template %zu: %s", i, err.msg);
			s = cJSON_PrintUnformatted(out);
			assert_string_equal(s, cases[i].want);
			free(s);
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(err.exit, cases[i].exit);
			assert_non_null(strstr(err.msg, path));
		}
		cJSON_Delete(out);
		unlink(path);
		free(path);
	}
	notify_msg_release(&msg);
}

static void test_github_bodies(void **state)
{
	struct notify_github g;
	cJSON *b = NULL;
	char desc[301];
	char *s;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(desc, 'd', 300);
	desc[300] = '\0';
	g.ref = "abc";
	g.environment = "prod";
	g.state = "success";
	g.description = desc;
	assert_int_equal(notify_github_deployment_body(&b, &g), 0);
	assert_int_equal(notify_utf8_len(gth_json_str(b, "description")), NOTIFY_GITHUB_DESCRIPTION_MAX);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "auto_merge")));
	assert_int_equal(cJSON_GetArraySize(gth_json_arr(b, "required_contexts")), 0);
	cJSON_Delete(b);
	g.description = NULL;
	g.environment_url = "https://x.example.com";
	assert_int_equal(notify_github_status_body(&b, &g), 0);
	s = cJSON_PrintUnformatted(b);
	assert_string_equal(s, "{\"state\":\"success\",\"environment\":\"prod\",\"environment_url\":\"https://x.example.com\"}");
	free(s);
	cJSON_Delete(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_slack_escape),
		cmocka_unit_test(test_slack_errors),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_message_model),
		cmocka_unit_test(test_message_errors),
		cmocka_unit_test(test_slack_render_limits),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_github_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
