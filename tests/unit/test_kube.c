/* lib/kube: paths, Status errors, kubeconfig selection and its errors. Requests
 * and watches are tested against tests/servers/kube-api.py in the CLI tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/kube.h"
#include "gth/util.h"

static void test_path(void **state)
{
	char *p;
	(void)state;
	p = gth_kube_path("argoproj.io/v1alpha1", "shop", "rollouts", "api");
	assert_string_equal(p, "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/api");
	free(p);
	p = gth_kube_path("v1", "default", "configmaps", NULL);
	assert_string_equal(p, "/api/v1/namespaces/default/configmaps");
	free(p);
	p = gth_kube_path("v1", NULL, "namespaces", "a b");
	assert_string_equal(p, "/api/v1/namespaces/a%20b");
	free(p);
}

static void test_status_error(void **state)
{
	static const struct { long code; const char *body; int exit, rc; const char *msg; } cases[] = {
		{ 404, "{\"kind\":\"Status\",\"message\":\"rollouts.argoproj.io \\\"x\\\" not found\",\"code\":404}",
		  66, -1, "rollouts.argoproj.io \"x\" not found (HTTP 404)" },
		{ 401, "{\"kind\":\"Status\",\"message\":\"Unauthorized\"}", 77, -1, "Unauthorized (HTTP 401)" },
		{ 403, "forbidden\nmore", 77, -1, "forbidden (HTTP 403)" },
		{ 409, "{\"kind\":\"Status\",\"message\":\"the object has been modified\"}", 75, GTH_KUBE_CONFLICT,
		  "the object has been modified (HTTP 409)" },
		{ 422, "{\"kind\":\"Status\",\"message\":\"invalid\"}", 65, -1, "invalid (HTTP 422)" },
		{ 500, "", 69, -1, "no message (HTTP 500)" },
		{ 429, "{\"kind\":\"Other\",\"message\":\"x\"}", 69, -1, "{\"kind\":\"Other\",\"message\":\"x\"} (HTTP 429)" },
	};
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct gth_error err = GTH_ERROR_INIT;
		assert_int_equal(gth_kube_status_error(&err, cases[i].code, cases[i].body, NULL), cases[i].rc);
		assert_int_equal(err.exit, cases[i].exit);
		assert_string_equal(err.msg, cases[i].msg);
	}
}

static char dir[] = "/tmp/gth-kube-test.XXXXXX";

static const char *write_cfg(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static const char base_cfg[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"contexts:\n"
	"- name: dev\n"
	"  context: {cluster: c1, user: u1, namespace: shop}\n"
	"- name: prod\n"
	"  context: {cluster: c2, user: u2}\n"
	"- name: broken\n"
	"  context: {cluster: nope, user: u1}\n"
	"- name: nouser\n"
	"  context: {cluster: c1, user: ghost}\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster: {server: \"https://10.0.0.1:6443/\", certificate-authority-data: \"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\"}\n"
	"- name: c2\n"
	"  cluster: {server: \"https://prod:443\", insecure-skip-tls-verify: true}\n"
	"users:\n"
	"- name: u1\n"
	"  user: {token: abcdefgh}\n"
	"- name: u2\n"
	"  user: {username: admin, password: hunter22}\n";

static void test_kubeconfig(void **state)
{
	static const struct { const char *context, *ns; int exit; const char *server, *want_ns, *msg; } cases[] = {
		{ NULL, NULL, 0, "https://10.0.0.1:6443", "shop", NULL },
		{ "prod", NULL, 0, "https://prod:443", "default", NULL },
		{ "prod", "other", 0, "https://prod:443", "other", NULL },
		{ "staging", NULL, 78, NULL, NULL, ":5: contexts: no context named 'staging' in the kubeconfig" },
		{ "broken", NULL, 78, NULL, NULL, ":10: contexts[2].context.cluster: no cluster named 'nope'" },
		{ "nouser", NULL, 78, NULL, NULL, ":12: contexts[3].context.user: no user named 'ghost'" },
	};
	const char *path = write_cfg("config", base_cfg);
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		struct gth_kube_options o = GTH_KUBE_OPTIONS_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		struct gth_kube *k = NULL;
		int rc;
		o.kubeconfig = path;
		o.context = cases[i].context;
		o.ns = cases[i].ns;
		rc = gth_kube_open(&k, &o, &err);
		print_message("case %zu: %s\n", i, err.msg);
		if (cases[i].exit) {
			assert_int_equal(rc, -1);
			assert_int_equal(err.exit, cases[i].exit);
			assert_non_null(strstr(err.msg, cases[i].msg));
			assert_null(k);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(gth_kube_server(k), cases[i].server);
		assert_string_equal(gth_kube_namespace(k), cases[i].want_ns);
		gth_kube_free(k);
	}
}

static void test_kubeconfig_env_merge(void **state)
{
	struct gth_kube_options o = GTH_KUBE_OPTIONS_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_kube *k = NULL;
	char env[1024];
	(void)state;
	write_cfg("a", "current-context: mine\ncontexts:\n- name: mine\n  context: {cluster: c1, user: u1, namespace: first}\n");
	write_cfg("b", base_cfg);
	snprintf(env, sizeof(env), "%s/missing:%s/a:%s/b", dir, dir, dir);
	setenv("KUBECONFIG", env, 1);
	assert_int_equal(gth_kube_open(&k, &o, &err), 0);
	assert_string_equal(gth_kube_context(k), "mine");
	assert_string_equal(gth_kube_namespace(k), "first");
	assert_string_equal(gth_kube_server(k), "https://10.0.0.1:6443");
	gth_kube_free(k);
	unsetenv("KUBECONFIG");
}

static void test_kubeconfig_bad(void **state)
{
	struct gth_kube_options o = GTH_KUBE_OPTIONS_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_kube *k = NULL;
	(void)state;
	o.kubeconfig = write_cfg("bad64",
				 "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
				 "clusters:\n- name: c\n  cluster:\n    server: https://x\n"
				 "    certificate-authority-data: \"!!!\"\n");
	assert_int_equal(gth_kube_open(&k, &o, &err), -1);
	assert_int_equal(err.exit, 78);
	assert_non_null(strstr(err.msg, ":9: "));
	assert_non_null(strstr(err.msg, "invalid base64"));
	o.kubeconfig = write_cfg("noserver", "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
				 "clusters:\n- name: c\n  cluster: {server: \"ftp://x\"}\n");
	assert_int_equal(gth_kube_open(&k, &o, &err), -1);
	assert_int_equal(err.exit, 78);
	assert_non_null(strstr(err.msg, "is not an http(s) URL"));
	o.kubeconfig = write_cfg("exec", "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: e}\n"
				 "clusters:\n- name: c\n  cluster: {server: \"https://x\"}\n"
				 "users:\n- name: e\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, args: [x]}\n");
	assert_int_equal(gth_kube_open(&k, &o, &err), -1);
	assert_int_equal(err.exit, 78);
	assert_non_null(strstr(err.msg, "exec: expected a command"));
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = { "config", "a", "b", "bad64", "noserver", "exec" };
	char p[256];
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path), cmocka_unit_test(test_status_error),
		cmocka_unit_test(test_kubeconfig), cmocka_unit_test(test_kubeconfig_env_merge),
		cmocka_unit_test(test_kubeconfig_bad),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
