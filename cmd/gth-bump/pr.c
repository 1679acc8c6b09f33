#include <stdlib.h>
#include <string.h>

#include "bump.h"
#include "gth/http.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"

char *bump_github_repo(const char *url)
{
	const char *end = url + strlen(url), *slash1, *slash2, *p;
	size_t n;

	while (end > url && end[-1] == '/')
		end--;
	if (end - url > 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	slash1 = NULL;
	slash2 = NULL;
	for (p = url; p < end; p++) {
		if (*p == '/' || *p == ':') {
			slash2 = slash1;
			slash1 = p;
		}
	}
	if (!slash1 || !slash2 || slash1 + 1 >= end || slash2 + 1 >= slash1)
		return NULL;
	n = (size_t)(end - slash2 - 1);
	return strndup(slash2 + 1, n);
}

static const char *api_base(void)
{
	const char *api = getenv("GITHUB_API_URL");

	return api && *api ? api : "https://api.github.com";
}

/* A pull request for head already exists: find it. */
static int find_existing(struct bump_result *res, struct gth_http_client *c, const char *auth,
			 const char *owner_repo, const char *head, struct gth_error *err)
{
	static const char *const headers[] = { "Accept: application/vnd.github+json",
					       "X-GitHub-Api-Version: 2022-11-28", NULL };
	struct gth_http_request req;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	struct gth_buf q = GTH_BUF_INIT;
	char *owner = strndup(owner_repo, strcspn(owner_repo, "/"));
	char *url = NULL;
	cJSON *j = NULL;
	int rc = -1;

	if (!owner || gth_buf_printf(&q, "%s:%s", owner, head) < 0)
		goto done;
	{
		struct gth_buf esc = GTH_BUF_INIT;
		if (gth_url_escape(&esc, gth_buf_cstr(&q)) < 0)
			goto done;
		url = gth_strdupf("%s/repos/%s/pulls?state=open&head=%s", api_base(), owner_repo,
				  gth_buf_cstr(&esc));
		gth_buf_release(&esc);
	}
	if (!url)
		goto done;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = headers;
	req.authorization = auth;
	if (gth_http_do(&resp, c, &req, err) < 0)
		goto done;
	if (resp.status != 200) {
		gth_http_status_error(err, &resp, "finding the pull request");
		goto done;
	}
	if (gth_json_parse(&j, resp.body.ptr, resp.body.len, url, err) < 0)
		goto done;
	if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) < 1) {
		gth_error_set(err, GTH_EXIT_DATAERR, "GitHub says a pull request for '%s' exists "
			      "but lists none", head);
		goto done;
	}
	res->pr_number = (long)gth_json_num(cJSON_GetArrayItem(j, 0), "number", 0);
	res->pr_url = gth_json_str(cJSON_GetArrayItem(j, 0), "html_url") ?
		strdup(gth_json_str(cJSON_GetArrayItem(j, 0), "html_url")) : NULL;
	rc = 0;
done:
	if (rc < 0 && err && !err->exit)
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	cJSON_Delete(j);
	free(url);
	free(owner);
	gth_buf_release(&q);
	gth_http_response_release(&resp);
	return rc;
}

int bump_open_pr(struct bump_result *res, const char *owner_repo, const char *head,
		 const char *base, const char *title, const char *body, struct gth_error *err)
{
	static const char *const headers[] = { "Accept: application/vnd.github+json",
					       "Content-Type: application/json",
					       "X-GitHub-Api-Version: 2022-11-28", NULL };
	struct gth_http_client c = GTH_HTTP_CLIENT_INIT;
	struct gth_http_request req;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	const char *token = getenv("GITHUB_TOKEN");
	char *url = NULL, *auth = NULL, *payload = NULL;
	cJSON *j = NULL, *reply = NULL;
	int rc = -1, inited = 0;

	if (!token || !*token)
		return gth_error_set(err, GTH_EXIT_CONFIG, "--pr needs GITHUB_TOKEN");
	gth_secret_add(token);
	if (gth_http_global_init(err) < 0)
		return -1;
	inited = 1;
	url = gth_strdupf("%s/repos/%s/pulls", api_base(), owner_repo);
	auth = gth_strdupf("Bearer %s", token);
	j = cJSON_CreateObject();
	if (!url || !auth || !j || !cJSON_AddStringToObject(j, "title", title) ||
	    !cJSON_AddStringToObject(j, "head", head) || !cJSON_AddStringToObject(j, "base", base) ||
	    !cJSON_AddStringToObject(j, "body", body) || !(payload = gth_json_print(j))) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.authorization = auth;
	req.body = payload;
	req.body_len = strlen(payload);
	if (gth_http_do(&resp, &c, &req, err) < 0)
		goto done;
	if (resp.status == 422 && strstr(gth_buf_cstr(&resp.body), "already exists")) {
		rc = find_existing(res, &c, auth, owner_repo, head, err);
		goto done;
	}
	if (resp.status != 201) {
		gth_http_status_error(err, &resp, "opening the pull request");
		goto done;
	}
	if (gth_json_parse(&reply, resp.body.ptr, resp.body.len, url, err) < 0)
		goto done;
	res->pr_number = (long)gth_json_num(reply, "number", 0);
	if (gth_json_str(reply, "html_url") && !(res->pr_url = strdup(gth_json_str(reply, "html_url")))) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	rc = 0;
done:
	cJSON_Delete(j);
	cJSON_Delete(reply);
	free(payload);
	free(url);
	free(auth);
	gth_http_response_release(&resp);
	gth_http_client_release(&c);
	if (inited)
		gth_http_global_cleanup();
	return rc;
}
