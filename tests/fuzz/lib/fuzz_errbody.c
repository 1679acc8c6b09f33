/* lib/http and lib/registry: a registry's (or any server's) error answer: the
 * status judged with its body's first line, the WWW-Authenticate challenge and a
 * token answer's JSON. Byte 0 picks the status; the rest is the body, also tried as
 * a challenge header value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/error.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 202, 307, 400, 401, 403, 404, 405, 416, 429, 500, 502, 503, 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_auth_challenge c;
	cJSON *j = NULL;
	char *s;

	if (size < 1)
		return 0;
	resp.status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	gth_buf_put(&resp.body, data + 1, size - 1);
	gth_http_status_error(&err, &resp, "registry.example");
	if (gth_json_parse(&j, resp.body.ptr ? resp.body.ptr : "", resp.body.len, "answer", NULL) == 0) {
		const cJSON *e;

		gth_json_str(j, "token");
		gth_json_str(j, "access_token");
		cJSON_ArrayForEach(e, gth_json_arr(j, "errors")) {
			gth_json_str(e, "code");
			gth_json_str(e, "message");
		}
		cJSON_Delete(j);
	}
	s = strdup(gth_buf_cstr(&resp.body));
	if (s && gth_auth_challenge_parse(&c, s) == 0)
		gth_auth_challenge_release(&c);
	free(s);
	gth_buf_release(&resp.body);
	return 0;
}
