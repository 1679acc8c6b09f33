#include "cvss.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Metrics of one vector: up to 32 "KEY:VALUE" pairs. */
struct cvss_metrics {
	char key[32][5];
	char val[32];
	int n;
};

static int cvss_split(struct cvss_metrics *m, const char *s)
{
	m->n = 0;
	while (*s) {
		const char *colon = strchr(s, ':'), *slash;
		size_t kl;

		if (colon == NULL)
			return -1;
		slash = strchr(colon, '/');
		kl = (size_t)(colon - s);
		if (kl == 0 || kl > 4 || m->n >= 32)
			return -1;
		/* values are one letter in 3.x and 4.0 */
		if ((slash ? (size_t)(slash - colon - 1) : strlen(colon + 1)) != 1)
			return -1;
		for (int i = 0; i < m->n; i++)
			if (strncmp(m->key[i], s, kl) == 0 && m->key[i][kl] == '\0')
				return -1;
		memcpy(m->key[m->n], s, kl);
		m->key[m->n][kl] = '\0';
		m->val[m->n] = colon[1];
		m->n++;
		if (slash == NULL)
			break;
		s = slash + 1;
	}
	return 0;
}

static char cvss_get(const struct cvss_metrics *m, const char *key)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return 0;
}

/* value of c in "LETTERS" -> weights[] */
static int pick(char c, const char *letters, const double *weights, double *out)
{
	const char *p = c ? strchr(letters, c) : NULL;

	if (p == NULL)
		return -1;
	*out = weights[p - letters];
	return 0;
}

static double roundup31(double x)
{
	long long i = llround(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (floor((double)i / 10000.0) + 1.0) / 10.0;
}

static double roundup30(double x)
{
	return ceil(x * 10.0 - 1e-9) / 10.0;
}

static int cvss3_score(const struct cvss_metrics *m, int minor, double *score)
{
	static const double av_w[] = { 0.85, 0.62, 0.55, 0.2 };
	static const double ac_w[] = { 0.77, 0.44 };
	static const double ui_w[] = { 0.85, 0.62 };
	static const double cia_w[] = { 0.56, 0.22, 0.0 };
	double av, ac, pr, ui, c, i, a, iss, impact, expl, base;
	char s = cvss_get(m, "S"), prc = cvss_get(m, "PR");
	const char *base_keys[] = { "AV", "AC", "PR", "UI", "S", "C", "I", "A" };

	for (size_t k = 0; k < 8; k++)
		if (cvss_get(m, base_keys[k]) == 0)
			return -1;
	if (s != 'U' && s != 'C')
		return -1;
	if (pick(cvss_get(m, "AV"), "NALP", av_w, &av) < 0 || pick(cvss_get(m, "AC"), "LH", ac_w, &ac) < 0 ||
	    pick(cvss_get(m, "UI"), "NR", ui_w, &ui) < 0 || pick(cvss_get(m, "C"), "HLN", cia_w, &c) < 0 ||
	    pick(cvss_get(m, "I"), "HLN", cia_w, &i) < 0 || pick(cvss_get(m, "A"), "HLN", cia_w, &a) < 0)
		return -1;
	switch (prc) {
	case 'N': pr = 0.85; break;
	case 'L': pr = s == 'C' ? 0.68 : 0.62; break;
	case 'H': pr = s == 'C' ? 0.5 : 0.27; break;
	default: return -1;
	}
	iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
	if (s == 'U')
		impact = 6.42 * iss;
	else
		impact = 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0) {
		*score = 0.0;
		return 0;
	}
	if (s == 'U')
		base = fmin(impact + expl, 10.0);
	else
		base = fmin(1.08 * (impact + expl), 10.0);
	*score = minor >= 1 ? roundup31(base) : roundup30(base);
	return 0;
}

/* ---- CVSS 4.0 -------------------------------------------------------------- */

/* Scores of the MacroVectors "EQ1 EQ2 EQ3 EQ4 EQ5 EQ6", from the specification's
 * lookup table; 0 marks combinations that do not exist. */
static const char *const mv_keys =
	"000000 000001 000010 000011 000020 000021 000100 000101 000110 000111 000120 000121 "
	"000200 000201 000210 000211 000220 000221 001000 001001 001010 001011 001020 001021 "
	"001100 001101 001110 001111 001120 001121 001200 001201 001210 001211 001220 001221 "
	"002001 002011 002021 002101 002111 002121 002201 002211 002221 "
	"010000 010001 010010 010011 010020 010021 010100 010101 010110 010111 010120 010121 "
	"010200 010201 010210 010211 010220 010221 011000 011001 011010 011011 011020 011021 "
	"011100 011101 011110 011111 011120 011121 011200 011201 011210 011211 011220 011221 "
	"012001 012011 012021 012101 012111 012121 012201 012211 012221 "
	"100000 100001 100010 100011 100020 100021 100100 100101 100110 100111 100120 100121 "
	"100200 100201 100210 100211 100220 100221 101000 101001 101010 101011 101020 101021 "
	"101100 101101 101110 101111 101120 101121 101200 101201 101210 101211 101220 101221 "
	"102001 102011 102021 102101 102111 102121 102201 102211 102221 "
	"110000 110001 110010 110011 110020 110021 110100 110101 110110 110111 110120 110121 "
	"110200 110201 110210 110211 110220 110221 111000 111001 111010 111011 111020 111021 "
	"111100 111101 111110 111111 111120 111121 111200 111201 111210 111211 111220 111221 "
	"112001 112011 112021 112101 112111 112121 112201 112211 112221 "
	"200000 200001 200010 200011 200020 200021 200100 200101 200110 200111 200120 200121 "
	"200200 200201 200210 200211 200220 200221 201000 201001 201010 201011 201020 201021 "
	"201100 201101 201110 201111 201120 201121 201200 201201 201210 201211 201220 201221 "
	"202001 202011 202021 202101 202111 202121 202201 202211 202221 "
	"210000 210001 210010 210011 210020 210021 210100 210101 210110 210111 210120 210121 "
	"210200 210201 210210 210211 210220 210221 211000 211001 211010 211011 211020 211021 "
	"211100 211101 211110 211111 211120 211121 211200 211201 211210 211211 211220 211221 "
	"212001 212011 212021 212101 212111 212121 212201 212211 212221";

static const double mv_scores[] = {
	10, 9.9, 9.8, 9.5, 9.5, 9.2, 10, 9.6, 9.3, 8.7, 9.1, 8.1,
	9.3, 9, 8.9, 8, 8.1, 6.8, 9.8, 9.5, 9.5, 9.2, 9, 8.4,
	9.3, 9.2, 8.9, 8.1, 8.1, 6.5, 8.8, 8, 7.8, 7, 6.9, 4.8,
	9.2, 8.2, 7.2, 7.9, 6.9, 5, 6.9, 5.5, 2.7,
	9.9, 9.7, 9.5, 9.2, 9.2, 8.5, 9.5, 9.1, 9, 8.3, 8.4, 7.1,
	9.2, 8.1, 8.2, 7.1, 7.2, 5.3, 9.5, 9.3, 9.2, 8.5, 8.5, 7.3,
	9.2, 8.2, 8, 7.2, 7, 5.9, 8.4, 7, 7.1, 5.2, 5, 3,
	8.6, 7.5, 5.2, 7.1, 5.2, 2.9, 6.3, 2.9, 1.7,
	9.8, 9.5, 9.4, 8.7, 9.1, 8.1, 9.4, 8.9, 8.6, 7.4, 7.7, 6.4,
	8.7, 7.5, 7.4, 6.3, 6.3, 4.9, 9.4, 8.9, 8.8, 7.7, 7.6, 6.7,
	8.6, 7.6, 7.4, 5.8, 5.9, 5, 7.2, 5.7, 5.7, 5.2, 5.2, 2.5,
	8.3, 7, 5.4, 6.5, 5.8, 2.6, 5.3, 2.1, 1.3,
	9.5, 9, 8.8, 7.6, 7.6, 7, 9, 7.7, 7.5, 6.2, 6.1, 5.3,
	7.7, 6.6, 6.8, 5.9, 5.2, 3, 8.9, 7.8, 7.6, 6.7, 6.2, 5.8,
	7.4, 5.9, 5.7, 5.7, 4.7, 2.3, 6.1, 5.2, 5.7, 2.9, 2.4, 1.6,
	7.1, 5.9, 3, 5.8, 2.6, 1.5, 2.3, 1.3, 0.6,
	9.3, 8.7, 8.6, 7.2, 7.5, 5.8, 8.6, 7.4, 7.4, 6.1, 5.6, 3.4,
	7, 5.4, 5.2, 4, 4, 2.2, 8.5, 7.5, 7.4, 5.5, 6.2, 5.1,
	7.2, 5.7, 5.5, 4.1, 4.6, 1.9, 5.3, 3.6, 3.4, 1.9, 1.9, 0.8,
	6.4, 5.1, 2, 4.7, 2.1, 1.1, 2.4, 0.9, 0.4,
	8.8, 7.5, 7.3, 5.3, 6, 5, 7.3, 5.5, 5.9, 4, 4.1, 2,
	5.4, 4.3, 4.5, 2.2, 2, 1.1, 7.5, 5.5, 5.8, 4.5, 4, 2.1,
	6.1, 5.1, 4.8, 1.8, 2, 0.9, 4.6, 1.8, 1.7, 0.7, 0.8, 0.2,
	5.3, 2.4, 1.4, 2.4, 1.2, 0.5, 1, 0.3, 0.1,
};

/* -1 when the MacroVector does not exist. */
static double mv_lookup(int e1, int e2, int e3, int e4, int e5, int e6)
{
	char key[7];
	const char *p;

	if (e1 < 0 || e2 < 0 || e3 < 0 || e4 < 0 || e5 < 0 || e6 < 0 || e1 > 9 || e2 > 9 || e3 > 9 ||
	    e4 > 9 || e5 > 9 || e6 > 9)
		return -1;
	snprintf(key, sizeof(key), "%d%d%d%d%d%d", e1, e2, e3, e4, e5, e6);
	p = strstr(mv_keys, key);
	while (p && (p - mv_keys) % 7 != 0)
		p = strstr(p + 1, key);
	if (p == NULL)
		return -1;
	return mv_scores[(p - mv_keys) / 7];
}

/* The effective value of a metric: M* overrides, X defaults. */
static char m4(const struct cvss_metrics *m, const char *key)
{
	char mk[6], v;

	if (strcmp(key, "E") == 0) {
		v = cvss_get(m, "E");
		return v == 0 || v == 'X' ? 'A' : v;
	}
	if (strcmp(key, "CR") == 0 || strcmp(key, "IR") == 0 || strcmp(key, "AR") == 0) {
		v = cvss_get(m, key);
		return v == 0 || v == 'X' ? 'H' : v;
	}
	snprintf(mk, sizeof(mk), "M%s", key);
	v = cvss_get(m, mk);
	if (v != 0 && v != 'X')
		return v;
	return cvss_get(m, key);
}

/* Severity distance level of value c for metric key (tenths, as in the spec). */
static int level4(const char *key, char c)
{
	static const struct { const char *key; const char *vals; const int lv[4]; } t[] = {
		{ "AV", "NALP", { 0, 1, 2, 3 } }, { "PR", "NLH", { 0, 1, 2, 0 } },
		{ "UI", "NPA", { 0, 1, 2, 0 } },  { "AC", "LH", { 0, 1, 0, 0 } },
		{ "AT", "NP", { 0, 1, 0, 0 } },   { "VC", "HLN", { 0, 1, 2, 0 } },
		{ "VI", "HLN", { 0, 1, 2, 0 } },  { "VA", "HLN", { 0, 1, 2, 0 } },
		{ "SC", "HLN", { 1, 2, 3, 0 } },  { "SI", "SHLN", { 0, 1, 2, 3 } },
		{ "SA", "SHLN", { 0, 1, 2, 3 } }, { "CR", "HML", { 0, 1, 2, 0 } },
		{ "IR", "HML", { 0, 1, 2, 0 } },  { "AR", "HML", { 0, 1, 2, 0 } },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(t[i].key, key) == 0) {
			const char *p = strchr(t[i].vals, c);
			return p ? t[i].lv[p - t[i].vals] : 0;
		}
	}
	return 0;
}

/* Highest-severity vectors of each EQ level ("KEY:V/..."), from the spec. */
static const char *const eq1_max[3][3] = {
	{ "AV:N/PR:N/UI:N", NULL, NULL },
	{ "AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P" },
	{ "AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P", NULL },
};
static const char *const eq2_max[2][2] = {
	{ "AC:L/AT:N", NULL },
	{ "AC:H/AT:N", "AC:L/AT:P" },
};
/* [eq3][eq6] */
static const char *const eq36_max[3][2][5] = {
	{ { "VC:H/VI:H/VA:H/CR:H/IR:H/AR:H", NULL, NULL, NULL, NULL },
	  { "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M", NULL, NULL, NULL } },
	{ { "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H", NULL, NULL, NULL },
	  { "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
	    "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
	    "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M" } },
	{ { NULL, NULL, NULL, NULL, NULL }, { "VC:L/VI:L/VA:L/CR:H/IR:H/AR:H", NULL, NULL, NULL, NULL } },
};
static const char *const eq4_max[3] = { "SC:H/SI:S/SA:S", "SC:H/SI:H/SA:H", "SC:L/SI:L/SA:L" };

static char max_val(const char *vec, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = vec; p && *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return p[kl + 1];
	return 0;
}

static int cvss4_score(const struct cvss_metrics *m, double *score)
{
	static const char *const required[] = { "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA" };
	static const char *const allowed[][2] = {
		{ "AV", "NALP" }, { "AC", "LH" }, { "AT", "NP" }, { "PR", "NLH" }, { "UI", "NPA" },
		{ "VC", "HLN" }, { "VI", "HLN" }, { "VA", "HLN" }, { "SC", "HLN" }, { "SI", "HLN" },
		{ "SA", "HLN" },
	};
	static const char *const dist_keys[] = { "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA",
						  "SC", "SI", "SA", "CR", "IR", "AR" };
	static const double max_sev_eq1[] = { 1, 4, 5 }, max_sev_eq2[] = { 1, 2 };
	static const double max_sev_eq36[3][2] = { { 7, 6 }, { 8, 8 }, { 0, 10 } };
	static const double max_sev_eq4[] = { 6, 5, 4 };
	char av, pr, ui, ac, at, vc, vi, va, sc, si, sa, cr, ir, ar, e, msi, msa;
	int eq1, eq2, eq3, eq4, eq5, eq6, found = 0;
	double value, lower[5], dist[14] = { 0 }, sum = 0;
	int nlower = 0;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char v = cvss_get(m, required[i]);
		if (v == 0 || strchr(allowed[i][1], v) == NULL)
			return -1;
	}
	av = m4(m, "AV"); pr = m4(m, "PR"); ui = m4(m, "UI"); ac = m4(m, "AC"); at = m4(m, "AT");
	vc = m4(m, "VC"); vi = m4(m, "VI"); va = m4(m, "VA"); sc = m4(m, "SC");
	si = m4(m, "SI"); sa = m4(m, "SA");
	cr = m4(m, "CR"); ir = m4(m, "IR"); ar = m4(m, "AR"); e = m4(m, "E");
	msi = cvss_get(m, "MSI");
	msa = cvss_get(m, "MSA");
	if (vc == 'N' && vi == 'N' && va == 'N' && sc == 'N' && si == 'N' && sa == 'N') {
		*score = 0.0;
		return 0;
	}
	if (av == 'N' && pr == 'N' && ui == 'N')
		eq1 = 0;
	else if ((av == 'N' || pr == 'N' || ui == 'N') && av != 'P')
		eq1 = 1;
	else
		eq1 = 2;
	eq2 = ac == 'L' && at == 'N' ? 0 : 1;
	if (vc == 'H' && vi == 'H')
		eq3 = 0;
	else if (vc == 'H' || vi == 'H' || va == 'H')
		eq3 = 1;
	else
		eq3 = 2;
	if (msi == 'S' || msa == 'S')
		eq4 = 0;
	else if (sc == 'H' || si == 'H' || sa == 'H')
		eq4 = 1;
	else
		eq4 = 2;
	eq5 = e == 'A' ? 0 : e == 'P' ? 1 : 2;
	eq6 = (cr == 'H' && vc == 'H') || (ir == 'H' && vi == 'H') || (ar == 'H' && va == 'H') ? 0 : 1;

	value = mv_lookup(eq1, eq2, eq3, eq4, eq5, eq6);
	if (value < 0)
		return -1;
	lower[0] = mv_lookup(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
	lower[1] = mv_lookup(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
	if (eq3 == 0 && eq6 == 0) {
		double l = mv_lookup(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
		double r = mv_lookup(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
		lower[2] = l > r ? l : r;
	} else if (eq3 == 1 && eq6 == 0) {
		lower[2] = mv_lookup(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
	} else if ((eq3 == 0 || eq3 == 1) && eq6 == 1) {
		lower[2] = mv_lookup(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
	} else {
		lower[2] = mv_lookup(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1);
	}
	lower[3] = mv_lookup(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
	lower[4] = mv_lookup(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

	/* the first highest-severity vector the scored one is not above */
	for (int i1 = 0; i1 < 3 && !found; i1++) {
		const char *v1 = eq1_max[eq1][i1];
		if (v1 == NULL)
			break;
		for (int i2 = 0; i2 < 2 && !found; i2++) {
			const char *v2 = eq2_max[eq2][i2];
			if (v2 == NULL)
				break;
			for (int i3 = 0; i3 < 5 && !found; i3++) {
				const char *v3 = eq36_max[eq3][eq6][i3];
				const char *v4 = eq4_max[eq4];
				const char *vecs[4] = { v1, v2, v3, v4 };
				const char cur[14] = { av, pr, ui, ac, at, vc, vi, va, sc, si, sa, cr, ir, ar };
				int neg = 0;
				if (v3 == NULL)
					break;
				for (int k = 0; k < 14; k++) {
					char mv = 0;
					for (int j = 0; j < 4 && mv == 0; j++)
						mv = max_val(vecs[j], dist_keys[k]);
					dist[k] = (level4(dist_keys[k], cur[k]) - level4(dist_keys[k], mv)) / 10.0;
					if (dist[k] < 0)
						neg = 1;
				}
				if (!neg)
					found = 1;
			}
		}
	}
	{
		double cur_eq[5], max_eq[5];
		cur_eq[0] = dist[0] + dist[1] + dist[2];
		cur_eq[1] = dist[3] + dist[4];
		cur_eq[2] = dist[5] + dist[6] + dist[7] + dist[11] + dist[12] + dist[13];
		cur_eq[3] = dist[8] + dist[9] + dist[10];
		cur_eq[4] = 0;
		max_eq[0] = max_sev_eq1[eq1] * 0.1;
		max_eq[1] = max_sev_eq2[eq2] * 0.1;
		max_eq[2] = max_sev_eq36[eq3][eq6] * 0.1;
		max_eq[3] = max_sev_eq4[eq4] * 0.1;
		max_eq[4] = 0.1;
		for (int k = 0; k < 5; k++) {
			if (lower[k] < 0)
				continue;
			nlower++;
			if (k == 4)
				continue;
			sum += (value - lower[k]) * (cur_eq[k] / max_eq[k]);
		}
	}
	if (nlower > 0)
		value -= sum / nlower;
	if (value < 0)
		value = 0;
	if (value > 10)
		value = 10;
	*score = round(value * 10.0) / 10.0;
	return 0;
}

int osv_cvss_score(const char *vector, double *score)
{
	struct cvss_metrics m;

	if (vector == NULL)
		return -1;
	if (strncmp(vector, "CVSS:3.0/", 9) == 0 || strncmp(vector, "CVSS:3.1/", 9) == 0) {
		if (cvss_split(&m, vector + 9) < 0)
			return -1;
		return cvss3_score(&m, vector[7] - '0', score);
	}
	if (strncmp(vector, "CVSS:4.0/", 9) == 0) {
		if (cvss_split(&m, vector + 9) < 0)
			return -1;
		return cvss4_score(&m, score);
	}
	return -1;
}

int osv_cvss_rating(double score)
{
	if (score <= 0.0)
		return 0;
	if (score < 4.0)
		return 1;
	if (score < 7.0)
		return 2;
	if (score < 9.0)
		return 3;
	return 4;
}
