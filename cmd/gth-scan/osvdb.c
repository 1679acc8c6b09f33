#include "osvdb.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/fs.h"
#include "gth/json.h"
#include "gth/util.h"

#define OSV_DB_SCHEMA "2"
#define DEFAULT_MAX_ENTRY (64ull << 20)
#define DEFAULT_MAX_TOTAL (8ull << 30)

struct osv_db {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *lookup;
	sqlite3_stmt *lookup2;
	sqlite3_stmt *ins_vuln;
	sqlite3_stmt *ins_aff;
	sqlite3_stmt *del_vuln;
	sqlite3_stmt *del_aff;
};

static const char *const schema_sql =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS vulns(id TEXT PRIMARY KEY, source TEXT NOT NULL,"
	" modified TEXT, json TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS vulns_source ON vulns(source);"
	"CREATE TABLE IF NOT EXISTS affected(ecosystem TEXT NOT NULL, name TEXT NOT NULL,"
	" vid INTEGER NOT NULL, PRIMARY KEY(ecosystem, name, vid)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS affected_vid ON affected(vid);"
	"CREATE TABLE IF NOT EXISTS sources(name TEXT PRIMARY KEY, url TEXT, etag TEXT,"
	" last_modified TEXT, updated_at INTEGER, records INTEGER);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '" OSV_DB_SCHEMA "');";

static int db_error(struct gth_error *err, struct osv_db *db, const char *what)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "%s: %s: %s", db->path, what,
			     sqlite3_errmsg(db->db));
}

int osv_db_default_path(char **out, struct gth_error *err)
{
	struct gth_buf dir = GTH_BUF_INIT;

	*out = NULL;
	if (gth_cache_dir(&dir, NULL, err) < 0) {
		gth_buf_release(&dir);
		return -1;
	}
	*out = gth_strdupf("%s/osv.db", dir.ptr);
	gth_buf_release(&dir);
	if (*out == NULL)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return 0;
}

const char *osv_db_path(const struct osv_db *db)
{
	return db->path;
}

void osv_db_close(struct osv_db *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->lookup);
	sqlite3_finalize(db->lookup2);
	sqlite3_finalize(db->ins_vuln);
	sqlite3_finalize(db->ins_aff);
	sqlite3_finalize(db->del_vuln);
	sqlite3_finalize(db->del_aff);
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

static int prepare(struct osv_db *db, sqlite3_stmt **st, const char *sql, struct gth_error *err)
{
	if (*st)
		return 0;
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(err, db, "preparing a query");
	return 0;
}

int osv_db_open(struct osv_db **out, const char *path, int create, struct gth_error *err)
{
	struct osv_db *db = NULL;
	char *def = NULL, *dir = NULL, *slash;
	int rc = -1, flags;
	sqlite3_stmt *st = NULL;

	*out = NULL;
	if (path == NULL) {
		if (osv_db_default_path(&def, err) < 0)
			goto done;
		path = def;
	}
	db = calloc(1, sizeof(*db));
	if (db == NULL || (db->path = strdup(path)) == NULL) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	if (!create && !gth_file_exists(path)) {
		gth_error_set(err, GTH_EXIT_NOINPUT,
			      "no OSV cache at '%s': run 'gth-scan db update' or 'gth-scan db import'", path);
		goto done;
	}
	if (create) {
		int fd;
		dir = strdup(path);
		if (dir == NULL) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (gth_mkdir_p(dir, 0700, err) < 0)
				goto done;
		}
		/* SQLite gives the -wal and -shm files the mode of the database file */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0) {
			gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				      "cannot create '%s': %s", path, strerror(errno));
			goto done;
		}
		close(fd);
	}
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		gth_error_set(err, GTH_EXIT_DATAERR, "cannot open the OSV cache '%s': %s", path,
			      db->db ? sqlite3_errmsg(db->db) : "out of memory");
		goto done;
	}
	sqlite3_busy_timeout(db->db, 30000);
	if (sqlite3_exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		gth_error_set(err, GTH_EXIT_DATAERR, "'%s' is not an OSV cache: %s", path,
			      sqlite3_errmsg(db->db));
		goto done;
	}
	if (sqlite3_exec(db->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		gth_error_set(err, GTH_EXIT_DATAERR, "'%s' is not an OSV cache: %s", path,
			      sqlite3_errmsg(db->db));
		goto done;
	}
	if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), OSV_DB_SCHEMA) != 0) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "'%s' is an OSV cache of another schema version: remove it and run 'gth-scan db update'",
			      path);
		goto done;
	}
	chmod(path, 0600);
	*out = db;
	db = NULL;
	rc = 0;
done:
	sqlite3_finalize(st);
	osv_db_close(db);
	free(def);
	free(dir);
	return rc;
}

static int exec(struct osv_db *db, const char *sql, struct gth_error *err)
{
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(err, db, sql);
	return 0;
}

/* Run one statement with one text parameter. */
static int exec_text(struct osv_db *db, const char *sql, const char *arg, const char *what,
		     struct gth_error *err)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(err, db, what);
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return db_error(err, db, what);
	return 0;
}

static int set_meta_now(struct osv_db *db, struct gth_error *err)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta(key, value) VALUES('updated_at', '%lld')",
		 (long long)(gth_wall_ms() / 1000));
	return exec(db, sql, err);
}

/* ---- storing records ------------------------------------------------------- */

static int store_record(struct osv_db *db, const struct osv_record *r, const char *json, size_t len,
			const char *source, struct osv_import_stats *st, struct gth_error *err)
{
	sqlite3_int64 vid;

	if (prepare(db, &db->del_aff,
		    "DELETE FROM affected WHERE vid = (SELECT rowid FROM vulns WHERE id = ?1)", err) < 0 ||
	    prepare(db, &db->del_vuln, "DELETE FROM vulns WHERE id = ?1", err) < 0 ||
	    prepare(db, &db->ins_vuln, "INSERT INTO vulns(id, source, modified, json) VALUES(?1, ?2, ?3, ?4)",
		    err) < 0 ||
	    prepare(db, &db->ins_aff, "INSERT OR IGNORE INTO affected(ecosystem, name, vid) VALUES(?1, ?2, ?3)",
		    err) < 0)
		return -1;
	/* a record replaces the one with its id: its index rows first */
	sqlite3_reset(db->del_aff);
	sqlite3_bind_text(db->del_aff, 1, r->id, -1, SQLITE_STATIC);
	if (sqlite3_step(db->del_aff) != SQLITE_DONE)
		return db_error(err, db, "deleting a record");
	sqlite3_reset(db->del_vuln);
	sqlite3_bind_text(db->del_vuln, 1, r->id, -1, SQLITE_STATIC);
	if (sqlite3_step(db->del_vuln) != SQLITE_DONE)
		return db_error(err, db, "deleting a record");
	if (r->withdrawn) {
		st->withdrawn++;
		return 0;
	}
	sqlite3_reset(db->ins_vuln);
	sqlite3_bind_text(db->ins_vuln, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->ins_vuln, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->ins_vuln, 3, r->modified, -1, SQLITE_STATIC);
	sqlite3_bind_text(db->ins_vuln, 4, json, (int)len, SQLITE_STATIC);
	if (sqlite3_step(db->ins_vuln) != SQLITE_DONE)
		return db_error(err, db, "storing a record");
	vid = sqlite3_last_insert_rowid(db->db);
	for (size_t i = 0; i < r->naffected; i++) {
		const struct osv_affected *a = &r->affected[i];
		char name[1024];
		if (a->ecosystem == NULL || a->name == NULL)
			continue;
		osv_index_name(name, sizeof(name), a->ecosystem, a->name);
		sqlite3_reset(db->ins_aff);
		sqlite3_bind_text(db->ins_aff, 1, a->ecosystem, -1, SQLITE_STATIC);
		sqlite3_bind_text(db->ins_aff, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(db->ins_aff, 3, vid);
		if (sqlite3_step(db->ins_aff) != SQLITE_DONE)
			return db_error(err, db, "indexing a record");
	}
	st->records++;
	return 0;
}

/* One JSON document: a record, or an array of records. */
static int import_text(struct osv_db *db, const char *text, size_t len, const char *name,
		       const char *source, struct osv_import_stats *st, struct gth_error *err)
{
	cJSON *root = NULL;
	struct osv_record *r = NULL;
	int rc = -1;

	if (gth_json_parse(&root, text, len, name, err) < 0)
		return -1;
	st->files++;
	if (cJSON_IsArray(root)) {
		cJSON *it;
		while ((it = cJSON_DetachItemFromArray(root, 0)) != NULL) {
			char *one;
			if (osv_record_from_json(&r, it, name, err) < 0)
				goto done;
			one = cJSON_PrintUnformatted(r->root);
			if (one == NULL) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				goto done;
			}
			rc = store_record(db, r, one, strlen(one), source, st, err);
			free(one);
			osv_record_free(r);
			r = NULL;
			if (rc < 0)
				goto done;
			rc = -1;
		}
		rc = 0;
		goto done;
	}
	if (osv_record_from_json(&r, root, name, err) < 0) {
		root = NULL;
		goto done;
	}
	root = NULL;
	rc = store_record(db, r, text, len, source, st, err);
done:
	osv_record_free(r);
	cJSON_Delete(root);
	return rc;
}

static int import_json_file(struct osv_db *db, const char *path, const char *source,
			    const struct osv_import_opts *o, struct osv_import_stats *st,
			    struct gth_error *err)
{
	struct gth_buf b = GTH_BUF_INIT;
	int rc;

	rc = gth_buf_read_file(&b, path, (size_t)o->max_entry, err);
	if (rc == 0)
		rc = import_text(db, gth_buf_cstr(&b), b.len, path, source, st, err);
	gth_buf_release(&b);
	return rc;
}

static int import_zip(struct osv_db *db, const char *path, const char *source,
		      const struct osv_import_opts *o, struct osv_import_stats *st,
		      struct gth_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct gth_buf b = GTH_BUF_INIT;
	uint64_t total = 0;
	int r, rc = -1;

	if (a == NULL)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: not a zip archive: %s", path, archive_error_string(a));
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char *label;
		if (archive_entry_filetype(e) != AE_IFREG || name == NULL || !gth_ends_with(name, ".json"))
			continue;
		if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > o->max_entry) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "%s: %s: %lld bytes uncompressed, over the limit of %llu (a zip bomb?)",
				      path, name, (long long)archive_entry_size(e), (unsigned long long)o->max_entry);
			goto done;
		}
		gth_buf_clear(&b);
		for (;;) {
			char chunk[65536];
			la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
			if (n < 0) {
				gth_error_set(err, GTH_EXIT_DATAERR, "%s: %s: %s", path, name, archive_error_string(a));
				goto done;
			}
			if (n == 0)
				break;
			total += (uint64_t)n;
			if (b.len + (size_t)n > o->max_entry) {
				gth_error_set(err, GTH_EXIT_DATAERR,
					      "%s: %s: more than %llu bytes uncompressed (a zip bomb?)", path, name,
					      (unsigned long long)o->max_entry);
				goto done;
			}
			if (total > o->max_total) {
				gth_error_set(err, GTH_EXIT_DATAERR,
					      "%s: more than %llu bytes uncompressed in all (a zip bomb?)", path,
					      (unsigned long long)o->max_total);
				goto done;
			}
			if (gth_buf_put(&b, chunk, (size_t)n) < 0) {
				gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
				goto done;
			}
		}
		label = gth_strdupf("%s: %s", path, name);
		if (label == NULL) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		r = import_text(db, gth_buf_cstr(&b), b.len, label, source, st, err);
		free(label);
		if (r < 0)
			goto done;
	}
	if (r != ARCHIVE_EOF) {
		gth_error_set(err, GTH_EXIT_DATAERR, "%s: broken zip archive: %s", path, archive_error_string(a));
		goto done;
	}
	rc = 0;
done:
	gth_buf_release(&b);
	archive_read_free(a);
	return rc;
}

static int is_zip(const char *path)
{
	unsigned char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(magic, 1, 4, f);
	fclose(f);
	return n == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

static int filter_entry(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int import_dir(struct osv_db *db, const char *dir, const char *source,
		      const struct osv_import_opts *o, struct osv_import_stats *st, int depth,
		      struct gth_error *err)
{
	struct dirent **names = NULL;
	struct gth_buf p = GTH_BUF_INIT;
	int n, rc = 0;

	if (depth > 32)
		return gth_error_set(err, GTH_EXIT_DATAERR, "%s: folders nested too deep", dir);
	n = scandir(dir, &names, filter_entry, alphasort);
	if (n < 0)
		return gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				     "cannot read folder '%s': %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		struct stat sb;
		if (rc == 0) {
			gth_path_join(&p, dir, names[i]->d_name);
			if (stat(p.ptr, &sb) == 0 && S_ISDIR(sb.st_mode))
				rc = import_dir(db, p.ptr, source, o, st, depth + 1, err);
			else if (gth_ends_with(p.ptr, ".json"))
				rc = import_json_file(db, p.ptr, source, o, st, err);
			else if (gth_ends_with(p.ptr, ".zip"))
				rc = import_zip(db, p.ptr, source, o, st, err);
		}
		free(names[i]);
	}
	free(names);
	gth_buf_release(&p);
	return rc;
}

static void opts_defaults(struct osv_import_opts *d, const struct osv_import_opts *o)
{
	d->max_entry = o && o->max_entry ? o->max_entry : DEFAULT_MAX_ENTRY;
	d->max_total = o && o->max_total ? o->max_total : DEFAULT_MAX_TOTAL;
}

static int end_tx(struct osv_db *db, int ok, struct gth_error *err)
{
	if (ok) {
		if (set_meta_now(db, err) < 0 || exec(db, "COMMIT", err) < 0) {
			sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		return 0;
	}
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int osv_db_import(struct osv_db *db, const char *path, const struct osv_import_opts *o,
		  struct osv_import_stats *st, struct gth_error *err)
{
	struct osv_import_opts opts;
	struct stat sb;
	char *source;
	int rc;

	opts_defaults(&opts, o);
	memset(st, 0, sizeof(*st));
	if (stat(path, &sb) < 0)
		return gth_error_set(err, errno == EACCES ? GTH_EXIT_NOPERM : GTH_EXIT_NOINPUT,
				     "cannot read '%s': %s", path, strerror(errno));
	source = gth_strdupf("import:%s", path);
	if (source == NULL)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	if (exec(db, "BEGIN IMMEDIATE", err) < 0) {
		free(source);
		return -1;
	}
	if (S_ISDIR(sb.st_mode))
		rc = import_dir(db, path, source, &opts, st, 0, err);
	else if (is_zip(path))
		rc = import_zip(db, path, source, &opts, st, err);
	else
		rc = import_json_file(db, path, source, &opts, st, err);
	free(source);
	return end_tx(db, rc == 0, err);
}

int osv_db_import_source_zip(struct osv_db *db, const char *source, const char *zip_path,
			     const char *url, const char *etag, const char *last_modified,
			     const struct osv_import_opts *o, struct osv_import_stats *st,
			     struct gth_error *err)
{
	struct osv_import_opts opts;
	sqlite3_stmt *s = NULL;
	int rc = -1;

	opts_defaults(&opts, o);
	memset(st, 0, sizeof(*st));
	if (exec(db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (exec_text(db, "DELETE FROM affected WHERE vid IN (SELECT rowid FROM vulns WHERE source = ?1)",
		      source, "clearing a source", err) < 0 ||
	    exec_text(db, "DELETE FROM vulns WHERE source = ?1", source, "clearing a source", err) < 0)
		goto done;
	if (import_zip(db, zip_path, source, &opts, st, err) < 0)
		goto done;
	if (sqlite3_prepare_v2(db->db,
			       "INSERT OR REPLACE INTO sources(name, url, etag, last_modified, updated_at, records)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1, &s, NULL) != SQLITE_OK) {
		db_error(err, db, "recording a source");
		goto done;
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, etag, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, last_modified, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, gth_wall_ms() / 1000);
	sqlite3_bind_int64(s, 6, st->records);
	if (sqlite3_step(s) != SQLITE_DONE) {
		db_error(err, db, "recording a source");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(s);
	return end_tx(db, rc == 0, err);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

int osv_db_source_validators(struct osv_db *db, const char *source, char **etag,
			     char **last_modified, struct gth_error *err)
{
	sqlite3_stmt *s = NULL;
	int r;

	*etag = NULL;
	*last_modified = NULL;
	if (sqlite3_prepare_v2(db->db, "SELECT etag, last_modified FROM sources WHERE name = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_error(err, db, "reading a source");
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*etag = col_dup(s, 0);
		*last_modified = col_dup(s, 1);
	}
	sqlite3_finalize(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_error(err, db, "reading a source");
	return 0;
}

int osv_db_source_touch(struct osv_db *db, const char *source, struct gth_error *err)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (exec(db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (sqlite3_prepare_v2(db->db, "UPDATE sources SET updated_at = ?2 WHERE name = ?1", -1, &s, NULL) !=
	    SQLITE_OK) {
		db_error(err, db, "updating a source");
		return end_tx(db, 0, err);
	}
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, gth_wall_ms() / 1000);
	r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		db_error(err, db, "updating a source");
	return end_tx(db, r == SQLITE_DONE, err);
}

/* ---- reading -------------------------------------------------------------- */

static void base_ecosystem(char *out, size_t size, const char *eco)
{
	size_t n = strcspn(eco, ":");

	if (n >= size)
		n = size - 1;
	memcpy(out, eco, n);
	out[n] = '\0';
}

int osv_db_lookup(struct osv_db *db, const char *ecosystem, const char *name,
		  int (*fn)(void *ctx, struct osv_record *r, struct gth_error *err),
		  void *ctx, struct gth_error *err)
{
	char base[256], iname[1024];
	sqlite3_stmt *q;
	int r, rc = 0;

	base_ecosystem(base, sizeof(base), ecosystem);
	osv_index_name(iname, sizeof(iname), ecosystem, name);
	if (strcmp(base, ecosystem) == 0) {
		if (prepare(db, &db->lookup,
			    "SELECT v.id, v.json FROM affected a JOIN vulns v ON v.rowid = a.vid"
			    " WHERE a.ecosystem = ?1 AND a.name = ?2", err) < 0)
			return -1;
		q = db->lookup;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, ecosystem, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, iname, -1, SQLITE_TRANSIENT);
	} else {
		/* a release's records and those of the release-less base ecosystem */
		if (prepare(db, &db->lookup2,
			    "SELECT DISTINCT v.id, v.json FROM affected a JOIN vulns v ON v.rowid = a.vid"
			    " WHERE a.ecosystem IN (?1, ?2) AND a.name = ?3", err) < 0)
			return -1;
		q = db->lookup2;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, ecosystem, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, base, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 3, iname, -1, SQLITE_TRANSIENT);
	}
	while ((r = sqlite3_step(q)) == SQLITE_ROW) {
		struct osv_record *rec = NULL;
		const char *json = (const char *)sqlite3_column_text(q, 1);
		int len = sqlite3_column_bytes(q, 1);
		if (osv_record_parse(&rec, json ? json : "", (size_t)len, db->path, err) < 0) {
			rc = -1;
			break;
		}
		rc = fn(ctx, rec, err);
		if (rc != 1)
			osv_record_free(rec);
		if (rc < 0)
			break;
		rc = 0;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = db_error(err, db, "looking up a package");
	sqlite3_reset(q);
	return rc;
}

int osv_db_has_ecosystem(struct osv_db *db, const char *ecosystem)
{
	sqlite3_stmt *s = NULL;
	char base[256], lo[260], hi[260];
	int found = 0;

	base_ecosystem(base, sizeof(base), ecosystem);
	snprintf(lo, sizeof(lo), "%s:", base);
	snprintf(hi, sizeof(hi), "%s;", base);
	if (sqlite3_prepare_v2(db->db,
			       "SELECT 1 FROM affected WHERE ecosystem = ?1 OR ecosystem = ?2 OR"
			       " (ecosystem > ?3 AND ecosystem < ?4) LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, ecosystem, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, base, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, hi, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static int64_t query_int(struct osv_db *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

int64_t osv_db_updated_at(struct osv_db *db)
{
	return query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'updated_at'");
}

long osv_db_count(struct osv_db *db)
{
	return (long)query_int(db, "SELECT COUNT(*) FROM vulns");
}

int osv_db_info(struct osv_db *db, cJSON **out, struct gth_error *err)
{
	cJSON *o = cJSON_CreateObject(), *ecos, *srcs;
	sqlite3_stmt *s = NULL;
	int64_t upd = osv_db_updated_at(db);
	char ts[32];
	int r;

	*out = NULL;
	if (o == NULL)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(o, "path", db->path);
	cJSON_AddNumberToObject(o, "records", (double)osv_db_count(db));
	if (upd > 0) {
		cJSON_AddStringToObject(o, "updated_at", gth_format_time((time_t)upd, ts, sizeof(ts)));
		cJSON_AddNumberToObject(o, "age_s", (double)(gth_wall_ms() / 1000 - upd));
	} else {
		cJSON_AddNullToObject(o, "updated_at");
		cJSON_AddNullToObject(o, "age_s");
	}
	ecos = cJSON_AddArrayToObject(o, "ecosystems");
	if (sqlite3_prepare_v2(db->db,
			       "SELECT ecosystem, COUNT(DISTINCT vid), COUNT(DISTINCT name) FROM affected"
			       " GROUP BY ecosystem ORDER BY ecosystem", -1, &s, NULL) != SQLITE_OK) {
		cJSON_Delete(o);
		return db_error(err, db, "counting records");
	}
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", (const char *)sqlite3_column_text(s, 0));
		cJSON_AddNumberToObject(e, "records", (double)sqlite3_column_int64(s, 1));
		cJSON_AddNumberToObject(e, "packages", (double)sqlite3_column_int64(s, 2));
		cJSON_AddItemToArray(ecos, e);
	}
	sqlite3_finalize(s);
	s = NULL;
	srcs = cJSON_AddArrayToObject(o, "sources");
	if (sqlite3_prepare_v2(db->db, "SELECT name, url, etag, updated_at, records FROM sources ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK) {
		cJSON_Delete(o);
		return db_error(err, db, "listing sources");
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *e = cJSON_CreateObject();
		const char *url = (const char *)sqlite3_column_text(s, 1);
		const char *etag = (const char *)sqlite3_column_text(s, 2);
		cJSON_AddStringToObject(e, "name", (const char *)sqlite3_column_text(s, 0));
		if (url)
			cJSON_AddStringToObject(e, "url", url);
		else
			cJSON_AddNullToObject(e, "url");
		if (etag)
			cJSON_AddStringToObject(e, "etag", etag);
		else
			cJSON_AddNullToObject(e, "etag");
		cJSON_AddStringToObject(e, "updated_at",
					gth_format_time((time_t)sqlite3_column_int64(s, 3), ts, sizeof(ts)));
		cJSON_AddNumberToObject(e, "records", (double)sqlite3_column_int64(s, 4));
		cJSON_AddItemToArray(srcs, e);
	}
	sqlite3_finalize(s);
	*out = o;
	return 0;
}
