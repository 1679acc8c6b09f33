/* The statistics behind gth-canary judge, exposed for unit tests. */
#ifndef GTH_CANARY_JUDGE_H
#define GTH_CANARY_JUDGE_H

#include <stddef.h>

/* Two-sided Mann-Whitney U test of x against y (NaN already removed), normal
 * approximation with tie correction and continuity correction (as scipy's
 * mannwhitneyu(..., method="asymptotic", use_continuity=True)). *u is U of x.
 * p is 1 when every value is the same. -1 when a sample is empty or memory runs out. */
int mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u, double *p);

enum verdict { V_PASS, V_HIGH, V_LOW, V_NODATA };

struct judgement {
	enum verdict verdict;
	double u, p;
	double canary_mean, baseline_mean;
	double ratio;          /* canary mean / baseline mean (effect size) */
	size_t canary_n, baseline_n, nan_dropped;
};

/* Judge one metric: NaN samples are dropped; an empty side is Nodata; the
 * verdict is High or Low when p < 1 - confidence and the ratio leaves
 * [1 - tolerance, 1 + tolerance] in a direction that counts ("increase",
 * "decrease" or "either"), else Pass. Modifies neither array. */
int judge_metric(struct judgement *j, const double *canary, size_t nc, const double *baseline,
		 size_t nb, double confidence, double tolerance, const char *direction);

const char *verdict_name(enum verdict v);

#endif
