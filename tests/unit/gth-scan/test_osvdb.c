#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gth/fs.h"
#include "osvdb.h"

#define FIX "../fixtures/gth-scan/"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gth-osvdb.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	gth_remove_tree(tmpdir, NULL);
	return 0;
}

static struct osv_db *open_db(const char *name)
{
	char path[512];
	struct osv_db *db = NULL;
	struct gth_error err = GTH_ERROR_INIT;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (osv_db_open(&db, path, 1, &err) < 0)
		fail_msg("%s", err.msg);
	return db;
}

struct collect {
	char ids[16][64];
	int n;
};

static int collect_fn(void *ctx, struct osv_record *r, struct gth_error *err)
{
	struct collect *c = ctx;
	(void)err;
	if (c->n < 16)
		snprintf(c->ids[c->n++], 64, "%s", r->id);
	return 0;
}

static int lookup_count(struct osv_db *db, const char *eco, const char *name, struct collect *c)
{
	struct gth_error err = GTH_ERROR_INIT;

	memset(c, 0, sizeof(*c));
	if (osv_db_lookup(db, eco, name, collect_fn, c, &err) < 0)
		fail_msg("%s", err.msg);
	return c->n;
}

static void test_import_dir_and_lookup(void **state)
{
	struct osv_db *db = open_db("a/b/osv.db");
	struct osv_import_stats st;
	struct gth_error err = GTH_ERROR_INIT;
	struct collect c;
	struct stat sb;
	char path[512];
	cJSON *info = NULL;
	(void)state;

	assert_int_equal(osv_db_import(db, FIX "osv", NULL, &st, &err), 0);
	assert_int_equal(st.files, 9);
	assert_int_equal(st.records, 8);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(osv_db_count(db), 8);
	assert_int_equal(lookup_count(db, "npm", "left-pad", &c), 2);
	assert_string_equal(c.ids[0], "GTH-TEST-0001");
	assert_string_equal(c.ids[1], "GTH-TEST-0002");
	assert_int_equal(lookup_count(db, "PyPI", "DJANGO-rest_thing", &c), 1);
	assert_int_equal(lookup_count(db, "Debian:12", "openssl", &c), 1);
	assert_int_equal(lookup_count(db, "Debian:12", "zlib", &c), 1);   /* via "Debian" */
	assert_int_equal(lookup_count(db, "Debian:10", "openssl", &c), 0);
	assert_int_equal(lookup_count(db, "npm", "nothing", &c), 0);
	assert_true(osv_db_has_ecosystem(db, "Debian:12"));
	assert_true(osv_db_has_ecosystem(db, "Alpine:v3.19"));
	assert_false(osv_db_has_ecosystem(db, "Maven"));
	assert_true(osv_db_updated_at(db) > 0);
	assert_int_equal(osv_db_info(db, &info, &err), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(info, "ecosystems")), 8);
	cJSON_Delete(info);
	/* 0700 folders, 0600 file */
	snprintf(path, sizeof(path), "%s/a/b", tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/a/b/osv.db", tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* a second import of the same records replaces them */
	assert_int_equal(osv_db_import(db, FIX "osv/GTH-TEST-0001.json", NULL, &st, &err), 0);
	assert_int_equal(osv_db_count(db), 8);
	osv_db_close(db);
}

static void test_bad_import_keeps_cache(void **state)
{
	struct osv_db *db = open_db("bad.db");
	struct osv_import_stats st;
	struct gth_error err = GTH_ERROR_INIT;
	struct collect c;
	char dir[512], cmd[4096];
	(void)state;

	assert_int_equal(osv_db_import(db, FIX "osv", NULL, &st, &err), 0);
	/* a folder with good records first and a broken one last */
	snprintf(dir, sizeof(dir), "%s/mixed", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp " FIX "osv/GTH-TEST-0006.json %s/a.json && "
		 "sed 's/GTH-TEST-0006/GTH-NEW-0001/' " FIX "osv/GTH-TEST-0006.json > %s/b.json && "
		 "cp " FIX "osv-bad/truncated.json %s/c.json", dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(osv_db_import(db, dir, NULL, &st, &err), -1);
	assert_int_equal(err.exit, 65);
	assert_non_null(strstr(err.msg, "c.json"));
	assert_non_null(strstr(err.msg, "invalid JSON"));
	assert_int_equal(osv_db_count(db), 8);
	assert_int_equal(lookup_count(db, "Alpine:v3.20", "musl", &c), 1);
	gth_error_clear(&err);
	assert_int_equal(osv_db_import(db, FIX "osv-bad/wrong-type.json", NULL, &st, &err), -1);
	assert_non_null(strstr(err.msg, "\"affected\" is not an array"));
	gth_error_clear(&err);
	snprintf(dir, sizeof(dir), "%s/missing.json", tmpdir);
	assert_int_equal(osv_db_import(db, dir, NULL, &st, &err), -1);
	assert_int_equal(err.exit, 66);
	assert_int_equal(osv_db_count(db), 8);
	osv_db_close(db);
}

/* A zip with entries name/size; size bytes of zeros (or the given text). */
static void write_zip(const char *path, const char *name, const char *text, size_t zeros)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	static char block[65536];

	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, text ? (la_int64_t)strlen(text) : (la_int64_t)zeros);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (text) {
		archive_write_data(a, text, strlen(text));
	} else {
		for (size_t done = 0; done < zeros; done += sizeof(block))
			archive_write_data(a, block, zeros - done < sizeof(block) ? zeros - done : sizeof(block));
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

static void test_zip_import_and_bomb(void **state)
{
	struct osv_db *db = open_db("zip.db");
	struct osv_import_stats st;
	struct gth_error err = GTH_ERROR_INIT;
	struct osv_import_opts small = { 1 << 20, 4 << 20 };
	struct collect c;
	char zip[300];
	(void)state;

	snprintf(zip, sizeof(zip), "%s/good.zip", tmpdir);
	write_zip(zip, "GTH-ZIP-1.json",
		  "{\"id\":\"GTH-ZIP-1\",\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"zipped\"},"
		  "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"}]}]}]}", 0);
	assert_int_equal(osv_db_import_source_zip(db, "npm", zip, "http://x/npm/all.zip", "\"e1\"", NULL,
						  NULL, &st, &err), 0);
	assert_int_equal(st.records, 1);
	assert_int_equal(lookup_count(db, "npm", "zipped", &c), 1);
	{
		char *etag, *lm;
		assert_int_equal(osv_db_source_validators(db, "npm", &etag, &lm, &err), 0);
		assert_string_equal(etag, "\"e1\"");
		assert_null(lm);
		free(etag);
	}
	/* the bomb: 3 MiB of zeros in one entry, limit 1 MiB */
	snprintf(zip, sizeof(zip), "%s/bomb.zip", tmpdir);
	write_zip(zip, "bomb.json", NULL, 3 << 20);
	assert_int_equal(osv_db_import_source_zip(db, "npm", zip, "u", NULL, NULL, &small, &st, &err), -1);
	assert_int_equal(err.exit, 65);
	assert_non_null(strstr(err.msg, "zip bomb"));
	assert_int_equal(lookup_count(db, "npm", "zipped", &c), 1);
	gth_error_clear(&err);
	assert_int_equal(osv_db_import(db, zip, &small, &st, &err), -1);
	assert_non_null(strstr(err.msg, "bomb.json"));
	/* not a zip at all, and a truncated zip */
	gth_error_clear(&err);
	snprintf(zip, sizeof(zip), "%s/trunc.zip", tmpdir);
	{
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "head -c 100 %s/good.zip > %s", tmpdir, zip);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(osv_db_import_source_zip(db, "npm", zip, "u", NULL, NULL, NULL, &st, &err), -1);
	assert_int_equal(err.exit, 65);
	assert_int_equal(lookup_count(db, "npm", "zipped", &c), 1);
	osv_db_close(db);
}

static void test_open_missing_readonly(void **state)
{
	struct osv_db *db = NULL;
	struct gth_error err = GTH_ERROR_INIT;
	char path[512];
	(void)state;

	snprintf(path, sizeof(path), "%s/none.db", tmpdir);
	assert_int_equal(osv_db_open(&db, path, 0, &err), -1);
	assert_int_equal(err.exit, 66);
	assert_non_null(strstr(err.msg, "gth-scan db update"));
	/* a file that is not SQLite */
	gth_error_clear(&err);
	snprintf(path, sizeof(path), "%s/junk.db", tmpdir);
	{
		FILE *f = fopen(path, "w");
		fputs("this is not a database, just text that is long enough to be noticed\n", f);
		fclose(f);
	}
	assert_int_equal(osv_db_open(&db, path, 0, &err), -1);
	assert_int_equal(err.exit, 65);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_dir_and_lookup),
		cmocka_unit_test(test_bad_import_keeps_cache),
		cmocka_unit_test(test_zip_import_and_bomb),
		cmocka_unit_test(test_open_missing_readonly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
