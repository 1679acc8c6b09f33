#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "finding.h"
#include "gth/buf.h"
#include "gth/digest.h"
#include "gth/util.h"

static const char *const sev_names[SCAN_SEV_COUNT] = {
	"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"
};
static const char *const kind_names[SCAN_KIND_COUNT] = { "secret", "vuln", "misconfig" };

const char *scan_severity_name(enum scan_severity s)
{
	if ((int)s < 0 || s >= SCAN_SEV_COUNT)
		return "UNKNOWN";
	return sev_names[s];
}

int scan_severity_parse(const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < SCAN_SEV_COUNT; i++)
		if (!strcasecmp(s, sev_names[i]))
			return (int)i;
	return -1;
}

const char *scan_kind_name(enum scan_kind k)
{
	if ((int)k < 0 || k >= SCAN_KIND_COUNT)
		return "unknown";
	return kind_names[k];
}

static int kind_parse(const char *s)
{
	size_t i;

	if (!strcasecmp(s, "vulnerability") || !strcasecmp(s, "vulnerabilities") ||
	    !strcasecmp(s, "vulns"))
		return SCAN_KIND_VULN;
	if (!strcasecmp(s, "secrets"))
		return SCAN_KIND_SECRET;
	if (!strcasecmp(s, "misconfigs") || !strcasecmp(s, "misconfiguration"))
		return SCAN_KIND_MISCONFIG;
	for (i = 0; i < SCAN_KIND_COUNT; i++)
		if (!strcasecmp(s, kind_names[i]))
			return (int)i;
	return -1;
}

/* Split a comma list and map each item; items may carry spaces around them. */
static int list_parse(const char *list, unsigned *mask, int (*map)(const char *),
		      const char *what, struct gth_error *err)
{
	const char *p = list, *e;
	char item[64];
	unsigned m = 0;

	while (*p) {
		size_t len;
		int v;

		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(item))
			return gth_error_set(err, GTH_EXIT_USAGE, "invalid %s list '%s'", what, list);
		memcpy(item, p, len);
		item[len] = '\0';
		v = map(item);
		if (v < 0)
			return gth_error_set(err, GTH_EXIT_USAGE, "unknown %s '%s'", what, item);
		m |= 1u << v;
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			return gth_error_set(err, GTH_EXIT_USAGE, "invalid %s list '%s'", what, list);
	}
	if (!m)
		return gth_error_set(err, GTH_EXIT_USAGE, "empty %s list", what);
	*mask = m;
	return 0;
}

int scan_severity_list_parse(const char *list, unsigned *mask, struct gth_error *err)
{
	return list_parse(list, mask, scan_severity_parse, "severity", err);
}

int scan_kind_list_parse(const char *list, unsigned *mask, struct gth_error *err)
{
	return list_parse(list, mask, kind_parse, "scanner", err);
}

static int dup(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static void finding_free(struct scan_finding *f)
{
	size_t i;

	free((char *)f->id);
	free((char *)f->title);
	free((char *)f->description);
	free((char *)f->target);
	free((char *)f->path);
	free((char *)f->match);
	free((char *)f->resource);
	free((char *)f->url);
	free((char *)f->pkg.ecosystem);
	free((char *)f->pkg.name);
	free((char *)f->pkg.version);
	free((char *)f->pkg.fixed);
	for (i = 0; i < f->naliases; i++)
		free((char *)f->aliases[i]);
	free((char **)f->aliases);
	free((char *)f->fingerprint);
	free((char *)f->ignore_reason);
	memset(f, 0, sizeof(*f));
}

static int compute_fingerprint(char **out, const struct scan_finding *f)
{
	struct gth_buf b = GTH_BUF_INIT;
	char hex[GTH_SHA256_HEX_LEN + 1];
	int rc = -1;

	if (gth_buf_printf(&b, "%s\n%s\n%s\n%d\n%s\n%s\n%s\n%s", scan_kind_name(f->kind),
			   f->id ? f->id : "", f->path ? f->path : "",
			   f->kind == SCAN_KIND_VULN ? 0 : f->line,
			   f->pkg.ecosystem ? f->pkg.ecosystem : "", f->pkg.name ? f->pkg.name : "",
			   f->pkg.version ? f->pkg.version : "",
			   f->resource ? f->resource : "") < 0)
		goto done;
	if (gth_sha256_hex(b.ptr, b.len, hex) < 0)
		goto done;
	*out = strdup(hex);
	rc = *out ? 0 : -1;
done:
	gth_buf_release(&b);
	return rc;
}

int scan_findings_add(struct scan_findings *l, const struct scan_finding *f)
{
	struct scan_finding n;
	char *s[14] = { NULL };
	size_t i;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct scan_finding *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	memset(&n, 0, sizeof(n));
	n.kind = f->kind;
	n.severity = f->severity;
	n.line = f->line;
	n.col = f->col;
	n.ignored = f->ignored;
	if (dup(&s[0], f->id) || dup(&s[1], f->title) || dup(&s[2], f->description) ||
	    dup(&s[3], f->target) || dup(&s[4], f->path) || dup(&s[5], f->match) ||
	    dup(&s[6], f->resource) || dup(&s[7], f->url) || dup(&s[8], f->pkg.ecosystem) ||
	    dup(&s[9], f->pkg.name) || dup(&s[10], f->pkg.version) ||
	    dup(&s[11], f->pkg.fixed) || dup(&s[12], f->fingerprint) ||
	    dup(&s[13], f->ignore_reason))
		goto oom;
	n.id = s[0];
	n.title = s[1];
	n.description = s[2];
	n.target = s[3];
	n.path = s[4];
	n.match = s[5];
	n.resource = s[6];
	n.url = s[7];
	n.pkg.ecosystem = s[8];
	n.pkg.name = s[9];
	n.pkg.version = s[10];
	n.pkg.fixed = s[11];
	n.fingerprint = s[12];
	n.ignore_reason = s[13];
	memset(s, 0, sizeof(s));
	if (f->naliases) {
		char **a = calloc(f->naliases, sizeof(*a));

		if (!a)
			goto oom;
		n.aliases = (const char *const *)a;
		for (i = 0; i < f->naliases; i++) {
			if (dup(&a[i], f->aliases[i]))
				goto oom;
			n.naliases++;
		}
	}
	if (!n.fingerprint) {
		char *fp = NULL;

		if (compute_fingerprint(&fp, &n) < 0)
			goto oom;
		n.fingerprint = fp;
	}
	l->v[l->n++] = n;
	return 0;
oom:
	for (i = 0; i < GTH_ARRAY_SIZE(s); i++)
		free(s[i]);
	finding_free(&n);
	return -1;
}

int scan_findings_move(struct scan_findings *dst, struct scan_finding *f)
{
	if (dst->n == dst->cap) {
		size_t cap = dst->cap ? dst->cap * 2 : 16;
		struct scan_finding *v = realloc(dst->v, cap * sizeof(*v));

		if (!v)
			return -1;
		dst->v = v;
		dst->cap = cap;
	}
	dst->v[dst->n++] = *f;
	memset(f, 0, sizeof(*f));
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct scan_finding *a = pa, *b = pb;
	int c;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if ((c = cmp_str(a->path, b->path)))
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if ((c = cmp_str(a->id, b->id)))
		return c;
	if ((c = cmp_str(a->pkg.name, b->pkg.name)))
		return c;
	return cmp_str(a->fingerprint, b->fingerprint);
}

void scan_findings_sort(struct scan_findings *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), finding_cmp);
}

static int has_alias(const struct scan_finding *f, const char *a)
{
	size_t i;

	if (f->id && !strcmp(f->id, a))
		return 1;
	for (i = 0; i < f->naliases; i++)
		if (!strcmp(f->aliases[i], a))
			return 1;
	return 0;
}

static int merge_aliases(struct scan_finding *keep, const struct scan_finding *drop)
{
	size_t i, extra = 0;
	char **a;

	for (i = 0; i < drop->naliases; i++)
		if (!has_alias(keep, drop->aliases[i]))
			extra++;
	if (drop->id && !has_alias(keep, drop->id))
		extra++;
	if (!extra)
		return 0;
	a = realloc((char **)keep->aliases, (keep->naliases + extra) * sizeof(*a));
	if (!a)
		return -1;
	keep->aliases = (const char *const *)a;
	if (drop->id && !has_alias(keep, drop->id)) {
		if (!(a[keep->naliases] = strdup(drop->id)))
			return -1;
		keep->naliases++;
	}
	for (i = 0; i < drop->naliases; i++) {
		if (has_alias(keep, drop->aliases[i]))
			continue;
		if (!(a[keep->naliases] = strdup(drop->aliases[i])))
			return -1;
		keep->naliases++;
	}
	return 0;
}

int scan_findings_dedupe(struct scan_findings *l)
{
	size_t i, j, out = 0;

	scan_findings_sort(l);
	for (i = 0; i < l->n; i++) {
		struct scan_finding *f = &l->v[i];
		int dupl = 0;

		/* Sorted by severity first, so an earlier duplicate is the more severe. */
		for (j = 0; j < out; j++) {
			if (!cmp_str(l->v[j].fingerprint, f->fingerprint)) {
				dupl = 1;
				if (f->kind == SCAN_KIND_VULN && merge_aliases(&l->v[j], f) < 0)
					return -1;
				break;
			}
		}
		if (dupl)
			finding_free(f);
		else
			l->v[out++] = *f;
	}
	l->n = out;
	return 0;
}

void scan_findings_filter(struct scan_findings *l, unsigned sev_mask)
{
	size_t i, out = 0;

	for (i = 0; i < l->n; i++) {
		if (sev_mask & SCAN_SEV_BIT(l->v[i].severity))
			l->v[out++] = l->v[i];
		else
			finding_free(&l->v[i]);
	}
	l->n = out;
}

void scan_findings_release(struct scan_findings *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		finding_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
}

cJSON *scan_finding_json(const struct scan_finding *f)
{
	cJSON *o = cJSON_CreateObject(), *p;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", scan_kind_name(f->kind));
	add_str(o, "id", f->id);
	cJSON_AddStringToObject(o, "severity", scan_severity_name(f->severity));
	add_str(o, "title", f->title);
	add_str(o, "target", f->target);
	if (f->path)
		cJSON_AddStringToObject(o, "path", f->path);
	else
		cJSON_AddNullToObject(o, "path");
	cJSON_AddNumberToObject(o, "line", f->line);
	if (f->kind == SCAN_KIND_VULN || f->pkg.name) {
		p = cJSON_AddObjectToObject(o, "package");
		if (p) {
			add_str(p, "ecosystem", f->pkg.ecosystem);
			add_str(p, "name", f->pkg.name);
			add_str(p, "version", f->pkg.version);
			if (f->pkg.fixed)
				cJSON_AddStringToObject(p, "fixed", f->pkg.fixed);
			else
				cJSON_AddNullToObject(p, "fixed");
		}
	}
	add_str(o, "fingerprint", f->fingerprint);
	add_str(o, "match", f->match);
	add_str(o, "resource", f->resource);
	add_str(o, "description", f->description);
	add_str(o, "url", f->url);
	if (f->naliases) {
		cJSON *a = cJSON_AddArrayToObject(o, "aliases");

		for (i = 0; a && i < f->naliases; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(f->aliases[i]));
	}
	if (f->ignored)
		add_str(o, "reason", f->ignore_reason);
	return o;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

char *scan_mask_secret(const char *value, size_t len)
{
	struct gth_buf b = GTH_BUF_INIT;
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0, i = 0;

	if (len < 8)
		return strdup("***");
	/* Four characters, not bytes; a byte that is not UTF-8 shows as '?', so the
	 * reports stay valid UTF-8. */
	while (i < len && n < 4) {
		size_t l = utf8_len(p + i, len - i);

		if (l ? gth_buf_put(&b, p + i, l) < 0 : gth_buf_putc(&b, '?') < 0)
			goto oom;
		i += l ? l : 1;
		n++;
	}
	if (gth_buf_puts(&b, "\xe2\x80\xa6") < 0)
		goto oom;
	return gth_buf_detach(&b);
oom:
	gth_buf_release(&b);
	return NULL;
}
