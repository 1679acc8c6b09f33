#include "osv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cvss.h"
#include "gth/json.h"

static void affected_release(struct osv_affected *a)
{
	for (size_t i = 0; i < a->nranges; i++)
		free(a->ranges[i].events);
	free(a->ranges);
	free(a->versions);
}

void osv_record_free(struct osv_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->naffected; i++)
		affected_release(&r->affected[i]);
	free(r->affected);
	free(r->aliases);
	cJSON_Delete(r->root);
	free(r);
}

static int bad(struct gth_error *err, const char *name, const char *id, const char *what)
{
	return gth_error_set(err, GTH_EXIT_DATAERR, "%s: OSV record%s%s: %s", name, id ? " " : "",
			     id ? id : "", what);
}

/* An optional array of strings into a malloc'd vector of borrowed pointers. */
static int string_array(const char ***out, size_t *n, const cJSON *arr)
{
	const cJSON *it;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (arr == NULL)
		return 0;
	if (!cJSON_IsArray(arr))
		return -1;
	if (cJSON_GetArraySize(arr) == 0)
		return 0;
	*out = calloc((size_t)cJSON_GetArraySize(arr), sizeof(**out));
	if (*out == NULL)
		return -1;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return -1;
		(*out)[i++] = it->valuestring;
	}
	*n = i;
	return 0;
}

static int parse_range(struct osv_range *rg, const cJSON *obj, const char **why)
{
	const char *type = gth_json_str(obj, "type");
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(obj, "events"), *ev;
	size_t i = 0;

	if (type == NULL) {
		*why = "range without a type";
		return -1;
	}
	if (strcmp(type, "SEMVER") == 0)
		rg->type = OSV_RANGE_SEMVER;
	else if (strcmp(type, "ECOSYSTEM") == 0)
		rg->type = OSV_RANGE_ECOSYSTEM;
	else if (strcmp(type, "GIT") == 0)
		rg->type = OSV_RANGE_GIT;
	else
		rg->type = OSV_RANGE_OTHER;
	if (!cJSON_IsArray(events)) {
		*why = "range without an events array";
		return -1;
	}
	rg->events = calloc((size_t)cJSON_GetArraySize(events) + 1, sizeof(*rg->events));
	if (rg->events == NULL) {
		*why = "out of memory";
		return -1;
	}
	cJSON_ArrayForEach(ev, events) {
		static const char *const kinds[] = { "introduced", "fixed", "last_affected", "limit" };
		int found = 0;
		if (!cJSON_IsObject(ev)) {
			*why = "event is not an object";
			return -1;
		}
		for (int k = 0; k < 4; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, kinds[k]);
			if (v == NULL)
				continue;
			if (!cJSON_IsString(v) || found) {
				*why = "event must hold exactly one string of introduced, fixed, last_affected or limit";
				return -1;
			}
			rg->events[i].kind = (enum osv_event_kind)k;
			rg->events[i].version = v->valuestring;
			found = 1;
		}
		/* events of other kinds are ignored, as the schema allows extensions */
		if (found)
			i++;
	}
	rg->nevents = i;
	return 0;
}

static int parse_affected(struct osv_affected *a, const cJSON *obj, const char **why)
{
	const cJSON *pkg = cJSON_GetObjectItemCaseSensitive(obj, "package");
	const cJSON *ranges = cJSON_GetObjectItemCaseSensitive(obj, "ranges"), *rg;
	const cJSON *sev = cJSON_GetObjectItemCaseSensitive(obj, "severity");
	size_t i = 0;

	a->json = obj;
	if (!cJSON_IsObject(obj)) {
		*why = "affected entry is not an object";
		return -1;
	}
	if (pkg != NULL) {
		if (!cJSON_IsObject(pkg)) {
			*why = "affected package is not an object";
			return -1;
		}
		a->ecosystem = gth_json_str(pkg, "ecosystem");
		a->name = gth_json_str(pkg, "name");
	}
	if (sev != NULL && cJSON_IsArray(sev))
		a->severity = sev;
	if (string_array(&a->versions, &a->nversions, cJSON_GetObjectItemCaseSensitive(obj, "versions")) < 0) {
		*why = "affected versions is not an array of strings";
		return -1;
	}
	if (ranges == NULL)
		return 0;
	if (!cJSON_IsArray(ranges)) {
		*why = "affected ranges is not an array";
		return -1;
	}
	a->ranges = calloc((size_t)cJSON_GetArraySize(ranges) + 1, sizeof(*a->ranges));
	if (a->ranges == NULL) {
		*why = "out of memory";
		return -1;
	}
	cJSON_ArrayForEach(rg, ranges) {
		if (!cJSON_IsObject(rg)) {
			*why = "range is not an object";
			return -1;
		}
		a->nranges = i + 1;
		if (parse_range(&a->ranges[i], rg, why) < 0)
			return -1;
		i++;
	}
	return 0;
}

static const char *pick_url(const cJSON *refs)
{
	const cJSON *it;
	const char *first = NULL;

	if (!cJSON_IsArray(refs))
		return NULL;
	cJSON_ArrayForEach(it, refs) {
		const char *type = gth_json_str(it, "type"), *url = gth_json_str(it, "url");
		if (url == NULL)
			continue;
		if (type && strcmp(type, "ADVISORY") == 0)
			return url;
		if (first == NULL)
			first = url;
	}
	return first;
}

int osv_record_from_json(struct osv_record **out, cJSON *root, const char *name,
			 struct gth_error *err)
{
	struct osv_record *r = NULL;
	const cJSON *aff, *it;
	const char *why = NULL;
	size_t i = 0;
	int rc = -1;

	*out = NULL;
	if (!cJSON_IsObject(root)) {
		bad(err, name, NULL, "expected a JSON object");
		goto done;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	r->root = root;
	root = NULL;
	r->id = gth_json_str(r->root, "id");
	if (r->id == NULL || r->id[0] == '\0') {
		bad(err, name, NULL, "no \"id\" string");
		goto done;
	}
	r->summary = gth_json_str(r->root, "summary");
	r->details = gth_json_str(r->root, "details");
	r->modified = gth_json_str(r->root, "modified");
	r->published = gth_json_str(r->root, "published");
	r->withdrawn = gth_json_str(r->root, "withdrawn");
	r->url = pick_url(cJSON_GetObjectItemCaseSensitive(r->root, "references"));
	if (string_array(&r->aliases, &r->naliases, cJSON_GetObjectItemCaseSensitive(r->root, "aliases")) < 0) {
		bad(err, name, r->id, "\"aliases\" is not an array of strings");
		goto done;
	}
	aff = cJSON_GetObjectItemCaseSensitive(r->root, "affected");
	if (aff != NULL && !cJSON_IsArray(aff)) {
		bad(err, name, r->id, "\"affected\" is not an array");
		goto done;
	}
	if (aff != NULL && cJSON_GetArraySize(aff) > 0) {
		r->affected = calloc((size_t)cJSON_GetArraySize(aff), sizeof(*r->affected));
		if (r->affected == NULL) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		cJSON_ArrayForEach(it, aff) {
			r->naffected = i + 1;
			if (parse_affected(&r->affected[i], it, &why) < 0) {
				bad(err, name, r->id, why);
				goto done;
			}
			i++;
		}
	}
	*out = r;
	r = NULL;
	rc = 0;
done:
	cJSON_Delete(root);
	osv_record_free(r);
	return rc;
}

int osv_record_parse(struct osv_record **out, const char *text, size_t len, const char *name,
		     struct gth_error *err)
{
	cJSON *root = NULL;

	*out = NULL;
	if (gth_json_parse(&root, text, len, name, err) < 0)
		return -1;
	return osv_record_from_json(out, root, name, err);
}

const char *osv_index_name(char *out, size_t size, const char *ecosystem, const char *name)
{
	if (ecosystem && strncmp(ecosystem, "PyPI", 4) == 0 && (ecosystem[4] == '\0' || ecosystem[4] == ':'))
		return osv_pypi_normalize(out, size, name);
	snprintf(out, size, "%s", name);
	return out;
}

int osv_affected_is_package(const struct osv_affected *a, const char *ecosystem, const char *name)
{
	char x[512], y[512];
	size_t base;

	if (a->ecosystem == NULL || a->name == NULL || ecosystem == NULL || name == NULL)
		return 0;
	if (strcmp(a->ecosystem, ecosystem) != 0) {
		base = strcspn(ecosystem, ":");
		if (strchr(a->ecosystem, ':') != NULL || strlen(a->ecosystem) != base ||
		    strncmp(a->ecosystem, ecosystem, base) != 0)
			return 0;
	}
	return strcmp(osv_index_name(x, sizeof(x), ecosystem, a->name),
		      osv_index_name(y, sizeof(y), ecosystem, name)) == 0;
}

static int is_zero(const struct osv_event *e)
{
	return e->kind == OSV_INTRODUCED && strcmp(e->version, "0") == 0;
}

static int event_cmp(enum osv_scheme s, const struct osv_event *a, const struct osv_event *b)
{
	int az = is_zero(a), bz = is_zero(b);

	if (az || bz)
		return bz - az;
	return osv_vercmp(s, a->version, b->version);
}

/* v >= introduced ("0" is below everything). */
static int at_or_above(enum osv_scheme s, const char *v, const struct osv_event *e)
{
	if (is_zero(e))
		return 1;
	return osv_vercmp(s, v, e->version) >= 0;
}

static int range_match(const struct osv_range *rg, enum osv_scheme s, const char *v, const char **fixed)
{
	struct osv_event *ev;
	size_t n = rg->nevents;
	int vulnerable = 0, limits = 0, below_limit = 0;
	const char *best_fixed = NULL;

	for (size_t i = 0; i < n; i++) {
		if (rg->events[i].kind != OSV_LIMIT)
			continue;
		limits = 1;
		if (strchr(rg->events[i].version, '*') != NULL ||
		    osv_vercmp(s, v, rg->events[i].version) < 0)
			below_limit = 1;
	}
	if (limits && !below_limit)
		return 0;
	ev = malloc((n + 1) * sizeof(*ev));
	if (ev == NULL)
		return 0;
	memcpy(ev, rg->events, n * sizeof(*ev));
	/* insertion sort: stable, and event lists are short */
	for (size_t i = 1; i < n; i++) {
		struct osv_event t = ev[i];
		size_t j = i;
		while (j > 0 && event_cmp(s, &ev[j - 1], &t) > 0) {
			ev[j] = ev[j - 1];
			j--;
		}
		ev[j] = t;
	}
	for (size_t i = 0; i < n; i++) {
		const struct osv_event *e = &ev[i];
		if (e->kind == OSV_INTRODUCED) {
			if (at_or_above(s, v, e))
				vulnerable = 1;
		} else if (e->kind == OSV_FIXED) {
			if (osv_vercmp(s, v, e->version) >= 0)
				vulnerable = 0;
		} else if (e->kind == OSV_LAST_AFFECTED) {
			if (osv_vercmp(s, v, e->version) > 0)
				vulnerable = 0;
		}
	}
	if (vulnerable) {
		for (size_t i = 0; i < n; i++) {
			if (ev[i].kind == OSV_FIXED && osv_vercmp(s, ev[i].version, v) > 0 &&
			    (best_fixed == NULL || osv_vercmp(s, ev[i].version, best_fixed) < 0))
				best_fixed = ev[i].version;
		}
		if (fixed)
			*fixed = best_fixed;
	}
	free(ev);
	return vulnerable;
}

int osv_affected_match(const struct osv_affected *a, const char *version, const char **fixed)
{
	enum osv_scheme eco = osv_scheme_for_ecosystem(a->ecosystem);
	int hit = 0;
	const char *best = NULL;

	if (fixed)
		*fixed = NULL;
	/* ranges say nothing about a version their ordering cannot read (a git or
	 * file dependency in a lockfile); the versions list still can */
	for (size_t i = 0; i < a->nranges && (eco == OSV_SCHEME_NONE || osv_version_valid(eco, version)); i++) {
		const struct osv_range *rg = &a->ranges[i];
		enum osv_scheme s;
		const char *f = NULL;
		if (rg->type == OSV_RANGE_SEMVER)
			s = eco == OSV_SCHEME_GO ? OSV_SCHEME_GO : OSV_SCHEME_SEMVER;
		else if (rg->type == OSV_RANGE_ECOSYSTEM && eco != OSV_SCHEME_NONE)
			s = eco;
		else
			continue;
		if (range_match(rg, s, version, &f)) {
			hit = 1;
			if (f && (best == NULL || osv_vercmp(s, f, best) < 0))
				best = f;
		}
	}
	if (!hit) {
		for (size_t i = 0; i < a->nversions; i++) {
			if (strcmp(a->versions[i], version) == 0 ||
			    (eco != OSV_SCHEME_NONE && osv_version_valid(eco, version) &&
			     osv_version_valid(eco, a->versions[i]) &&
			     osv_vercmp(eco, a->versions[i], version) == 0)) {
				hit = 1;
				break;
			}
		}
	}
	if (hit && fixed)
		*fixed = best;
	return hit;
}

int osv_record_match(const struct osv_record *r, const char *ecosystem, const char *name,
		     const char *version, const struct osv_affected **aff, const char **fixed)
{
	if (aff)
		*aff = NULL;
	if (fixed)
		*fixed = NULL;
	if (r->withdrawn != NULL)
		return 0;
	for (size_t i = 0; i < r->naffected; i++) {
		const struct osv_affected *a = &r->affected[i];
		if (!osv_affected_is_package(a, ecosystem, name))
			continue;
		if (osv_affected_match(a, version, fixed)) {
			if (aff)
				*aff = a;
			return 1;
		}
	}
	return 0;
}

static int word_severity(const char *s)
{
	static const struct { const char *w; int sev; } words[] = {
		{ "CRITICAL", 4 }, { "HIGH", 3 }, { "IMPORTANT", 3 }, { "MODERATE", 2 },
		{ "MEDIUM", 2 }, { "LOW", 1 }, { "NEGLIGIBLE", 1 }, { "UNIMPORTANT", 1 },
	};
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i].w) == 0)
			return words[i].sev;
	return -1;
}

static int from_severity_array(const cJSON *arr, double *score)
{
	static const char *const order[] = { "CVSS_V4", "CVSS_V3" };
	const cJSON *it;

	if (!cJSON_IsArray(arr))
		return -1;
	for (size_t k = 0; k < 2; k++) {
		cJSON_ArrayForEach(it, arr) {
			const char *type = gth_json_str(it, "type"), *vec = gth_json_str(it, "score");
			double s;
			if (type && vec && strcmp(type, order[k]) == 0 && osv_cvss_score(vec, &s) == 0) {
				*score = s;
				return osv_cvss_rating(s);
			}
		}
	}
	cJSON_ArrayForEach(it, arr) {
		const char *type = gth_json_str(it, "type");
		int w;
		if (type && strcmp(type, "Ubuntu") == 0 && (w = word_severity(gth_json_str(it, "score"))) >= 0)
			return w;
	}
	return -1;
}

int osv_record_severity(const struct osv_record *r, const struct osv_affected *a, double *score)
{
	int sev;
	const cJSON *o;

	*score = -1;
	if (a && (sev = from_severity_array(a->severity, score)) >= 0)
		return sev;
	if ((sev = from_severity_array(cJSON_GetObjectItemCaseSensitive(r->root, "severity"), score)) >= 0)
		return sev;
	if (a) {
		if ((o = gth_json_obj(a->json, "ecosystem_specific")) &&
		    (sev = word_severity(gth_json_str(o, "severity"))) >= 0)
			return sev;
		if ((o = gth_json_obj(a->json, "database_specific")) &&
		    (sev = word_severity(gth_json_str(o, "severity"))) >= 0)
			return sev;
	}
	if ((o = gth_json_obj(r->root, "database_specific")) &&
	    (sev = word_severity(gth_json_str(o, "severity"))) >= 0)
		return sev;
	return 0;
}
