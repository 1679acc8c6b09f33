/* The condition language of Argo Rollouts' successCondition and failureCondition
 * (expr-lang as Argo configures it): literals (ints, floats, strings, true,
 * false, nil, arrays), result, indexing (negative from the end), member access,
 * len all any none one filter map count abs, isNaN isInf isNil default asInt
 * asFloat, + - * / % ** (/ and ** give floats), comparisons, in, contains,
 * startsWith, endsWith, matches, && || ! and or not, a ? b : c, closures {# > 1}
 * or # > 1 as predicates.
 *
 * As in Argo, isNil(x) and default(x, d) look at result whatever x is. */
#ifndef GTH_CANARY_EXPR_H
#define GTH_CANARY_EXPR_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

enum xv_type { XV_NIL, XV_BOOL, XV_INT, XV_FLOAT, XV_STR, XV_ARR, XV_MAP };

struct xv {
	enum xv_type t;
	int b;
	int64_t i;
	double f;
	const char *s;
	size_t n;               /* string length, array items, map pairs */
	struct xv *items;       /* array items or map values */
	const char **keys;      /* map keys */
};

struct expr;

/* Compile src; on a syntax error returns -1 with "position N: what" in errbuf. */
int expr_compile(struct expr **out, const char *src, char *errbuf, size_t errsize);
void expr_free(struct expr *e);

/* An evaluation's memory: values built for result and during evaluation. */
struct xarena;
struct xarena *xarena_new(void);
void xarena_free(struct xarena *a);

struct xv xv_nil(void);
struct xv xv_float(double f);
/* An array of floats (Prometheus vector or flattened matrix). */
struct xv xv_floats(struct xarena *a, const double *v, size_t n);
/* A JSON value as Go's encoding/json gives it (numbers are floats). */
struct xv xv_from_json(struct xarena *a, const cJSON *j);

/* Evaluate with result bound; the value must be a bool. -1 with a message
 * ("expected bool, but got float64", "index out of range: 0 (array length is 0)"). */
int expr_eval_bool(const struct expr *e, const struct xv *result, int *out, char *errbuf,
		   size_t errsize);

/* Go's %T name of a value: float64, int, string, bool, []interface {}, ... */
const char *xv_type_name(const struct xv *v);

#endif
