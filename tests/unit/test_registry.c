#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/fs.h"
#include "gth/registry.h"
#include "gth/util.h"

struct chal {
	const char *in;
	const char *scheme, *realm, *service, *scope, *error;
};

static const struct chal chals[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull\"",
	  "Bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:library/alpine:pull", NULL },
	{ "Bearer realm=\"http://127.0.0.1:5001/token\",service=\"gth\",scope=\"repository:a/b:pull,push\",error=\"insufficient_scope\"",
	  "Bearer", "http://127.0.0.1:5001/token", "gth", "repository:a/b:pull,push", "insufficient_scope" },
	{ "Basic realm=\"Registry Realm\"", "Basic", "Registry Realm", NULL, NULL, NULL },
	{ "bearer realm=x, service=y", "bearer", "x", "y", NULL, NULL },
	{ "Bearer realm=\"a\\\"b\"", "Bearer", "a\"b", NULL, NULL, NULL },
};

static void eq_or_null(const char *got, const char *want)
{
	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
}

static void test_challenge(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(chals); i++) {
		struct gth_auth_challenge c;

		assert_int_equal(gth_auth_challenge_parse(&c, chals[i].in), 0);
		eq_or_null(c.scheme, chals[i].scheme);
		eq_or_null(c.realm, chals[i].realm);
		eq_or_null(c.service, chals[i].service);
		eq_or_null(c.scope, chals[i].scope);
		eq_or_null(c.error, chals[i].error);
		gth_auth_challenge_release(&c);
	}
}

static char dir[128];

static void write_text(const char *name, const char *text)
{
	char *p = gth_strdupf("%s/%s", dir, name);

	assert_int_equal(gth_write_file_atomic(p, text, strlen(text), 0600, NULL), 0);
	free(p);
}

struct creds_case {
	const char *host;
	int found;
	const char *user, *pass;
};

static void test_creds(void **state)
{
	struct gth_registry_creds c;
	struct gth_error err = GTH_ERROR_INIT;
	char *p;
	/* dXNlcjpwYXNz = user:pass, aHViOnNlY3JldA== = hub:secret */
	static const struct creds_case cases[] = {
		{ "r.example:5000", 1, "user", "pass" },
		{ "https-only.example", 1, "u2", "p2" },
		{ "docker.io", 1, "hub", "secret" },
		{ "other.example", 0, NULL, NULL },
	};
	size_t i;
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gth-test-reg.XXXXXX");
	assert_non_null(mkdtemp(dir));
	unsetenv("GTH_REGISTRY_USER");
	unsetenv("GTH_REGISTRY_PASSWORD");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("DOCKER_CONFIG", dir, 1);
	write_text("config.json",
		   "{\"auths\":{\"r.example:5000\":{\"auth\":\"dXNlcjpwYXNz\"},"
		   "\"https://https-only.example\":{\"username\":\"u2\",\"password\":\"p2\"},"
		   "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOnNlY3JldA==\"}}}");
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		int r = gth_registry_creds_find(&c, cases[i].host, &err);

		assert_int_equal(r, cases[i].found);
		if (r) {
			assert_string_equal(c.user, cases[i].user);
			assert_string_equal(c.password, cases[i].pass);
		}
		gth_registry_creds_release(&c);
	}
	/* REGISTRY_AUTH_FILE comes before docker's config */
	write_text("auth.json", "{\"auths\":{\"r.example:5000\":{\"auth\":\"aHViOnNlY3JldA==\"}}}");
	p = gth_strdupf("%s/auth.json", dir);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	assert_int_equal(gth_registry_creds_find(&c, "r.example:5000", &err), 1);
	assert_string_equal(c.user, "hub");
	gth_registry_creds_release(&c);
	/* the environment comes first of all */
	setenv("GTH_REGISTRY_USER", "envuser", 1);
	setenv("GTH_REGISTRY_PASSWORD", "envpass", 1);
	assert_int_equal(gth_registry_creds_find(&c, "r.example:5000", &err), 1);
	assert_string_equal(c.user, "envuser");
	assert_string_equal(c.password, "envpass");
	gth_registry_creds_release(&c);
	unsetenv("GTH_REGISTRY_USER");
	unsetenv("GTH_REGISTRY_PASSWORD");
	/* a broken file is a configuration error */
	write_text("auth.json", "{\"auths\":{\"r.example:5000\":{\"auth\":\"!!\"}}}");
	assert_int_equal(gth_registry_creds_find(&c, "r.example:5000", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	write_text("auth.json", "not json");
	assert_int_equal(gth_registry_creds_find(&c, "r.example:5000", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_CONFIG");
	free(p);
	gth_remove_tree(dir, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_creds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
