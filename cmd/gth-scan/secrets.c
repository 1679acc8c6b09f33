#define _GNU_SOURCE /* memmem */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "ac.h"
#include "gth/buf.h"
#include "gth/digest.h"
#include "gth/util.h"
#include "misconfig.h"
#include "rules.h"
#include "secrets.h"

struct secret_rule {
	char *id, *title;
	enum scan_severity severity;
	pcre2_code *re;
	int group;
	double entropy;
	unsigned flags;
};

struct scan_secrets {
	struct secret_rule *rules;
	size_t n;
	struct scan_ac *ac;
	uint32_t *kw_rule;  /* keyword id -> rule */
	uint32_t *kw_len;
	size_t nkw;
};

double scan_entropy(const char *s, size_t n)
{
	size_t count[256] = { 0 }, i;
	double h = 0;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (count[i]) {
			double p = (double)count[i] / (double)n;

			h -= p * log2(p);
		}
	}
	return h;
}

static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; i + m <= n; i++)
		if (!strncasecmp(s + i, needle, m))
			return 1;
	return 0;
}

int scan_is_placeholder(const char *s, size_t n)
{
	static const char *const words[] = {
		"${", "{{", "}}", "$(", "%(", "changeme", "change_me", "change-me", "example",
		"placeholder", "your_", "your-", "yourkey", "xxxx", "****", "....", "redacted",
		"dummy", "replace_me", "replaceme", "insert_", "<", ">", "todo", "secret_here",
		"password_here", "process.env", "os.environ", "getenv", NULL
	};
	size_t i;

	if (!n)
		return 1;
	for (i = 0; words[i]; i++)
		if (contains_ci(s, n, words[i]))
			return 1;
	if (s[0] == '$' || s[0] == '%')
		return 1;
	for (i = 1; i < n; i++)
		if (s[i] != s[0])
			break;
	return i == n;
}

static void rule_free(struct secret_rule *r)
{
	free(r->id);
	free(r->title);
	pcre2_code_free(r->re);
}

void scan_secrets_free(struct scan_secrets *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	scan_ac_free(s->ac);
	free(s->kw_rule);
	free(s->kw_len);
	free(s);
}

size_t scan_secrets_count(const struct scan_secrets *s)
{
	return s ? s->n : 0;
}

void scan_secrets_rule(const struct scan_secrets *s, size_t i, const char **id,
		       const char **title, enum scan_severity *sev)
{
	*id = s->rules[i].id;
	*title = s->rules[i].title;
	*sev = s->rules[i].severity;
}

static int compile(pcre2_code **out, const char *regex, char *why, size_t whylen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
				       PCRE2_MULTILINE, &code, &off, NULL);

	if (!re) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(why, whylen, "%s at offset %zu", (const char *)msg, (size_t)off);
		return -1;
	}
	/* JIT is an optimisation: an unsupported platform still matches, slower. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	*out = re;
	return 0;
}

/* A growing list of keywords with their rules. */
struct kw_list {
	char **v;
	uint32_t *rule;
	size_t n, cap;
};

static int kw_add(struct kw_list *k, const char *s, size_t len, uint32_t rule)
{
	char *d;
	size_t i;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 128;
		char **v = realloc(k->v, cap * sizeof(*v));
		uint32_t *r;

		if (!v)
			return -1;
		k->v = v;
		r = realloc(k->rule, cap * sizeof(*r));
		if (!r)
			return -1;
		k->rule = r;
		k->cap = cap;
	}
	if (!(d = malloc(len + 1)))
		return -1;
	for (i = 0; i < len; i++)
		d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	d[len] = '\0';
	k->v[k->n] = d;
	k->rule[k->n++] = rule;
	return 0;
}

static int kw_split(struct kw_list *k, const char *list, uint32_t rule)
{
	const char *p = list;

	while (*p) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len && kw_add(k, p, len, rule) < 0)
			return -1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int is_disabled(const struct gth_node *disable, const char *id)
{
	size_t i;

	if (!disable)
		return 0;
	for (i = 0; i < disable->n; i++) {
		const char *d = gth_node_str(disable->items[i]);

		if (d && !strcmp(d, id))
			return 1;
	}
	return 0;
}

static int add_rule(struct scan_secrets *s, size_t *cap, struct secret_rule *r)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 128;
		struct secret_rule *v = realloc(s->rules, ncap * sizeof(*v));

		if (!v)
			return -1;
		s->rules = v;
		*cap = ncap;
	}
	s->rules[s->n++] = *r;
	return 0;
}

static int oom(struct gth_error *err)
{
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

/* scan.rules: [{id, regex, keywords: [..], title, severity, secret-group, entropy}] */
static int load_custom(struct scan_secrets *s, size_t *cap, struct kw_list *kw,
		       const struct gth_node *rules, const struct gth_node *disable,
		       struct gth_error *err)
{
	static const char *const known[] = {
		"id", "title", "severity", "regex", "keywords", "secret-group", "entropy", NULL
	};
	size_t i, j;

	if (rules->kind != GTH_NODE_SEQ)
		return gth_node_error(err, GTH_EXIT_CONFIG, rules, "expected a list of rules");
	for (i = 0; i < rules->n; i++) {
		const struct gth_node *n = rules->items[i], *kws;
		const char *id = NULL, *title = NULL, *sev = NULL, *regex = NULL, *ent = NULL;
		struct secret_rule r;
		long group = 0;
		char why[300];

		if (n->kind != GTH_NODE_MAP)
			return gth_node_error(err, GTH_EXIT_CONFIG, n, "expected a rule (a map)");
		if (gth_node_check_keys(n, known, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "id", &id, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "title", &title, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "severity", &sev, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "regex", &regex, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_str(n, "entropy", &ent, GTH_EXIT_CONFIG, err) < 0 ||
		    gth_node_get_long(n, "secret-group", 0, 99, &group, GTH_EXIT_CONFIG, err) < 0)
			return -1;
		if (!id || !*id)
			return gth_node_error(err, GTH_EXIT_CONFIG, n, "a rule needs an id");
		if (!regex)
			return gth_node_error(err, GTH_EXIT_CONFIG, n, "rule '%s' needs a regex", id);
		for (j = 0; j < s->n; j++)
			if (!strcmp(s->rules[j].id, id))
				return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(n, "id"),
						      "rule id '%s' is already defined", id);
		kws = gth_node_get(n, "keywords");
		if (!kws || kws->kind != GTH_NODE_SEQ || !kws->n)
			return gth_node_error(err, GTH_EXIT_CONFIG, kws ? kws : n,
					      "rule '%s' needs a list of keywords", id);
		if (is_disabled(disable, id))
			continue;
		memset(&r, 0, sizeof(r));
		r.severity = SCAN_SEV_HIGH;
		if (sev && (int)(r.severity = (enum scan_severity)scan_severity_parse(sev)) < 0)
			return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(n, "severity"),
					      "expected a severity (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)");
		if (ent) {
			char *end;

			r.entropy = strtod(ent, &end);
			if (end == ent || *end || r.entropy < 0 || r.entropy > 8)
				return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(n, "entropy"),
						      "expected a number of bits between 0 and 8");
		}
		if (compile(&r.re, regex, why, sizeof(why)) < 0)
			return gth_node_error(err, GTH_EXIT_CONFIG, gth_node_get(n, "regex"),
					      "invalid regex: %s", why);
		r.group = (int)group;
		{
			uint32_t groups = 0;

			pcre2_pattern_info(r.re, PCRE2_INFO_CAPTURECOUNT, &groups);
			if ((uint32_t)r.group > groups) {
				pcre2_code_free(r.re);
				return gth_node_error(err, GTH_EXIT_CONFIG,
						      gth_node_get(n, "secret-group"),
						      "the regex has only %u groups", groups);
			}
		}
		r.id = strdup(id);
		r.title = strdup(title ? title : id);
		if (!r.id || !r.title || add_rule(s, cap, &r) < 0) {
			rule_free(&r);
			return oom(err);
		}
		for (j = 0; j < kws->n; j++) {
			const char *k = gth_node_str(kws->items[j]);

			if (!k || !*k)
				return gth_node_error(err, GTH_EXIT_CONFIG, kws->items[j],
						      "expected a keyword");
			if (kw_add(kw, k, strlen(k), (uint32_t)(s->n - 1)) < 0)
				return oom(err);
		}
	}
	return 0;
}

int scan_secrets_new(struct scan_secrets **out, const struct gth_node *cfg,
		     struct gth_error *err)
{
	struct scan_secrets *s = calloc(1, sizeof(*s));
	struct kw_list kw = { NULL, NULL, 0, 0 };
	const struct gth_node *disable = NULL, *rules = NULL;
	size_t cap = 0, i;
	int rc = -1;

	if (!s) {
		oom(err);
		goto done;
	}
	if (cfg) {
		disable = gth_node_get(cfg, "disable");
		rules = gth_node_get(cfg, "rules");
	}
	if (disable) {
		if (disable->kind != GTH_NODE_SEQ) {
			gth_node_error(err, GTH_EXIT_CONFIG, disable, "expected a list of rule ids");
			goto done;
		}
		for (i = 0; i < disable->n; i++) {
			const char *d = gth_node_str(disable->items[i]);
			size_t j;
			int found = 0;

			if (!d) {
				gth_node_error(err, GTH_EXIT_CONFIG, disable->items[i], "expected a rule id");
				goto done;
			}
			for (j = 0; j < scan_builtin_rule_count && !found; j++)
				found = !strcmp(scan_builtin_rules[j].id, d);
			if (!found && rules && rules->kind == GTH_NODE_SEQ)
				for (j = 0; j < rules->n && !found; j++) {
					const struct gth_node *idn = gth_node_get(rules->items[j], "id");

					found = idn && gth_node_str(idn) && !strcmp(gth_node_str(idn), d);
				}
			if (!found && !scan_misconfig_known(d)) {
				gth_node_error(err, GTH_EXIT_CONFIG, disable->items[i],
					       "unknown rule or check id '%s'", d);
				goto done;
			}
		}
	}
	for (i = 0; i < scan_builtin_rule_count; i++) {
		const struct scan_rule_def *d = &scan_builtin_rules[i];
		struct secret_rule r;
		char why[300];

		if (is_disabled(disable, d->id))
			continue;
		memset(&r, 0, sizeof(r));
		if (compile(&r.re, d->regex, why, sizeof(why)) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "built-in rule '%s': %s", d->id, why);
			goto done;
		}
		r.id = strdup(d->id);
		r.title = strdup(d->title);
		r.severity = d->severity;
		r.group = d->group;
		r.entropy = d->entropy;
		r.flags = d->flags;
		if (!r.id || !r.title || add_rule(s, &cap, &r) < 0) {
			rule_free(&r);
			oom(err);
			goto done;
		}
		if (kw_split(&kw, d->keywords, (uint32_t)(s->n - 1)) < 0) {
			oom(err);
			goto done;
		}
	}
	if (rules && load_custom(s, &cap, &kw, rules, disable, err) < 0)
		goto done;
	s->nkw = kw.n;
	s->kw_rule = kw.rule;
	kw.rule = NULL;
	if (!(s->kw_len = calloc(kw.n ? kw.n : 1, sizeof(*s->kw_len)))) {
		oom(err);
		goto done;
	}
	for (i = 0; i < kw.n; i++)
		s->kw_len[i] = (uint32_t)strlen(kw.v[i]);
	if (kw.n && !(s->ac = scan_ac_new((const char *const *)kw.v, kw.n))) {
		oom(err);
		goto done;
	}
	*out = s;
	s = NULL;
	rc = 0;
done:
	for (i = 0; i < kw.n; i++)
		free(kw.v[i]);
	free(kw.v);
	free(kw.rule);
	scan_secrets_free(s);
	return rc;
}

/* One match waiting for the end of the file (generic matches yield to specific ones). */
struct pending {
	uint32_t rule;
	size_t s, e;        /* the secret */
	size_t ms;          /* match start */
};

struct scan_state {
	const struct scan_secrets *set;
	const char *data;
	size_t len;
	size_t *until;      /* per rule: bytes before this were searched already */
	pcre2_match_data *md;
	struct pending *p;
	size_t np, pcap;
	int oom;
};

static size_t line_start(const char *d, size_t off, size_t limit)
{
	size_t lo = off > limit ? off - limit : 0;

	while (off > lo && d[off - 1] != '\n')
		off--;
	return off;
}

static size_t line_end(const char *d, size_t len, size_t off, size_t limit)
{
	size_t hi = len - off > limit ? off + limit : len;
	const char *nl = memchr(d + off, '\n', hi - off);

	return nl ? (size_t)(nl - d) : hi;
}

/* Whether an '=' or ':' comes within 48 bytes of q on the same line. Every hit of
 * a generic keyword asks, so 16 bytes are looked at a time where SSE2 is there. */
static int assign_follows(const char *q, size_t left)
{
	size_t i, lim = left < 48 ? left : 48;

#ifdef __SSE2__
	if (lim == 48) {
		uint64_t as = 0, nl = 0;
		int k;

		for (k = 0; k < 3; k++) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k));
			__m128i a = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
						 _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));

			as |= (uint64_t)(unsigned)_mm_movemask_epi8(a) << (16 * k);
			nl |= (uint64_t)(unsigned)_mm_movemask_epi8(
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')))
			      << (16 * k);
		}
		return as && (!nl || __builtin_ctzll(as) < __builtin_ctzll(nl));
	}
#endif
	for (i = 0; i < lim && q[i] != '\n'; i++)
		if (q[i] == '=' || q[i] == ':')
			return 1;
	return 0;
}

static int on_keyword(void *ctx, uint32_t kwid, size_t end)
{
	struct scan_state *st = ctx;
	const struct scan_secrets *set = st->set;
	uint32_t ri = set->kw_rule[kwid];
	const struct secret_rule *r = &set->rules[ri];
	size_t kstart = end - set->kw_len[kwid], a, b, off;

	if (kstart < st->until[ri])
		return 0;
	if (r->flags & SCAN_RULE_GENERIC) {
		/* Generic rules need an assignment within a few words after the keyword
		 * (at most 29 bytes by their patterns): most keyword hits in code have
		 * none, and a memchr is cheaper than a match attempt. */
		if (!assign_follows(st->data + end, st->len - end))
			return 0;
	}
	a = line_start(st->data, kstart, 1024);
	if (a < st->until[ri])
		a = st->until[ri];
	if (r->flags & SCAN_RULE_BLOCK)
		b = st->len - end > 70000 ? end + 70000 : st->len;
	else
		b = line_end(st->data, st->len, end, 4096);
	off = a;
	while (off < b) {
		int m = pcre2_jit_match(r->re, (PCRE2_SPTR)st->data, b, off, 0, st->md, NULL);
		PCRE2_SIZE *ov;
		size_t s, e;

		if (m == PCRE2_ERROR_JIT_BADOPTION)
			m = pcre2_match(r->re, (PCRE2_SPTR)st->data, b, off, 0, st->md, NULL);
		if (m < 0)
			break;
		ov = pcre2_get_ovector_pointer(st->md);
		if (r->group < m && ov[2 * r->group] != PCRE2_UNSET) {
			s = ov[2 * r->group];
			e = ov[2 * r->group + 1];
		} else {
			s = ov[0];
			e = ov[1];
		}
		if (st->np == st->pcap) {
			size_t cap = st->pcap ? st->pcap * 2 : 16;
			struct pending *v = realloc(st->p, cap * sizeof(*v));

			if (!v) {
				st->oom = 1;
				return 1;
			}
			st->p = v;
			st->pcap = cap;
		}
		st->p[st->np].rule = ri;
		st->p[st->np].s = s;
		st->p[st->np].e = e;
		st->p[st->np].ms = ov[0];
		st->np++;
		off = ov[1] > off ? ov[1] : off + 1;
	}
	st->until[ri] = b;
	return 0;
}

static int line_allows(const char *d, size_t len, size_t off)
{
	size_t a = line_start(d, off, 65536), b = line_end(d, len, off, 65536);
	static const char *const marks[] = { "gth:allow", "gitleaks:allow" };
	size_t i;

	for (i = 0; i < 2; i++)
		if (b > a && memmem(d + a, b - a, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

/* Line and column of an offset, counting forward from the last answer when we can. */
struct line_cache {
	size_t off;
	int line;
};

static int line_of(const char *d, size_t off, struct line_cache *lc)
{
	const char *p, *end = d + off;

	if (off < lc->off) {
		lc->off = 0;
		lc->line = 1;
	}
	p = d + lc->off;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		lc->line++;
		p++;
	}
	lc->off = off;
	return lc->line;
}

static int emit(const struct scan_secrets *set, struct scan_findings *out, const char *target,
		const char *path, const char *d, size_t len, const struct pending *p,
		struct line_cache *lc)
{
	const struct secret_rule *r = &set->rules[p->rule];
	struct scan_finding f;
	struct gth_buf b = GTH_BUF_INIT;
	char hex[GTH_SHA256_HEX_LEN + 1];
	size_t s = p->s, e = p->e, at;
	char *mask = NULL;
	int rc = -1;

	while (s < e && (d[s] == ' ' || d[s] == '\t' || d[s] == '\r' || d[s] == '\n'))
		s++;
	while (e > s && (d[e - 1] == ' ' || d[e - 1] == '\t' || d[e - 1] == '\r' || d[e - 1] == '\n'))
		e--;
	if (e == s)
		return 0;
	if (r->entropy > 0 && scan_entropy(d + s, e - s) < r->entropy)
		return 0;
	if (scan_is_placeholder(d + s, e - s))
		return 0;
	at = (r->flags & SCAN_RULE_BLOCK) ? p->ms : s;
	if (line_allows(d, len, at) || ((r->flags & SCAN_RULE_BLOCK) && line_allows(d, len, p->e)))
		return 0;
	memset(&f, 0, sizeof(f));
	f.kind = SCAN_KIND_SECRET;
	f.id = r->id;
	f.severity = r->severity;
	f.title = r->title;
	f.target = target;
	f.path = path;
	f.line = line_of(d, at, lc);
	f.col = (int)(at - line_start(d, at, (size_t)-1) + 1);
	if (!(mask = scan_mask_secret(d + s, e - s)))
		goto done;
	f.match = mask;
	if (gth_buf_printf(&b, "secret\n%s\n%s\n", r->id, path ? path : "") < 0 ||
	    gth_buf_put(&b, d + s, e - s) < 0 || gth_sha256_hex(b.ptr, b.len, hex) < 0)
		goto done;
	f.fingerprint = hex;
	rc = scan_findings_add(out, &f);
done:
	free(mask);
	gth_buf_release(&b);
	return rc;
}

static int pending_cmp(const void *pa, const void *pb)
{
	const struct pending *a = pa, *b = pb;

	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

int scan_secrets_scan(const struct scan_secrets *set, struct scan_findings *out,
		      const char *target, const char *path, const char *data, size_t len)
{
	struct scan_state st;
	struct line_cache lc = { 0, 1 };
	size_t i, j;
	int rc = -1;

	if (!set->ac || !len)
		return 0;
	memset(&st, 0, sizeof(st));
	st.set = set;
	st.data = data;
	st.len = len;
	st.until = calloc(set->n, sizeof(*st.until));
	st.md = pcre2_match_data_create(32, NULL);
	if (!st.until || !st.md)
		goto done;
	scan_ac_scan(set->ac, data, len, on_keyword, &st);
	if (st.oom)
		goto done;
	if (st.np > 1)
		qsort(st.p, st.np, sizeof(*st.p), pending_cmp);
	for (i = 0; i < st.np; i++) {
		const struct pending *p = &st.p[i];
		int skip = 0;

		if (set->rules[p->rule].flags & SCAN_RULE_GENERIC) {
			for (j = 0; j < st.np && !skip; j++) {
				const struct pending *q = &st.p[j];

				if (j == i || q->s >= p->e || p->s >= q->e)
					continue;
				/* Overlaps a specific rule, or an earlier generic one. */
				skip = !(set->rules[q->rule].flags & SCAN_RULE_GENERIC) || j < i;
			}
		}
		if (!skip && emit(set, out, target, path, data, len, p, &lc) < 0)
			goto done;
	}
	rc = 0;
done:
	free(st.until);
	free(st.p);
	pcre2_match_data_free(st.md);
	return rc;
}
