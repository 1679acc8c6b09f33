#include <stdlib.h>
#include <string.h>

#include "ac.h"

#define AC_OUT 0x80000000u
#define AC_STATE(v) ((v) & ~AC_OUT)

struct scan_ac {
	uint32_t n;          /* states */
	uint32_t *delta;     /* n * 256; AC_OUT set when the target reports something */
	uint32_t *own;       /* first pattern ending in the state, or UINT32_MAX */
	uint32_t *next_pat;  /* next pattern ending in the same state */
	uint32_t *out_link;  /* nearest fail ancestor that reports, or 0 (root never does) */
	uint32_t *pat_len;
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
	/* Fold case into the table so the scan loop needs no second lookup. */
	for (s = 0; s < ac->n; s++) {
		int c;

		for (c = 'A'; c <= 'Z'; c++)
			ac->delta[(size_t)s * 256 + c] = ac->delta[(size_t)s * 256 + c + 32];
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

int scan_ac_scan(const struct scan_ac *ac, const void *data, size_t len, scan_ac_cb cb,
		 void *ctx)
{
	const unsigned char *p = data, *end = p + len;
	const uint32_t *delta = ac->delta;
	uint32_t s = 0;
	int rc;

	while (p < end) {
		s = delta[(size_t)s * 256 + *p++];
		if (s & AC_OUT) {
			s = AC_STATE(s);
			if ((rc = report(ac, s, (size_t)(p - (const unsigned char *)data), cb, ctx)))
				return rc;
		}
	}
	return 0;
}
