#include "gate.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/util.h"
#include "gth/yaml.h"

static void gate_release(struct gate *g)
{
	size_t i;

	free(g->name);
	free(g->run);
	free(g->dir);
	for (i = 0; g->env && g->env[i]; i++)
		free(g->env[i]);
	free(g->env);
	free(g->junit);
	free(g->tap);
}

void gate_list_release(struct gate_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		gate_release(&l->v[i]);
	free(l->v);
	for (i = 0; i < l->nsources; i++)
		free(l->sources[i]);
	free(l->sources);
	free(l->root);
	free(l->origin);
	memset(l, 0, sizeof(*l));
	l->defaults.retries = -1;
}

static struct gate *add_gate(struct gate_list *l)
{
	struct gate *v = realloc(l->v, (l->n + 1) * sizeof(*v)), *g;

	if (!v)
		return NULL;
	l->v = v;
	g = &l->v[l->n];
	memset(g, 0, sizeof(*g));
	g->retries = -1;
	g->env = calloc(1, sizeof(*g->env));
	if (!g->env)
		return NULL;
	l->n++;
	return g;
}

static const char *keep_source(struct gate_list *l, char *s)
{
	char **v;

	if (!s)
		return "?";
	v = realloc(l->sources, (l->nsources + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return "?";
	}
	l->sources = v;
	l->sources[l->nsources++] = s;
	return s;
}

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return 0;
	return 1;
}

static int valid_env_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Absolute, normalised folder for dir relative to base; NULL when missing. */
static char *resolve_dir(const char *base, const char *dir)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *real;

	if (dir[0] == '/')
		gth_buf_puts(&b, dir);
	else
		gth_path_join(&b, base, dir);
	real = realpath(gth_buf_cstr(&b), NULL);
	gth_buf_release(&b);
	if (real && !gth_is_dir(real)) {
		free(real);
		real = NULL;
	}
	return real;
}

static int push_env(struct gate *g, const char *name, const char *value)
{
	size_t n = 0;
	char **v;

	while (g->env[n])
		n++;
	v = realloc(g->env, (n + 2) * sizeof(*v));
	if (!v)
		return -1;
	g->env = v;
	g->env[n] = gth_strdupf("%s=%s", name, value);
	g->env[n + 1] = NULL;
	return g->env[n] ? 0 : -1;
}

static int read_defaults(struct gate_defaults *d, const struct gth_node *sec,
			 struct gth_error *err)
{
	long max_output = 0;

	if (gth_node_get_duration(sec, "timeout", &d->timeout_ms, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_long(sec, "retries", 0, 100, &d->retries, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_long(sec, "jobs", 1, 1024, &d->jobs, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_duration(sec, "grace", &d->grace_ms, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_long(sec, "max-output", 1024, 1L << 30, &max_output, GTH_EXIT_CONFIG,
			      err) < 0)
		return -1;
	if (max_output)
		d->max_output = (size_t)max_output;
	if (gth_node_get(sec, "timeout") && d->timeout_ms <= 0)
		return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(sec, "timeout"),
				      "expected a duration like 5m");
	return 0;
}

static int read_gate(struct gate_list *l, const struct gth_node *gn, const char *base,
		     struct gth_error *err)
{
	static const char *const keys[] = { "name", "run", "dir", "env", "timeout", "retries",
					    "junit", "tap", "allow-failure", NULL };
	const char *name = NULL, *run = NULL, *dir = NULL, *junit = NULL;
	const struct gth_node *env, *tap, *name_node;
	struct gate *g;
	size_t i;

	if (gn->kind != GTH_NODE_MAP)
		return gth_node_error(err, GTH_EXIT_CONFIG, gn,
				      "expected a mapping with name and run");
	if (gth_node_check_keys(gn, keys, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_str(gn, "name", &name, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_str(gn, "run", &run, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_str(gn, "dir", &dir, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_str(gn, "junit", &junit, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	name_node = gth_node_get(gn, "name");
	if (!name)
		return gth_node_error(err, GTH_EXIT_CONFIG, gn, "missing key 'name'");
	if (!valid_name(name))
		return gth_node_error(err, GTH_EXIT_CONFIG, name_node,
				      "expected a name of letters, digits, '.', '_' or '-'");
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return gth_node_error(err, GTH_EXIT_CONFIG, name_node,
					      "duplicate gate name '%s'", name);
	if (!run || !*run)
		return gth_node_error(err, GTH_EXIT_CONFIG, gn, "missing key 'run'");

	g = add_gate(l);
	if (!g)
		return oom(err);
	g->name = strdup(name);
	g->run = strdup(run);
	g->source = keep_source(l, gth_strdupf("%s:%d", gn->file ? gn->file : "gth.yaml",
					       gn->line));
	if (!g->name || !g->run)
		return oom(err);
	g->dir = resolve_dir(base, dir ? dir : ".");
	if (!g->dir)
		return gth_node_error(err, GTH_EXIT_CONFIG,
				      dir ? gth_node_get(gn, "dir") : gn,
				      "no such directory '%s'", dir ? dir : base);
	if (gth_node_get_duration(gn, "timeout", &g->timeout_ms, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_long(gn, "retries", 0, 100, &g->retries, GTH_EXIT_CONFIG, err) < 0 ||
	    gth_node_get_bool(gn, "allow-failure", &g->allow_failure, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (gth_node_get(gn, "timeout") && g->timeout_ms <= 0)
		return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(gn, "timeout"),
				      "expected a duration like 5m");
	if (junit && !(g->junit = strdup(junit)))
		return oom(err);

	tap = gth_node_get(gn, "tap");
	if (tap && !gth_node_is_null(tap)) {
		int b = 0;
		if (tap->kind == GTH_NODE_SCALAR && tap->quoted) {
			if (!(g->tap = strdup(tap->value)))
				return oom(err);
		} else if (tap->kind == GTH_NODE_SCALAR &&
			   gth_node_get_bool(gn, "tap", &b, GTH_EXIT_CONFIG, NULL) == 1) {
			g->tap_output = b;
		} else if (tap->kind == GTH_NODE_SCALAR) {
			if (!(g->tap = strdup(tap->value)))
				return oom(err);
		} else {
			return gth_node_error(err, GTH_EXIT_CONFIG, tap,
					      "expected true, false or a glob of TAP files");
		}
	}

	env = gth_node_get(gn, "env");
	if (env && !gth_node_is_null(env)) {
		if (env->kind != GTH_NODE_MAP)
			return gth_node_error(err, GTH_EXIT_CONFIG, env,
					      "expected a mapping of NAME: value");
		for (i = 0; i < env->n; i++) {
			const struct gth_node *v = env->items[i];
			if (!valid_env_name(env->keys[i]))
				return gth_node_error(err, GTH_EXIT_CONFIG, v,
						      "invalid variable name '%s'", env->keys[i]);
			if (v->kind != GTH_NODE_SCALAR)
				return gth_node_error(err, GTH_EXIT_CONFIG, v, "expected a string");
			if (push_env(g, env->keys[i], v->value ? v->value : "") < 0)
				return oom(err);
		}
	}
	return 0;
}

int gates_from_config(struct gate_list *l, const struct gth_config *cfg,
		      struct gth_error *err)
{
	static const char *const keys[] = { "gates", "timeout", "retries", "jobs", "grace",
					    "max-output", NULL };
	const struct gth_node *sec = NULL, *gates;
	char *real = NULL, *slash;
	size_t i;
	int rc = -1;

	if (gth_config_section(&sec, cfg, "test", err) < 0)
		goto done;
	if (!sec) {
		rc = 0;
		goto done;
	}
	if (gth_node_check_keys(sec, keys, GTH_EXIT_CONFIG, err) < 0 ||
	    read_defaults(&l->defaults, sec, err) < 0)
		goto done;
	gates = gth_node_get(sec, "gates");
	if (!gates || gth_node_is_null(gates)) {
		rc = 0;
		goto done;
	}
	if (gates->kind != GTH_NODE_SEQ) {
		gth_node_error(err, GTH_EXIT_CONFIG, gates, "expected a list of gates");
		goto done;
	}
	real = realpath(cfg->path, NULL);
	if (!real) {
		gth_error_set(err, GTH_EXIT_NOINPUT, "unable to resolve '%s'", cfg->path);
		goto done;
	}
	slash = strrchr(real, '/');
	if (slash == real)
		slash[1] = '\0';
	else
		*slash = '\0';
	free(l->root);
	l->root = real;
	real = NULL;
	for (i = 0; i < gates->n; i++)
		if (read_gate(l, gates->items[i], l->root, err) < 0)
			goto done;
	free(l->origin);
	l->origin = strdup("gth.yaml");
	rc = l->n > 0;
done:
	free(real);
	return rc;
}

static int add_detected(struct gate_list *l, const char *root, const char *name,
			const char *run, const char *junit, const char *source)
{
	struct gate *g = add_gate(l);

	if (!g)
		return -1;
	g->name = strdup(name);
	g->run = strdup(run);
	g->dir = strdup(root);
	g->junit = junit ? strdup(junit) : NULL;
	g->source = source;
	return g->name && g->run && g->dir && (!junit || g->junit) ? 0 : -1;
}

/* "check:" or "check test:" at the start of a line of a Makefile. */
static int make_target(const char *text, const char *target)
{
	const char *p = text;
	size_t tl = strlen(target);

	while (p && *p) {
		const char *e = p + strcspn(p, "\n"), *q = p;
		while (q < e && *q != ':' && *q != '=' && *q != '\t' && *q != '#') {
			while (q < e && *q == ' ')
				q++;
			if ((size_t)(e - q) > tl && !strncmp(q, target, tl) &&
			    (q[tl] == ':' || q[tl] == ' '))
				return q[tl] == ':' ? q[tl + 1] != '=' : 1;
			while (q < e && *q != ' ' && *q != ':' && *q != '=')
				q++;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

static int file_mentions(const char *root, const char *file, const char *what)
{
	struct gth_buf path = GTH_BUF_INIT, text = GTH_BUF_INIT;
	int found = 0;

	gth_path_join(&path, root, file);
	if (gth_buf_read_file(&text, gth_buf_cstr(&path), 4 << 20, NULL) == 0)
		found = what ? strstr(gth_buf_cstr(&text), what) != NULL : 1;
	gth_buf_release(&path);
	gth_buf_release(&text);
	return found;
}

int gates_detect(struct gate_list *l, const char *root, struct gth_error *err)
{
	struct gth_buf path = GTH_BUF_INIT, text = GTH_BUF_INIT;
	cJSON *pkg = NULL;
	size_t before = l->n;
	int rc = -1;
	static const char *const makefiles[] = { "GNUmakefile", "makefile", "Makefile" };
	size_t i;

	if (!l->root && !(l->root = strdup(root)))
		goto nomem;

	gth_path_join(&path, root, "package.json");
	if (gth_file_exists(gth_buf_cstr(&path))) {
		const cJSON *scripts;
		const char *test, *lint;
		if (gth_json_parse_file(&pkg, gth_buf_cstr(&path), 0, err) < 0)
			goto done;
		scripts = gth_json_obj(pkg, "scripts");
		test = gth_json_str(scripts, "test");
		lint = gth_json_str(scripts, "lint");
		if (test && !strstr(test, "no test specified") &&
		    add_detected(l, root, "test", "npm test", NULL, "package.json") < 0)
			goto nomem;
		if (lint && add_detected(l, root, "lint", "npm run lint", NULL, "package.json") < 0)
			goto nomem;
	}
	for (i = 0; i < GTH_ARRAY_SIZE(makefiles); i++) {
		gth_path_join(&path, root, makefiles[i]);
		gth_buf_clear(&text);
		if (gth_buf_read_file(&text, gth_buf_cstr(&path), 4 << 20, NULL) < 0)
			continue;
		if (make_target(gth_buf_cstr(&text), "check")) {
			if (add_detected(l, root, "make-check", "make check", NULL, makefiles[i]) < 0)
				goto nomem;
		} else if (make_target(gth_buf_cstr(&text), "test")) {
			if (add_detected(l, root, "make-test", "make test", NULL, makefiles[i]) < 0)
				goto nomem;
		}
		break;
	}
	if (file_mentions(root, "CMakeLists.txt", NULL) &&
	    add_detected(l, root, "ctest",
			 "cmake -S . -B build/gth-test >/dev/null && "
			 "cmake --build build/gth-test && "
			 "ctest --test-dir build/gth-test --output-on-failure "
			 "--output-junit ctest-junit.xml",
			 "build/gth-test/ctest-junit.xml", "CMakeLists.txt") < 0)
		goto nomem;
	if (file_mentions(root, "go.mod", NULL) &&
	    add_detected(l, root, "go-test", "go test ./...", NULL, "go.mod") < 0)
		goto nomem;
	if (file_mentions(root, "Cargo.toml", NULL) &&
	    add_detected(l, root, "cargo-test", "cargo test", NULL, "Cargo.toml") < 0)
		goto nomem;
	{
		const char *src = NULL;
		if (file_mentions(root, "pytest.ini", NULL))
			src = "pytest.ini";
		else if (file_mentions(root, "pyproject.toml", "pytest"))
			src = "pyproject.toml";
		else if (file_mentions(root, "setup.cfg", "[tool:pytest]"))
			src = "setup.cfg";
		else if (file_mentions(root, "tox.ini", "[pytest]"))
			src = "tox.ini";
		else if (file_mentions(root, "conftest.py", NULL))
			src = "conftest.py";
		if (src && add_detected(l, root, "pytest",
					"python3 -m pytest --junitxml=build/gth-test/pytest-junit.xml",
					"build/gth-test/pytest-junit.xml", src) < 0)
			goto nomem;
	}
	free(l->origin);
	l->origin = strdup("detected");
	rc = (int)(l->n - before);
	goto done;
nomem:
	oom(err);
done:
	cJSON_Delete(pkg);
	gth_buf_release(&path);
	gth_buf_release(&text);
	return rc;
}

int gates_select(struct gate_list *l, const char *const *names, size_t n,
		 struct gth_error *err)
{
	size_t i, j, k = 0;
	char *keep;

	if (n == 0)
		return 0;
	for (j = 0; j < n; j++) {
		for (i = 0; i < l->n; i++)
			if (!strcmp(l->v[i].name, names[j]))
				break;
		if (i == l->n) {
			struct gth_buf all = GTH_BUF_INIT;
			for (i = 0; i < l->n; i++)
				gth_buf_printf(&all, "%s%s", i ? ", " : "", l->v[i].name);
			gth_error_set(err, GTH_EXIT_USAGE, "no gate named '%s' (gates: %s)",
				      names[j], l->n ? gth_buf_cstr(&all) : "none");
			gth_buf_release(&all);
			return -1;
		}
	}
	keep = calloc(l->n ? l->n : 1, 1);
	if (!keep)
		return oom(err);
	for (j = 0; j < n; j++)
		for (i = 0; i < l->n; i++)
			if (!strcmp(l->v[i].name, names[j]))
				keep[i] = 1;
	for (i = 0; i < l->n; i++) {
		if (keep[i])
			l->v[k++] = l->v[i];
		else
			gate_release(&l->v[i]);
	}
	l->n = k;
	free(keep);
	return 0;
}
