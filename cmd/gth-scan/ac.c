#include <stdlib.h>
#include <string.h>

#include "ac.h"

#define AC_OUT 0x80000000u
#define AC_STATE(v) ((v) & ~AC_OUT)
#define AC_OUT16 0x8000u

struct scan_ac {
	uint32_t n;          /* states */
	uint32_t *delta;     /* while building: n * 256 transitions */
	uint32_t ncls;       /* byte classes: 0 for bytes in no pattern, one per other byte */
	unsigned char cls[256];
	uint32_t *table;     /* n * ncls: the target's row offset (state * ncls), AC_OUT set
			      * when the target reports something; NULL when table16 is used */
	uint16_t *table16;   /* the same in 16 bits (AC_OUT16) when n * ncls < 32768 */
	uint32_t *orig;      /* row number (breadth-first order) -> state of own/out_link */
	uint8_t start2[65536 / 8]; /* lower-cased byte pairs that begin a pattern */
	uint32_t *own;       /* first pattern ending in the state, or UINT32_MAX */
	uint32_t *next_pat;  /* next pattern ending in the same state */
	uint32_t *out_link;  /* nearest fail ancestor that reports, or 0 (root never does) */
	uint32_t *pat_len;
	uint32_t maxlen;     /* longest pattern */
};

static unsigned char lower_tab[256];

static void init_lower(void)
{
	int c;

	for (c = 0; c < 256; c++)
		lower_tab[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static int grow(struct scan_ac *ac, uint32_t *cap)
{
	uint32_t ncap = *cap ? *cap * 2 : 64;
	uint32_t *d = realloc(ac->delta, (size_t)ncap * 256 * sizeof(*d));

	if (!d)
		return -1;
	ac->delta = d;
	d = realloc(ac->own, ncap * sizeof(*d));
	if (!d)
		return -1;
	ac->own = d;
	*cap = ncap;
	return 0;
}

struct scan_ac *scan_ac_new(const char *const *patterns, size_t n)
{
	struct scan_ac *ac = calloc(1, sizeof(*ac));
	uint32_t cap = 0, *queue = NULL, *fail = NULL, head = 0, tail = 0, s;
	size_t i;

	init_lower();
	if (!ac || !(ac->next_pat = calloc(n ? n : 1, sizeof(uint32_t))) ||
	    !(ac->pat_len = calloc(n ? n : 1, sizeof(uint32_t))))
		goto fail;
	if (grow(ac, &cap) < 0)
		goto fail;
	ac->n = 1;
	memset(ac->delta, 0, 256 * sizeof(uint32_t));
	ac->own[0] = UINT32_MAX;
	/* The trie; 0 as a transition means "none" while building (root is 0 and no
	 * edge leads back to it). */
	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)patterns[i];

		if (!*p)
			goto fail;
		s = 0;
		for (; *p; p++) {
			uint32_t *t = &ac->delta[(size_t)s * 256 + lower_tab[*p]];

			if (!*t) {
				if (ac->n == cap && grow(ac, &cap) < 0)
					goto fail;
				t = &ac->delta[(size_t)s * 256 + lower_tab[*p]];
				*t = ac->n;
				memset(&ac->delta[(size_t)ac->n * 256], 0, 256 * sizeof(uint32_t));
				ac->own[ac->n] = UINT32_MAX;
				ac->n++;
			}
			s = *t;
		}
		ac->pat_len[i] = (uint32_t)strlen(patterns[i]);
		if (ac->pat_len[i] > ac->maxlen)
			ac->maxlen = ac->pat_len[i];
		ac->next_pat[i] = ac->own[s];
		ac->own[s] = (uint32_t)i;
	}
	queue = malloc(ac->n * sizeof(*queue));
	fail = calloc(ac->n, sizeof(*fail));
	ac->out_link = calloc(ac->n, sizeof(*ac->out_link));
	if (!queue || !fail || !ac->out_link)
		goto fail;
	/* Breadth first: a state's fail target is complete before its children. */
	for (i = 0; i < 256; i++) {
		uint32_t t = ac->delta[i];

		if (t) {
			fail[t] = 0;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t r = queue[head++];

		for (i = 0; i < 256; i++) {
			uint32_t *t = &ac->delta[(size_t)r * 256 + i];
			uint32_t f = AC_STATE(ac->delta[(size_t)fail[r] * 256 + i]);

			if (*t) {
				fail[*t] = f;
				queue[tail++] = *t;
			} else {
				*t = f;
			}
		}
		ac->out_link[r] = ac->own[fail[r]] != UINT32_MAX ? fail[r] : ac->out_link[fail[r]];
	}
	for (i = 0; i < (size_t)ac->n * 256; i++) {
		uint32_t t = AC_STATE(ac->delta[i]);

		if (t && (ac->own[t] != UINT32_MAX || ac->out_link[t]))
			ac->delta[i] = t | AC_OUT;
	}
	/* Pairs of bytes that can begin a pattern: at the root the scan skips, with
	 * independent loads, every position where none begins. */
	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)patterns[i];
		unsigned b;

		if (p[1]) {
			b = (unsigned)lower_tab[p[0]] << 8 | lower_tab[p[1]];
			ac->start2[b >> 3] |= (uint8_t)(1u << (b & 7));
		} else {
			for (b = 0; b < 256; b++) {
				unsigned k = (unsigned)lower_tab[p[0]] << 8 | b;

				ac->start2[k >> 3] |= (uint8_t)(1u << (k & 7));
			}
		}
	}
	/* Compress the alphabet: bytes that occur in no pattern all behave alike, so
	 * the table stays small enough for the cache. Upper case shares the class of
	 * lower case. */
	{
		unsigned char rep[256];
		int c;

		memset(ac->cls, 0, sizeof(ac->cls));
		ac->ncls = 1;
		rep[0] = 0;
		for (i = 0; i < n; i++) {
			const unsigned char *p = (const unsigned char *)patterns[i];

			for (; *p; p++) {
				unsigned char b = lower_tab[*p];

				if (!ac->cls[b]) {
					/* Class 0 must be a byte in no pattern. */
					ac->cls[b] = (unsigned char)ac->ncls;
					rep[ac->ncls++] = b;
				}
			}
		}
		for (c = 0; c < 256 && ac->ncls > 1; c++)
			if (!ac->cls[lower_tab[c]]) {
				rep[0] = (unsigned char)c;
				break;
			}
		for (c = 'A'; c <= 'Z'; c++)
			ac->cls[c] = ac->cls[c + 32];
		/* Rows in breadth-first order: the shallow states, where a scan spends
		 * nearly all its time, share a few cache lines. */
		{
			uint32_t *row = malloc(ac->n * sizeof(*row));
			size_t cells = (size_t)ac->n * ac->ncls;

			ac->orig = malloc(ac->n * sizeof(*ac->orig));
			if (!row || !ac->orig) {
				free(row);
				goto fail;
			}
			row[0] = 0;
			ac->orig[0] = 0;
			for (s = 0; s < tail; s++) {
				row[queue[s]] = s + 1;
				ac->orig[s + 1] = queue[s];
			}
			if (cells < AC_OUT16)
				ac->table16 = malloc(cells * sizeof(uint16_t));
			else
				ac->table = malloc(cells * sizeof(uint32_t));
			if (!ac->table16 && !ac->table) {
				free(row);
				goto fail;
			}
			for (s = 0; s < ac->n; s++) {
				uint32_t k, from = row[s];

				for (k = 0; k < ac->ncls; k++) {
					uint32_t v = ac->delta[(size_t)s * 256 + rep[k]];
					uint32_t off = row[AC_STATE(v)] * ac->ncls;

					if (ac->table16)
						ac->table16[(size_t)from * ac->ncls + k] =
							(uint16_t)(off | (v & AC_OUT ? AC_OUT16 : 0));
					else
						ac->table[(size_t)from * ac->ncls + k] = off | (v & AC_OUT);
				}
			}
			free(row);
		}
		free(ac->delta);
		ac->delta = NULL;
	}
	free(queue);
	free(fail);
	return ac;
fail:
	free(queue);
	free(fail);
	scan_ac_free(ac);
	return NULL;
}

void scan_ac_free(struct scan_ac *ac)
{
	if (!ac)
		return;
	free(ac->delta);
	free(ac->table);
	free(ac->table16);
	free(ac->orig);
	free(ac->own);
	free(ac->next_pat);
	free(ac->out_link);
	free(ac->pat_len);
	free(ac);
}

size_t scan_ac_states(const struct scan_ac *ac)
{
	return ac ? ac->n : 0;
}

static int report(const struct scan_ac *ac, uint32_t s, size_t end, scan_ac_cb cb, void *ctx)
{
	while (s) {
		uint32_t p;
		int rc;

		for (p = ac->own[s]; p != UINT32_MAX; p = ac->next_pat[p])
			if ((rc = cb(ctx, p, end)))
				return rc;
		s = ac->out_link[s];
	}
	return 0;
}

static inline int pair_starts(const struct scan_ac *ac, const unsigned char *p)
{
	unsigned k = (unsigned)lower_tab[p[0]] << 8 | lower_tab[p[1]];

	return ac->start2[k >> 3] & (1u << (k & 7));
}

/* The last byte of the data can only begin a one-byte pattern. */
static inline int last_starts(const struct scan_ac *ac, unsigned char c)
{
	unsigned k = (unsigned)lower_tab[c] << 8;

	return ac->start2[k >> 3] & 1u;
}

/* One stream, from the root at from: reports only occurrences ending after
 * report_from (the bytes before it are context for a stream that starts there). */
static int scan_one(const struct scan_ac *ac, const unsigned char *data, size_t from,
		    size_t report_from, size_t len, scan_ac_cb cb, void *ctx)
{
	const unsigned char *p = data + from, *end = data + len;
	const unsigned char *cls = ac->cls;
	uint32_t s = 0;
	int rc;

	if (ac->table16) {
		const uint16_t *t = ac->table16;

		while (p < end) {
			if (s == 0) {
				while (p + 1 < end && !pair_starts(ac, p))
					p++;
				if (p + 1 == end && !last_starts(ac, *p))
					break;
			}
			s = t[s + cls[*p++]];
			if (s & AC_OUT16) {
				s &= ~AC_OUT16;
				if ((size_t)(p - data) > report_from &&
				    (rc = report(ac, ac->orig[s / ac->ncls], (size_t)(p - data), cb, ctx)))
					return rc;
			}
		}
		return 0;
	}
	while (p < end) {
		if (s == 0) {
			while (p + 1 < end && !pair_starts(ac, p))
				p++;
			if (p + 1 == end && !last_starts(ac, *p))
				break;
		}
		s = ac->table[s + cls[*p++]];
		if (s & AC_OUT) {
			s = AC_STATE(s);
			if ((size_t)(p - data) > report_from &&
			    (rc = report(ac, ac->orig[s / ac->ncls], (size_t)(p - data), cb, ctx)))
				return rc;
		}
	}
	return 0;
}

/* Four streams in lock step. A DFA step waits for the previous one's load, so one
 * stream runs at the memory latency; four independent streams over four
 * segments of a block fill the pipeline instead. Each stream starts from the root
 * maxlen - 1 bytes before its segment (every occurrence ending in the segment
 * begins there or later) and keeps its hits; the hits are reported segment by
 * segment, so the callback sees them in the order of a single stream. */
#define AC_LANES 4
#define AC_SEG 16384          /* bytes a stream scans in one block, at most */
#define AC_LANE_MIN 1024      /* shorter data is scanned by one stream */

struct ac_hits {
	struct ac_hit {
		uint32_t row;
		size_t end;
	} *v;
	size_t n, cap;
};

static int hits_push(struct ac_hits *h, uint32_t row, size_t end)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct ac_hit *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].row = row;
	h->v[h->n].end = end;
	h->n++;
	return 0;
}

/* The state after the bytes [from, to) read from the root, with no reports. */
static uint32_t run_quiet(const struct scan_ac *ac, const unsigned char *d, size_t from,
			  size_t to)
{
	uint32_t s = 0;

	for (; from < to; from++)
		s = ac->table16 ? ac->table16[s + ac->cls[d[from]]] & ~AC_OUT16
				: AC_STATE(ac->table[s + ac->cls[d[from]]]);
	return s;
}

#define AC_HIT(OUT, k)                                                              \
	do {                                                                        \
		if (st[k] & (OUT)) {                                                \
			st[k] &= ~(uint32_t)(OUT);                                  \
			if (hits_push(&h[k], st[k], start[k] + i + 1) < 0)          \
				goto oom;                                           \
		}                                                                   \
	} while (0)

/* One byte in each stream; the rare hits are looked at together. */
#define AC_LANES_LOOP(T, OUT)                                                       \
	do {                                                                        \
		const T *t = (const T *)table;                                      \
		uint32_t st[AC_LANES];                                              \
		for (k = 0; k < AC_LANES; k++)                                      \
			st[k] = s0[k];                                              \
		for (i = 0; i < seg; i++) {                                         \
			st[0] = t[st[0] + cls[p[0][i]]];                            \
			st[1] = t[st[1] + cls[p[1][i]]];                            \
			st[2] = t[st[2] + cls[p[2][i]]];                            \
			st[3] = t[st[3] + cls[p[3][i]]];                            \
			if ((st[0] | st[1] | st[2] | st[3]) & (OUT)) {              \
				AC_HIT(OUT, 0);                                     \
				AC_HIT(OUT, 1);                                     \
				AC_HIT(OUT, 2);                                     \
				AC_HIT(OUT, 3);                                     \
			}                                                           \
		}                                                                   \
	} while (0)

int scan_ac_scan(const struct scan_ac *ac, const void *data, size_t len, scan_ac_cb cb,
		 void *ctx)
{
	const unsigned char *d = data;
	const unsigned char *cls = ac->cls;
	const void *table = ac->table16 ? (const void *)ac->table16 : (const void *)ac->table;
	size_t ov = ac->maxlen ? ac->maxlen - 1 : 0, pos = 0, i, j;
	struct ac_hits h[AC_LANES];
	int k, rc = 0;

	memset(h, 0, sizeof(h));
	while (len - pos >= AC_LANE_MIN && ov < AC_LANE_MIN / AC_LANES / 4) {
		size_t seg = (len - pos) / AC_LANES, start[AC_LANES];
		const unsigned char *p[AC_LANES];
		uint32_t s0[AC_LANES];

		if (seg > AC_SEG)
			seg = AC_SEG;
		for (k = 0; k < AC_LANES; k++) {
			start[k] = pos + (size_t)k * seg;
			p[k] = d + start[k];
			s0[k] = run_quiet(ac, d, start[k] > ov ? start[k] - ov : 0, start[k]);
			h[k].n = 0;
		}
		if (ac->table16)
			AC_LANES_LOOP(uint16_t, AC_OUT16);
		else
			AC_LANES_LOOP(uint32_t, AC_OUT);
		for (k = 0; k < AC_LANES; k++)
			for (j = 0; j < h[k].n; j++)
				if ((rc = report(ac, ac->orig[h[k].v[j].row / ac->ncls], h[k].v[j].end,
						 cb, ctx)))
					goto done;
		pos += AC_LANES * seg;
	}
	rc = scan_one(ac, d, pos > ov ? pos - ov : 0, pos, len, cb, ctx);
	goto done;
oom:
	/* No memory for the hits: one stream needs none. */
	rc = scan_one(ac, d, pos > ov ? pos - ov : 0, pos, len, cb, ctx);
done:
	for (k = 0; k < AC_LANES; k++)
		free(h[k].v);
	return rc;
}
