/* The HTTP module against tests/servers/httpstub.py on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/util.h"

struct stub {
	pid_t pid;
	char url[64];
	char log[256];
};

static char dir[] = "/tmp/gth-unit-http-XXXXXX";

static const char *script =
	"{\"routes\": ["
	"{\"path\": \"/ok\", \"responses\": [{\"status\": 200, \"body\": \"hello\","
	"  \"headers\": {\"X-Thing\": \"a b\"}}]},"
	"{\"path\": \"/flaky\", \"responses\": [{\"status\": 500}, {\"status\": 502}, {\"status\": 200, \"body\": \"ok\"}]},"
	"{\"path\": \"/limited\", \"responses\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}}, {\"status\": 200, \"body\": \"ok\"}]},"
	"{\"path\": \"/forever429\", \"responses\": [{\"status\": 429, \"headers\": {\"Retry-After\": \"100\"}, \"body\": \"slow down\"}]},"
	"{\"path\": \"/drop\", \"responses\": [{\"drop\": true}, {\"status\": 200, \"body\": \"back\"}]},"
	"{\"path\": \"/trunc\", \"responses\": [{\"status\": 200, \"body\": \"0123456789\", \"truncate\": 4}, {\"status\": 200, \"body\": \"0123456789\"}]},"
	"{\"path\": \"/stall\", \"responses\": [{\"status\": 200, \"delay\": 3}]},"
	"{\"path\": \"/post500\", \"responses\": [{\"status\": 500, \"body\": \"boom\\nsecond line\"}]},"
	"{\"path\": \"/big\", \"responses\": [{\"status\": 200, \"body\": \"0123456789012345678901234567890123456789\"}]},"
	"{\"path\": \"/upload\", \"responses\": [{\"status\": 503}, {\"status\": 201}]},"
	"{\"path\": \"/redir-same\", \"responses\": [{\"status\": 302, \"headers\": {\"Location\": \"/ok\"}}]},"
	"{\"path\": \"/redir-other\", \"responses\": [{\"status\": 307, \"headers\": {\"Location\": \"OTHER/ok\"}}]},"
	"{\"path\": \"/forbidden\", \"responses\": [{\"status\": 403, \"json\": {\"errors\": [{\"code\": \"DENIED\"}]}}]}"
	"]}";

static int start_stub(struct stub *s, const char *name, const char *text)
{
	char sp[256], pf[256];
	struct gth_buf b = GTH_BUF_INIT;
	int i;

	snprintf(sp, sizeof(sp), "%s/%s.json", dir, name);
	snprintf(pf, sizeof(pf), "%s/%s.port", dir, name);
	snprintf(s->log, sizeof(s->log), "%s/%s.jsonl", dir, name);
	if (gth_write_file_atomic(sp, text, strlen(text), 0644, NULL) < 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		char stub[512];

		snprintf(stub, sizeof(stub), "%s/tests/servers/httpstub.py",
			 getenv("GTH_SRC") ? getenv("GTH_SRC") : "../..");
		execlp("python3", "python3", stub, "--script", sp, "--log", s->log, "--port-file",
		       pf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && !gth_file_exists(pf); i++)
		gth_sleep_ms(25);
	if (gth_buf_read_file(&b, pf, 0, NULL) < 0)
		return -1;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%s", b.ptr);
	gth_buf_release(&b);
	return 0;
}

static struct stub main_stub, other_stub;

static int setup(void **state)
{
	char *s2;
	(void)state;
	if (!mkdtemp(dir) || gth_http_global_init(NULL) < 0)
		return -1;
	if (start_stub(&other_stub, "other", "{\"routes\": [{\"path\": \"/ok\", \"responses\": [{\"status\": 200, \"body\": \"other\"}]}]}") < 0)
		return -1;
	/* Point /redir-other at the second server. */
	{
		struct gth_buf b = GTH_BUF_INIT;
		const char *p = script, *m;

		while ((m = strstr(p, "OTHER"))) {
			gth_buf_put(&b, p, (size_t)(m - p));
			gth_buf_puts(&b, other_stub.url);
			p = m + 5;
		}
		gth_buf_puts(&b, p);
		s2 = gth_buf_detach(&b);
	}
	if (start_stub(&main_stub, "main", s2) < 0) {
		free(s2);
		return -1;
	}
	free(s2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill(main_stub.pid, SIGTERM);
	kill(other_stub.pid, SIGTERM);
	waitpid(main_stub.pid, NULL, 0);
	waitpid(other_stub.pid, NULL, 0);
	gth_http_global_cleanup();
	return gth_remove_tree(dir, NULL);
}

static char *url(const char *path)
{
	static char u[256];

	snprintf(u, sizeof(u), "%s%s", main_stub.url, path);
	return u;
}

/* The recorded requests of a stub whose path is path, as a cJSON array. */
static cJSON *requests(struct stub *s, const char *path)
{
	struct gth_buf b = GTH_BUF_INIT;
	cJSON *arr = cJSON_CreateArray();
	char *line, *save = NULL;

	gth_buf_read_file(&b, s->log, 0, NULL);
	for (line = strtok_r(b.ptr, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line);

		if (j && !strcmp(gth_json_str(j, "path"), path))
			cJSON_AddItemToArray(arr, j);
		else
			cJSON_Delete(j);
	}
	gth_buf_release(&b);
	return arr;
}

static void test_get(void **state)
{
	struct gth_http_client c = GTH_HTTP_CLIENT_INIT;
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request q = { .url = url("/ok"), .authorization = "Bearer t0ken" };
	struct gth_error err = GTH_ERROR_INIT;
	cJSON *reqs;

	(void)state;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(gth_buf_cstr(&r.body), "hello");
	assert_string_equal(gth_http_header(&r, "X-THING"), "a b");
	assert_int_equal(r.attempts, 1);
	reqs = requests(&main_stub, "/ok");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(cJSON_GetArrayItem(reqs, 0),
							       "headers.authorization")),
			    "Bearer t0ken");
	cJSON_Delete(reqs);
	gth_http_response_release(&r);
	gth_http_client_release(&c);
}

static void test_retries(void **state)
{
	struct gth_http_client c = { .backoff_ms = 20 };
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request q = { .url = url("/flaky") };
	struct gth_error err = GTH_ERROR_INIT;
	int64_t t0;

	(void)state;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 3);
	gth_http_response_release(&r);

	t0 = gth_now_ms();
	q.url = url("/limited");
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 200);
	assert_true(gth_now_ms() - t0 >= 950);
	assert_true(gth_now_ms() - t0 < 2500);
	gth_http_response_release(&r);

	q.url = url("/drop");
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.body), "back");
	{
		/* curl itself may reconnect a reused connection once; either way the
		 * server saw the request twice. */
		cJSON *reqs = requests(&main_stub, "/drop");

		assert_int_equal(cJSON_GetArraySize(reqs), 2);
		cJSON_Delete(reqs);
	}
	gth_http_response_release(&r);

	q.url = url("/trunc");
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.body), "0123456789");
	gth_http_response_release(&r);
	gth_http_client_release(&c);
}

static void test_budget(void **state)
{
	struct gth_http_client c = { .backoff_ms = 20, .budget_ms = 1500 };
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request q = { .url = url("/forever429") };
	struct gth_error err = GTH_ERROR_INIT;
	int64_t t0 = gth_now_ms();

	(void)state;
	/* Retry-After beyond the budget: the 429 comes back at once. */
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 429);
	assert_int_equal(r.attempts, 1);
	assert_true(gth_now_ms() - t0 < 1000);
	gth_http_status_error(&err, &r, "posting");
	assert_int_equal(err.exit, GTH_EXIT_TEMPFAIL);
	assert_string_equal(err.msg, "posting: HTTP 429: slow down");
	gth_http_response_release(&r);

	/* A server that stalls: per-attempt timeouts inside the budget, then 69. */
	q.url = url("/stall");
	q.timeout_ms = 400;
	t0 = gth_now_ms();
	assert_int_equal(gth_http_do(&r, &c, &q, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_UNAVAILABLE);
	assert_true(gth_now_ms() - t0 < 2500);
	assert_true(r.attempts >= 2);
	gth_http_response_release(&r);

	/* Nothing listens: connection refused, retried, then 69. */
	q.url = "http://127.0.0.1:1/x";
	q.timeout_ms = 0;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "127.0.0.1:1"));
	gth_http_response_release(&r);
	gth_http_client_release(&c);
}

static void test_post_and_errors(void **state)
{
	struct gth_http_client c = { .backoff_ms = 20 };
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request q = { .url = url("/post500"), .body = "{}", .body_len = 2,
				      .headers = (const char *const[]){
					      "Content-Type: application/json", NULL } };
	struct gth_error err = GTH_ERROR_INIT;
	cJSON *reqs;

	(void)state;
	/* POST is not retried on 500. */
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.attempts, 1);
	gth_http_status_error(&err, &r, "webhook");
	assert_int_equal(err.exit, GTH_EXIT_UNAVAILABLE);
	assert_string_equal(err.msg, "webhook: HTTP 500: boom");
	reqs = requests(&main_stub, "/post500");
	assert_string_equal(gth_json_str(cJSON_GetArrayItem(reqs, 0), "method"), "POST");
	assert_string_equal(gth_json_str(cJSON_GetArrayItem(reqs, 0), "body"), "{}");
	assert_string_equal(cJSON_GetStringValue(gth_json_path(cJSON_GetArrayItem(reqs, 0),
							       "headers.content-type")),
			    "application/json");
	cJSON_Delete(reqs);
	gth_http_response_release(&r);

	q.url = url("/big");
	q.body = NULL;
	q.body_len = 0;
	q.max_body = 10;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	gth_http_response_release(&r);

	q.url = url("/forbidden");
	q.max_body = 0;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	gth_http_status_error(&err, &r, "GET manifest");
	assert_int_equal(err.exit, GTH_EXIT_NOPERM);
	gth_http_response_release(&r);

	q.url = "not a url";
	assert_int_equal(gth_http_do(&r, &c, &q, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_USAGE);
	gth_http_client_release(&c);
}

static void test_redirects(void **state)
{
	struct gth_http_client c = GTH_HTTP_CLIENT_INIT;
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request q = { .url = url("/redir-same"), .authorization = "Bearer keep" };
	struct gth_error err = GTH_ERROR_INIT;
	cJSON *reqs;
	int n;

	(void)state;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.body), "hello");
	reqs = requests(&main_stub, "/ok");
	n = cJSON_GetArraySize(reqs);
	assert_string_equal(cJSON_GetStringValue(gth_json_path(cJSON_GetArrayItem(reqs, n - 1),
							       "headers.authorization")),
			    "Bearer keep");
	cJSON_Delete(reqs);
	gth_http_response_release(&r);

	q.url = url("/redir-other");
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_string_equal(gth_buf_cstr(&r.body), "other");
	assert_non_null(strstr(r.url, other_stub.url));
	reqs = requests(&other_stub, "/ok");
	assert_int_equal(cJSON_GetArraySize(reqs), 1);
	assert_null(gth_json_path(cJSON_GetArrayItem(reqs, 0), "headers.authorization"));
	cJSON_Delete(reqs);
	gth_http_response_release(&r);

	q.url = url("/redir-same");
	q.no_redirect = 1;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(gth_http_header(&r, "location"), "/ok");
	gth_http_response_release(&r);
	gth_http_client_release(&c);
}

struct stream {
	const char *data;
	size_t len, off;
	int rewinds;
	struct gth_buf got;
};

static int s_read(void *ctx, char *buf, size_t n, size_t *got)
{
	struct stream *s = ctx;

	*got = s->len - s->off < n ? s->len - s->off : n;
	memcpy(buf, s->data + s->off, *got);
	s->off += *got;
	return 0;
}

static int s_rewind(void *ctx)
{
	struct stream *s = ctx;

	s->off = 0;
	s->rewinds++;
	return 0;
}

static int s_sink(void *ctx, const char *d, size_t n)
{
	return gth_buf_put(&((struct stream *)ctx)->got, d, n);
}

static void test_streams(void **state)
{
	struct gth_http_client c = { .backoff_ms = 20 };
	struct gth_http_response r = GTH_HTTP_RESPONSE_INIT;
	struct stream s = { "payload-bytes", 13, 0, 0, GTH_BUF_INIT };
	struct gth_http_request q = { .method = "PUT", .url = url("/upload"), .body_read = s_read,
				      .body_rewind = s_rewind, .body_ctx = &s, .body_size = 13 };
	struct gth_error err = GTH_ERROR_INIT;
	cJSON *reqs;

	(void)state;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(s.rewinds, 1);
	reqs = requests(&main_stub, "/upload");
	assert_int_equal(cJSON_GetArraySize(reqs), 2);
	assert_string_equal(gth_json_str(cJSON_GetArrayItem(reqs, 1), "body"), "payload-bytes");
	assert_string_equal(gth_json_str(cJSON_GetArrayItem(reqs, 1), "method"), "PUT");
	cJSON_Delete(reqs);
	gth_http_response_release(&r);

	memset(&q, 0, sizeof(q));
	q.url = url("/ok");
	q.sink = s_sink;
	q.sink_ctx = &s;
	assert_int_equal(gth_http_do(&r, &c, &q, &err), 0);
	assert_string_equal(gth_buf_cstr(&s.got), "hello");
	assert_int_equal(r.body.len, 0);
	gth_http_response_release(&r);
	gth_buf_release(&s.got);
	gth_http_client_release(&c);
}

static void test_helpers(void **state)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *u;

	(void)state;
	gth_http_basic_auth(&b, "user", "p@ss:word");
	assert_string_equal(b.ptr, "Basic dXNlcjpwQHNzOndvcmQ=");
	gth_buf_clear(&b);
	assert_int_equal(gth_base64_decode(&b, "dXNlcjpwQHNzOndvcmQ=", 20), 0);
	assert_string_equal(b.ptr, "user:p@ss:word");
	gth_buf_clear(&b);
	assert_int_equal(gth_base64_decode(&b, "a$b", 3), -1);
	gth_buf_clear(&b);
	gth_base64_encode(&b, "ab", 2);
	assert_string_equal(b.ptr, "YWI=");
	gth_buf_clear(&b);
	gth_url_escape(&b, "a b/c?d=é");
	assert_string_equal(b.ptr, "a%20b%2Fc%3Fd%3D%C3%A9");
	u = gth_url_resolve("https://r.example/v2/x/blobs/uploads/", "/v2/x/blobs/uploads/u1?_state=abc");
	assert_string_equal(u, "https://r.example/v2/x/blobs/uploads/u1?_state=abc");
	free(u);
	u = gth_url_resolve("https://r.example/v2/", "https://s3.example/b?sig=1");
	assert_string_equal(u, "https://s3.example/b?sig=1");
	free(u);
	gth_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),        cmocka_unit_test(test_retries),
		cmocka_unit_test(test_budget),     cmocka_unit_test(test_post_and_errors),
		cmocka_unit_test(test_redirects),  cmocka_unit_test(test_streams),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
