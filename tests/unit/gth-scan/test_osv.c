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
#include "osv.h"
#include "osv_data.h"

#define FIX "../fixtures/gth-scan/"

static struct osv_record *load(const char *path)
{
	struct gth_buf b = GTH_BUF_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct osv_record *r = NULL;

	if (gth_buf_read_file(&b, path, 0, &err) < 0)
		fail_msg("%s", err.msg);
	if (osv_record_parse(&r, b.ptr, b.len, path, &err) < 0)
		fail_msg("%s", err.msg);
	gth_buf_release(&b);
	return r;
}

struct match_case {
	const char *file;
	const char *ecosystem, *name, *version;
	int want;
	const char *fixed;   /* expected suggestion, NULL for none */
	int severity;
};

static const struct match_case cases[] = {
	/* introduced 0, fixed; a second range between pre-releases */
	{ "GTH-TEST-0001", "npm", "left-pad", "0.0.1", 1, "1.3.0", 4 },
	{ "GTH-TEST-0001", "npm", "left-pad", "1.2.9", 1, "1.3.0", 4 },
	{ "GTH-TEST-0001", "npm", "left-pad", "1.3.0", 0, NULL, 0 },
	{ "GTH-TEST-0001", "npm", "left-pad", "1.3.0-rc.1", 1, "1.3.0", 4 },
	{ "GTH-TEST-0001", "npm", "left-pad", "2.0.0-alpha.0", 0, NULL, 0 },
	{ "GTH-TEST-0001", "npm", "left-pad", "2.0.0-alpha.1", 1, "2.0.0-beta.2", 4 },
	{ "GTH-TEST-0001", "npm", "left-pad", "2.0.0-beta.1", 1, "2.0.0-beta.2", 4 },
	{ "GTH-TEST-0001", "npm", "left-pad", "2.0.0-beta.10", 0, NULL, 0 },
	{ "GTH-TEST-0001", "npm", "left-pad", "2.0.0", 0, NULL, 0 },
	{ "GTH-TEST-0001", "npm", "Left-Pad", "1.0.0", 0, NULL, 0 },
	{ "GTH-TEST-0001", "PyPI", "left-pad", "1.0.0", 0, NULL, 0 },
	{ "GTH-TEST-0001", "npm", "left-pad", "github:a/b", 0, NULL, 0 },
	/* last_affected is inclusive */
	{ "GTH-TEST-0002", "npm", "left-pad", "0.9.0", 0, NULL, 0 },
	{ "GTH-TEST-0002", "npm", "left-pad", "1.0.0", 1, NULL, 2 },
	{ "GTH-TEST-0002", "npm", "left-pad", "1.1.5", 1, NULL, 2 },
	{ "GTH-TEST-0002", "npm", "left-pad", "1.1.6-0", 0, NULL, 0 },
	/* PEP 440 and a normalised name */
	{ "GTH-TEST-0003", "PyPI", "django-rest-thing", "1.0.dev0", 0, NULL, 0 },
	{ "GTH-TEST-0003", "PyPI", "django-rest-thing", "1.0a1", 1, "1.0.post1", 3 },
	{ "GTH-TEST-0003", "PyPI", "Django.Rest_Thing", "1.0", 1, "1.0.post1", 3 },
	{ "GTH-TEST-0003", "PyPI", "django-rest-thing", "1.0.post1", 0, NULL, 0 },
	/* limit */
	{ "GTH-TEST-0004", "Go", "example.com/mod", "v1.4.9", 1, NULL, 3 },
	{ "GTH-TEST-0004", "Go", "example.com/mod", "v1.5.0", 0, NULL, 0 },
	{ "GTH-TEST-0004", "Go", "example.com/mod", "v0.0.0-20200101000000-abcdefabcdef", 1, NULL, 3 },
	/* dpkg with an epoch and ~, per release */
	{ "GTH-TEST-0005", "Debian:12", "openssl", "3.0.15-1~deb12u1", 1, "1:3.0.11-1~deb12u2", 0 },
	{ "GTH-TEST-0005", "Debian:12", "openssl", "1:3.0.11-1~deb12u1", 1, "1:3.0.11-1~deb12u2", 0 },
	{ "GTH-TEST-0005", "Debian:12", "openssl", "1:3.0.11-1~deb12u2", 0, NULL, 0 },
	{ "GTH-TEST-0005", "Debian:12", "openssl", "1:3.0.11-1", 0, NULL, 0 },
	{ "GTH-TEST-0005", "Debian:11", "openssl", "1.1.1n-0+deb11u5", 1, "1.1.1w-0+deb11u1", 0 },
	{ "GTH-TEST-0005", "Debian:13", "openssl", "1.1.1n-0", 0, NULL, 0 },
	/* apk */
	{ "GTH-TEST-0006", "Alpine:v3.20", "musl", "1.2.5-r0", 1, "1.2.5-r1", 1 },
	{ "GTH-TEST-0006", "Alpine:v3.20", "musl", "1.2.5-r1", 0, NULL, 0 },
	{ "GTH-TEST-0006", "Alpine:v3.19", "musl", "1.2.4-r0", 0, NULL, 0 },
	/* versions list only */
	{ "GTH-TEST-0007", "crates.io", "smallvec", "1.6.0", 1, NULL, 0 },
	{ "GTH-TEST-0007", "crates.io", "smallvec", "1.6.2", 0, NULL, 0 },
	/* withdrawn */
	{ "GTH-TEST-0008", "npm", "left-pad", "1.0.0", 0, NULL, 0 },
	/* an ecosystem without a release covers every release; GIT ranges are skipped */
	{ "GTH-TEST-0009", "Debian:12", "zlib", "1:1.2.13.dfsg-1", 1, NULL, 0 },
	{ "GTH-TEST-0009", "Debian:12", "zlib", "1.2.13.dfsg-1", 0, NULL, 0 },
};

static void test_match_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		char path[256];
		struct osv_record *r;
		const struct osv_affected *a = NULL;
		const char *fixed = NULL;
		int got;

		snprintf(path, sizeof(path), FIX "osv/%s.json", c->file);
		r = load(path);
		got = osv_record_match(r, c->ecosystem, c->name, c->version, &a, &fixed);
		if (got != c->want)
			fail_msg("%s %s %s@%s: got %d", c->file, c->ecosystem, c->name, c->version, got);
		if (got) {
			double score;
			if ((fixed == NULL) != (c->fixed == NULL) || (fixed && strcmp(fixed, c->fixed) != 0))
				fail_msg("%s %s@%s: fixed %s, want %s", c->file, c->name, c->version,
					 fixed ? fixed : "(none)", c->fixed ? c->fixed : "(none)");
			if (osv_record_severity(r, a, &score) != c->severity)
				fail_msg("%s: severity %d, want %d", c->file, osv_record_severity(r, a, &score),
					 c->severity);
		}
		osv_record_free(r);
	}
}

static void test_fields(void **state)
{
	struct osv_record *r = load(FIX "osv/GTH-TEST-0001.json");
	double score;
	(void)state;
	assert_string_equal(r->id, "GTH-TEST-0001");
	assert_int_equal(r->naliases, 1);
	assert_string_equal(r->aliases[0], "CVE-2099-0001");
	assert_string_equal(r->url, "https://example.com/GTH-TEST-0001");
	assert_int_equal(r->affected[0].ranges[0].nevents, 4);
	assert_int_equal(osv_record_severity(r, &r->affected[0], &score), 4);
	assert_true(score > 9.79 && score < 9.81);
	osv_record_free(r);
}

static void test_malformed(void **state)
{
	static const struct { const char *text; const char *msg; } bad[] = {
		{ "{\"id\": \"X\", \"affected\": [", "invalid JSON" },
		{ "[1, 2]", "expected a JSON object" },
		{ "{\"summary\": \"no id\"}", "no \"id\" string" },
		{ "{\"id\": \"X\", \"affected\": {}}", "\"affected\" is not an array" },
		{ "{\"id\": \"X\", \"aliases\": [1]}", "\"aliases\" is not an array of strings" },
		{ "{\"id\": \"X\", \"affected\": [{\"ranges\": [{\"events\": []}]}]}", "range without a type" },
		{ "{\"id\": \"X\", \"affected\": [{\"ranges\": [{\"type\": \"SEMVER\"}]}]}", "range without an events array" },
		{ "{\"id\": \"X\", \"affected\": [{\"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\", \"fixed\": \"1\"}]}]}]}", "exactly one" },
		{ "{\"id\": \"X\", \"affected\": [{\"versions\": [\"1\", 2]}]}", "versions is not an array of strings" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gth_error err = GTH_ERROR_INIT;
		struct osv_record *r = NULL;
		if (osv_record_parse(&r, bad[i].text, strlen(bad[i].text), "t.json", &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		assert_null(r);
		assert_int_equal(err.exit, 65);
		if (strstr(err.msg, bad[i].msg) == NULL || strstr(err.msg, "t.json") == NULL)
			fail_msg("message '%s' lacks '%s'", err.msg, bad[i].msg);
	}
}

/* The real advisories: every record parses, and spot checks from their edge cases. */
static void test_shared_records(void **state)
{
	char *dir = osv_test_data_dir(), path[4096];
	DIR *d;
	struct dirent *de;
	int n = 0;
	struct osv_record *r;
	const char *fixed;
	(void)state;
	if (dir == NULL) {
		skip();
		return;
	}
	snprintf(path, sizeof(path), "%s/npm", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/npm/%s", dir, de->d_name);
		r = load(path);
		osv_record_free(r);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 121);

	/* qs: nine ranges */
	snprintf(path, sizeof(path), "%s/npm/GHSA-hrpp-h998-j3pp.json", dir);
	r = load(path);
	assert_true(osv_record_match(r, "npm", "qs", "6.2.3", NULL, &fixed));
	assert_string_equal(fixed, "6.2.4");
	assert_false(osv_record_match(r, "npm", "qs", "6.2.4", NULL, &fixed));
	assert_false(osv_record_match(r, "npm", "qs", "6.11.0", NULL, &fixed));
	osv_record_free(r);
	/* ip: last_affected */
	snprintf(path, sizeof(path), "%s/npm/GHSA-78xj-cgh5-2h22.json", dir);
	r = load(path);
	assert_true(osv_record_match(r, "npm", "ip", "1.1.8", NULL, &fixed));
	osv_record_free(r);
	/* the withdrawn RubyGems record never matches */
	snprintf(path, sizeof(path), "%s/withdrawn/GHSA-35c4-f3rq-f9g3.json", dir);
	r = load(path);
	assert_non_null(r->withdrawn);
	for (size_t i = 0; i < r->naffected; i++)
		assert_false(osv_record_match(r, r->affected[i].ecosystem, r->affected[i].name, "0.0.1", NULL, NULL));
	osv_record_free(r);
	/* Debian: intel-microcode with ~deb12u1 */
	snprintf(path, sizeof(path), "%s/debian/osv/DSA-5474-1.json", dir);
	r = load(path);
	assert_true(osv_record_match(r, "Debian:12", "intel-microcode", "3.20230512.1", NULL, &fixed));
	assert_string_equal(fixed, "3.20230808.1~deb12u1");
	assert_false(osv_record_match(r, "Debian:12", "intel-microcode", "3.20230808.1~deb12u1", NULL, &fixed));
	osv_record_free(r);
	/* Alpine: musl per branch */
	snprintf(path, sizeof(path), "%s/alpine/osv/ALPINE-CVE-2025-26519.json", dir);
	r = load(path);
	assert_true(osv_record_match(r, "Alpine:v3.16", "musl", "1.2.3-r3", NULL, &fixed));
	assert_string_equal(fixed, "1.2.3-r4");
	assert_false(osv_record_match(r, "Alpine:v3.16", "musl", "1.2.3-r4", NULL, NULL));
	assert_false(osv_record_match(r, "Alpine:v3.16", "musl", "0.9.12-r0", NULL, NULL));
	osv_record_free(r);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_shared_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
