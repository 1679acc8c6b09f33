/* The analysis condition language: table-driven against expr-lang's behaviour as
 * Argo Rollouts uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "gth/util.h"

enum rkind { R_NIL, R_FLOAT, R_VEC, R_JSON };

struct ecase {
	const char *cond;
	enum rkind kind;
	double f;
	const char *json;      /* R_JSON */
	int want;              /* 1 true, 0 false, -1 evaluation error, -2 compile error */
	const char *msg;       /* part of the error message */
};

static const double vec[] = { 0.995, 0.98 };

static const struct ecase cases[] = {
	{ "result >= 0.99", R_FLOAT, 0.995, NULL, 1, NULL },
	{ "result >= 0.99", R_FLOAT, 0.5, NULL, 0, NULL },
	{ "result >= 0.99", R_FLOAT, NAN, NULL, 0, NULL },
	{ "result < 0.99", R_FLOAT, NAN, NULL, 0, NULL },
	{ "result == result", R_FLOAT, NAN, NULL, 0, NULL },
	{ "isNaN(result)", R_FLOAT, NAN, NULL, 1, NULL },
	{ "isInf(result)", R_FLOAT, INFINITY, NULL, 1, NULL },
	{ "result[0] >= 0.99", R_VEC, 0, NULL, 1, NULL },
	{ "result[1] >= 0.99", R_VEC, 0, NULL, 0, NULL },
	{ "result[-1] == 0.98", R_VEC, 0, NULL, 1, NULL },
	{ "result[2] > 0", R_VEC, 0, NULL, -1, "index out of range: 2 (array length is 2)" },
	{ "len(result) == 2", R_VEC, 0, NULL, 1, NULL },
	{ "all(result, {# > 0.9})", R_VEC, 0, NULL, 1, NULL },
	{ "all(result, # > 0.99)", R_VEC, 0, NULL, 0, NULL },
	{ "any(result, # > 0.99)", R_VEC, 0, NULL, 1, NULL },
	{ "none(result, # > 1)", R_VEC, 0, NULL, 1, NULL },
	{ "one(result, # > 0.99)", R_VEC, 0, NULL, 1, NULL },
	{ "count(result, # > 0.9) == 2", R_VEC, 0, NULL, 1, NULL },
	{ "len(filter(result, # > 0.99)) == 1", R_VEC, 0, NULL, 1, NULL },
	{ "map(result, # * 100)[0] == 99.5", R_VEC, 0, NULL, 1, NULL },
	{ "result", R_FLOAT, 1, NULL, -1, "expected bool, but got float64" },
	{ "result", R_VEC, 0, NULL, -1, "expected bool, but got []float64" },
	{ "1 + 2 == 3 && 7 / 2 == 3.5 && 7 % 2 == 1 && 2 ** 3 == 8", R_NIL, 0, NULL, 1, NULL },
	{ "-result < 0 and not (result > 2) or false", R_FLOAT, 1, NULL, 1, NULL },
	{ "!(1 > 2) && true != false", R_NIL, 0, NULL, 1, NULL },
	{ "result > 1 ? true : false", R_FLOAT, 3, NULL, 1, NULL },
	{ "isNil(result)", R_NIL, 0, NULL, 1, NULL },
	{ "isNil(42)", R_NIL, 0, NULL, 1, NULL },          /* Argo binds isNil to result */
	{ "isNil(result)", R_VEC, 0, NULL, 0, NULL },
	{ "default(result, 5) == 5", R_NIL, 0, NULL, 1, NULL },
	{ "default(0, 5) == 1", R_FLOAT, 1, NULL, 1, NULL },
	{ "asInt(\"42\") == 42 && asFloat('1.5') == 1.5 && asInt(2.9) == 2", R_NIL, 0, NULL, 1, NULL },
	{ "asInt(\"4x\") == 4", R_NIL, 0, NULL, -1, "invalid syntax" },
	{ "result == 'ok'", R_JSON, 0, "\"ok\"", 1, NULL },
	{ "result == true", R_JSON, 0, "true", 1, NULL },
	{ "result.ok && result.n == 3 && result['n'] > 2", R_JSON, 0, "{\"ok\":true,\"n\":3}", 1, NULL },
	{ "result.missing == nil", R_JSON, 0, "{\"ok\":true}", 1, NULL },
	{ "'ok' in result && !('no' in result)", R_JSON, 0, "{\"ok\":1}", 1, NULL },
	{ "3 in result && 4 not in result", R_JSON, 0, "[1,2,3]", 1, NULL },
	{ "result contains 'ree' && result startsWith 'gr' && result endsWith 'en'", R_JSON, 0, "\"green\"", 1, NULL },
	{ "result matches '^gr[e]+n$'", R_JSON, 0, "\"green\"", 1, NULL },
	{ "result > 1", R_JSON, 0, "\"green\"", -1, "mismatched types string and int" },
	{ "result && true", R_FLOAT, 1, NULL, -1, "non-bool float64" },
	{ "result.x", R_FLOAT, 1, NULL, -1, "cannot fetch x from float64" },
	{ "all(result, .v > 0)", R_JSON, 0, "[{\"v\":1},{\"v\":2}]", 1, NULL },
	{ "len('abc') == 3 && abs(-2) == 2", R_NIL, 0, NULL, 1, NULL },
	{ "1_000 == 1000 && 1e3 == 1000.0 && .5 == 0.5", R_NIL, 0, NULL, 1, NULL },
	{ "\"a\\\"b\" == 'a\"b'", R_NIL, 0, NULL, 1, NULL },
	{ "[1, 2] == [1, 2]", R_NIL, 0, NULL, 1, NULL },
	/* compile errors */
	{ "", R_NIL, 0, NULL, -2, "empty condition" },
	{ "result >=", R_NIL, 0, NULL, -2, "unexpected end of condition" },
	{ "reslt > 1", R_NIL, 0, NULL, -2, "unknown name reslt" },
	{ "foo(result)", R_NIL, 0, NULL, -2, "unknown func foo" },
	{ "len(1, 2)", R_NIL, 0, NULL, -2, "len takes 1 argument" },
	{ "result[0", R_NIL, 0, NULL, -2, "expected ']'" },
	{ "(result", R_NIL, 0, NULL, -2, "expected ')'" },
	{ "result > 1 2", R_NIL, 0, NULL, -2, "unexpected token" },
	{ "'abc", R_NIL, 0, NULL, -2, "literal not terminated" },
	{ "# > 1", R_NIL, 0, NULL, -2, "# is only allowed in a predicate" },
	{ "result @ 1", R_NIL, 0, NULL, -2, "unexpected character '@'" },
};

static void test_conditions(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(cases); i++) {
		const struct ecase *c = &cases[i];
		struct expr *e = NULL;
		struct xarena *a = xarena_new();
		struct xv r = xv_nil();
		cJSON *j = NULL;
		char msg[256] = "";
		int out = -1, rc;
		print_message("case %zu: %s\n", i, c->cond);
		rc = expr_compile(&e, c->cond, msg, sizeof(msg));
		if (c->want == -2) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(msg, c->msg));
			xarena_free(a);
			continue;
		}
		assert_int_equal(rc, 0);
		switch (c->kind) {
		case R_NIL: break;
		case R_FLOAT: r = xv_float(c->f); break;
		case R_VEC: r = xv_floats(a, vec, 2); break;
		case R_JSON:
			j = cJSON_Parse(c->json);
			assert_non_null(j);
			r = xv_from_json(a, j);
			break;
		}
		rc = expr_eval_bool(e, &r, &out, msg, sizeof(msg));
		if (c->want == -1) {
			assert_int_equal(rc, -1);
			if (!strstr(msg, c->msg))
				fail_msg("case %zu: '%s' not in '%s'", i, c->msg, msg);
		} else {
			if (rc != 0)
				fail_msg("case %zu: %s", i, msg);
			assert_int_equal(out, c->want);
		}
		cJSON_Delete(j);
		expr_free(e);
		xarena_free(a);
	}
}

/* n copies of a, then mid, then n copies of b: the pieces of a nested condition. */
static char *repeat(const char *a, const char *mid, const char *b, int n)
{
	size_t la = strlen(a), lm = strlen(mid), lb = strlen(b);
	char *s = malloc(la * (size_t)n + lm + lb * (size_t)n + 1), *q = s;
	int i;

	assert_non_null(s);
	for (i = 0; i < n; i++, q += la)
		memcpy(q, a, la);
	memcpy(q, mid, lm);
	q += lm;
	for (i = 0; i < n; i++, q += lb)
		memcpy(q, b, lb);
	*q = '\0';
	return s;
}

/* Hostile nesting ends in a compile error, never in a stack overflow, whatever
 * builds it; a few levels compile and evaluate. */
static void test_nesting(void **state)
{
	static const struct { const char *a, *mid, *b; } forms[] = {
		{ "(", "result", ")" },        /* parentheses */
		{ "!", "true", "" },           /* unary */
		{ "-", "result", "" },
		{ "2**", "1", "" },            /* right-associative */
		{ "", "1", "+1" },             /* left-deep chains */
		{ "", "result", "[0]" },       /* postfix */
		{ "", "result", ".a" },
		{ "true ? ", "1", " : 0" },    /* ternary */
		{ "abs(", "result", ")" },     /* calls */
		{ "[", "1", "]" },             /* array literals */
	};
	static const int depths[] = { 200, 100000 };
	size_t i, k;

	(void)state;
	for (i = 0; i < GTH_ARRAY_SIZE(forms); i++) {
		for (k = 0; k < GTH_ARRAY_SIZE(depths); k++) {
			char *cond = repeat(forms[i].a, forms[i].mid, forms[i].b, depths[k]);
			struct expr *e = NULL;
			char msg[256] = "";

			print_message("form %zu, %d deep\n", i, depths[k]);
			assert_int_equal(expr_compile(&e, cond, msg, sizeof(msg)), -1);
			assert_non_null(strstr(msg, "nested more than 100 deep"));
			free(cond);
		}
	}
	{
		char *cond = repeat("(", "result >= 0", ")", 40);
		struct expr *e = NULL;
		struct xv r = xv_float(1);
		char msg[256] = "";
		int out = 0;

		assert_int_equal(expr_compile(&e, cond, msg, sizeof(msg)), 0);
		assert_int_equal(expr_eval_bool(e, &r, &out, msg, sizeof(msg)), 0);
		assert_int_equal(out, 1);
		expr_free(e);
		free(cond);
		cond = repeat("", "1", "+1", 60);
		assert_int_equal(expr_compile(&e, cond, msg, sizeof(msg)), 0);
		expr_free(e);
		free(cond);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_nesting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
