/* GitHub deployments: the bodies of "create a deployment" and "create a
 * deployment status", and GitHub's error answers. */
#include <stdlib.h>
#include <string.h>

#include "gth/json.h"
#include "gth/util.h"
#include "notify.h"

static const char *const github_states[] = {
	"error", "failure", "inactive", "in_progress", "queued", "pending", "success", NULL
};

int notify_github_state_valid(const char *state)
{
	size_t i;

	for (i = 0; state && github_states[i]; i++)
		if (strcmp(github_states[i], state) == 0)
			return 1;
	return 0;
}

const char *notify_github_state(const char *status)
{
	if (strcmp(status, "success") == 0)
		return "success";
	if (strcmp(status, "failure") == 0)
		return "failure";
	if (strcmp(status, "started") == 0)
		return "in_progress";
	if (strcmp(status, "inconclusive") == 0)
		return "pending";
	return "error";
}

int notify_github_deployment_body(cJSON **out, const struct notify_github *g)
{
	cJSON *b = cJSON_CreateObject();
	char *desc = NULL;

	*out = NULL;
	if (!b)
		return -1;
	cJSON_AddStringToObject(b, "ref", g->ref);
	cJSON_AddStringToObject(b, "environment", g->environment);
	/* Deploy exactly this ref: no merge of the default branch, no wait for checks. */
	cJSON_AddFalseToObject(b, "auto_merge");
	cJSON_AddArrayToObject(b, "required_contexts");
	if (g->description) {
		desc = notify_truncate(g->description, NOTIFY_GITHUB_DESCRIPTION_MAX);
		if (!desc) {
			cJSON_Delete(b);
			return -1;
		}
		cJSON_AddStringToObject(b, "description", desc);
		free(desc);
	}
	*out = b;
	return 0;
}

int notify_github_status_body(cJSON **out, const struct notify_github *g)
{
	cJSON *b = cJSON_CreateObject();
	char *desc = NULL;

	*out = NULL;
	if (!b)
		return -1;
	cJSON_AddStringToObject(b, "state", g->state);
	cJSON_AddStringToObject(b, "environment", g->environment);
	if (g->environment_url)
		cJSON_AddStringToObject(b, "environment_url", g->environment_url);
	if (g->log_url)
		cJSON_AddStringToObject(b, "log_url", g->log_url);
	if (g->description) {
		desc = notify_truncate(g->description, NOTIFY_GITHUB_DESCRIPTION_MAX);
		if (!desc) {
			cJSON_Delete(b);
			return -1;
		}
		cJSON_AddStringToObject(b, "description", desc);
		free(desc);
	}
	*out = b;
	return 0;
}

int notify_github_error(struct gth_error *err, const struct gth_http_response *resp,
			const char *what)
{
	cJSON *j = NULL;
	const char *message = NULL;
	const char *remaining = gth_http_header(resp, "x-ratelimit-remaining");
	struct gth_buf detail = GTH_BUF_INIT;
	int code;

	if (resp->body.len)
		gth_json_parse(&j, resp->body.ptr, resp->body.len, "answer", NULL);
	message = gth_json_str(j, "message");
	/* "errors": [{"resource","field","code","message"}] on 422 */
	if (j && gth_json_arr(j, "errors")) {
		const cJSON *e;
		cJSON_ArrayForEach(e, gth_json_arr(j, "errors")) {
			const char *m = gth_json_str(e, "message");
			const char *f = gth_json_str(e, "field");
			const char *c = gth_json_str(e, "code");
			gth_buf_printf(&detail, "%s%s%s%s", detail.len ? "; " : " (",
				       m ? m : f ? f : "", m || !c ? "" : " ", m ? "" : c ? c : "");
		}
		if (detail.len)
			gth_buf_puts(&detail, ")");
	}
	switch (resp->status) {
	case 401:
		code = GTH_EXIT_NOPERM;
		break;
	case 403:
		/* GitHub answers 403 when the primary or a secondary rate limit is hit */
		if ((remaining && strcmp(remaining, "0") == 0) || gth_http_header(resp, "retry-after"))
			code = GTH_EXIT_TEMPFAIL;
		else
			code = GTH_EXIT_NOPERM;
		break;
	case 404:
		/* also what GitHub says when the token may not see the repository */
		code = GTH_EXIT_NOINPUT;
		break;
	case 429:
		code = GTH_EXIT_TEMPFAIL;
		break;
	default:
		code = resp->status >= 500 ? GTH_EXIT_UNAVAILABLE : GTH_EXIT_DATAERR;
		break;
	}
	if (message)
		gth_error_set(err, code, "%s: HTTP %ld: %s%s", what, resp->status, message,
			      gth_buf_cstr(&detail));
	else
		gth_http_status_error(err, resp, what);
	if (err)
		err->exit = code;
	gth_buf_release(&detail);
	cJSON_Delete(j);
	return -1;
}
