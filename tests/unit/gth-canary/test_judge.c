/* Mann-Whitney U and the per-metric verdicts. Reference p-values: the normal
 * approximation with tie and continuity corrections (scipy.stats.mannwhitneyu,
 * method="asymptotic"), worked by hand for these samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "judge.h"
#include "gth/util.h"

static void test_mann_whitney(void **state)
{
	static const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	static const double c[] = { 1, 2, 2, 3 }, d[] = { 2, 3, 4, 4 };
	static const double same[] = { 5, 5, 5 };
	double u, p;
	(void)state;
	assert_int_equal(mann_whitney(a, 5, b, 5, &u, &p), 0);
	assert_true(fabs(u - 0) < 1e-12);
	/* sigma = sqrt(25/12 * 11) = 4.7871; z = (12.5 - 0.5) / sigma = 2.5067 */
	assert_true(fabs(p - 0.012186) < 1e-5);
	assert_int_equal(mann_whitney(b, 5, a, 5, &u, &p), 0);
	assert_true(fabs(u - 25) < 1e-12);
	assert_true(fabs(p - 0.012186) < 1e-5);
	/* ties: ranks 1, 3, 3, 3, 5.5, 5.5, 7.5, 7.5; R = 1+3+3+5.5 = 12.5, U = 12.5 - 10 */
	assert_int_equal(mann_whitney(c, 4, d, 4, &u, &p), 0);
	assert_true(fabs(u - 2.5) < 1e-12);
	/* ties: t=3 (2s), t=2 (3s), t=2 (4s): sum t^3-t = 24+6+6 = 36;
	 * sigma^2 = 16/12 * (9 - 36/56) = 11.1429; z = (8 - 2.5 - 0.5)/3.3381 = 1.4979 */
	assert_true(fabs(p - 0.134169) < 1e-5);
	assert_int_equal(mann_whitney(same, 3, same, 3, &u, &p), 0);
	assert_true(p == 1.0);
	assert_int_equal(mann_whitney(a, 0, b, 5, &u, &p), -1);
}

static void test_verdicts(void **state)
{
	double base[30], slow[30], good[30], withnan[30];
	struct judgement j;
	size_t i;
	(void)state;
	for (i = 0; i < 30; i++) {
		base[i] = 0.100 + 0.001 * (double)(i % 10);
		good[i] = 0.1005 + 0.001 * (double)((i + 3) % 10);
		slow[i] = 0.160 + 0.001 * (double)(i % 10);
		withnan[i] = i % 2 ? NAN : base[i];
	}
	assert_int_equal(judge_metric(&j, good, 30, base, 30, 0.98, 0.25, "either"), 0);
	assert_int_equal(j.verdict, V_PASS);
	assert_int_equal(judge_metric(&j, slow, 30, base, 30, 0.98, 0.25, "either"), 0);
	assert_int_equal(j.verdict, V_HIGH);
	assert_true(j.p < 1e-6 && j.ratio > 1.5);
	assert_int_equal(judge_metric(&j, slow, 30, base, 30, 0.98, 0.25, "decrease"), 0);
	assert_int_equal(j.verdict, V_PASS);
	assert_int_equal(judge_metric(&j, base, 30, slow, 30, 0.98, 0.25, "either"), 0);
	assert_int_equal(j.verdict, V_LOW);
	assert_int_equal(judge_metric(&j, base, 30, slow, 30, 0.98, 0.25, "increase"), 0);
	assert_int_equal(j.verdict, V_PASS);
	/* significant but within tolerance */
	assert_int_equal(judge_metric(&j, slow, 30, base, 30, 0.98, 0.7, "either"), 0);
	assert_int_equal(j.verdict, V_PASS);
	assert_int_equal(judge_metric(&j, withnan, 30, base, 30, 0.98, 0.25, "either"), 0);
	assert_int_equal(j.nan_dropped, 15);
	assert_int_equal(j.canary_n, 15);
	assert_int_equal(judge_metric(&j, withnan, 0, base, 30, 0.98, 0.25, "either"), 0);
	assert_int_equal(j.verdict, V_NODATA);
	assert_string_equal(verdict_name(V_NODATA), "Nodata");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mann_whitney), cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
