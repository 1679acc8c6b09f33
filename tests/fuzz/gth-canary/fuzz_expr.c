/* gth-canary's condition language: compile any text, evaluate what compiles
 * against a number, a vector, an empty vector, nil and a JSON object. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double v[] = { 0.99, NAN, 1e300 };
	char *src = malloc(size + 1), msg[256];
	struct expr *e = NULL;
	struct xarena *a;
	cJSON *j;
	struct xv r[5];
	size_t i;
	int out;
	if (!src)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	if (expr_compile(&e, src, msg, sizeof(msg)) == 0) {
		a = xarena_new();
		j = cJSON_Parse("{\"ok\":true,\"n\":[1,2,{\"x\":\"y\"}],\"s\":\"str\",\"z\":null}");
		r[0] = xv_float(0.5);
		r[1] = xv_floats(a, v, 3);
		r[2] = xv_floats(a, v, 0);
		r[3] = xv_nil();
		r[4] = xv_from_json(a, j);
		for (i = 0; i < 5; i++)
			expr_eval_bool(e, &r[i], &out, msg, sizeof(msg));
		cJSON_Delete(j);
		xarena_free(a);
		expr_free(e);
	}
	free(src);
	return 0;
}
