/* Deliveries: render, POST through the one HTTP module, judge the answer. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gth/digest.h"
#include "gth/gha.h"
#include "gth/json.h"
#include "gth/log.h"
#include "gth/util.h"
#include "notify.h"

#define CONTENT_TYPE_JSON "Content-Type: application/json; charset=utf-8"

void notify_result_release(struct notify_result *res)
{
	if (!res)
		return;
	free(res->ts);
	free(res->channel);
	free(res->thread_ts);
	free(res->message_id);
	cJSON_Delete(res->requests);
	memset(res, 0, sizeof(*res));
}

int notify_secret(char **out, const char *name, struct gth_error *err)
{
	const char *v = getenv(name);
	char file_var[128];
	const char *file;

	*out = NULL;
	if (v && *v) {
		*out = strdup(v);
	} else {
		struct gth_buf b = GTH_BUF_INIT;

		snprintf(file_var, sizeof(file_var), "%s_FILE", name);
		file = getenv(file_var);
		if (!file || !*file)
			return 0;
		if (gth_buf_read_file(&b, file, 1 << 16, err) < 0) {
			gth_buf_release(&b);
			return gth_error_prefix(err, "%s: ", file_var);
		}
		while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
			b.ptr[--b.len] = '\0';
		if (!b.len) {
			gth_buf_release(&b);
			return 0;
		}
		*out = gth_buf_detach(&b);
	}
	if (!*out)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	gth_secret_add(*out);
	return 0;
}

static void client_init(struct gth_http_client *c, const struct notify_opts *o)
{
	memset(c, 0, sizeof(*c));
	c->user_agent = "gth-notify/" GTH_VERSION;
	c->budget_ms = o->timeout_ms;
}

/* Keep what --dry-run would have sent. */
static int record(struct notify_result *res, const char *url_label, const cJSON *body)
{
	cJSON *r;

	if (!res->requests && !(res->requests = cJSON_CreateArray()))
		return -1;
	r = cJSON_CreateObject();
	if (!r)
		return -1;
	cJSON_AddStringToObject(r, "method", "POST");
	cJSON_AddStringToObject(r, "url", url_label);
	cJSON_AddItemToObject(r, "body", cJSON_Duplicate(body, 1));
	cJSON_AddItemToArray(res->requests, r);
	return 0;
}

/* POST a JSON body; retried on 429, 5xx and dropped connections within the
 * budget (a notification sent twice beats one lost). */
static int post_json(struct gth_http_response *resp, struct gth_http_client *c, const char *url,
		     const char *auth, const char *const *extra, const char *body, const char *what,
		     struct gth_error *err)
{
	const char *headers[8];
	struct gth_http_request req;
	size_t n = 0;

	memset(&req, 0, sizeof(req));
	headers[n++] = CONTENT_TYPE_JSON;
	while (extra && *extra && n < GTH_ARRAY_SIZE(headers) - 1)
		headers[n++] = *extra++;
	headers[n] = NULL;
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.authorization = auth;
	req.body = body;
	req.body_len = strlen(body);
	req.max_body = 1 << 20;
	req.retry = GTH_HTTP_RETRY_ALWAYS;
	gth_verbose("%s: POST %zu bytes", what, req.body_len);
	if (gth_http_do(resp, c, &req, err) < 0)
		return gth_error_prefix(err, "%s: ", what);
	gth_verbose("%s: HTTP %ld after %d attempt%s", what, resp->status, resp->attempts,
		    resp->attempts == 1 ? "" : "s");
	return 0;
}

static int rate_limited(struct gth_error *err, const struct gth_http_response *resp, const char *what)
{
	const char *ra = gth_http_header(resp, "retry-after");

	return gth_error_set(err, GTH_EXIT_TEMPFAIL,
			     "%s: rate limited (HTTP 429%s%s%s) past the time budget after %d attempts",
			     what, ra ? ", Retry-After: " : "", ra ? ra : "", "", resp->attempts);
}

/* The first line of a body, trimmed and capped, into out. */
static void first_line(char *out, size_t n, const char *body)
{
	size_t len;

	while (*body && isspace((unsigned char)*body))
		body++;
	len = strcspn(body, "\r\n");
	if (len >= n)
		len = n - 1;
	memcpy(out, body, len);
	out[len] = '\0';
	while (len && isspace((unsigned char)out[len - 1]))
		out[--len] = '\0';
}

/* The message of a JSON error answer ("message", "error" or "error.message"). */
static void error_detail(char *out, size_t n, const struct gth_http_response *resp)
{
	cJSON *j = NULL;
	const char *m = NULL;

	out[0] = '\0';
	if (resp->body.len && gth_json_parse(&j, resp->body.ptr, resp->body.len, "answer", NULL) == 0) {
		m = gth_json_str(j, "message");
		if (!m)
			m = gth_json_str(j, "error");
		if (!m)
			m = gth_json_str(gth_json_obj(j, "error"), "message");
	}
	if (m)
		first_line(out, n, m);
	else
		first_line(out, n, gth_buf_cstr(&resp->body));
	cJSON_Delete(j);
}

/* A non-2xx answer of a webhook: 401/403 77, 404/410 69 (the hook is gone),
 * 429 75, 5xx 69, other 4xx 65. */
static int webhook_error(struct gth_error *err, const struct gth_http_response *resp,
			 const char *what)
{
	char detail[200];
	int code;
	long s = resp->status;

	if (s == 429)
		return rate_limited(err, resp, what);
	if (s == 401 || s == 403)
		code = GTH_EXIT_NOPERM;
	else if (s == 404 || s == 410 || s >= 500 || s < 400)
		code = GTH_EXIT_UNAVAILABLE;
	else
		code = GTH_EXIT_DATAERR;
	error_detail(detail, sizeof(detail), resp);
	if (*detail)
		return gth_error_set(err, code, "%s: HTTP %ld: %s", what, s, detail);
	return gth_error_set(err, code, "%s: HTTP %ld", what, s);
}

static int body_of(char **out, cJSON **json, const struct notify_opts *o, const struct notify_msg *msg,
		   int (*render)(cJSON **, const struct notify_msg *, struct gth_error *),
		   struct gth_error *err)
{
	*out = NULL;
	if (o->template_file) {
		if (notify_render_template(json, o->template_file, msg, err) < 0)
			return -1;
	} else if (render(json, msg, err) < 0) {
		return -1;
	}
	*out = cJSON_PrintUnformatted(*json);
	if (!*out)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return 0;
}

static void set_member(cJSON *obj, const char *key, cJSON *v)
{
	if (!v)
		return;
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v);
	else
		cJSON_AddItemToObject(obj, key, v);
}

static int slack_error(struct gth_error *err, const char *what, const char *error, long status)
{
	const char *hint = notify_slack_error_hint(error);
	int code = notify_slack_error_exit(error, status);

	return gth_error_set(err, code, "%s: %s (HTTP %ld)%s%s", what, error, status,
			     hint ? ": " : "", hint ? hint : "");
}

static int slack_webhook_answer(struct gth_error *err, const struct gth_http_response *resp)
{
	const char *what = "slack webhook";
	char line[120];

	if (resp->status >= 200 && resp->status < 300)
		return 0;
	if (resp->status == 429)
		return rate_limited(err, resp, what);
	first_line(line, sizeof(line), gth_buf_cstr(&resp->body));
	if (!*line)
		return webhook_error(err, resp, what);
	return slack_error(err, what, line, resp->status);
}

static int slack_api_answer(struct notify_result *res, const struct gth_http_response *resp,
			    const char *what, struct gth_error *err)
{
	cJSON *j = NULL;
	const cJSON *w;
	const char *error, *warning;
	int rc = -1;

	if (resp->status == 429)
		return rate_limited(err, resp, what);
	if (!resp->body.len ||
	    gth_json_parse(&j, resp->body.ptr, resp->body.len, "answer", NULL) < 0 || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		if (resp->status != 200)
			return webhook_error(err, resp, what);
		return gth_error_set(err, GTH_EXIT_UNAVAILABLE, "%s: HTTP %ld: the answer is not JSON",
				     what, resp->status);
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok"))) {
		error = gth_json_str(j, "error");
		slack_error(err, what, error ? error : "unknown_error", resp->status);
		goto done;
	}
	warning = gth_json_str(j, "warning");
	if (warning)
		gth_warn("%s: %s", what, warning);
	cJSON_ArrayForEach(w, gth_json_arr(gth_json_obj(j, "response_metadata"), "warnings"))
		if (cJSON_IsString(w) && (!warning || strcmp(w->valuestring, warning)))
			gth_warn("%s: %s", what, w->valuestring);
	if (!gth_json_str(j, "ts") || !gth_json_str(j, "channel")) {
		gth_error_set(err, GTH_EXIT_UNAVAILABLE, "%s: the answer has no ts or channel", what);
		goto done;
	}
	res->ts = strdup(gth_json_str(j, "ts"));
	res->channel = strdup(gth_json_str(j, "channel"));
	if (!res->ts || !res->channel) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	rc = 0;
done:
	cJSON_Delete(j);
	return rc;
}

int notify_send_slack(struct notify_result *res, const struct notify_opts *o,
		      const struct notify_msg *msg, struct gth_error *err)
{
	struct gth_http_client c;
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *token = NULL, *hook = NULL, *body = NULL, *url = NULL, *auth = NULL;
	const char *api_base = getenv("SLACK_API_URL");
	const char *method, *what;
	cJSON *json = NULL;
	int api, rc = -1;

	client_init(&c, o);
	res->service = "slack";
	if (notify_secret(&token, "SLACK_BOT_TOKEN", err) < 0 ||
	    notify_secret(&hook, "SLACK_WEBHOOK_URL", err) < 0)
		goto done;
	api = token || (o->dry_run && !hook && (o->channel || o->update_ts || o->thread_ts));
	if (!token && !hook && !o->dry_run) {
		gth_error_set(err, GTH_EXIT_CONFIG,
			      "slack: set SLACK_WEBHOOK_URL (incoming webhook) or SLACK_BOT_TOKEN (bot token)");
		goto done;
	}
	if (!api && (o->update_ts || o->thread_ts)) {
		gth_error_set(err, GTH_EXIT_CONFIG,
			      "slack: --%s needs SLACK_BOT_TOKEN: an incoming webhook cannot %s",
			      o->update_ts ? "update" : "thread",
			      o->update_ts ? "edit a message" : "tell the ts of a message");
		goto done;
	}
	if (api && !o->channel) {
		gth_error_set(err, GTH_EXIT_USAGE, "slack: a bot token needs --channel");
		goto done;
	}
	if (!api && o->channel)
		gth_warn("slack: --channel is ignored: an incoming webhook posts to its own channel");
	if (o->update_ts && o->thread_ts) {
		gth_error_set(err, GTH_EXIT_USAGE, "slack: --update and --thread exclude each other");
		goto done;
	}

	if (body_of(&body, &json, o, msg, notify_render_slack, err) < 0)
		goto done;
	if (api) {
		set_member(json, "channel", cJSON_CreateString(o->channel));
		if (o->update_ts)
			set_member(json, "ts", cJSON_CreateString(o->update_ts));
		if (o->thread_ts) {
			set_member(json, "thread_ts", cJSON_CreateString(o->thread_ts));
			if (o->broadcast)
				set_member(json, "reply_broadcast", cJSON_CreateTrue());
		}
		free(body);
		if (!(body = cJSON_PrintUnformatted(json))) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
	}
	method = o->update_ts ? "chat.update" : "chat.postMessage";
	if (o->dry_run) {
		if (record(res, api ? method : "$SLACK_WEBHOOK_URL", json) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		rc = 0;
		goto done;
	}
	if (!api) {
		if (post_json(&resp, &c, hook, NULL, NULL, body, "slack webhook", err) < 0)
			goto done;
		res->http_status = resp.status;
		if (slack_webhook_answer(err, &resp) < 0)
			goto done;
		res->delivered = 1;
		rc = 0;
		goto done;
	}
	url = gth_strdupf("%s/%s", api_base && *api_base ? api_base : "https://slack.com/api", method);
	auth = gth_strdupf("Bearer %s", token);
	if (!url || !auth) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	what = o->update_ts ? "slack chat.update" : "slack chat.postMessage";
	if (post_json(&resp, &c, url, auth, NULL, body, what, err) < 0)
		goto done;
	res->http_status = resp.status;
	if (slack_api_answer(res, &resp, what, err) < 0)
		goto done;
	if (o->thread_ts && !(res->thread_ts = strdup(o->thread_ts))) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	res->delivered = 1;
	if (gth_gha_output("ts", res->ts, err) < 0 || gth_gha_output("channel", res->channel, err) < 0)
		goto done;
	rc = 0;
done:
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(url);
	free(body);
	free(token);
	free(hook);
	cJSON_Delete(json);
	gth_http_response_release(&resp);
	gth_http_client_release(&c);
	return rc;
}

static int post_status(struct notify_result *res, struct gth_http_client *c, const char *base,
		       const char *auth, const struct notify_github *g, int dry_run, struct gth_error *err)
{
	static const char *const gh_headers[] = {
		"Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28", NULL
	};
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	cJSON *body = NULL, *j = NULL;
	char *text = NULL, *url = NULL;
	int rc = -1;

	if (!g->deployment_id && !dry_run) {
		if (notify_github_deployment_body(&body, g) < 0 || !(text = cJSON_PrintUnformatted(body)) ||
		    !(url = gth_strdupf("%s/deployments", base)))
			goto oom;
		if (post_json(&resp, c, url, auth, gh_headers, text, "github deployment", err) < 0)
			goto done;
		res->http_status = resp.status;
		if (resp.status < 200 || resp.status >= 300) {
			notify_github_error(err, &resp, "github deployment");
			goto done;
		}
		if (gth_json_parse(&j, resp.body.ptr ? resp.body.ptr : "", resp.body.len, "answer", NULL) < 0 ||
		    gth_json_num(j, "id", 0) <= 0) {
			char line[200];
			first_line(line, sizeof(line), gth_json_str(j, "message") ? gth_json_str(j, "message") : "");
			gth_error_set(err, GTH_EXIT_UNAVAILABLE, "github deployment: HTTP %ld: no deployment was created%s%s",
				      resp.status, *line ? ": " : "", line);
			goto done;
		}
		res->deployment_id = (long long)gth_json_num(j, "id", 0);
		cJSON_Delete(j);
		j = NULL;
		cJSON_Delete(body);
		body = NULL;
		free(text);
		text = NULL;
		free(url);
		url = NULL;
		gth_http_response_release(&resp);
	} else if (!g->deployment_id) {
		if (notify_github_deployment_body(&body, g) < 0 ||
		    record(res, "$GITHUB_API_URL/repos/OWNER/NAME/deployments", body) < 0)
			goto oom;
		cJSON_Delete(body);
		body = NULL;
	} else {
		res->deployment_id = g->deployment_id;
	}

	if (notify_github_status_body(&body, g) < 0 || !(text = cJSON_PrintUnformatted(body)))
		goto oom;
	if (dry_run) {
		if (record(res, "$GITHUB_API_URL/repos/OWNER/NAME/deployments/ID/statuses", body) < 0)
			goto oom;
		rc = 0;
		goto done;
	}
	if (!(url = gth_strdupf("%s/deployments/%lld/statuses", base, res->deployment_id)))
		goto oom;
	if (post_json(&resp, c, url, auth, gh_headers, text, "github deployment status", err) < 0)
		goto done;
	res->http_status = resp.status;
	if (resp.status < 200 || resp.status >= 300) {
		notify_github_error(err, &resp, "github deployment status");
		goto done;
	}
	if (gth_json_parse(&j, resp.body.ptr ? resp.body.ptr : "", resp.body.len, "answer", NULL) == 0)
		res->status_id = (long long)gth_json_num(j, "id", 0);
	rc = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	cJSON_Delete(j);
	cJSON_Delete(body);
	free(text);
	free(url);
	gth_http_response_release(&resp);
	return rc;
}

static int valid_repo(const char *repo)
{
	const char *slash = strchr(repo, '/');
	const char *p;

	if (!slash || slash == repo || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (p = repo; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
			return 0;
	return 1;
}

int notify_send_github(struct notify_result *res, const struct notify_opts *o,
		       const struct notify_msg *msg, struct gth_error *err)
{
	struct gth_http_client c;
	struct notify_github g;
	char *token = NULL, *auth = NULL, *base = NULL;
	const char *api = getenv("GITHUB_API_URL");
	const char *repo_env = getenv("GITHUB_REPOSITORY");
	size_t alen;
	int rc = -1;

	client_init(&c, o);
	memset(&g, 0, sizeof(g));
	res->service = "github-deployment";
	if (o->template_file) {
		gth_error_set(err, GTH_EXIT_USAGE, "github-deployment: --template does not apply");
		goto done;
	}
	g.repo = o->repo ? o->repo : repo_env && *repo_env ? repo_env : msg->repo;
	if (!g.repo) {
		gth_error_set(err, GTH_EXIT_CONFIG,
			      "github-deployment: no repository: set GITHUB_REPOSITORY or give --repo OWNER/NAME");
		goto done;
	}
	if (!valid_repo(g.repo)) {
		gth_error_set(err, o->repo ? GTH_EXIT_USAGE : GTH_EXIT_CONFIG,
			      "github-deployment: repository '%s': expected OWNER/NAME", g.repo);
		goto done;
	}
	g.ref = o->ref ? o->ref : msg->sha ? msg->sha : msg->ref;
	if (!g.ref && !o->deployment_id) {
		gth_error_set(err, GTH_EXIT_USAGE,
			      "github-deployment: no ref to deploy: give --ref, an event with git.sha, or set GITHUB_SHA");
		goto done;
	}
	g.environment = msg->environment ? msg->environment : "production";
	g.state = o->state ? o->state : notify_github_state(msg->status);
	if (!notify_github_state_valid(g.state)) {
		gth_error_set(err, GTH_EXIT_USAGE,
			      "--state '%s': expected error, failure, inactive, in_progress, queued, pending or success",
			      g.state);
		goto done;
	}
	res->state = g.state;
	g.environment_url = o->env_url;
	g.log_url = msg->run_url;
	g.description = msg->text ? msg->text : msg->title;
	g.deployment_id = o->deployment_id;
	if (notify_secret(&token, "GITHUB_TOKEN", err) < 0)
		goto done;
	if (!token && !o->dry_run) {
		gth_error_set(err, GTH_EXIT_CONFIG, "github-deployment: GITHUB_TOKEN is not set");
		goto done;
	}
	if (!api || !*api)
		api = "https://api.github.com";
	alen = strlen(api);
	while (alen && api[alen - 1] == '/')
		alen--;
	base = gth_strdupf("%.*s/repos/%s", (int)alen, api, g.repo);
	auth = token ? gth_strdupf("Bearer %s", token) : NULL;
	if (!base || (token && !auth)) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	if (post_status(res, &c, base, auth, &g, o->dry_run, err) < 0)
		goto done;
	if (!o->dry_run) {
		char id[32];

		res->delivered = 1;
		snprintf(id, sizeof(id), "%lld", res->deployment_id);
		if (gth_gha_output("deployment_id", id, err) < 0)
			goto done;
	}
	rc = 0;
done:
	if (auth) {
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	free(token);
	free(base);
	gth_http_client_release(&c);
	return rc;
}

/* A plain webhook delivery shared by webhook, teams and discord. */
static int send_hook(struct notify_result *res, const struct notify_opts *o, const struct notify_msg *msg,
		     const char *url, const char *label, const char *what,
		     int (*render)(cJSON **, const struct notify_msg *, struct gth_error *),
		     const char *secret, struct gth_http_response *resp, struct gth_error *err)
{
	struct gth_http_client c;
	const char *headers[4] = { NULL };
	char *body = NULL, *sig = NULL, *delivery = NULL;
	cJSON *json = NULL;
	int rc = -1;

	client_init(&c, o);
	if (body_of(&body, &json, o, msg, render, err) < 0)
		goto done;
	if (o->dry_run) {
		if (record(res, label, json) < 0)
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		else
			rc = 0;
		goto done;
	}
	{
		unsigned char rnd[16];
		char id[33];
		size_t i;

		if (gth_random(rnd, sizeof(rnd)) < 0)
			memset(rnd, 0, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(id + 2 * i, 3, "%02x", rnd[i]);
		if (!(delivery = gth_strdupf("X-Gth-Delivery: %s", id))) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		headers[0] = delivery;
	}
	if (secret) {
		char hex[GTH_SHA256_HEX_LEN + 1];

		/* over the exact bytes sent, as the receiver sees them */
		if (gth_hmac_sha256_hex(secret, strlen(secret), body, strlen(body), hex) < 0) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "HMAC-SHA256 failed");
			goto done;
		}
		if (!(sig = gth_strdupf("X-Gth-Signature-256: sha256=%s", hex))) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		headers[1] = sig;
	}
	if (post_json(resp, &c, url, NULL, headers, body, what, err) < 0)
		goto done;
	res->http_status = resp->status;
	if (resp->status < 200 || resp->status >= 300) {
		webhook_error(err, resp, what);
		goto done;
	}
	res->delivered = 1;
	rc = 0;
done:
	free(sig);
	free(delivery);
	free(body);
	cJSON_Delete(json);
	gth_http_client_release(&c);
	return rc;
}

int notify_send_webhook(struct notify_result *res, const struct notify_opts *o,
			const struct notify_msg *msg, struct gth_error *err)
{
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *secret = NULL;
	int rc = -1;

	res->service = "webhook";
	if (!o->url || !(gth_starts_with(o->url, "http://") || gth_starts_with(o->url, "https://")))
		return gth_error_set(err, GTH_EXIT_USAGE, "webhook: expected an http:// or https:// URL");
	/* a token in the query or the user part of the URL is a secret too */
	if (strchr(o->url, '?') || strchr(o->url + strcspn(o->url, "/") + 2, '@'))
		gth_secret_add(o->url);
	if (o->secret_env) {
		const char *v = getenv(o->secret_env);

		if (!v || !*v)
			return gth_error_set(err, GTH_EXIT_CONFIG, "webhook: --secret-env %s: %s is not set",
					     o->secret_env, o->secret_env);
		gth_secret_add(v);
		if (!(secret = strdup(v)))
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	rc = send_hook(res, o, msg, o->url, "URL", "webhook", notify_render_webhook, secret, &resp, err);
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	gth_http_response_release(&resp);
	return rc;
}

int notify_send_teams(struct notify_result *res, const struct notify_opts *o,
		      const struct notify_msg *msg, struct gth_error *err)
{
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = NULL;
	int rc = -1;

	res->service = "teams";
	if (notify_secret(&url, "TEAMS_WEBHOOK_URL", err) < 0)
		return -1;
	if (!url && !o->dry_run)
		return gth_error_set(err, GTH_EXIT_CONFIG, "teams: TEAMS_WEBHOOK_URL is not set");
	rc = send_hook(res, o, msg, url, "$TEAMS_WEBHOOK_URL", "teams webhook", notify_render_teams,
		       NULL, &resp, err);
	free(url);
	gth_http_response_release(&resp);
	return rc;
}

int notify_send_discord(struct notify_result *res, const struct notify_opts *o,
			const struct notify_msg *msg, struct gth_error *err)
{
	struct gth_http_response resp = GTH_HTTP_RESPONSE_INIT;
	char *url = NULL, *full = NULL;
	cJSON *j = NULL;
	int rc = -1;

	res->service = "discord";
	if (notify_secret(&url, "DISCORD_WEBHOOK_URL", err) < 0)
		return -1;
	if (!url && !o->dry_run)
		return gth_error_set(err, GTH_EXIT_CONFIG, "discord: DISCORD_WEBHOOK_URL is not set");
	/* wait=true: Discord answers with the message, so its id can be reported */
	if (url) {
		full = gth_strdupf("%s%swait=true", url, strchr(url, '?') ? "&" : "?");
		if (!full) {
			gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
			goto done;
		}
		gth_secret_add(full);
	}
	if (send_hook(res, o, msg, full, "$DISCORD_WEBHOOK_URL", "discord webhook", notify_render_discord,
		      NULL, &resp, err) < 0)
		goto done;
	if (res->delivered && resp.body.len &&
	    gth_json_parse(&j, resp.body.ptr, resp.body.len, "answer", NULL) == 0) {
		if (gth_json_str(j, "id"))
			res->message_id = strdup(gth_json_str(j, "id"));
		if (gth_json_str(j, "channel_id"))
			res->channel = strdup(gth_json_str(j, "channel_id"));
		if (res->message_id && gth_gha_output("message_id", res->message_id, err) < 0)
			goto done;
	}
	rc = 0;
done:
	cJSON_Delete(j);
	free(full);
	free(url);
	gth_http_response_release(&resp);
	return rc;
}

/* The answer checks by kind, for the fuzz harness: 0 Slack webhook, 1 Slack API,
 * 2 generic webhook (Teams, Discord, hook), 3 GitHub. */
int notify_answer_check(struct notify_result *res, const struct gth_http_response *resp, int kind,
			struct gth_error *err)
{
	switch (kind) {
	case 0:
		return slack_webhook_answer(err, resp);
	case 1:
		return slack_api_answer(res, resp, "slack chat.postMessage", err);
	case 2:
		if (resp->status >= 200 && resp->status < 300)
			return 0;
		return webhook_error(err, resp, "webhook");
	default:
		return notify_github_error(err, resp, "github");
	}
}
