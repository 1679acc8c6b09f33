#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "imgref.h"
#include "manifests.h"

struct bump_case {
	const char *name;
	const char *target, *tag, *digest, *container;
	const char *in;
	int rc;
	const char *out;   /* expected text, or for errors the start of the message */
};

#define D64 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static const struct bump_case cases[] = {
	{ "deployment", "ghcr.io/a/api", "v2", NULL, NULL,
	  "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n"
	  "        image: ghcr.io/a/api:v1\n", 1,
	  "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n"
	  "        image: ghcr.io/a/api:v2\n" },
	{ "other kind untouched", "ghcr.io/a/api", "v2", NULL, NULL,
	  "kind: ConfigMap\ndata:\n  image: ghcr.io/a/api:v1\n", 0, NULL },
	{ "prefix repository is not the repository", "ghcr.io/a/api", "v2", NULL, NULL,
	  "kind: Pod\nspec:\n  containers: [{name: x, image: ghcr.io/a/api-tools:v1}]\n", 0, NULL },
	{ "docker hub short name", "docker.io/library/redis", "7", D64, NULL,
	  "kind: Pod\nspec:\n  containers: [{name: x, image: \"redis:6\"}]\n", 1,
	  "kind: Pod\nspec:\n  containers: [{name: x, image: \"redis:7@" D64 "\"}]\n" },
	{ "digest only", "ghcr.io/a/api", NULL, D64, NULL,
	  "kind: Pod\nspec:\n  containers:\n  - image: ghcr.io/a/api:v1\n", 1,
	  "kind: Pod\nspec:\n  containers:\n  - image: ghcr.io/a/api@" D64 "\n" },
	{ "container filter", "ghcr.io/a/api", "v2", NULL, "b",
	  "kind: Pod\nspec:\n  containers:\n  - {name: a, image: ghcr.io/a/api:v1}\n"
	  "  - {name: b, image: ghcr.io/a/api:v1}\n", 1,
	  "kind: Pod\nspec:\n  containers:\n  - {name: a, image: ghcr.io/a/api:v1}\n"
	  "  - {name: b, image: ghcr.io/a/api:v2}\n" },
	{ "list of workloads", "ghcr.io/a/api", "v2", NULL, NULL,
	  "kind: List\nitems:\n- kind: Job\n  spec:\n    template:\n      spec:\n        containers:\n"
	  "        - image: ghcr.io/a/api:v1\n", 1,
	  "kind: List\nitems:\n- kind: Job\n  spec:\n    template:\n      spec:\n        containers:\n"
	  "        - image: ghcr.io/a/api:v2\n" },
	{ "kustomize digest added", "ghcr.io/a/api", "v2", D64, NULL,
	  "images:\n- name: ghcr.io/a/api\n  newTag: v1\n", 1,
	  "images:\n- name: ghcr.io/a/api\n  newTag: v2\n  digest: " D64 "\n" },
	{ "kustomize pinned, new has no digest", "ghcr.io/a/api", "v2", NULL, NULL,
	  "images:\n- name: ghcr.io/a/api\n  newTag: v1\n  digest: " D64 "\n", -1,
	  "k.yaml:4: the images entry for 'ghcr.io/a/api' pins a digest" },
	{ "helm with digest in tag", "ghcr.io/a/api", "v2", D64, NULL,
	  "image:\n  repository: ghcr.io/a/api\n  tag: v1\n", 1,
	  "image:\n  repository: ghcr.io/a/api\n  tag: v2@" D64 "\n" },
	{ "helm digest key", "ghcr.io/a/api", "v2", D64, NULL,
	  "image:\n  repository: ghcr.io/a/api\n  tag: v1\n  digest: ''\n", 1,
	  "image:\n  repository: ghcr.io/a/api\n  tag: v2\n  digest: '" D64 "'\n" },
	{ "flux tag marker by policy name", "ghcr.io/a/api", "v2", NULL, NULL,
	  "t: v1 # {\"$imagepolicy\": \"ns:api:tag\"}\n", 1,
	  "t: v2 # {\"$imagepolicy\": \"ns:api:tag\"}\n" },
	{ "flux tag marker of another image", "ghcr.io/a/api", "v2", NULL, NULL,
	  "r: ghcr.io/a/web # {\"$imagepolicy\": \"ns:api:name\"}\n"
	  "t: v1 # {\"$imagepolicy\": \"ns:api:tag\"}\n", 0, NULL },
	{ "malformed", "ghcr.io/a/api", "v2", NULL, NULL, "a: [\n", -1, "k.yaml:2: " },
};

static void test_bump_text(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bump_case *c = &cases[i];
		struct bump_target t = { c->target, c->tag, c->digest, c->container, "app" };
		struct bump_changes ch = BUMP_CHANGES_INIT;
		struct gth_buf out = GTH_BUF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		int rc = bump_text(&out, &ch, &t, "k.yaml", c->in, strlen(c->in), &err);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err.msg);
		if (rc == 1 && strcmp(gth_buf_cstr(&out), c->out) != 0)
			fail_msg("%s: got [%s]", c->name, gth_buf_cstr(&out));
		if (rc < 0 && strncmp(err.msg, c->out, strlen(c->out)) != 0)
			fail_msg("%s: error [%s]", c->name, err.msg);
		if (rc < 0 && err.exit != 65)
			fail_msg("%s: exit %d", c->name, err.exit);
		if (rc == 1 && ch.n == 0)
			fail_msg("%s: no change recorded", c->name);
		bump_changes_clear(&ch);
		gth_buf_release(&out);
	}
}

static void test_ref(void **state)
{
	static const struct {
		const char *in, *name, *tag, *digest;
	} ok[] = {
		{ "nginx", "docker.io/library/nginx", NULL, NULL },
		{ "nginx:1.25", "docker.io/library/nginx", "1.25", NULL },
		{ "library/nginx:1", "docker.io/library/nginx", "1", NULL },
		{ "index.docker.io/library/nginx", "docker.io/library/nginx", NULL, NULL },
		{ "localhost:5000/a/b:c", "localhost:5000/a/b", "c", NULL },
		{ "localhost/a", "localhost/a", NULL, NULL },
		{ "ghcr.io/acme/api:v1@" D64, "ghcr.io/acme/api", "v1", D64 },
		{ "acme/api@" D64, "docker.io/acme/api", NULL, D64 },
	};
	static const char *const bad[] = { "", "a/Upper", "a:b:c", "a@sha256:12", "a:-x",
					   "a//b", ":tag" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct bump_ref r = BUMP_REF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		if (bump_ref_parse(&r, ok[i].in, &err) < 0)
			fail_msg("%s: %s", ok[i].in, err.msg);
		assert_string_equal(r.name, ok[i].name);
		if (ok[i].tag)
			assert_string_equal(r.tag, ok[i].tag);
		else
			assert_null(r.tag);
		if (ok[i].digest)
			assert_string_equal(r.digest, ok[i].digest);
		else
			assert_null(r.digest);
		bump_ref_release(&r);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bump_ref r = BUMP_REF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		if (bump_ref_parse(&r, bad[i], &err) == 0)
			fail_msg("'%s' parsed", bad[i]);
		assert_int_equal(err.exit, 65);
	}
	assert_int_equal(bump_ref_repo_len("localhost:5000/a:1@x"), 16);
	assert_int_equal(bump_ref_repo_len("nginx"), 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bump_text),
		cmocka_unit_test(test_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
