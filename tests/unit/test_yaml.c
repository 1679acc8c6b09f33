#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/config.h"
#include "gth/fs.h"
#include "gth/yaml.h"

static const char *doc1 =
	"# comment\n"
	"test:\n"
	"  gates:\n"
	"    - name: unit\n"
	"      run: npm test\n"
	"      timeout: 5m\n"
	"    - name: lint\n"
	"      run: 'npm run lint'\n"
	"      timeout: five\n"
	"      allow-failure: yes\n"
	"empty:\n"
	"flow: {a: 1, b: [x, \"y\"]}\n";

static void test_tree_and_positions(void **state)
{
	struct gth_yaml_doc d = GTH_YAML_DOC_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const struct gth_node *root, *gates, *g1, *n;
	int64_t ms = 0;
	int b = 0;

	(void)state;
	assert_int_equal(gth_yaml_parse(&d, doc1, strlen(doc1), "gth.yaml", &err), 0);
	root = gth_yaml_root(&d);
	assert_non_null(root);
	assert_int_equal(root->kind, GTH_NODE_MAP);
	gates = gth_node_path(root, "test.gates");
	assert_non_null(gates);
	assert_int_equal(gates->kind, GTH_NODE_SEQ);
	assert_int_equal(gates->n, 2);
	g1 = gth_node_at(gates, 1);
	assert_string_equal(gth_node_str(gth_node_get(g1, "run")), "npm run lint");
	assert_true(gth_node_get(g1, "run")->quoted);
	assert_int_equal(gth_node_get_duration(gth_node_at(gates, 0), "timeout", &ms,
					       GTH_EXIT_CONFIG, &err), 1);
	assert_int_equal(ms, 300000);
	assert_int_equal(gth_node_get_duration(g1, "timeout", &ms, GTH_EXIT_CONFIG, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	assert_string_equal(err.msg,
			    "gth.yaml:9: test.gates[1].timeout: expected a duration like 5m");
	assert_int_equal(gth_node_get_bool(g1, "allow-failure", &b, GTH_EXIT_CONFIG, &err), 1);
	assert_int_equal(b, 1);
	assert_int_equal(gth_node_get_bool(g1, "missing", &b, GTH_EXIT_CONFIG, &err), 0);
	assert_true(gth_node_is_null(gth_node_get(root, "empty")));
	assert_null(gth_node_str(gth_node_get(root, "empty")));
	n = gth_node_path(root, "flow.b");
	assert_int_equal(n->kind, GTH_NODE_SEQ);
	assert_string_equal(n->items[1]->value, "y");
	assert_string_equal(n->items[1]->path, "flow.b[1]");
	assert_int_equal(n->items[1]->line, 12);
	{
		static const char *const known[] = { "name", "run", "timeout", NULL };

		assert_int_equal(gth_node_check_keys(g1, known, GTH_EXIT_CONFIG, &err), -1);
		assert_string_equal(err.msg,
				    "gth.yaml:10: test.gates[1].allow-failure: unknown key 'allow-failure'");
	}
	gth_yaml_doc_release(&d);
}

static void test_multi_doc_anchors_merge(void **state)
{
	static const char *text =
		"base: &b\n  image: nginx\n  port: 80\n"
		"svc:\n  <<: *b\n  port: 8080\n"
		"list: [*b, *b]\n"
		"---\n"
		"---\n"
		"kind: Second\n";
	struct gth_yaml_doc d = GTH_YAML_DOC_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const struct gth_node *root, *svc;

	(void)state;
	assert_int_equal(gth_yaml_parse(&d, text, strlen(text), "m.yaml", &err), 0);
	assert_int_equal(d.ndocs, 3);
	assert_null(d.docs[1]);
	assert_string_equal(gth_node_str(gth_node_get(d.docs[2], "kind")), "Second");
	root = d.docs[0];
	svc = gth_node_get(root, "svc");
	assert_string_equal(gth_node_str(gth_node_get(svc, "port")), "8080");
	assert_string_equal(gth_node_str(gth_node_get(svc, "image")), "nginx");
	assert_string_equal(gth_node_get(svc, "image")->path, "svc.image");
	assert_string_equal(gth_node_path(root, "list")->items[1]->items[0]->value, "nginx");
	gth_yaml_doc_release(&d);
}

static void test_errors(void **state)
{
	static const struct { const char *text; const char *msg; } cases[] = {
		{ "a: [1, 2\n", "bad.yaml:2: " },
		{ "a: 1\na: 2\n", "bad.yaml:2: a: duplicate key" },
		{ "a: *nope\n", "bad.yaml:1: unknown alias '*nope'" },
		{ "a:\n  - b\n c: d\n", "bad.yaml:3: " },
		{ "? [a]\n: b\n", "bad.yaml:1: only scalar keys are supported" },
		{ "\t- x\n", "bad.yaml:1: " },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gth_yaml_doc d = GTH_YAML_DOC_INIT;
		struct gth_error err = GTH_ERROR_INIT;

		if (gth_yaml_parse(&d, cases[i].text, strlen(cases[i].text), "bad.yaml", &err) != -1)
			fail_msg("case %zu parsed", i);
		assert_int_equal(err.exit, GTH_EXIT_DATAERR);
		if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got '%s', expected prefix '%s'", i, err.msg, cases[i].msg);
		gth_yaml_doc_release(&d);
	}
}

static void test_alias_bomb(void **state)
{
	struct gth_yaml_doc d = GTH_YAML_DOC_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char text[2048];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 9; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
				      i - 1, i - 1);
	assert_int_equal(gth_yaml_parse(&d, text, n, "bomb.yaml", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_DATAERR);
	assert_non_null(strstr(err.msg, "too many nodes"));
	gth_yaml_doc_release(&d);
}

static void test_config_load(void **state)
{
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	const struct gth_node *sec;
	char dir[] = "/tmp/gth-unit-XXXXXX";
	char path[256], cwd[1024];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	unsetenv("GTH_CONFIG");
	/* No file: an empty configuration. */
	assert_int_equal(gth_config_load(&cfg, NULL, &err), 0);
	assert_null(cfg.root);
	assert_int_equal(gth_config_section(&sec, &cfg, "test", &err), 0);
	assert_null(sec);
	gth_config_release(&cfg);
	/* A named file that is missing. */
	assert_int_equal(gth_config_load(&cfg, "nope.yaml", &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	/* Malformed YAML is a configuration error with file:line. */
	snprintf(path, sizeof(path), "%s/gth.yaml", dir);
	assert_int_equal(gth_write_file_atomic(path, "test:\n  gates: [\n", 17, 0644, &err), 0);
	assert_int_equal(gth_config_load(&cfg, NULL, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	assert_int_equal(strncmp(err.msg, "gth.yaml:3: ", 12), 0);
	/* A top level that is not a map. */
	assert_int_equal(gth_write_file_atomic(path, "- a\n", 4, 0644, &err), 0);
	assert_int_equal(gth_config_load(&cfg, NULL, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_CONFIG);
	assert_string_equal(err.msg, "gth.yaml:1: expected a mapping at the top");
	/* A section that is not a map. */
	assert_int_equal(gth_write_file_atomic(path, "test: 3\n", 8, 0644, &err), 0);
	assert_int_equal(gth_config_load(&cfg, NULL, &err), 0);
	assert_int_equal(gth_config_section(&sec, &cfg, "test", &err), -1);
	assert_string_equal(err.msg, "gth.yaml:1: test: expected a mapping");
	gth_config_release(&cfg);
	/* GTH_CONFIG wins over ./gth.yaml. */
	setenv("GTH_CONFIG", "/nonexistent/gth.yaml", 1);
	assert_int_equal(gth_config_load(&cfg, NULL, &err), -1);
	assert_int_equal(err.exit, GTH_EXIT_NOINPUT);
	unsetenv("GTH_CONFIG");
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(gth_remove_tree(dir, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_multi_doc_anchors_merge),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_config_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
