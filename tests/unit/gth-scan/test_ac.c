#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ac.h"

struct hits {
	char buf[512];
	size_t len;
};

static int collect(void *ctx, uint32_t id, size_t end)
{
	struct hits *h = ctx;

	h->len += (size_t)snprintf(h->buf + h->len, sizeof(h->buf) - h->len, "%u@%zu ", id, end);
	return 0;
}

static void test_matches(void **state)
{
	static const char *const pats[] = { "he", "she", "his", "hers", "ghp_", "a" };
	static const struct { const char *text; const char *want; } cases[] = {
		{ "", "" },
		{ "ushers", "1@4 0@4 3@6 " },
		{ "USHERS", "1@4 0@4 3@6 " },
		{ "xx GHP_abc", "4@7 5@8 " },
		{ "hishe", "2@3 1@5 0@5 " },
		{ "aaa", "5@1 5@2 5@3 " },
		{ "nothing", "" },
	};
	struct scan_ac *ac = scan_ac_new(pats, 6);
	size_t i;

	(void)state;
	assert_non_null(ac);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hits h = { "", 0 };

		assert_int_equal(scan_ac_scan(ac, cases[i].text, strlen(cases[i].text), collect, &h), 0);
		assert_string_equal(h.buf, cases[i].want);
	}
	scan_ac_free(ac);
}

static int stop_first(void *ctx, uint32_t id, size_t end)
{
	(void)ctx;
	(void)end;
	return (int)id + 10;
}

static void test_stop_and_binary(void **state)
{
	static const char *const pats[] = { "k\x01y", "key" };
	static const char data[] = "x\0k\x01y key";
	struct scan_ac *ac = scan_ac_new(pats, 2);
	struct hits h = { "", 0 };

	(void)state;
	assert_non_null(ac);
	assert_int_equal(scan_ac_scan(ac, data, sizeof(data) - 1, stop_first, NULL), 10);
	assert_int_equal(scan_ac_scan(ac, data, sizeof(data) - 1, collect, &h), 0);
	assert_string_equal(h.buf, "0@5 1@9 ");
	scan_ac_free(ac);
	assert_null(scan_ac_new((const char *const[]){ "" }, 1));
	scan_ac_free(NULL);
}

/* Every occurrence, by brute force: the reference for the scanner. */
struct occ {
	size_t end;
	uint32_t id;
};

struct occs {
	struct occ *v;
	size_t n, cap, stop_at;
	int order_broken;
};

static int occ_add(void *ctx, uint32_t id, size_t end)
{
	struct occs *o = ctx;

	if (o->n && end < o->v[o->n - 1].end)
		o->order_broken = 1;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->v = realloc(o->v, o->cap * sizeof(*o->v));
		assert_non_null(o->v);
	}
	o->v[o->n].end = end;
	o->v[o->n].id = id;
	o->n++;
	return o->stop_at && o->n == o->stop_at ? 7 : 0;
}

static int occ_cmp(const void *pa, const void *pb)
{
	const struct occ *a = pa, *b = pb;

	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

static void check_against_naive(const char *const *pats, size_t npats, const char *text,
				size_t len)
{
	struct scan_ac *ac = scan_ac_new(pats, npats);
	struct occs got = { 0 }, want = { 0 };
	size_t end, i;

	assert_non_null(ac);
	for (end = 1; end <= len; end++)
		for (i = 0; i < npats; i++) {
			size_t pl = strlen(pats[i]);

			if (pl <= end && ieq(text + end - pl, pats[i], pl))
				occ_add(&want, (uint32_t)i, end);
		}
	assert_int_equal(scan_ac_scan(ac, text, len, occ_add, &got), 0);
	assert_false(got.order_broken);
	assert_int_equal(got.n, want.n);
	if (got.n)
		qsort(got.v, got.n, sizeof(*got.v), occ_cmp);
	for (i = 0; i < got.n; i++) {
		assert_int_equal(got.v[i].end, want.v[i].end);
		assert_int_equal(got.v[i].id, want.v[i].id);
	}
	/* A callback that stops the scan stops it at once, wherever the hit is. */
	if (want.n > 2) {
		struct occs stop = { 0 };

		stop.stop_at = want.n / 2 + 1;
		assert_int_equal(scan_ac_scan(ac, text, len, occ_add, &stop), 7);
		assert_int_equal(stop.n, stop.stop_at);
		free(stop.v);
	}
	free(got.v);
	free(want.v);
	scan_ac_free(ac);
}

/* Random text over the patterns' letters with patterns planted, at lengths around
 * the points where the scanner splits the data into streams and blocks. */
static void test_against_naive(void **state)
{
	static const char *const pats[] = {
		"he", "she", "his", "hers", "key", "token", "secret", "a", "zz",
		"abcdefghijklmnopqrstuvwxyz0", "ghp_", "sk_live_",
	};
	static const size_t lens[] = { 0, 1, 2, 27, 1023, 1024, 1025, 4099, 65536, 65537,
				       70001, 200003 };
	static const char alpha[] = "aAbcdeEghHiklmnoprsStuvwxyz0_ \n";
	char *long_pat = malloc(100), *text = malloc(200003);
	const char *with_long[] = { "key", "token", NULL };
	size_t i, j, n = sizeof(pats) / sizeof(pats[0]);
	unsigned seed = 12345;

	(void)state;
	assert_non_null(long_pat);
	assert_non_null(text);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (j = 0; j < lens[i]; j++) {
			seed = seed * 1103515245u + 12345u;
			text[j] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			if ((seed >> 8) % 97 == 0) {
				const char *pp = pats[(seed >> 20) % n];
				size_t k;

				for (k = 0; pp[k] && j < lens[i]; k++)
					text[j++] = pp[k];
				j--;
			}
		}
		check_against_naive(pats, n, text, lens[i]);
		/* A pattern longer than the streams' overlap: one stream. */
		memset(long_pat, 'k', 99);
		long_pat[99] = '\0';
		with_long[2] = long_pat;
		check_against_naive(with_long, 3, text, lens[i]);
	}
	/* The longest pattern over and over, at every alignment with the streams'
	 * boundaries. */
	for (i = 0; i < 30; i++) {
		memset(text, '.', i);
		for (j = i; j < 4096; j++)
			text[j] = pats[9][(j - i) % 28 < 27 ? (j - i) % 28 : 0];
		check_against_naive(pats, n, text, 4096);
	}
	free(long_pat);
	free(text);
}

/* Enough states and letters for the 32-bit transition table. */
static void test_big_automaton(void **state)
{
	enum { N = 3000, L = 8 };
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789_-.:";
	char **pats = malloc(N * sizeof(*pats)), *text = malloc(30000);
	unsigned seed = 7;
	size_t i, j;

	(void)state;
	assert_non_null(pats);
	assert_non_null(text);
	for (i = 0; i < N; i++) {
		pats[i] = malloc(L + 1);
		assert_non_null(pats[i]);
		for (j = 0; j < L; j++) {
			seed = seed * 1103515245u + 12345u;
			pats[i][j] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		pats[i][L] = '\0';
	}
	for (j = 0; j < 30000; j++) {
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 8) % 50 == 0 && j + L <= 30000) {
			memcpy(text + j, pats[(seed >> 12) % N], L);
			j += L - 1;
		} else {
			text[j] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
	}
	check_against_naive((const char *const *)pats, N, text, 30000);
	for (i = 0; i < N; i++)
		free(pats[i]);
	free(pats);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_stop_and_binary),
		cmocka_unit_test(test_against_naive),
		cmocka_unit_test(test_big_automaton),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
