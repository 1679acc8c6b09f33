#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>

#include "vercmp.h"
#include "osv_data.h"

struct cmp_case {
	enum osv_scheme s;
	const char *a;
	int want; /* -1, 0, 1 */
	const char *b;
};

static int sgn(int x)
{
	return (x > 0) - (x < 0);
}

static const struct cmp_case cases[] = {
	/* npm / crates.io SemVer, with pre-releases */
	{ OSV_SCHEME_SEMVER, "1.0.0-alpha", -1, "1.0.0-alpha.1" },
	{ OSV_SCHEME_SEMVER, "1.0.0-alpha.1", -1, "1.0.0-alpha.beta" },
	{ OSV_SCHEME_SEMVER, "1.0.0-beta.2", -1, "1.0.0-beta.11" },
	{ OSV_SCHEME_SEMVER, "1.0.0-rc.1", -1, "1.0.0" },
	{ OSV_SCHEME_SEMVER, "5.0.0-alpha.1", -1, "5.0.0-beta.1" },
	{ OSV_SCHEME_SEMVER, "4.21.0", -1, "5.0.0-alpha.1" },
	{ OSV_SCHEME_SEMVER, "2.0.0-5", 1, "2.0.0-1" },
	{ OSV_SCHEME_SEMVER, "1.2.3+build", 0, "1.2.3+other" },
	{ OSV_SCHEME_SEMVER, "v1.2.3", 0, "1.2.3" },
	{ OSV_SCHEME_SEMVER, "1.10.0", 1, "1.9.99" },
	{ OSV_SCHEME_SEMVER, "18446744073709551616.0.0", 1, "18446744073709551615.0.0" },
	{ OSV_SCHEME_SEMVER, "1.0", 0, "1.0.0" },
	/* Go */
	{ OSV_SCHEME_GO, "v0.0.0-20210101000000-abcdef123456", -1, "0.0.0" },
	{ OSV_SCHEME_GO, "v1.2.3+incompatible", 0, "1.2.3" },
	{ OSV_SCHEME_GO, "v2.0.0", 1, "1.99.0" },
	{ OSV_SCHEME_GO, "1.21.0-rc.1", -1, "1.21.0" },
	/* PyPI, PEP 440 */
	{ OSV_SCHEME_PYPI, "1.0.dev1", -1, "1.0a1" },
	{ OSV_SCHEME_PYPI, "1.0a1", -1, "1.0a2.dev1" },
	{ OSV_SCHEME_PYPI, "1.0a2.dev1", -1, "1.0a2" },
	{ OSV_SCHEME_PYPI, "1.0a2", -1, "1.0b1" },
	{ OSV_SCHEME_PYPI, "1.0b1", -1, "1.0rc1" },
	{ OSV_SCHEME_PYPI, "1.0rc1", -1, "1.0" },
	{ OSV_SCHEME_PYPI, "1.0", -1, "1.0.post1.dev1" },
	{ OSV_SCHEME_PYPI, "1.0.post1.dev1", -1, "1.0.post1" },
	{ OSV_SCHEME_PYPI, "1.0.post1", -1, "1.1.dev1" },
	{ OSV_SCHEME_PYPI, "1.0", 0, "1.0.0" },
	{ OSV_SCHEME_PYPI, "1.0", -1, "1.0+local.1" },
	{ OSV_SCHEME_PYPI, "1.0+abc", -1, "1.0+1" },
	{ OSV_SCHEME_PYPI, "1!0.5", 1, "2.0" },
	{ OSV_SCHEME_PYPI, "1.0-1", 0, "1.0.post1" },
	{ OSV_SCHEME_PYPI, "1.0ALPHA1", 0, "1.0a1" },
	{ OSV_SCHEME_PYPI, "1.0c1", 0, "1.0rc1" },
	{ OSV_SCHEME_PYPI, "2.31.0", 1, "2.4.0" },
	{ OSV_SCHEME_PYPI, "v1.0", 0, "1.0" },
	/* Debian dpkg */
	{ OSV_SCHEME_DEBIAN, "1:1.0", 1, "2.0" },
	{ OSV_SCHEME_DEBIAN, "1.0~rc1", -1, "1.0" },
	{ OSV_SCHEME_DEBIAN, "1.0~~", -1, "1.0~" },
	{ OSV_SCHEME_DEBIAN, "1.0-1", -1, "1.0-1+deb12u1" },
	{ OSV_SCHEME_DEBIAN, "3.20230808.1~deb12u1", 1, "3.20230512.1" },
	{ OSV_SCHEME_DEBIAN, "3.20230808.1~deb12u1", -1, "3.20230808.1" },
	{ OSV_SCHEME_DEBIAN, "2.36-9+deb12u4", -1, "2.36-9+deb12u7" },
	{ OSV_SCHEME_DEBIAN, "1.0a", -1, "1.0+" },
	{ OSV_SCHEME_DEBIAN, "0:1.0", 0, "1.0" },
	/* Alpine apk */
	{ OSV_SCHEME_ALPINE, "1.2.3-r4", -1, "1.2.3-r6" },
	{ OSV_SCHEME_ALPINE, "1.2.5-r0", 1, "1.2.4_git20230717-r5" },
	{ OSV_SCHEME_ALPINE, "1.0_rc1", -1, "1.0" },
	{ OSV_SCHEME_ALPINE, "1.0_p1", 1, "1.0" },
	{ OSV_SCHEME_ALPINE, "1.1.1d-r1", 1, "1.1.1c-r9" },
	{ OSV_SCHEME_ALPINE, "3.3.2-r0", 1, "3.1.4-r5" },
	{ OSV_SCHEME_ALPINE, "1-r1", 0, "1-r01" },
	{ OSV_SCHEME_ALPINE, "6.3_p20220416-r0", 1, "6.3-r0" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cmp_case *c = &cases[i];
		int got = sgn(osv_vercmp(c->s, c->a, c->b));
		int back = sgn(osv_vercmp(c->s, c->b, c->a));
		if (got != c->want || back != -c->want)
			fail_msg("%s: %s vs %s: got %d/%d, want %d", osv_scheme_name(c->s), c->a, c->b,
				 got, back, c->want);
	}
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(osv_version_valid(OSV_SCHEME_SEMVER, "1.2.3-alpha-.-beta"));
	assert_true(osv_version_valid(OSV_SCHEME_SEMVER, "v1.2.3+build.1"));
	assert_false(osv_version_valid(OSV_SCHEME_SEMVER, "hello, world"));
	assert_false(osv_version_valid(OSV_SCHEME_SEMVER, "7.2.4, 6.11.4"));
	assert_false(osv_version_valid(OSV_SCHEME_SEMVER, "1.0"));
	assert_true(osv_version_valid(OSV_SCHEME_PYPI, "1.0.post1.dev2+local"));
	assert_false(osv_version_valid(OSV_SCHEME_PYPI, "1.0-beta-x"));
	assert_true(osv_version_valid(OSV_SCHEME_DEBIAN, "1:2.3~rc1-4+deb12u1"));
	assert_false(osv_version_valid(OSV_SCHEME_DEBIAN, "a1.0"));
	assert_true(osv_version_valid(OSV_SCHEME_ALPINE, "2.19.10.4_p8"));
	assert_false(osv_version_valid(OSV_SCHEME_ALPINE, "110.73-e0"));
}

static void test_schemes(void **state)
{
	(void)state;
	assert_int_equal(osv_scheme_for_ecosystem("npm"), OSV_SCHEME_SEMVER);
	assert_int_equal(osv_scheme_for_ecosystem("crates.io"), OSV_SCHEME_SEMVER);
	assert_int_equal(osv_scheme_for_ecosystem("Go"), OSV_SCHEME_GO);
	assert_int_equal(osv_scheme_for_ecosystem("PyPI"), OSV_SCHEME_PYPI);
	assert_int_equal(osv_scheme_for_ecosystem("Debian:12"), OSV_SCHEME_DEBIAN);
	assert_int_equal(osv_scheme_for_ecosystem("Alpine:v3.20"), OSV_SCHEME_ALPINE);
	assert_int_equal(osv_scheme_for_ecosystem("GitHub Actions"), OSV_SCHEME_NONE);
	assert_int_equal(osv_scheme_for_ecosystem("npmx"), OSV_SCHEME_NONE);
}

static void test_pypi_normalize(void **state)
{
	char buf[64];
	(void)state;
	assert_string_equal(osv_pypi_normalize(buf, sizeof(buf), "Django_REST.framework"),
			    "django-rest-framework");
	assert_string_equal(osv_pypi_normalize(buf, sizeof(buf), "zope..interface"), "zope-interface");
}

/* "A < B" lines (also = and >), '#' comments. Returns the number of lines checked. */
static int check_vector_file(enum osv_scheme s, const char *dir, const char *name)
{
	char path[4096], line[1024], a[512], b[512], op[4];
	FILE *f;
	int n = 0, lineno = 0;

	snprintf(path, sizeof(path), "%s/vectors/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		int want, got;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%511s %3s %511s", a, op, b) != 3)
			continue;
		want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
		got = sgn(osv_vercmp(s, a, b));
		if (got != want)
			fail_msg("%s:%d: %s %s %s, got %d", name, lineno, a, op, b, got);
		if (sgn(osv_vercmp(s, b, a)) != -want)
			fail_msg("%s:%d: reversed %s %s %s", name, lineno, a, op, b);
		n++;
	}
	fclose(f);
	return n;
}

/* node-semver's tables: lines "  ['A', 'B'...]". */
static int check_js_pairs(const char *dir, const char *name, int want)
{
	char path[4096], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/vectors/node-semver/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		char a[256], b[256];
		if (sscanf(line, " ['%255[^']', '%255[^']'", a, b) != 2)
			continue;
		if (sgn(osv_vercmp(OSV_SCHEME_SEMVER, a, b)) != want)
			fail_msg("%s: '%s' vs '%s' should be %d", name, a, b, want);
		n++;
	}
	fclose(f);
	return n;
}

static void test_shared_vectors(void **state)
{
	char *dir = osv_test_data_dir();
	(void)state;
	if (dir == NULL) {
		free(dir);
		skip();
		return;
	}
	assert_true(check_vector_file(OSV_SCHEME_SEMVER, dir, "osv-scalibr-semver-versions.txt") > 20);
	assert_true(check_vector_file(OSV_SCHEME_DEBIAN, dir, "osv-scalibr-debian-versions.txt") > 10);
	assert_true(check_vector_file(OSV_SCHEME_DEBIAN, dir, "osv-scalibr-debian-versions-generated.txt") > 1000);
	assert_true(check_vector_file(OSV_SCHEME_ALPINE, dir, "osv-scalibr-alpine-versions-generated.txt") > 1000);
	assert_true(check_vector_file(OSV_SCHEME_ALPINE, dir, "osv-scalibr-alpine-versions.txt") > 50);
	assert_true(check_js_pairs(dir, "comparisons.js", 1) > 20);
	assert_true(check_js_pairs(dir, "equality.js", 0) > 20);
	free(dir);
}

static void check_list(const char *dir, const char *name, int want_valid)
{
	char path[4096], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vectors/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (osv_version_valid(OSV_SCHEME_ALPINE, line) != want_valid)
			fail_msg("%s: '%s' valid should be %d", name, line, want_valid);
	}
	fclose(f);
}

static void test_shared_alpine_validity(void **state)
{
	char *dir = osv_test_data_dir();
	(void)state;
	if (dir == NULL) {
		skip();
		return;
	}
	check_list(dir, "osv.dev-alpine-valid_versions.txt", 1);
	check_list(dir, "osv.dev-alpine-invalid_versions.txt", 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_pypi_normalize),
		cmocka_unit_test(test_shared_vectors),
		cmocka_unit_test(test_shared_alpine_validity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
