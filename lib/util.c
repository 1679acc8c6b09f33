#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "gth/buf.h"
#include "gth/util.h"

int gth_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int gth_parse_duration(const char *s, int64_t *ms)
{
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {
		long v;

		if (gth_parse_long(s, 0, LONG_MAX / 1000, &v) < 0)
			return -1;
		*ms = (int64_t)v * 1000;
		return 0;
	}
	while (*p) {
		double v, unit;
		char *end;

		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p)
			return -1;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'd') {
			unit = 86400000;
			p++;
		} else {
			return -1;
		}
		if (v * unit > 9.0e15)
			return -1;
		total += (int64_t)(v * unit + 0.5);
	}
	*ms = total;
	return 0;
}

char *gth_format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(buf, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, size, "%lldm%02llds", (long long)(ms / 60000),
			 (long long)((ms % 60000) / 1000));
	else
		snprintf(buf, size, "%lldh%02lldm", (long long)(ms / 3600000),
			 (long long)((ms % 3600000) / 60000));
	return buf;
}

int64_t gth_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gth_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *gth_format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int gth_parse_time(const char *s, time_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, off = 0;
	const char *p = s;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;

		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - off;
	return 0;
}

void gth_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *gth_strdupf(const char *fmt, ...)
{
	struct gth_buf b = GTH_BUF_INIT;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = gth_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r < 0) {
		gth_buf_release(&b);
		return NULL;
	}
	if (!b.ptr)
		return strdup("");
	return gth_buf_detach(&b);
}

int gth_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int gth_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}

size_t gth_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* Match a class "[...]" at *pp against c; advance *pp past it. -1 if malformed. */
static int match_class(const char **pp, char c)
{
	const char *p = *pp + 1;
	int neg = 0, hit = 0;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	if (*p == ']') {
		hit = c == ']';
		p++;
	}
	while (*p && *p != ']') {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			if (c >= p[0] && c <= p[2])
				hit = 1;
			p += 3;
		} else {
			if (c == *p)
				hit = 1;
			p++;
		}
	}
	if (*p != ']')
		return -1;
	*pp = p + 1;
	return hit != neg;
}

/* A glob runs as an automaton over the pattern's tokens, one set of live tokens a
 * byte of the path: time in length of pattern times length of path, where matching
 * by backtracking takes time exponential in the stars ("*?**?*..." on a long path
 * is a pattern from a repository's own ignore file, which anyone can write). */
enum glob_tok {
	G_LIT,          /* one byte */
	G_ONE,          /* '?': a byte other than '/' */
	G_CLASS,        /* [...]: a byte in the class, never '/' */
	G_STAR,         /* '*': bytes other than '/', maybe none */
	G_ANY,          /* '**' not before '/': any bytes, maybe none */
	G_DIRS,         /* '**' + '/': nothing, or any bytes ending in '/' */
};

struct glob_tok_s {
	unsigned char kind;
	char c;             /* G_LIT */
	const char *cls;    /* G_CLASS: at its '[' */
};

static size_t glob_compile(struct glob_tok_s *t, const char *p)
{
	size_t n = 0;

	while (*p) {
		struct glob_tok_s *k = &t[n++];

		k->kind = G_LIT;
		if (p[0] == '*' && p[1] == '*') {
			k->kind = p[2] == '/' ? G_DIRS : G_ANY;
			p += p[2] == '/' ? 3 : 2;
		} else if (*p == '*') {
			k->kind = G_STAR;
			p++;
		} else if (*p == '?') {
			k->kind = G_ONE;
			p++;
		} else if (*p == '[') {
			const char *q = p;

			if (match_class(&q, 'a') >= 0) {
				k->kind = G_CLASS;
				k->cls = p;
				p = q;
			} else {
				k->c = *p++; /* no closing ']': a plain '[' */
			}
		} else if (*p == '\\' && p[1]) {
			k->c = p[1];
			p += 2;
		} else {
			k->c = *p++;
		}
	}
	return n;
}

/* A live token is GLOB_AT when the bytes before it matched everything before it,
 * GLOB_IN when it is a G_DIRS that has read bytes since (it may end only after a
 * '/'). Add the tokens reached without reading a byte. */
#define GLOB_AT 1
#define GLOB_IN 2

static void glob_close(const struct glob_tok_s *t, size_t n, unsigned char *live)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((live[i] & GLOB_AT) && t[i].kind >= G_STAR)
			live[i + 1] |= GLOB_AT;
}

/* Whether the pattern p matches all of s. */
static int glob_whole(const char *p, const char *s)
{
	struct glob_tok_s small[64], *t = small;
	unsigned char sets[2 * 65], *cur = sets, *next, *heap = NULL;
	size_t n, i, plen = strlen(p);
	int r = 0;

	if (plen > 64) {
		t = malloc(plen * sizeof(*t));
		heap = malloc(2 * (plen + 1));
		if (!t || !heap)
			goto done;
		cur = heap;
	}
	n = glob_compile(t, p);
	next = cur + n + 1;
	memset(cur, 0, n + 1);
	cur[0] = GLOB_AT;
	glob_close(t, n, cur);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s, *tmp;
		int any = 0;

		memset(next, 0, n + 1);
		for (i = 0; i < n; i++) {
			const struct glob_tok_s *k = &t[i];
			const char *q = k->cls;

			if (!cur[i])
				continue;
			switch (k->kind) {
			case G_LIT:
				if ((unsigned char)k->c == c)
					next[i + 1] |= GLOB_AT;
				break;
			case G_ONE:
				if (c != '/')
					next[i + 1] |= GLOB_AT;
				break;
			case G_CLASS:
				if (c != '/' && match_class(&q, (char)c) == 1)
					next[i + 1] |= GLOB_AT;
				break;
			case G_STAR:
				if (c != '/')
					next[i] |= GLOB_AT;
				break;
			case G_ANY:
				next[i] |= GLOB_AT;
				break;
			case G_DIRS:
				next[i] |= GLOB_IN;
				if (c == '/')
					next[i + 1] |= GLOB_AT;
				break;
			}
		}
		glob_close(t, n, next);
		for (i = 0; i <= n && !any; i++)
			any = next[i];
		if (!any)
			goto done;
		tmp = cur;
		cur = next;
		next = tmp;
	}
	r = cur[n] != 0;
done:
	if (t != small)
		free(t);
	free(heap);
	return r;
}

int gth_glob_match(const char *pattern, const char *path)
{
	const char *slash;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (pattern[0] == '/')
		return glob_whole(pattern + 1, path);
	if (strchr(pattern, '/')) {
		size_t n = strlen(pattern);

		/* "dir/" matches the folder and everything under it. */
		if (n && pattern[n - 1] == '/') {
			char *p = gth_strdupf("%s**", pattern);
			int r = p && (glob_whole(p, path) ||
				      (!strncmp(path, pattern, n - 1) && path[n - 1] == '\0'));

			free(p);
			return r;
		}
		return glob_whole(pattern, path);
	}
	if (glob_whole(pattern, path))
		return 1;
	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/'))
		if (glob_whole(pattern, slash + 1))
			return 1;
	/* A base-name pattern also matches a folder on the way ("node_modules"). */
	{
		const char *seg = path;

		while (seg) {
			const char *end = strchr(seg, '/');
			char part[4096];
			size_t n = end ? (size_t)(end - seg) : strlen(seg);

			if (n < sizeof(part)) {
				memcpy(part, seg, n);
				part[n] = '\0';
				if (glob_whole(pattern, part))
					return 1;
			}
			seg = end ? end + 1 : NULL;
		}
	}
	return 0;
}

int gth_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t gth_random_below(uint64_t n)
{
	uint64_t v = 0, lim;

	if (n <= 1)
		return 0;
	lim = UINT64_MAX - UINT64_MAX % n;
	do {
		if (gth_random(&v, sizeof(v)) < 0)
			return (uint64_t)gth_now_ms() % n;
	} while (v >= lim);
	return v % n;
}

int gth_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}
