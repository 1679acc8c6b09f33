#include "vercmp.h"

#include <ctype.h>
#include <string.h>

enum osv_scheme osv_scheme_for_ecosystem(const char *eco)
{
	size_t n;

	if (eco == NULL)
		return OSV_SCHEME_NONE;
	n = strcspn(eco, ":");
	if ((n == 3 && strncmp(eco, "npm", 3) == 0) || (n == 9 && strncmp(eco, "crates.io", 9) == 0) ||
	    (n == 3 && strncmp(eco, "Hex", 3) == 0) || (n == 3 && strncmp(eco, "Pub", 3) == 0))
		return OSV_SCHEME_SEMVER;
	if (n == 2 && strncmp(eco, "Go", 2) == 0)
		return OSV_SCHEME_GO;
	if (n == 4 && strncmp(eco, "PyPI", 4) == 0)
		return OSV_SCHEME_PYPI;
	if ((n == 6 && strncmp(eco, "Debian", 6) == 0) || (n == 6 && strncmp(eco, "Ubuntu", 6) == 0))
		return OSV_SCHEME_DEBIAN;
	if (n == 6 && strncmp(eco, "Alpine", 6) == 0)
		return OSV_SCHEME_ALPINE;
	return OSV_SCHEME_NONE;
}

const char *osv_scheme_name(enum osv_scheme s)
{
	switch (s) {
	case OSV_SCHEME_SEMVER: return "semver";
	case OSV_SCHEME_GO: return "go";
	case OSV_SCHEME_PYPI: return "pep440";
	case OSV_SCHEME_DEBIAN: return "dpkg";
	case OSV_SCHEME_ALPINE: return "apk";
	default: return "none";
	}
}

/* Compare two runs of decimal digits of any length numerically. */
static int cmp_digits(const char *a, size_t an, const char *b, size_t bn)
{
	while (an > 0 && *a == '0') {
		a++;
		an--;
	}
	while (bn > 0 && *b == '0') {
		b++;
		bn--;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	for (size_t i = 0; i < an; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

/* ---- SemVer ---------------------------------------------------------------- */

struct semver {
	const char *num[3];
	size_t numlen[3];
	int nparts;
	const char *pre;      /* after '-', up to '+' or end; NULL when none */
	size_t prelen;
	int ok;
};

static const char *semver_skip_prefix(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 'v' || *s == 'V' || *s == '=')
			s++;
		else
			break;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void semver_parse(struct semver *v, const char *s, int go)
{
	const char *p = semver_skip_prefix(s);
	size_t len;

	memset(v, 0, sizeof(*v));
	v->ok = 1;
	for (int i = 0; i < 3; i++) {
		const char *q = p;
		while (isdigit((unsigned char)*q))
			q++;
		if (q == p) {
			v->ok = 0;
			break;
		}
		v->num[i] = p;
		v->numlen[i] = (size_t)(q - p);
		v->nparts++;
		p = q;
		if (i < 2) {
			if (*p != '.')
				break;
			p++;
		}
	}
	if (v->nparts < 3)
		v->ok = 0;
	len = strlen(p);
	if (*p == '-') {
		p++;
		v->pre = p;
		v->prelen = strcspn(p, "+");
		if (v->prelen == 0)
			v->ok = 0;
		p += v->prelen;
	}
	if (*p == '+') {
		if (p[1] == '\0')
			v->ok = 0;
		p += strlen(p);
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		v->ok = 0;
	(void)len;
	(void)go;
}

static int pre_ident_numeric(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int semver_pre_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	const char *ap = a, *aE = a + an, *bp = b, *bE = b + bn;
	int amore = 1, bmore = 1;

	while (amore && bmore) {
		const char *ae = memchr(ap, '.', (size_t)(aE - ap));
		const char *be = memchr(bp, '.', (size_t)(bE - bp));
		size_t al, bl;
		int anum, bnum, c;

		if (ae == NULL)
			ae = aE;
		if (be == NULL)
			be = bE;
		al = (size_t)(ae - ap);
		bl = (size_t)(be - bp);
		anum = pre_ident_numeric(ap, al);
		bnum = pre_ident_numeric(bp, bl);
		if (anum && bnum) {
			c = cmp_digits(ap, al, bp, bl);
		} else if (anum) {
			c = -1;
		} else if (bnum) {
			c = 1;
		} else {
			c = memcmp(ap, bp, al < bl ? al : bl);
			if (c == 0 && al != bl)
				c = al < bl ? -1 : 1;
		}
		if (c != 0)
			return sign(c);
		if (ae == aE)
			amore = 0;
		else
			ap = ae + 1;
		if (be == bE)
			bmore = 0;
		else
			bp = be + 1;
	}
	if (amore)
		return 1;
	if (bmore)
		return -1;
	return 0;
}

static int semver_cmp(const char *a, const char *b, int go)
{
	struct semver x, y;
	int c;

	semver_parse(&x, a, go);
	semver_parse(&y, b, go);
	for (int i = 0; i < 3; i++) {
		const char *xs = i < x.nparts ? x.num[i] : "0";
		size_t xn = i < x.nparts ? x.numlen[i] : 1;
		const char *ys = i < y.nparts ? y.num[i] : "0";
		size_t yn = i < y.nparts ? y.numlen[i] : 1;
		c = cmp_digits(xs, xn, ys, yn);
		if (c != 0)
			return c;
	}
	if (x.pre == NULL && y.pre == NULL)
		return 0;
	if (x.pre == NULL)
		return 1;
	if (y.pre == NULL)
		return -1;
	return semver_pre_cmp(x.pre, x.prelen, y.pre, y.prelen);
}

/* ---- PEP 440 -------------------------------------------------------------- */

#define PEP_MAX_REL 16

struct pep440 {
	long long epoch;
	const char *rel[PEP_MAX_REL];
	size_t rellen[PEP_MAX_REL];
	int nrel;
	int pre_phase;        /* -1 none; 0 a, 1 b, 2 rc */
	const char *pre_num;
	size_t pre_numlen;
	int has_post;
	const char *post_num;
	size_t post_numlen;
	int has_dev;
	const char *dev_num;
	size_t dev_numlen;
	const char *local;    /* after '+' */
	int ok;
};

static int ci_prefix(const char *s, const char *word)
{
	size_t i;

	for (i = 0; word[i]; i++)
		if (tolower((unsigned char)s[i]) != word[i])
			return 0;
	return (int)i;
}

static const char *pep_sep(const char *p)
{
	if (*p == '.' || *p == '-' || *p == '_')
		return p + 1;
	return p;
}

static const char *pep_number(const char *p, const char **num, size_t *len)
{
	const char *q = p;

	while (isdigit((unsigned char)*q))
		q++;
	*num = p;
	*len = (size_t)(q - p);
	return q;
}

static void pep440_parse(struct pep440 *v, const char *s)
{
	const char *p = s, *q;
	int n;

	memset(v, 0, sizeof(*v));
	v->pre_phase = -1;
	v->ok = 1;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == 'v' || *p == 'V')
		p++;
	q = p;
	while (isdigit((unsigned char)*q))
		q++;
	if (q > p && *q == '!') {
		long long e = 0;
		for (const char *r = p; r < q && e < 100000000; r++)
			e = e * 10 + (*r - '0');
		v->epoch = e;
		p = q + 1;
	}
	for (;;) {
		const char *num;
		size_t len;
		q = pep_number(p, &num, &len);
		if (len == 0) {
			v->ok = 0;
			break;
		}
		if (v->nrel < PEP_MAX_REL) {
			v->rel[v->nrel] = num;
			v->rellen[v->nrel] = len;
			v->nrel++;
		}
		p = q;
		if (*p == '.' && isdigit((unsigned char)p[1]))
			p++;
		else
			break;
	}
	/* pre-release */
	{
		const char *r = pep_sep(p);
		static const struct { const char *w; int phase; } pres[] = {
			{ "alpha", 0 }, { "beta", 1 }, { "preview", 2 }, { "pre", 2 },
			{ "rc", 2 }, { "a", 0 }, { "b", 1 }, { "c", 2 }
		};
		for (size_t i = 0; i < sizeof(pres) / sizeof(pres[0]); i++) {
			if ((n = ci_prefix(r, pres[i].w)) > 0) {
				v->pre_phase = pres[i].phase;
				r = pep_sep(r + n);
				r = pep_number(r, &v->pre_num, &v->pre_numlen);
				p = r;
				break;
			}
		}
	}
	/* post-release */
	{
		const char *r = pep_sep(p);
		static const char *posts[] = { "post", "rev", "r" };
		int found = 0;
		for (size_t i = 0; i < 3; i++) {
			if ((n = ci_prefix(r, posts[i])) > 0) {
				v->has_post = 1;
				r = pep_sep(r + n);
				r = pep_number(r, &v->post_num, &v->post_numlen);
				p = r;
				found = 1;
				break;
			}
		}
		if (!found && *p == '-' && isdigit((unsigned char)p[1])) {
			v->has_post = 1;
			p = pep_number(p + 1, &v->post_num, &v->post_numlen);
		}
	}
	/* development release */
	{
		const char *r = pep_sep(p);
		if ((n = ci_prefix(r, "dev")) > 0) {
			v->has_dev = 1;
			r = pep_number(r + n, &v->dev_num, &v->dev_numlen);
			p = r;
		}
	}
	if (*p == '+') {
		v->local = p + 1;
		if (*v->local == '\0')
			v->ok = 0;
		p += strlen(p);
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		v->ok = 0;
}

static int pep_num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	return cmp_digits(an ? a : "0", an ? an : 1, bn ? b : "0", bn ? bn : 1);
}

static int pep_local_cmp(const char *a, const char *b)
{
	if (a == NULL && b == NULL)
		return 0;
	if (a == NULL)
		return -1;
	if (b == NULL)
		return 1;
	for (;;) {
		size_t an = strcspn(a, ".-_"), bn = strcspn(b, ".-_");
		int anum = pre_ident_numeric(a, an), bnum = pre_ident_numeric(b, bn), c;
		if (an == 0 && bn == 0)
			return 0;
		if (an == 0)
			return -1;
		if (bn == 0)
			return 1;
		if (anum && bnum)
			c = cmp_digits(a, an, b, bn);
		else if (anum)
			c = 1;
		else if (bnum)
			c = -1;
		else {
			size_t m = an < bn ? an : bn;
			c = 0;
			for (size_t i = 0; i < m && c == 0; i++)
				c = tolower((unsigned char)a[i]) - tolower((unsigned char)b[i]);
			if (c == 0 && an != bn)
				c = an < bn ? -1 : 1;
		}
		if (c != 0)
			return sign(c);
		a += an;
		b += bn;
		if (*a)
			a++;
		if (*b)
			b++;
	}
}

/* The pre-release slot of the sort key: dev-only releases sort before any
 * pre-release, final and post releases after every pre-release. */
static int pep_pre_rank(const struct pep440 *v)
{
	if (v->pre_phase >= 0)
		return 1;
	if (!v->has_post && v->has_dev)
		return 0;
	return 2;
}

static int pep440_cmp(const char *a, const char *b)
{
	struct pep440 x, y;
	int n, c;

	pep440_parse(&x, a);
	pep440_parse(&y, b);
	if (x.epoch != y.epoch)
		return x.epoch < y.epoch ? -1 : 1;
	n = x.nrel > y.nrel ? x.nrel : y.nrel;
	for (int i = 0; i < n; i++) {
		const char *xs = i < x.nrel ? x.rel[i] : "0";
		size_t xn = i < x.nrel ? x.rellen[i] : 1;
		const char *ys = i < y.nrel ? y.rel[i] : "0";
		size_t yn = i < y.nrel ? y.rellen[i] : 1;
		if ((c = cmp_digits(xs, xn, ys, yn)) != 0)
			return c;
	}
	if ((c = pep_pre_rank(&x) - pep_pre_rank(&y)) != 0)
		return sign(c);
	if (x.pre_phase >= 0) {
		if (x.pre_phase != y.pre_phase)
			return x.pre_phase < y.pre_phase ? -1 : 1;
		if ((c = pep_num_cmp(x.pre_num, x.pre_numlen, y.pre_num, y.pre_numlen)) != 0)
			return c;
	}
	if (x.has_post != y.has_post)
		return x.has_post ? 1 : -1;
	if (x.has_post && (c = pep_num_cmp(x.post_num, x.post_numlen, y.post_num, y.post_numlen)) != 0)
		return c;
	if (x.has_dev != y.has_dev)
		return x.has_dev ? -1 : 1;
	if (x.has_dev && (c = pep_num_cmp(x.dev_num, x.dev_numlen, y.dev_num, y.dev_numlen)) != 0)
		return c;
	return pep_local_cmp(x.local, y.local);
}

/* ---- dpkg ------------------------------------------------------------------ */

static int dpkg_order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

static int dpkg_verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !isdigit((unsigned char)*a)) || (b < be && !isdigit((unsigned char)*b))) {
			int ac = a < ae ? dpkg_order((unsigned char)*a) : 0;
			int bc = b < be ? dpkg_order((unsigned char)*b) : 0;
			if (ac != bc)
				return sign(ac - bc);
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && isdigit((unsigned char)*a) && b < be && isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && isdigit((unsigned char)*a))
			return 1;
		if (b < be && isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return sign(first_diff);
	}
	return 0;
}

struct dpkgver {
	const char *epoch, *epoch_end;
	const char *up, *up_end;
	const char *rev, *rev_end;
};

static void dpkg_split(struct dpkgver *v, const char *s)
{
	const char *colon, *dash, *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		v->epoch = s;
		v->epoch_end = colon;
		s = colon + 1;
	} else {
		v->epoch = v->epoch_end = s;
	}
	dash = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == '-')
			dash = p;
	v->up = s;
	if (dash) {
		v->up_end = dash;
		v->rev = dash + 1;
		v->rev_end = end;
	} else {
		v->up_end = end;
		v->rev = v->rev_end = end;
	}
}

static int dpkg_cmp(const char *a, const char *b)
{
	struct dpkgver x, y;
	int c;

	dpkg_split(&x, a);
	dpkg_split(&y, b);
	c = cmp_digits(x.epoch, (size_t)(x.epoch_end - x.epoch), y.epoch, (size_t)(y.epoch_end - y.epoch));
	if (c != 0)
		return c;
	if ((c = dpkg_verrevcmp(x.up, x.up_end, y.up, y.up_end)) != 0)
		return c;
	return dpkg_verrevcmp(x.rev, x.rev_end, y.rev, y.rev_end);
}

static int dpkg_valid(const char *s)
{
	struct dpkgver v;

	dpkg_split(&v, s);
	for (const char *p = v.epoch; p < v.epoch_end; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	if (v.epoch_end > v.epoch && v.epoch == v.epoch_end)
		return 0;
	if (v.up == v.up_end || !isdigit((unsigned char)*v.up))
		return 0;
	for (const char *p = v.up; p < v.up_end; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".+-~:", *p))
			return 0;
	for (const char *p = v.rev; p < v.rev_end; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".+~", *p))
			return 0;
	return 1;
}

/* ---- apk ------------------------------------------------------------------- */

/* number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}, parsed the way the
 * OSV tooling does, so versions apk itself rejects still order the same way. */

#define APK_MAX_PARTS 24

struct apk_part {
	const char *s;
	size_t n;
};

struct apkver {
	const char *orig;
	struct apk_part comp[APK_MAX_PARTS];
	int ncomp;
	char letter;
	int sufw[APK_MAX_PARTS];     /* weight: alpha 0 .. rc 3, none 4, cvs 5 .. p 9 */
	struct apk_part sufn[APK_MAX_PARTS];
	int nsuf;
	struct apk_part build;
	const char *rest;
	int invalid;
};

static const char *const apk_suffixes[] = {
	"alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"
};
static const int apk_suffix_weight[] = { 0, 1, 2, 3, 5, 6, 7, 8, 9 };

/* At p: "_" + suffix word + digits; returns the length matched, 0 for none. */
static size_t apk_suffix_at(const char *p, int *weight, struct apk_part *num)
{
	if (*p != '_')
		return 0;
	for (size_t k = 0; k < sizeof(apk_suffixes) / sizeof(apk_suffixes[0]); k++) {
		size_t wl = strlen(apk_suffixes[k]);
		if (strncmp(p + 1, apk_suffixes[k], wl) == 0) {
			const char *d = p + 1 + wl, *e = d;
			while (isdigit((unsigned char)*e))
				e++;
			*weight = apk_suffix_weight[k];
			num->s = d;
			num->n = (size_t)(e - d);
			return (size_t)(e - p);
		}
	}
	return 0;
}

static void apk_parse(struct apkver *v, const char *s)
{
	const char *p = s;

	memset(v, 0, sizeof(*v));
	v->orig = s;
	/* ^((\d+)\.?)* */
	if (isdigit((unsigned char)*p)) {
		for (;;) {
			const char *d = p;
			while (isdigit((unsigned char)*p))
				p++;
			if (v->ncomp < APK_MAX_PARTS) {
				v->comp[v->ncomp].s = d;
				v->comp[v->ncomp].n = (size_t)(p - d);
				v->ncomp++;
			}
			if (*p == '.' && isdigit((unsigned char)p[1])) {
				p++;
				continue;
			}
			if (*p == '.') {
				/* a trailing dot ends the run with an empty component */
				p++;
				if (v->ncomp < APK_MAX_PARTS) {
					v->comp[v->ncomp].s = p;
					v->comp[v->ncomp].n = 0;
					v->ncomp++;
				}
			}
			break;
		}
	}
	if (*p >= 'a' && *p <= 'z')
		v->letter = *p++;
	/* every _suffix match in what is left; only leading ones are consumed */
	{
		const char *q = p;
		while (*q) {
			int w;
			struct apk_part num;
			size_t m = apk_suffix_at(q, &w, &num);
			if (m == 0) {
				q++;
				continue;
			}
			if (v->nsuf < APK_MAX_PARTS) {
				v->sufw[v->nsuf] = w;
				v->sufn[v->nsuf] = num;
				v->nsuf++;
			}
			if (q == p)
				p += m;
			q += m;
		}
	}
	if (*p == '~' && ((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'a' && p[1] <= 'f'))) {
		p++;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			p++;
	}
	if (*p != '\0') {
		if (p[0] == '-' && p[1] == 'r') {
			const char *d = p + 2;
			p = d;
			while (isdigit((unsigned char)*p))
				p++;
			v->build.s = d;
			v->build.n = (size_t)(p - d);
		} else {
			v->invalid = 1;
		}
	}
	v->rest = p;
}

static int apk_num_cmp(const struct apk_part *a, const struct apk_part *b)
{
	return cmp_digits(a->n ? a->s : "0", a->n ? a->n : 1, b->n ? b->s : "0", b->n ? b->n : 1);
}

static int apk_cmp(const char *a, const char *b)
{
	struct apkver x, y;
	int n, c;

	apk_parse(&x, a);
	apk_parse(&y, b);
	if (x.invalid && y.invalid)
		return sign(strcmp(a, b));
	n = x.ncomp > y.ncomp ? x.ncomp : y.ncomp;
	for (int i = 0; i < n; i++) {
		static const struct apk_part zero = { "0", 1 };
		const struct apk_part *xp = i < x.ncomp ? &x.comp[i] : &zero;
		const struct apk_part *yp = i < y.ncomp ? &y.comp[i] : &zero;
		int xi = i < x.ncomp ? i : 0, yi = i < y.ncomp ? i : 0;
		/* past the first component a leading zero means a string comparison */
		if (xi != 0 && yi != 0 && ((xp->n && xp->s[0] == '0') || (yp->n && yp->s[0] == '0'))) {
			size_t m = xp->n < yp->n ? xp->n : yp->n;
			c = memcmp(xp->s, yp->s, m);
			if (c == 0 && xp->n != yp->n)
				c = xp->n < yp->n ? -1 : 1;
		} else {
			c = apk_num_cmp(xp, yp);
		}
		if (c != 0)
			return sign(c);
	}
	if (x.letter != y.letter)
		return x.letter < y.letter ? -1 : 1;
	n = x.nsuf > y.nsuf ? x.nsuf : y.nsuf;
	for (int i = 0; i < n; i++) {
		static const struct apk_part none = { "", 0 };
		int xw = i < x.nsuf ? x.sufw[i] : 4, yw = i < y.nsuf ? y.sufw[i] : 4;
		if (xw != yw)
			return xw < yw ? -1 : 1;
		c = apk_num_cmp(i < x.nsuf ? &x.sufn[i] : &none, i < y.nsuf ? &y.sufn[i] : &none);
		if (c != 0)
			return c;
	}
	if ((c = apk_num_cmp(&x.build, &y.build)) != 0)
		return c;
	if (*x.rest == '\0' && *y.rest != '\0')
		return 1;
	if (*x.rest != '\0' && *y.rest == '\0')
		return -1;
	return 0;
}

/* digits{.digits}[a-z[digits]]{_suffix[digits]}[~hex][-rdigits], as the Alpine
 * secdb data uses it. */
static int apk_valid(const char *s)
{
	const char *p = s;

	for (;;) {
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (*p >= 'a' && *p <= 'z') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	for (;;) {
		int w;
		struct apk_part num;
		size_t m = apk_suffix_at(p, &w, &num);
		if (m == 0)
			break;
		p += m;
	}
	if (*p == '~') {
		const char *h = ++p;
		while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			p++;
		if (p == h)
			return 0;
	}
	/* the secdb also writes the revision with a dot: 10.2.22.r0 */
	if ((p[0] == '-' || p[0] == '.') && p[1] == 'r' && isdigit((unsigned char)p[2])) {
		p += 2;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/* ---- dispatch -------------------------------------------------------------- */

int osv_vercmp(enum osv_scheme s, const char *a, const char *b)
{
	switch (s) {
	case OSV_SCHEME_SEMVER:
		return semver_cmp(a, b, 0);
	case OSV_SCHEME_GO:
		return semver_cmp(a, b, 1);
	case OSV_SCHEME_PYPI:
		return pep440_cmp(a, b);
	case OSV_SCHEME_DEBIAN:
		return dpkg_cmp(a, b);
	case OSV_SCHEME_ALPINE:
		return apk_cmp(a, b);
	default:
		return sign(strcmp(a, b));
	}
}

int osv_version_valid(enum osv_scheme s, const char *v)
{
	switch (s) {
	case OSV_SCHEME_SEMVER:
	case OSV_SCHEME_GO: {
		struct semver x;
		semver_parse(&x, v, s == OSV_SCHEME_GO);
		return x.ok;
	}
	case OSV_SCHEME_PYPI: {
		struct pep440 x;
		pep440_parse(&x, v);
		return x.ok;
	}
	case OSV_SCHEME_DEBIAN:
		return dpkg_valid(v);
	case OSV_SCHEME_ALPINE:
		return apk_valid(v);
	default:
		return v != NULL && *v != '\0';
	}
}

char *osv_pypi_normalize(char *out, size_t size, const char *name)
{
	size_t n = 0;
	int sep = 0;

	if (size == 0)
		return out;
	for (const char *p = name; *p && n + 1 < size; p++) {
		if (*p == '-' || *p == '_' || *p == '.') {
			sep = 1;
			continue;
		}
		if (sep && n > 0 && n + 2 < size)
			out[n++] = '-';
		sep = 0;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	return out;
}
