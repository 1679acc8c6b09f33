#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/buf.h"
#include "lockfile.h"
#include "osv.h"
#include "osv_data.h"

#define LOCK "../fixtures/gth-scan/lock/"

static char *dump_file(const char *path, int *rc, struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT, out = GTH_BUF_INIT;
	struct lock_pkgs l = LOCK_PKGS_INIT;

	*rc = gth_buf_read_file(&b, path, 0, err);
	if (*rc == 0)
		*rc = lockfile_parse(&l, path, gth_buf_cstr(&b), b.len, err);
	for (size_t i = 0; i < l.n; i++)
		gth_buf_printf(&out, "%s|%s|%s|%s|%d|%d\n", l.v[i].ecosystem, l.v[i].name, l.v[i].version,
			       l.v[i].path, l.v[i].line, l.v[i].dev);
	lock_pkgs_release(&l);
	gth_buf_release(&b);
	return out.ptr ? gth_buf_detach(&out) : strdup("");
}

static const struct { const char *file, *want; } cases[] = {
	{ "npm-v1/package-lock.json",
	  "npm|express|4.17.1|express|0|0\n"
	  "npm|qs|6.7.0|express > qs|0|0\n"
	  "npm|left-pad|1.2.0|left-pad|0|1\n"
	  "npm|left-pad|1.1.0|lp|0|0\n" },
	{ "npm-v3/package-lock.json",
	  "npm|@scope/pkg|2.0.0-beta.1|local > @scope/pkg|44|0\n"
	  "npm|body-parser|1.19.0|express > body-parser|17|0\n"
	  "npm|qs|6.7.0|express > body-parser > qs|21|0\n"
	  "npm|express|4.17.1|express|13|0\n"
	  "npm|left-pad|1.2.0|left-pad|27|1\n"
	  "npm|left-pad|1.1.0|lp|31|0\n"
	  "npm|qs|6.11.0|express > qs|24|0\n" },
	{ "yarn-classic/yarn.lock",
	  "npm|@scope/pkg|2.0.0-beta.1|@scope/pkg|5|0\n"
	  "npm|body-parser|1.19.0|express > body-parser|9|0\n"
	  "npm|express|4.17.1|express|15|0\n"
	  "npm|left-pad|1.2.0|left-pad|21|0\n"
	  "npm|qs|6.7.0|express > qs|24|0\n" },
	{ "yarn-berry/yarn.lock",
	  "npm|body-parser|1.19.0|express > body-parser|16|0\n"
	  "npm|express|4.17.1|express|24|0\n"
	  "npm|qs|6.7.0|express > body-parser > qs|32|0\n" },
	{ "pnpm5/pnpm-lock.yaml",
	  "npm|express|4.17.1|express|7|0\n"
	  "npm|qs|6.7.0|express > qs|12|0\n"
	  "npm|@scope/pkg|2.0.0-beta.1|@scope/pkg|15|1\n" },
	{ "pnpm6/pnpm-lock.yaml",
	  "npm|express|4.17.1|express|7|0\n"
	  "npm|qs|6.7.0|express > qs|12|0\n"
	  "npm|@scope/pkg|2.0.0-beta.1|@scope/pkg|15|1\n" },
	{ "pnpm9/pnpm-lock.yaml",
	  "npm|express|4.17.1|express|9|0\n"
	  "npm|qs|6.7.0|express > qs|11|0\n"
	  "npm|@scope/pkg|2.0.0-beta.1|@scope/pkg|13|0\n" },
	{ "go/go.mod",
	  "Go|example.com/mod|v1.4.9|example.com/mod|5|0\n"
	  "Go|golang.org/x/text|v0.3.8|golang.org/x/text|8|0\n" },
	{ "cargo/Cargo.lock", "crates.io|smallvec|1.6.1|smallvec|11|0\n" },
	{ "py/requirements.txt",
	  "PyPI|Django_Rest.Thing|1.0|Django_Rest.Thing|2|0\n"
	  "PyPI|requests|2.31.0|requests|4|0\n"
	  "PyPI|urllib3|1.26.5|urllib3|8|0\n" },
	{ "poetry/poetry.lock",
	  "PyPI|django-rest-thing|1.0a1|django-rest-thing|1|0\n"
	  "PyPI|requests|2.31.0|requests|11|0\n" },
	{ "pipenv/Pipfile.lock",
	  "PyPI|django-rest-thing|1.0|django-rest-thing|4|0\n"
	  "PyPI|pytest|7.0.0|pytest|8|1\n" },
};

static void test_formats(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		struct gth_error err = GTH_ERROR_INIT;
		int rc;
		char *got;
		snprintf(path, sizeof(path), LOCK "%s", cases[i].file);
		got = dump_file(path, &rc, &err);
		if (rc != 0)
			fail_msg("%s: %s", cases[i].file, err.msg);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s:\ngot:\n%swant:\n%s", cases[i].file, got, cases[i].want);
		free(got);
	}
}

static void test_recognised(void **state)
{
	(void)state;
	assert_true(lockfile_recognised("a/b/package-lock.json"));
	assert_true(lockfile_recognised("npm-shrinkwrap.json"));
	assert_true(lockfile_recognised("x/requirements-dev.txt"));
	assert_true(lockfile_recognised("Cargo.lock"));
	assert_false(lockfile_recognised("package.json"));
	assert_false(lockfile_recognised("Cargo.toml"));
	assert_false(lockfile_recognised("lock/requirements.in"));
}

static void test_malformed(void **state)
{
	static const struct { const char *name, *text, *msg; } bad[] = {
		{ "package-lock.json", "{\"packages\": {", "package-lock.json:1:" },
		{ "package-lock.json", "{\"packages\": {\"node_modules/a\": 1}}", "expected an object" },
		{ "package-lock.json", "{\"dependencies\": {\"a\": []}}", "expected an object" },
		{ "yarn.lock", "a@1:\n  version \"1\"\nstray line\n", "yarn.lock:3: expected" },
		{ "yarn.lock", "  version \"1\"\n", "yarn.lock:1: indented line" },
		{ "pnpm-lock.yaml", "packages: [1, 2\n", "pnpm-lock.yaml:" },
		{ "pnpm-lock.yaml", "packages: [1, 2]\n", "expected a map of packages" },
		{ "go.mod", "require (\n  onlyname\n)\n", "go.mod:2: expected" },
		{ "Cargo.lock", "[[package]]\nname \"x\"\n", "Cargo.lock:2: expected" },
		{ "Pipfile.lock", "{", "Pipfile.lock:1:" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lock_pkgs l = LOCK_PKGS_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		if (lockfile_parse(&l, bad[i].name, bad[i].text, strlen(bad[i].text), &err) == 0)
			fail_msg("%s accepted: %s", bad[i].name, bad[i].text);
		lock_pkgs_release(&l);
		assert_int_equal(err.exit, 65);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("'%s' lacks '%s'", err.msg, bad[i].msg);
	}
}

/* The shared real lockfiles against the shared real npm advisories: the README
 * says the OSV algorithm finds 95 affected packages in each NodeGoat lockfile, 4
 * in docs.nestjs.com and 0 in hackathon-starter: distinct (package@version,
 * advisory) pairs, as osv-scanner reports them. */
static struct osv_record **load_npm_records(const char *dir, size_t *n)
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	struct osv_record **v = calloc(200, sizeof(*v));

	*n = 0;
	snprintf(path, sizeof(path), "%s/npm", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL && *n < 200) {
		struct gth_buf b = GTH_BUF_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/npm/%s", dir, de->d_name);
		if (gth_buf_read_file(&b, path, 0, &err) < 0 ||
		    osv_record_parse(&v[*n], b.ptr, b.len, path, &err) < 0)
			fail_msg("%s", err.msg);
		gth_buf_release(&b);
		(*n)++;
	}
	closedir(d);
	return v;
}

static int affected_packages(const char *dir, const char *lockname, struct osv_record **recs, size_t nrec,
			     size_t *npkgs)
{
	char path[4096];
	struct gth_buf b = GTH_BUF_INIT, seen = GTH_BUF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct lock_pkgs l = LOCK_PKGS_INIT;
	int count = 0;

	snprintf(path, sizeof(path), "%s/lockfiles/%s", dir, lockname);
	/* lockfile_parse picks the format from the base name */
	if (gth_buf_read_file(&b, path, 0, &err) < 0 ||
	    lockfile_parse(&l, "package-lock.json", b.ptr, b.len, &err) < 0)
		fail_msg("%s: %s", lockname, err.msg);
	*npkgs = l.n;
	gth_buf_puts(&seen, "\n");
	for (size_t i = 0; i < l.n; i++) {
		char key[1024];
		snprintf(key, sizeof(key), "\n%s@%s\n", l.v[i].name, l.v[i].version);
		if (strstr(seen.ptr, key) != NULL)
			continue;
		gth_buf_puts(&seen, key + 1);
		for (size_t k = 0; k < nrec; k++)
			if (osv_record_match(recs[k], "npm", l.v[i].name, l.v[i].version, NULL, NULL))
				count++;
	}
	lock_pkgs_release(&l);
	gth_buf_release(&b);
	gth_buf_release(&seen);
	return count;
}

static void test_shared_lockfiles(void **state)
{
	char *dir = osv_test_data_dir();
	struct osv_record **recs;
	size_t nrec, n1, n2;
	(void)state;
	if (dir == NULL) {
		skip();
		return;
	}
	recs = load_npm_records(dir, &nrec);
	assert_int_equal(nrec, 121);
	assert_int_equal(affected_packages(dir, "NodeGoat-lockfile-v1-package-lock.json", recs, nrec, &n1), 95);
	assert_int_equal(affected_packages(dir, "NodeGoat-package-lock.json", recs, nrec, &n2), 95);
	assert_true(n1 > 500 && n2 > 500);
	assert_int_equal(affected_packages(dir, "docs.nestjs.com-package-lock.json", recs, nrec, &n1), 4);
	assert_int_equal(affected_packages(dir, "hackathon-starter-package-lock.json", recs, nrec, &n1), 0);
	assert_true(n1 > 100);
	for (size_t k = 0; k < nrec; k++)
		osv_record_free(recs[k]);
	free(recs);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_recognised),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_shared_lockfiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
