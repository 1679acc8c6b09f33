/* gth-notify: the answers of Slack (webhook and chat.postMessage), generic
 * webhooks and GitHub, error bodies included. Byte 0 picks the kind, byte 1 the
 * HTTP status class, the Retry-After header comes with odd statuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gth/error.h"
#include "gth/http.h"
#include "gth/log.h"
#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 204, 301, 400, 401, 403, 404, 410, 422, 429, 500, 503, 0 };
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct notify_result res = NOTIFY_RESULT_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	char *hdr[1] = { "retry-after: 2" };
	int kind;

	if (size < 2)
		return 0;
	gth_log_set_quiet(1);
	kind = data[0] % 4;
	resp.status = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	if (data[1] & 0x80) {
		resp.headers = hdr;
		resp.nheaders = 1;
	}
	gth_buf_put(&resp.body, data + 2, size - 2);
	notify_answer_check(&res, &resp, kind, &err);
	notify_result_release(&res);
	gth_buf_release(&resp.body);
	return 0;
}
