#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gth/yamledit.h"

struct set_case {
	const char *name;
	const char *in;
	size_t doc;
	const char *path;
	const char *value;
	int rc;               /* 0 set, 1 unchanged, -1 error */
	const char *out;      /* expected text, or the error's exit status as text */
};

static const struct set_case set_cases[] = {
	{ "plain block", "a: 1\nimage: nginx:1.2 # keep\nz: 2\n", 0, "image", "nginx:1.3", 0,
	  "a: 1\nimage: nginx:1.3 # keep\nz: 2\n" },
	{ "double quoted", "image: \"nginx:1.2\"\n", 0, "image", "nginx:1.3", 0,
	  "image: \"nginx:1.3\"\n" },
	{ "single quoted", "image: 'nginx:1.2'   # c\n", 0, "image", "it's", 0,
	  "image: 'it''s'   # c\n" },
	{ "double escapes", "v: \"x\"\n", 0, "v", "a\"b\\c", 0, "v: \"a\\\"b\\\\c\"\n" },
	{ "crlf", "a: 1\r\n\r\n# c\r\nimage: nginx:1.2\r\nb: x\r\n", 0, "image", "nginx:2", 0,
	  "a: 1\r\n\r\n# c\r\nimage: nginx:2\r\nb: x\r\n" },
	{ "second document", "---\nimage: a:1\n---\n# two\nimage: a:1\n...\n", 1, "image", "a:2", 0,
	  "---\nimage: a:1\n---\n# two\nimage: a:2\n...\n" },
	{ "flow sequence", "l: [a, \"b\",   c]\n", 0, "l[2]", "d", 0, "l: [a, \"b\",   d]\n" },
	{ "flow map", "m: {image: 'x:1', name: app}\n", 0, "m.image", "x:2", 0,
	  "m: {image: 'x:2', name: app}\n" },
	{ "flow plain needs quotes", "l: [a, b]\n", 0, "l[0]", "x,y", 0, "l: [\"x,y\", b]\n" },
	{ "plain needs quotes", "v: a\n", 0, "v", "a: b", 0, "v: \"a: b\"\n" },
	{ "anchor keeps anchor", "base: &img nginx:1.2\nuse: *img\n", 0, "use", "nginx:1.3", 0,
	  "base: &img nginx:1.3\nuse: *img\n" },
	{ "anchor on its own line", "base: &img\n  nginx:1.2\n", 0, "base", "nginx:1.3", 0,
	  "base: &img\n  nginx:1.3\n" },
	{ "tag", "v: !!str 12\n", 0, "v", "13", 0, "v: !!str 13\n" },
	{ "selector", "c:\n- name: a\n  image: x:1\n- name: b\n  image: y:1\n", 0, "c[name=b].image",
	  "y:2", 0, "c:\n- name: a\n  image: x:1\n- name: b\n  image: y:2\n" },
	{ "utf-8 before", "k\xc3\xa9y: \"v\xc3\xa9\"\nimage: x:1\n", 0, "image", "x:\xc3\xa9", 0,
	  "k\xc3\xa9y: \"v\xc3\xa9\"\nimage: x:\xc3\xa9\n" },
	{ "bom", "\xef\xbb\xbfimage: x:1\n", 0, "image", "x:2", 0, "\xef\xbb\xbfimage: x:2\n" },
	{ "multi-line plain", "v: one\n  two\nz: 1\n", 0, "v", "three", 0, "v: three\nz: 1\n" },
	{ "no final newline", "v: 1", 0, "v", "2", 0, "v: 2" },
	{ "unchanged", "v: same\n", 0, "v", "same", 1, "v: same\n" },
	{ "missing path", "v: 1\n", 0, "w", "2", -1, "66" },
	{ "block scalar refused", "v: |\n  text\n", 0, "v", "x", -1, "65" },
	{ "malformed", "a: [1, 2\nb: 3\n", 0, "a", "x", -1, "65" },
	{ "tab indent malformed", "a:\n\tb: 1\n", 0, "a", "x", -1, "65" },
};

static void test_set_path(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *c = &set_cases[i];
		struct gth_buf out = GTH_BUF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		int rc = gth_ye_set_path(&out, c->in, strlen(c->in), "f.yaml", c->doc, c->path,
					 c->value, &err);
		if (rc != c->rc)
			fail_msg("%s: rc %d, expected %d (%s)", c->name, rc, c->rc, err.msg);
		if (rc >= 0) {
			if (strcmp(gth_buf_cstr(&out), c->out) != 0)
				fail_msg("%s: got [%s] expected [%s]", c->name, gth_buf_cstr(&out),
					 c->out);
		} else {
			char code[8];
			snprintf(code, sizeof(code), "%d", err.exit);
			if (strcmp(code, c->out) != 0)
				fail_msg("%s: exit %s, expected %s (%s)", c->name, code, c->out,
					 err.msg);
		}
		gth_buf_release(&out);
	}
}

static void test_malformed_names_file_and_line(void **state)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const char *in = "a: 1\nb: 2\nc: [1, 2\nd: 4\n";

	(void)state;
	assert_int_equal(gth_ye_parse(&f, in, strlen(in), "k8s/app.yaml", &err), -1);
	assert_int_equal(err.exit, 65);
	assert_true(strncmp(err.msg, "k8s/app.yaml:", 13) == 0);
	assert_non_null(strstr(err.msg, "flow sequence"));
	gth_ye_release(&f);
}

static void test_nodes_and_positions(void **state)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const char *in = "# head\r\n---\r\nkind: Deployment\r\nspec:\r\n  image: 'a:1'"
		"  # {\"$imagepolicy\": \"ns:app:tag\"}\r\n---\r\nother: [x, y] # tail\r\n";
	const struct gth_ye_node *n;
	const char *c;
	size_t len;

	(void)state;
	assert_int_equal(gth_ye_parse(&f, in, strlen(in), "f", &err), 0);
	assert_int_equal(f.ndocs, 2);
	assert_string_equal(f.eol, "\r\n");
	n = gth_ye_find(&f, 0, "spec.image");
	assert_non_null(n);
	assert_int_equal(n->line, 5);
	assert_int_equal(n->style, GTH_YE_SINGLE);
	assert_int_equal(n->end - n->start, 5);
	assert_memory_equal(in + n->start, "'a:1'", 5);
	c = gth_ye_line_comment(&f, n, &len);
	assert_non_null(c);
	assert_int_equal(len, strlen("{\"$imagepolicy\": \"ns:app:tag\"}"));
	assert_memory_equal(c, "{\"$imagepolicy\": \"ns:app:tag\"}", len);
	n = gth_ye_find(&f, 1, "other[1]");
	assert_non_null(n);
	c = gth_ye_line_comment(&f, n, &len);
	assert_non_null(c);
	assert_memory_equal(c, "tail", 4);
	assert_null(gth_ye_line_comment(&f, gth_ye_find(&f, 1, "other[0]"), &len));
	assert_ptr_equal(gth_ye_find_at_line(&f, 5, "a:1"), gth_ye_find(&f, 0, "spec.image"));
	assert_null(gth_ye_find_at_line(&f, 5, "a:2"));
	assert_null(gth_ye_find(&f, 2, "x"));
	gth_ye_release(&f);
}

static void test_insert(void **state)
{
	static const struct {
		const char *in, *map, *out;
	} cases[] = {
		{ "images:\n- name: app\n  newTag: v1 # c\n\nz: 1\n", "images[0]",
		  "images:\n- name: app\n  newTag: v1 # c\n  digest: sha256:ab\n\nz: 1\n" },
		{ "images:\r\n  - name: app\r\n", "images[0]",
		  "images:\r\n  - name: app\r\n    digest: sha256:ab\r\n" },
		{ "images: [{name: app}]\n", "images[0]", "images: [{name: app, digest: sha256:ab}]\n" },
		{ "images: [{name: app }]\n", "images[0]", "images: [{name: app, digest: sha256:ab }]\n" },
		{ "m:\n  a:\n    b: 1\n", "m", "m:\n  a:\n    b: 1\n  digest: sha256:ab\n" },
		{ "m:\n  a: 1", "m", "m:\n  a: 1\n  digest: sha256:ab" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gth_ye_file f = GTH_YE_FILE_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		struct gth_buf out = GTH_BUF_INIT;
		assert_int_equal(gth_ye_parse(&f, cases[i].in, strlen(cases[i].in), "f", &err), 0);
		if (gth_ye_insert(&f, gth_ye_find(&f, 0, cases[i].map), "digest", "sha256:ab",
				  &err) < 0 || gth_ye_apply(&f, &out, &err) < 0)
			fail_msg("case %zu: %s", i, err.msg);
		if (strcmp(gth_buf_cstr(&out), cases[i].out) != 0)
			fail_msg("case %zu: got [%s]", i, gth_buf_cstr(&out));
		gth_buf_release(&out);
		gth_ye_release(&f);
	}
}

static void test_set_twice(void **state)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_buf out = GTH_BUF_INIT;
	const char *in = "a: &x v1\nb: *x\nc: v1\n";

	(void)state;
	assert_int_equal(gth_ye_parse(&f, in, strlen(in), "f", &err), 0);
	assert_int_equal(gth_ye_set(&f, gth_ye_find(&f, 0, "a"), "v2", &err), 0);
	assert_int_equal(gth_ye_set(&f, f.docs[0]->items[1], "v2", &err), 0);
	assert_int_equal(gth_ye_pending(&f), 1);
	assert_int_equal(gth_ye_set(&f, f.docs[0]->items[1], "v3", &err), -1);
	assert_int_equal(err.exit, 65);
	assert_int_equal(gth_ye_set(&f, gth_ye_find(&f, 0, "c"), "v2", &err), 0);
	assert_int_equal(gth_ye_apply(&f, &out, &err), 0);
	assert_string_equal(gth_buf_cstr(&out), "a: &x v2\nb: *x\nc: v2\n");
	gth_buf_release(&out);
	gth_ye_release(&f);
}

static void test_unknown_anchor(void **state)
{
	struct gth_ye_file f = GTH_YE_FILE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const char *in = "a: 1\nb: *nope\n";

	(void)state;
	assert_int_equal(gth_ye_parse(&f, in, strlen(in), "f", &err), -1);
	assert_string_equal(err.msg, "f:2: unknown anchor 'nope'");
}

static void test_quote(void **state)
{
	static const struct {
		const char *v;
		enum gth_ye_style style;
		int flow;
		const char *out;
	} cases[] = {
		{ "ghcr.io/a/b:v1@sha256:00", GTH_YE_PLAIN, 0, "ghcr.io/a/b:v1@sha256:00" },
		{ "ghcr.io/a/b:v1", GTH_YE_PLAIN, 1, "ghcr.io/a/b:v1" },
		{ "", GTH_YE_PLAIN, 0, "\"\"" },
		{ "-x", GTH_YE_PLAIN, 0, "-x" },
		{ "- x", GTH_YE_PLAIN, 0, "\"- x\"" },
		{ "a #b", GTH_YE_PLAIN, 0, "\"a #b\"" },
		{ "a#b", GTH_YE_PLAIN, 0, "a#b" },
		{ "@x", GTH_YE_PLAIN, 0, "\"@x\"" },
		{ "x:", GTH_YE_PLAIN, 0, "\"x:\"" },
		{ "a]", GTH_YE_PLAIN, 1, "\"a]\"" },
		{ "a]", GTH_YE_PLAIN, 0, "a]" },
		{ "l\nm", GTH_YE_SINGLE, 0, "\"l\\nm\"" },
		{ "o'k", GTH_YE_SINGLE, 0, "'o''k'" },
		{ "\x01", GTH_YE_DOUBLE, 0, "\"\\x01\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gth_buf b = GTH_BUF_INIT;
		assert_int_equal(gth_ye_quote(&b, cases[i].v, cases[i].style, cases[i].flow), 0);
		if (strcmp(gth_buf_cstr(&b), cases[i].out) != 0)
			fail_msg("case %zu: got [%s] expected [%s]", i, gth_buf_cstr(&b), cases[i].out);
		gth_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_path),
		cmocka_unit_test(test_malformed_names_file_and_line),
		cmocka_unit_test(test_nodes_and_positions),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_set_twice),
		cmocka_unit_test(test_unknown_anchor),
		cmocka_unit_test(test_quote),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
