#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "finding.h"
#include "ignore.h"

static void test_severity_and_kinds(void **state)
{
	static const struct { const char *s; int ok; unsigned mask; } cases[] = {
		{ "HIGH,CRITICAL", 1, 0x18 }, { "low", 1, 0x2 }, { " medium , high ", 1, 0xc },
		{ "UNKNOWN", 1, 0x1 }, { "", 0, 0 }, { "HIGH,", 0, 0 }, { "SEVERE", 0, 0 },
	};
	struct gth_error err = GTH_ERROR_INIT;
	unsigned m = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = scan_severity_list_parse(cases[i].s, &m, &err);

		assert_int_equal(r == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(m, cases[i].mask);
		else
			assert_int_equal(err.exit, GTH_EXIT_USAGE);
	}
	assert_int_equal(scan_kind_list_parse("secret,vulnerability", &m, &err), 0);
	assert_int_equal(m, 0x3);
	assert_int_equal(scan_kind_list_parse("misconfig", &m, &err), 0);
	assert_int_equal(m, 0x4);
	assert_int_equal(scan_kind_list_parse("sast", &m, &err), -1);
	assert_string_equal(scan_severity_name(SCAN_SEV_CRITICAL), "CRITICAL");
	assert_int_equal(scan_severity_parse("Critical"), SCAN_SEV_CRITICAL);
}

static void add(struct scan_findings *l, enum scan_kind k, const char *id, enum scan_severity s,
		const char *path, int line, const char *fp, const char *alias)
{
	struct scan_finding f;
	const char *aliases[1] = { alias };

	memset(&f, 0, sizeof(f));
	f.kind = k;
	f.id = id;
	f.severity = s;
	f.path = path;
	f.line = line;
	f.fingerprint = fp;
	if (alias) {
		f.aliases = aliases;
		f.naliases = 1;
	}
	if (k == SCAN_KIND_VULN) {
		f.pkg.ecosystem = "npm";
		f.pkg.name = "lodash";
		f.pkg.version = "4.17.20";
	}
	assert_int_equal(scan_findings_add(l, &f), 0);
}

static void test_sort_dedupe_filter(void **state)
{
	struct scan_findings l = SCAN_FINDINGS_INIT;

	(void)state;
	add(&l, SCAN_KIND_SECRET, "b", SCAN_SEV_LOW, "z.txt", 3, NULL, NULL);
	add(&l, SCAN_KIND_SECRET, "a", SCAN_SEV_HIGH, "z.txt", 9, NULL, NULL);
	add(&l, SCAN_KIND_SECRET, "a", SCAN_SEV_HIGH, "a.txt", 9, NULL, NULL);
	add(&l, SCAN_KIND_VULN, "GHSA-1", SCAN_SEV_MEDIUM, "package-lock.json", 0, "same", "CVE-1");
	add(&l, SCAN_KIND_VULN, "CVE-1", SCAN_SEV_HIGH, "package-lock.json", 0, "same", "CVE-2");
	add(&l, SCAN_KIND_SECRET, "a", SCAN_SEV_HIGH, "a.txt", 9, NULL, NULL);
	assert_int_equal(strlen(l.v[0].fingerprint), 64);
	assert_string_equal(l.v[1].fingerprint, l.v[1].fingerprint);
	assert_int_equal(scan_findings_dedupe(&l), 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0].id, "a");
	assert_string_equal(l.v[0].path, "a.txt");
	assert_string_equal(l.v[1].id, "CVE-1");
	assert_int_equal(l.v[1].naliases, 2);
	assert_string_equal(l.v[1].aliases[0], "CVE-2");
	assert_string_equal(l.v[1].aliases[1], "GHSA-1");
	assert_string_equal(l.v[2].path, "z.txt");
	assert_string_equal(l.v[3].id, "b");
	scan_findings_filter(&l, SCAN_SEV_BIT(SCAN_SEV_LOW));
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id, "b");
	scan_findings_release(&l);
	scan_findings_release(NULL);
}

static void test_json(void **state)
{
	struct scan_findings l = SCAN_FINDINGS_INIT;
	cJSON *j;
	char *s;

	(void)state;
	add(&l, SCAN_KIND_VULN, "GHSA-1", SCAN_SEV_MEDIUM, "package-lock.json", 0, "fp", NULL);
	j = scan_finding_json(&l.v[0]);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"kind\":\"vuln\",\"id\":\"GHSA-1\",\"severity\":\"MEDIUM\","
			       "\"path\":\"package-lock.json\",\"line\":0,\"package\":{\"ecosystem\":\"npm\","
			       "\"name\":\"lodash\",\"version\":\"4.17.20\",\"fixed\":null},\"fingerprint\":\"fp\"}");
	free(s);
	cJSON_Delete(j);
	scan_findings_release(&l);
}

static void test_ignore_match(void **state)
{
	struct scan_ignores ig = SCAN_IGNORES_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct scan_finding f;
	char path[] = "/tmp/gth-unit-XXXXXX";
	char file[64];
	int fd = mkstemp(path);
	FILE *fp;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(file, sizeof(file), "%s.trivyignore", path);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("# c\nCVE-1 exp:2030-01-01\n\nCVE-2 exp:2020-01-01\n", fp);
	fclose(fp);
	assert_int_equal(scan_ignores_load(&ig, file, 1767225600 /* 2026-01-01 */, &err), 0);
	assert_int_equal(ig.n, 2);
	assert_false(ig.v[0].expired);
	assert_true(ig.v[1].expired);
	memset(&f, 0, sizeof(f));
	f.id = "GHSA-x";
	f.aliases = (const char *const[]){ "CVE-1" };
	f.naliases = 1;
	assert_ptr_equal(scan_ignores_match(&ig, &f), &ig.v[0]);
	f.aliases = (const char *const[]){ "CVE-2" };
	assert_null(scan_ignores_match(&ig, &f));
	scan_ignores_release(&ig);
	unlink(file);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity_and_kinds),
		cmocka_unit_test(test_sort_dedupe_filter),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_ignore_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
