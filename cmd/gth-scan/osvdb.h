/* The local OSV cache: a SQLite database (WAL) at $XDG_CACHE_HOME/gth/osv.db, or a
 * path given with --db. The folder is made 0700 and the files 0600.
 *
 *   vulns(id, source, modified, json)          one row per record, the record's text
 *   affected(ecosystem, name, vuln_id)         indexed by (ecosystem, name)
 *   sources(name, url, etag, last_modified, updated_at, records)
 *   meta(key, value)                           schema version, last update
 *
 * Every import runs in one transaction: when it fails or is interrupted, the
 * previous contents stay as they were. Records are indexed under the package names
 * of osv_index_name(); withdrawn records are dropped on import. Not thread-safe. */
#ifndef GTH_SCAN_OSVDB_H
#define GTH_SCAN_OSVDB_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "gth/error.h"
#include "osv.h"

struct osv_db;

/* Open the cache; path NULL is the default. create 0 opens an existing file
 * read-only (a missing one is 66); create 1 makes folder and file as needed. */
int osv_db_open(struct osv_db **out, const char *path, int create, struct gth_error *err);
void osv_db_close(struct osv_db *db);
const char *osv_db_path(const struct osv_db *db);
/* The default path ($XDG_CACHE_HOME/gth/osv.db) into a malloc'd string. */
int osv_db_default_path(char **out, struct gth_error *err);

struct osv_import_opts {
	uint64_t max_entry;   /* largest JSON file or zip entry, uncompressed; 0: 64 MiB */
	uint64_t max_total;   /* all entries of one zip together; 0: 8 GiB */
};

struct osv_import_stats {
	long files;           /* JSON documents read */
	long records;         /* records stored */
	long withdrawn;       /* withdrawn records dropped */
};

/* db import PATH: a .json file (one record or an array of them), a directory of
 * them (searched recursively), or a zip of them (osv.dev's all.zip). One
 * transaction; on any bad record the import stops with a 65 error naming the file
 * (and the zip entry) and nothing changes. Records replace those with the same id. */
int osv_db_import(struct osv_db *db, const char *path, const struct osv_import_opts *o,
		  struct osv_import_stats *st, struct gth_error *err);

/* Replace every record of source (an ecosystem name) by the zip's, in one
 * transaction, and remember url/etag/last_modified for the next conditional
 * request. */
int osv_db_import_source_zip(struct osv_db *db, const char *source, const char *zip_path,
			     const char *url, const char *etag, const char *last_modified,
			     const struct osv_import_opts *o, struct osv_import_stats *st,
			     struct gth_error *err);
/* What was stored for a source's last download (strings malloc'd, NULL when none). */
int osv_db_source_validators(struct osv_db *db, const char *source, char **etag,
			     char **last_modified, struct gth_error *err);
/* Mark a source as checked now (a 304 answer). */
int osv_db_source_touch(struct osv_db *db, const char *source, struct gth_error *err);

/* Call fn for every record indexed under ecosystem/name (and the release-less
 * base ecosystem: "Debian" for "Debian:12"). Records are parsed for the call; fn
 * returns 0 to go on (the record is freed after it), 1 when it keeps the record
 * (and frees it itself), -1 to stop with its error. A record that no longer
 * parses is a 65 error naming the cache. */
int osv_db_lookup(struct osv_db *db, const char *ecosystem, const char *name,
		  int (*fn)(void *ctx, struct osv_record *r, struct gth_error *err),
		  void *ctx, struct gth_error *err);

/* 1 when the cache holds any record for the ecosystem (or its base), else 0. */
int osv_db_has_ecosystem(struct osv_db *db, const char *ecosystem);
/* Unix time (seconds) of the last import or update, 0 for none. */
int64_t osv_db_updated_at(struct osv_db *db);
/* Number of records stored. */
long osv_db_count(struct osv_db *db);

/* db info: {"path", "records", "updated_at", "age_s", "ecosystems": [{"name",
 * "records", "packages"}], "sources": [{"name", "url", "etag", "updated_at",
 * "records"}]} into *out (caller deletes). */
int osv_db_info(struct osv_db *db, cJSON **out, struct gth_error *err);

#endif
