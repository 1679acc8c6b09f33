#include "vuln.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/http.h"
#include "gth/log.h"
#include "gth/util.h"
#include "osv.h"

#define DEFAULT_MIRROR "https://osv-vulnerabilities.storage.googleapis.com"
#define DEFAULT_MAX_AGE_MS (7LL * 24 * 3600 * 1000)
#define MAX_ZIP (4ull << 30)

struct vuln_state {
	struct osv_db *db;
	int tried;           /* opening was attempted */
	int stale_checked;
	char **ecos;         /* base ecosystems checked (present, fetched or warned) */
	size_t necos;
};

const char *vuln_mirror(const struct scan_opts *o)
{
	const char *m = getenv("GTH_OSV_MIRROR");

	if (m && *m)
		return m;
	if (o && o->cfg) {
		const char *s = gth_node_str(gth_node_get(o->cfg, "mirror"));
		if (s && *s)
			return s;
	}
	return DEFAULT_MIRROR;
}

void scan_vuln_end(struct scan_result *res)
{
	struct vuln_state *st = res ? res->vuln : NULL;

	if (st == NULL)
		return;
	osv_db_close(st->db);
	for (size_t i = 0; i < st->necos; i++)
		free(st->ecos[i]);
	free(st->ecos);
	free(st);
	res->vuln = NULL;
}

/* ---- db update ------------------------------------------------------------- */

struct dl {
	int fd;
	uint64_t size;
	const char *url;
	struct gth_error *err;
};

static int dl_sink(void *ctx, const char *data, size_t len)
{
	struct dl *d = ctx;

	d->size += len;
	if (d->size > MAX_ZIP) {
		gth_error_set(d->err, GTH_EXIT_DATAERR, "%s: larger than %llu bytes", d->url,
			      (unsigned long long)MAX_ZIP);
		return -1;
	}
	while (len > 0) {
		ssize_t w = write(d->fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			gth_error_set(d->err, GTH_EXIT_SOFTWARE, "writing the download of %s: %s", d->url,
				      strerror(errno));
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int dl_reset(void *ctx)
{
	struct dl *d = ctx;

	d->size = 0;
	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0)
		return -1;
	return 0;
}

static int update_one(struct osv_db *db, struct gth_http_client *c, const char *base, const char *eco,
		      cJSON *results, struct gth_error *err)
{
	struct gth_buf url = GTH_BUF_INIT, seg = GTH_BUF_INIT, h1 = GTH_BUF_INIT, h2 = GTH_BUF_INIT;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_http_request req;
	struct osv_import_stats st = { 0, 0, 0 };
	struct dl d = { -1, 0, NULL, err };
	const char *headers[3] = { NULL, NULL, NULL };
	char *etag = NULL, *lm = NULL, *tmp = NULL;
	size_t nh = 0;
	int rc = -1;

	gth_url_escape(&seg, eco);
	gth_buf_printf(&url, "%s%s%s/all.zip", base, gth_ends_with(base, "/") ? "" : "/", gth_buf_cstr(&seg));
	d.url = gth_buf_cstr(&url);
	if (osv_db_source_validators(db, eco, &etag, &lm, err) < 0)
		goto done;
	if (etag) {
		gth_buf_printf(&h1, "If-None-Match: %s", etag);
		headers[nh++] = gth_buf_cstr(&h1);
	}
	if (lm) {
		gth_buf_printf(&h2, "If-Modified-Since: %s", lm);
		headers[nh++] = gth_buf_cstr(&h2);
	}
	tmp = gth_strdupf("%s.download-XXXXXX", osv_db_path(db));
	if (tmp == NULL) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	d.fd = mkstemp(tmp);
	if (d.fd < 0) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "cannot create a file beside '%s': %s", osv_db_path(db),
			      strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.url = d.url;
	req.headers = headers;
	req.sink = dl_sink;
	req.sink_reset = dl_reset;
	req.sink_ctx = &d;
	gth_verbose("GET %s", d.url);
	if (gth_http_do(&resp, c, &req, err) < 0) {
		if (err && err->exit == 0)
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "GET %s failed", d.url);
		goto done;
	}
	if (resp.status == 304) {
		if (osv_db_source_touch(db, eco, err) < 0)
			goto done;
		gth_note("%s: unchanged", eco);
		if (results) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "name", eco);
			cJSON_AddStringToObject(r, "url", d.url);
			cJSON_AddStringToObject(r, "status", "unchanged");
			cJSON_AddNullToObject(r, "records");
			cJSON_AddItemToArray(results, r);
		}
		rc = 0;
		goto done;
	}
	if (resp.status < 200 || resp.status > 299) {
		if (resp.status == 404)
			gth_error_set(err, GTH_EXIT_NOINPUT, "no OSV export for ecosystem '%s' at %s (HTTP 404)", eco,
				      d.url);
		else
			gth_http_status_error(err, &resp, d.url);
		goto done;
	}
	if (osv_db_import_source_zip(db, eco, tmp, d.url, gth_http_header(&resp, "etag"),
				     gth_http_header(&resp, "last-modified"), NULL, &st, err) < 0)
		goto done;
	gth_note("%s: %ld records", eco, st.records);
	if (results) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "name", eco);
		cJSON_AddStringToObject(r, "url", d.url);
		cJSON_AddStringToObject(r, "status", "updated");
		cJSON_AddNumberToObject(r, "records", (double)st.records);
		cJSON_AddItemToArray(results, r);
	}
	rc = 0;
done:
	if (d.fd >= 0)
		close(d.fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(etag);
	free(lm);
	gth_http_response_release(&resp);
	gth_buf_release(&url);
	gth_buf_release(&seg);
	gth_buf_release(&h1);
	gth_buf_release(&h2);
	return rc;
}

int vuln_db_update(struct osv_db *db, const char *base, const char *const *ecosystems, size_t n,
		   cJSON *results, struct gth_error *err)
{
	struct gth_http_client c = GTH_HTTP_CLIENT_INIT;
	int rc = 0;

	if (gth_http_global_init(err) < 0)
		return -1;
	/* An export is big: each download may take 30 minutes, unless GTH_HTTP_BUDGET
	 * says otherwise (gth_http_do reads it when the client sets no budget). */
	if (!getenv("GTH_HTTP_BUDGET"))
		c.budget_ms = 30 * 60 * 1000;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = update_one(db, &c, base, ecosystems[i], results, err);
	gth_http_client_release(&c);
	return rc;
}

/* ---- opening the cache for a scan ------------------------------------------ */

static void base_eco(char *out, size_t size, const char *eco)
{
	size_t n = strcspn(eco, ":");

	if (n >= size)
		n = size - 1;
	memcpy(out, eco, n);
	out[n] = '\0';
}

int64_t vuln_max_age_ms(void)
{
	const char *s = getenv("GTH_OSV_MAX_AGE");
	int64_t ms;

	if (s && *s && gth_parse_duration(s, &ms) == 0)
		return ms;
	return DEFAULT_MAX_AGE_MS;
}

static int ensure_db(struct scan_result *res, const struct scan_opts *o, const struct lock_pkgs *pkgs,
		     struct osv_db **out, struct gth_error *err)
{
	struct vuln_state *st = res->vuln;

	*out = NULL;
	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		res->vuln = st;
	}
	if (st->db == NULL) {
		if (osv_db_open(&st->db, o->db, 0, err) < 0) {
			if (err->exit != GTH_EXIT_NOINPUT || o->offline)
				return -1;
			/* no cache yet: make one and fill it below */
			gth_error_clear(err);
			if (osv_db_open(&st->db, o->db, 1, err) < 0)
				return -1;
		}
	}
	for (size_t i = 0; i < pkgs->n; i++) {
		char base[128];
		int seen = 0;
		base_eco(base, sizeof(base), pkgs->v[i].ecosystem);
		for (size_t k = 0; k < st->necos && !seen; k++)
			seen = strcmp(st->ecos[k], base) == 0;
		if (seen)
			continue;
		{
			char **nv = realloc(st->ecos, (st->necos + 1) * sizeof(*nv));
			if (nv == NULL)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			st->ecos = nv;
			if ((st->ecos[st->necos] = strdup(base)) == NULL)
				return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			st->necos++;
		}
		if (osv_db_has_ecosystem(st->db, pkgs->v[i].ecosystem))
			continue;
		if (o->offline) {
			scan_result_warn(res, "the OSV cache '%s' has no records for %s (offline: not fetched)",
					 osv_db_path(st->db), base);
			continue;
		}
		{
			const char *one[1] = { base };
			gth_note("fetching the OSV records of %s from %s", base, vuln_mirror(o));
			if (vuln_db_update(st->db, vuln_mirror(o), one, 1, NULL, err) < 0)
				return -1;
		}
	}
	if (!st->stale_checked) {
		int64_t upd = osv_db_updated_at(st->db);
		int64_t age = gth_wall_ms() - upd * 1000;
		st->stale_checked = 1;
		if (upd > 0 && age > vuln_max_age_ms())
			scan_result_warn(res, "the OSV cache '%s' was last updated %lld days ago: run 'gth-scan db update'",
					 osv_db_path(st->db), (long long)(age / (24LL * 3600 * 1000)));
	}
	*out = st->db;
	return 0;
}

/* ---- matching ----------------------------------------------------------------- */

struct hit {
	struct osv_record *rec;
	const struct osv_affected *aff; /* inside rec */
	const char *fixed;              /* inside rec */
	int severity;
	int group;
};

struct hits {
	struct hit *v;
	size_t n, cap;
	const struct lock_pkg *pkg;
};

static void hits_clear(struct hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		osv_record_free(h->v[i].rec);
	h->n = 0;
}

static int collect(void *ctx, struct osv_record *r, struct gth_error *err)
{
	struct hits *h = ctx;
	const struct osv_affected *a;
	const char *fixed;
	double score;

	if (!osv_record_match(r, h->pkg->ecosystem, h->pkg->name, h->pkg->version, &a, &fixed))
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct hit *v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].rec = r;
	h->v[h->n].aff = a;
	h->v[h->n].fixed = fixed;
	h->v[h->n].severity = osv_record_severity(r, a, &score);
	h->v[h->n].group = (int)h->n;
	h->n++;
	return 1;
}

static int shares_name(const struct osv_record *a, const struct osv_record *b)
{
	if (strcmp(a->id, b->id) == 0)
		return 1;
	for (size_t i = 0; i < a->naliases; i++) {
		if (strcmp(a->aliases[i], b->id) == 0)
			return 1;
		for (size_t k = 0; k < b->naliases; k++)
			if (strcmp(a->aliases[i], b->aliases[k]) == 0)
				return 1;
	}
	for (size_t k = 0; k < b->naliases; k++)
		if (strcmp(b->aliases[k], a->id) == 0)
			return 1;
	return 0;
}

static int find_group(struct hits *h, int i)
{
	while (h->v[i].group != i)
		i = h->v[i].group = h->v[h->v[i].group].group;
	return i;
}

static int add_alias(const char ***v, size_t *n, const char *s, const char *primary)
{
	const char **nv;

	if (strcmp(s, primary) == 0)
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

static int emit_groups(struct scan_result *res, const char *target, const char *path,
		       const struct lock_pkg *pkg, struct hits *h, struct gth_error *err)
{
	enum osv_scheme scheme = osv_scheme_for_ecosystem(pkg->ecosystem);

	/* union records that share an id or an alias */
	for (size_t i = 0; i < h->n; i++)
		for (size_t k = i + 1; k < h->n; k++)
			if (shares_name(h->v[i].rec, h->v[k].rec)) {
				int a = find_group(h, (int)i), b = find_group(h, (int)k);
				if (a != b)
					h->v[b].group = a;
			}
	for (size_t i = 0; i < h->n; i++) {
		struct scan_finding f;
		const char **aliases = NULL, *fixed = NULL;
		size_t naliases = 0;
		struct hit *best = NULL;
		int rc;
		char *title = NULL;

		if (find_group(h, (int)i) != (int)i)
			continue;
		for (size_t k = 0; k < h->n; k++) {
			struct hit *x = &h->v[k];
			if (find_group(h, (int)k) != (int)i)
				continue;
			if (best == NULL || x->severity > best->severity ||
			    (x->severity == best->severity && strcmp(x->rec->id, best->rec->id) < 0))
				best = x;
			if (x->fixed && (fixed == NULL || osv_vercmp(scheme, x->fixed, fixed) > 0))
				fixed = x->fixed;
		}
		for (size_t k = 0; k < h->n; k++) {
			struct hit *x = &h->v[k];
			if (find_group(h, (int)k) != (int)i)
				continue;
			if (add_alias(&aliases, &naliases, x->rec->id, best->rec->id) < 0)
				goto oom;
			for (size_t a = 0; a < x->rec->naliases; a++)
				if (add_alias(&aliases, &naliases, x->rec->aliases[a], best->rec->id) < 0)
					goto oom;
		}
		if (best->rec->summary == NULL || *best->rec->summary == '\0')
			title = gth_strdupf("%s in %s %s", best->rec->id, pkg->name, pkg->version);
		memset(&f, 0, sizeof(f));
		f.kind = SCAN_KIND_VULN;
		f.id = best->rec->id;
		f.severity = (enum scan_severity)best->severity;
		f.title = title ? title : best->rec->summary;
		f.description = best->rec->details;
		f.target = target;
		f.path = path;
		f.line = pkg->line;
		f.resource = pkg->path;
		f.url = best->rec->url;
		f.pkg.ecosystem = pkg->ecosystem;
		f.pkg.name = pkg->name;
		f.pkg.version = pkg->version;
		f.pkg.fixed = fixed;
		f.aliases = aliases;
		f.naliases = naliases;
		rc = scan_findings_add(&res->findings, &f);
		free(title);
		free(aliases);
		if (rc < 0)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		continue;
oom:
		free(aliases);
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	return 0;
}

int vuln_match(struct scan_result *res, const struct scan_opts *o, const char *target,
	       const char *path, const struct lock_pkgs *pkgs, struct gth_error *err)
{
	struct osv_db *db;
	struct hits h = { NULL, 0, 0, NULL };
	int rc = 0;

	if (pkgs->n == 0)
		return 0;
	if (ensure_db(res, o, pkgs, &db, err) < 0)
		return -1;
	for (size_t i = 0; i < pkgs->n && rc == 0; i++) {
		/* the same name@version twice in one file (nested copies) is one finding each:
		 * their dependency paths differ */
		h.pkg = &pkgs->v[i];
		rc = osv_db_lookup(db, h.pkg->ecosystem, h.pkg->name, collect, &h, err);
		if (rc == 0 && h.n > 0)
			rc = emit_groups(res, target, path, h.pkg, &h, err);
		hits_clear(&h);
	}
	free(h.v);
	return rc;
}

/* ---- fs: lockfiles found by the walker ------------------------------------- */

int scan_vuln_wants(const char *relpath)
{
	return lockfile_recognised(relpath);
}

int scan_vuln_file(struct scan_result *res, const struct scan_opts *o, const char *relpath,
		   const char *data, size_t len, struct gth_error *err)
{
	struct lock_pkgs pkgs = LOCK_PKGS_INIT;
	int rc;

	if (!(o->scanner_mask & SCAN_KIND_BIT(SCAN_KIND_VULN)))
		return 0;
	rc = lockfile_parse(&pkgs, relpath, data, len, err);
	if (rc == 0) {
		gth_verbose("%s: %zu packages", relpath, pkgs.n);
		rc = vuln_match(res, o, res->target ? res->target : relpath, relpath, &pkgs, err);
	}
	lock_pkgs_release(&pkgs);
	return rc;
}
