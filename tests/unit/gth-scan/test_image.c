#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/util.h"
#include "image.h"
#include "osvdb.h"
#include "scan.h"

#define FIX "../fixtures/gth-scan/"

static char tmp[256], dbpath[320];

static int setup(void **state)
{
	char cmd[4096];
	struct osv_db *db = NULL;
	struct osv_import_stats st;
	struct gth_error err = GTH_ERROR_INIT;
	(void)state;

	snprintf(tmp, sizeof(tmp), "/tmp/gth-image.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "python3 " FIX "image/mkimage.py " FIX "image/debian.json %s/deb && "
		 "python3 " FIX "image/mkimage.py " FIX "image/debian.json %s/deb.tar --docker-archive && "
		 "python3 " FIX "image/mkimage.py " FIX "image/alpine.json %s/alp && "
		 "python3 " FIX "image/mkimage.py " FIX "image/debian.json %s/trunc --truncate-layer 1 && "
		 "python3 " FIX "image/mkimage.py " FIX "image/debian.json %s/evil --evil-layer 0 && "
		 "python3 " FIX "image/mkimage.py " FIX "image/debian.json %s/base --layers 1",
		 tmp, tmp, tmp, tmp, tmp, tmp);
	if (system(cmd) != 0)
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/osv.db", tmp);
	if (osv_db_open(&db, dbpath, 1, &err) < 0 || osv_db_import(db, FIX "osv", NULL, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	osv_db_close(db);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gth_remove_tree(tmp, NULL);
	return 0;
}

static void opts_init(struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->scanner_mask = SCAN_KIND_BIT(SCAN_KIND_VULN);
	o->sev_mask = SCAN_SEV_ALL;
	o->fail_on_sev = -1;
	o->db = dbpath;
	o->offline = 1;
}

static int sort_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "id pkg@version fixed path resource" lines, sorted. */
static char *summary(const struct scan_result *res)
{
	struct gth_buf b = GTH_BUF_INIT;
	char **lines = calloc(res->findings.n + 1, sizeof(*lines));

	for (size_t i = 0; i < res->findings.n; i++) {
		const struct scan_finding *f = &res->findings.v[i];
		lines[i] = gth_strdupf("%s %s %s@%s fixed=%s %s [%s]", f->id, f->pkg.ecosystem, f->pkg.name,
				       f->pkg.version, f->pkg.fixed ? f->pkg.fixed : "-", f->path ? f->path : "-",
				       f->resource ? f->resource : "-");
	}
	qsort(lines, res->findings.n, sizeof(*lines), sort_cmp);
	for (size_t i = 0; i < res->findings.n; i++) {
		gth_buf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return b.ptr ? gth_buf_detach(&b) : strdup("");
}

static void run_image(const char *spec, const char *want)
{
	struct scan_opts o;
	struct scan_result res = SCAN_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char *got;

	opts_init(&o);
	if (scan_image(&res, &o, spec, &err) < 0)
		fail_msg("%s: %s", spec, err.msg);
	got = summary(&res);
	if (strcmp(got, want) != 0)
		fail_msg("%s:\ngot:\n%swant:\n%s", spec, got, want);
	free(got);
	scan_result_release(&res);
}

/* Both layers: the whiteouts remove libssl-old (status.d), left-pad (node_modules)
 * and srv/old (an opaque folder), the second layer adds srv/api/go.mod. */
static const char debian_want[] =
	"GTH-TEST-0004 Go example.com/mod@v1.4.9 fixed=- srv/api/go.mod [example.com/mod]\n"
	"GTH-TEST-0005 Debian:12 openssl@3.0.11-1~deb12u1 fixed=1:3.0.11-1~deb12u2 var/lib/dpkg/status [installed: libssl3, openssl]\n"
	"GTH-TEST-0009 Debian:12 zlib@1:1.2.13.dfsg-1 fixed=- var/lib/dpkg/status [installed: zlib1g]\n";

static void test_oci_layout(void **state)
{
	char spec[400];
	(void)state;
	snprintf(spec, sizeof(spec), "oci:%s/deb", tmp);
	run_image(spec, debian_want);
	/* a bare directory is an OCI layout too */
	snprintf(spec, sizeof(spec), "%s/deb", tmp);
	run_image(spec, debian_want);
}

static void test_docker_archive(void **state)
{
	char spec[400];
	(void)state;
	snprintf(spec, sizeof(spec), "docker-archive:%s/deb.tar", tmp);
	run_image(spec, debian_want);
}

static void test_without_whiteouts(void **state)
{
	char spec[400];
	(void)state;
	snprintf(spec, sizeof(spec), "oci:%s/base", tmp);
	/* left-pad 1.2.0 is in GTH-TEST-0001 and GTH-TEST-0002, which share an alias:
	 * one finding, the more severe record's id, the fix that covers both */
	run_image(spec,
		  "GTH-TEST-0001 npm left-pad@1.2.0 fixed=1.3.0 app/node_modules [left-pad]\n"
		  "GTH-TEST-0005 Debian:12 openssl@3.0.11-1~deb12u1 fixed=1:3.0.11-1~deb12u2 var/lib/dpkg/status [installed: libssl3, openssl]\n"
		  "GTH-TEST-0005 Debian:12 openssl@3.0.9-1 fixed=1:3.0.11-1~deb12u2 var/lib/dpkg/status.d/libssl-old [installed: libssl-old]\n"
		  "GTH-TEST-0007 crates.io smallvec@1.6.1 fixed=- srv/old/Cargo.lock [smallvec]\n"
		  "GTH-TEST-0009 Debian:12 zlib@1:1.2.13.dfsg-1 fixed=- var/lib/dpkg/status [installed: zlib1g]\n");
}

static void test_alpine(void **state)
{
	char spec[400];
	(void)state;
	snprintf(spec, sizeof(spec), "oci:%s/alp", tmp);
	run_image(spec, "GTH-TEST-0006 Alpine:v3.20 musl@1.2.5-r0 fixed=1.2.5-r1 lib/apk/db/installed [installed: musl, musl-utils]\n");
}

static void test_broken_layers(void **state)
{
	static const struct { const char *dir, *msg; } bad[] = {
		{ "trunc", "layer sha256:" },
		{ "evil", ".." },
		{ "missing", "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scan_opts o;
		struct scan_result res = SCAN_RESULT_INIT;
		struct gth_error err = GTH_ERROR_INIT;
		char spec[400];
		opts_init(&o);
		snprintf(spec, sizeof(spec), "oci:%s/%s", tmp, bad[i].dir);
		if (scan_image(&res, &o, spec, &err) == 0)
			fail_msg("%s accepted", spec);
		if (strcmp(bad[i].dir, "missing") == 0)
			assert_int_equal(err.exit, 66);
		else
			assert_int_equal(err.exit, 65);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("'%s' lacks '%s'", err.msg, bad[i].msg);
		scan_result_release(&res);
	}
}

static void test_os_release(void **state)
{
	static const struct { const char *text, *eco; } cases[] = {
		{ "ID=debian\nVERSION_ID=\"12\"\n", "Debian:12" },
		{ "ID=alpine\nVERSION_ID=3.20.3\n", "Alpine:v3.20" },
		{ "ID=alpine\nVERSION_ID=3.19\n", "Alpine:v3.19" },
		{ "ID=ubuntu\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nVERSION_ID=\"22.04\"\n", "Ubuntu:22.04:LTS" },
		{ "ID=debian\n", "Debian" },
		{ "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"12\"\n", "Debian" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *eco, *pretty;
		img_os_ecosystem(&eco, &pretty, cases[i].text, strlen(cases[i].text));
		assert_non_null(eco);
		assert_string_equal(eco, cases[i].eco);
		free(eco);
		free(pretty);
	}
}

static void test_interesting(void **state)
{
	(void)state;
	assert_true(img_interesting("etc/os-release"));
	assert_true(img_interesting("var/lib/dpkg/status.d/libc6"));
	assert_false(img_interesting("var/lib/dpkg/status.d/libc6.md5sums"));
	assert_true(img_interesting("app/node_modules/@scope/pkg/package.json"));
	assert_true(img_interesting("node_modules/a/package.json"));
	assert_false(img_interesting("app/node_modules/a/lib/package.json"));
	assert_true(img_interesting("srv/app/package-lock.json"));
	assert_false(img_interesting("app/node_modules/a/package-lock.json"));
	assert_false(img_interesting("usr/bin/ls"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci_layout),
		cmocka_unit_test(test_docker_archive),
		cmocka_unit_test(test_without_whiteouts),
		cmocka_unit_test(test_alpine),
		cmocka_unit_test(test_broken_layers),
		cmocka_unit_test(test_os_release),
		cmocka_unit_test(test_interesting),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
