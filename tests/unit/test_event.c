#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/fs.h"
#include "gth/json.h"

static char dir[] = "/tmp/gth-unit-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return gth_remove_tree(dir, NULL);
}

static const char *put(const char *name, const char *text)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (gth_write_file_atomic(path, text, strlen(text), 0644, NULL) < 0)
		return NULL;
	return path;
}

static void test_write(void **state)
{
	struct gth_event ev = GTH_EVENT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	cJSON *j;

	(void)state;
	setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567", 1);
	setenv("GITHUB_REF", "refs/heads/main", 1);
	setenv("GITHUB_REPOSITORY", "acme/api", 1);
	setenv("GITHUB_SERVER_URL", "https://github.example", 1);
	setenv("GITHUB_RUN_ID", "77", 1);
	assert_int_equal(gth_event_begin(&ev, "gth-build"), 0);
	gth_event_set_app(&ev, "gatheraa-backend");
	gth_event_set_summary(&ev, "pushed %s", "x@sha256:1");
	cJSON_AddStringToObject(ev.data, "k", "v");
	gth_event_finish(&ev, 1);
	f = open_memstream(&text, &len);
	assert_int_equal(gth_event_write(&ev, f, &err), 0);
	fclose(f);
	assert_int_equal(text[len - 1], '\n');
	assert_null(memchr(text, '\n', len - 1));
	assert_int_equal(gth_json_parse(&j, text, len, "event", &err), 0);
	assert_string_equal(gth_json_str(j, "schema"), "gth.event/v1");
	assert_string_equal(gth_json_str(j, "tool"), "gth-build");
	assert_string_equal(gth_json_str(j, "status"), "failure");
	assert_int_equal((int)gth_json_num(j, "exit", -1), 1);
	assert_string_equal(gth_json_str(j, "app"), "gatheraa-backend");
	assert_string_equal(gth_json_str(j, "summary"), "pushed x@sha256:1");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(j, "git.repo")), "acme/api");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(j, "git.ref")), "refs/heads/main");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(j, "run.url")),
			    "https://github.example/acme/api/actions/runs/77");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(j, "data.k")), "v");
	assert_non_null(gth_json_str(j, "started_at"));
	cJSON_Delete(j);
	free(text);
	gth_event_release(&ev);
	gth_event_release(&ev);
	unsetenv("GITHUB_SHA");
	unsetenv("GITHUB_RUN_ID");
}

static void test_read_forms(void **state)
{
	static const struct { const char *text; int ok; int count; const char *msg; } cases[] = {
		{ "{\"schema\":\"gth.event/v1\",\"tool\":\"a\"}", 1, 1, NULL },
		{ "[{\"schema\":\"gth.event/v1\"},{\"schema\":\"gth.event/v1\"}]", 1, 2, NULL },
		{ "{\"schema\":\"gth.event/v1\"}\n\n{\"schema\":\"gth.event/v1\"}\n", 1, 2, NULL },
		{ "{\"schema\":\"gth.event/v1\"}\n{\"schema\":\"other\"}\n", 0, 0,
		  "ev.json:2: not a gth event" },
		{ "{\"schema\":\"gth.event/v1\"}\n{\"schema\":\n", 0, 0, "ev.json:2: invalid JSON" },
		{ "", 0, 0, "ev.json: no event found" },
		{ "[1]", 0, 0, "ev.json:1: expected a gth event object" },
		{ "{\"tool\":\"x\"}", 0, 0, "ev.json:1: not a gth event" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gth_error err = GTH_ERROR_INIT;
		cJSON *arr = NULL;
		const char *p = put("ev.json", cases[i].text);
		char want[256];
		int r;

		assert_int_equal(chdir(dir), 0);
		r = gth_event_read(&arr, "ev.json", &err);
		(void)p;
		if ((r == 0) != cases[i].ok)
			fail_msg("case %zu: r=%d %s", i, r, err.msg);
		if (cases[i].ok) {
			assert_int_equal(cJSON_GetArraySize(arr), cases[i].count);
		} else {
			assert_int_equal(err.exit, GTH_EXIT_DATAERR);
			snprintf(want, sizeof(want), "%s", cases[i].msg);
			if (strncmp(err.msg, want, strlen(want)))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, want);
		}
		cJSON_Delete(arr);
	}
	{
		struct gth_error err = GTH_ERROR_INIT;
		cJSON *arr = NULL;

		assert_int_equal(gth_event_read(&arr, "/nonexistent/ev.json", &err), -1);
		assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	}
}

static void test_json_helpers(void **state)
{
	struct gth_error err = GTH_ERROR_INIT;
	cJSON *j = NULL;
	char *s;

	(void)state;
	assert_int_equal(gth_json_parse(&j, "{\n  \"a\": [1,\n  }", 16, "x.json", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_int_equal(strncmp(err.msg, "x.json:3:", 9), 0);
	assert_int_equal(gth_json_parse(&j, "{\"a\":1} x", 9, "t.json", &err), -1);
	assert_non_null(strstr(err.msg, "trailing data"));
	assert_int_equal(gth_json_parse(&j, "{\"a\":{\"b\":\"c\"},\"n\":2.5,\"l\":[]}", 30,
					"t.json", &err), 0);
	assert_string_equal(cJSON_GetStringValue(gth_json_path(j, "a.b")), "c");
	assert_null(gth_json_path(j, "a.b.c"));
	assert_null(gth_json_str(j, "n"));
	assert_true(gth_json_num(j, "n", 0) == 2.5);
	assert_true(gth_json_num(j, "zz", 7) == 7);
	assert_non_null(gth_json_arr(j, "l"));
	assert_null(gth_json_obj(j, "l"));
	s = gth_json_print(gth_json_obj(j, "a"));
	assert_string_equal(s, "{\"b\":\"c\"}");
	free(s);
	cJSON_Delete(j);
}

/* Point stdout (fd 1) at path; returns the old fd 1. */
static int stdout_to(const char *path, int flags)
{
	int old, fd;

	fflush(stdout);
	old = dup(1);
	fd = open(path, flags, 0600);
	assert_true(old >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 1), 1);
	close(fd);
	clearerr(stdout);
	return old;
}

static void stdout_back(int old)
{
	fflush(stdout);
	clearerr(stdout);
	assert_int_equal(dup2(old, 1), 1);
	close(old);
}

static void test_end(void **state)
{
	struct gth_event ev = GTH_EVENT_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	char path[512];
	int old;

	(void)state;
	snprintf(path, sizeof(path), "%s/event-end.json", dir);
	assert_int_equal(gth_event_begin(&ev, "gth-scan"), 0);
	/* Written with the status given, one line. */
	old = stdout_to(path, O_WRONLY | O_CREAT | O_TRUNC);
	assert_int_equal(gth_event_end(&ev, 1, 1), 1);
	stdout_back(old);
	assert_int_equal(gth_buf_read_file(&b, path, 1 << 20, NULL), 0);
	assert_non_null(strstr(gth_buf_cstr(&b), "\"exit\":1"));
	assert_int_equal(b.ptr[b.len - 1], '\n');
	assert_null(memchr(b.ptr, '\n', b.len - 1));
	gth_buf_release(&b);
	/* Not asked, or no event: nothing written, the status kept. */
	old = stdout_to(path, O_WRONLY | O_CREAT | O_TRUNC);
	assert_int_equal(gth_event_end(&ev, 0, 0), 0);
	assert_int_equal(gth_event_end(NULL, 1, 3), 3);
	stdout_back(old);
	assert_int_equal(gth_buf_read_file(&b, path, 1 << 20, NULL), 0);
	assert_int_equal(b.len, 0);
	gth_buf_release(&b);
	/* A full disk: 70 for a run that went well, an earlier failure kept. */
	old = stdout_to("/dev/full", O_WRONLY);
	assert_int_equal(gth_event_end(&ev, 1, 0), GTH_EXIT_SOFTWARE);
	clearerr(stdout);
	assert_int_equal(gth_event_end(&ev, 1, GTH_EXIT_UNAVAILABLE), GTH_EXIT_UNAVAILABLE);
	clearerr(stdout);
	printf("lost");
	assert_int_equal(gth_event_end(&ev, 0, 0), GTH_EXIT_SOFTWARE);
	stdout_back(old);
	gth_event_release(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_read_forms),
		cmocka_unit_test(test_json_helpers),
		cmocka_unit_test(test_end),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
