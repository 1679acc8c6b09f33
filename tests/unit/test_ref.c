#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "gth/ref.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct good {
	const char *in;
	const char *domain, *path, *tag, *digest, *formatted;
};

static const struct good goods[] = {
	{ "alpine", "docker.io", "library/alpine", NULL, NULL, "docker.io/library/alpine" },
	{ "alpine:3.20", "docker.io", "library/alpine", "3.20", NULL, "docker.io/library/alpine:3.20" },
	{ "docker.io/alpine", "docker.io", "library/alpine", NULL, NULL, NULL },
	{ "index.docker.io/library/alpine", "docker.io", "library/alpine", NULL, NULL, NULL },
	{ "index.docker.io/alpine", "docker.io", "library/alpine", NULL, NULL, NULL },
	{ "acme/api", "docker.io", "acme/api", NULL, NULL, "docker.io/acme/api" },
	{ "ghcr.io/acme/api:v1.2.3", "ghcr.io", "acme/api", "v1.2.3", NULL, NULL },
	{ "localhost/app", "localhost", "app", NULL, NULL, "localhost/app" },
	{ "localhost:5000/a/b/c:t", "localhost:5000", "a/b/c", "t", NULL, NULL },
	{ "127.0.0.1:5000/x", "127.0.0.1:5000", "x", NULL, NULL, NULL },
	{ "[::1]:5000/x:1", "[::1]:5000", "x", "1", NULL, "[::1]:5000/x:1" },
	{ "[2001:db8::1]/x", "[2001:db8::1]", "x", NULL, NULL, NULL },
	{ "Example.COM/x", "Example.COM", "x", NULL, NULL, NULL },
	{ "EXAMPLE/x", "EXAMPLE", "x", NULL, NULL, NULL },
	{ "my-reg.example.com:443/a-b__c/d.e_f---g:_x", "my-reg.example.com:443", "a-b__c/d.e_f---g", "_x", NULL, NULL },
	{ "alpine@sha256:" H64, "docker.io", "library/alpine", NULL, "sha256:" H64, NULL },
	{ "r.io/a:t@sha256:" H64, "r.io", "a", "t", "sha256:" H64, "r.io/a:t@sha256:" H64 },
	{ "r.io/a:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "r.io", "a",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL },
};

struct bad {
	const char *in;
	const char *msg; /* a part of the message */
};

static const struct bad bads[] = {
	{ "", "empty" },
	{ ":tag", "no repository name" },
	{ "Alpine", "must be lowercase" },
	{ "ghcr.io/Acme/api", "must be lowercase" },
	{ "a//b", "invalid repository path" },
	{ "a/", "invalid repository path" },
	{ "-a", "invalid repository path" },
	{ "a-", "invalid repository path" },
	{ "a...b", "invalid repository path" },
	{ "a___b", "invalid repository path" },
	{ "a:", "invalid tag" },
	{ "a:-x", "must start with" },
	{ "a:x/y", "invalid registry host" },
	{ "a:t!", "not allowed" },
	{ "r.io/a:" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "longer than 128" },
	{ "-r.io/a", "invalid registry host" },
	{ "r-.io/a", "invalid registry host" },
	{ "r.io:/a", "invalid registry host" },
	{ "r.io:x/a", "invalid registry host" },
	{ "[::1/a", "invalid registry host" },
	{ "[zz]:5000/a", "invalid registry host" },
	{ H64, "image id" },
	{ "a@sha256:abc", "fewer than 32" },
	{ "a@sha256:" H64 "00", "needs 64" },
	{ "a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "lowercase" },
	{ "a@md5:0123456789abcdef0123456789abcdef", "unsupported algorithm" },
	{ "a@sha256", "expected ALGORITHM:HEX" },
	{ "a@1sha:0123456789abcdef0123456789abcdef", "bad algorithm" },
	{ "a@sha256:" H64 "@x", "not hexadecimal" },
};

static void test_good(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct gth_ref r = GTH_REF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		struct gth_buf b = GTH_BUF_INIT;
		int rc = gth_ref_parse(&r, g->in, &err);

		if (rc != 0)
			print_error("%s: %s\n", g->in, err.msg);
		assert_int_equal(rc, 0);
		assert_string_equal(r.domain, g->domain);
		assert_string_equal(r.path, g->path);
		if (g->tag)
			assert_string_equal(r.tag, g->tag);
		else
			assert_null(r.tag);
		if (g->digest)
			assert_string_equal(r.digest, g->digest);
		else
			assert_null(r.digest);
		if (g->formatted) {
			assert_int_equal(gth_ref_format(&b, &r), 0);
			assert_string_equal(gth_buf_cstr(&b), g->formatted);
		}
		gth_buf_release(&b);
		gth_ref_release(&r);
	}
}

static void test_bad(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct gth_ref r = GTH_REF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		int rc = gth_ref_parse(&r, bads[i].in, &err);

		if (rc == 0 || !strstr(err.msg, bads[i].msg))
			print_error("%s: rc %d, message '%s', expected '%s'\n", bads[i].in, rc,
				    err.msg, bads[i].msg);
		assert_int_equal(rc, -1);
		assert_int_equal(err.exit, GTH_EXIT_DATAERR);
		assert_non_null(strstr(err.msg, bads[i].msg));
		assert_null(r.domain);
		assert_null(r.path);
	}
}

static void test_name_length(void **state)
{
	char name[300];
	struct gth_ref r = GTH_REF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;
	/* "r.io/" + 250 = 255: allowed; one more is refused */
	memcpy(name, "r.io/", 5);
	memset(name + 5, 'a', 250);
	name[255] = '\0';
	assert_int_equal(gth_ref_parse(&r, name, &err), 0);
	name[255] = 'a';
	name[256] = '\0';
	assert_int_equal(gth_ref_parse(&r, name, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 255"));
	/* docker.io/library/ counts too */
	memset(name, 'a', 240);
	name[240] = '\0';
	assert_int_equal(gth_ref_parse(&r, name, &err), -1);
	gth_ref_release(&r);
}

static void test_helpers(void **state)
{
	struct gth_ref r = GTH_REF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf b = GTH_BUF_INIT;
	(void)state;
	assert_int_equal(gth_ref_parse(&r, "busybox", &err), 0);
	assert_string_equal(gth_ref_api_host(&r), "registry-1.docker.io");
	assert_string_equal(gth_ref_selector(&r), "latest");
	assert_int_equal(gth_ref_format_name(&b, &r), 0);
	assert_string_equal(gth_buf_cstr(&b), "docker.io/library/busybox");
	assert_int_equal(gth_ref_parse(&r, "localhost:5000/x:9@sha256:" H64, &err), 0);
	assert_string_equal(gth_ref_api_host(&r), "localhost:5000");
	assert_string_equal(gth_ref_selector(&r), "sha256:" H64);
	assert_int_equal(gth_ref_check_tag("v1.0_rc-1", &err), 0);
	assert_int_equal(gth_ref_check_tag(".x", &err), -1);
	gth_buf_release(&b);
	gth_ref_release(&r);
	gth_ref_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
