/* The message model: what the events say, overridden by the flags. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gth/event.h"
#include "gth/json.h"
#include "gth/util.h"
#include "notify.h"

static const struct {
	const char *status, *word, *emoji, *color;
	int rank;
} statuses[] = {
	{ "success", "succeeded", "\xe2\x9c\x85", "#2eb67d", 0 },
	{ "started", "started", "\xe2\x8f\xb3", "#1d9bd1", 1 },
	{ "inconclusive", "inconclusive", "\xe2\x9a\xa0\xef\xb8\x8f", "#ecb22e", 2 },
	{ "failure", "failed", "\xe2\x9d\x8c", "#e01e5a", 3 },
	{ "error", "error", "\xf0\x9f\x9b\x91", "#a30200", 4 },
};

static int status_index(const char *status)
{
	size_t i;

	if (!status)
		return -1;
	for (i = 0; i < GTH_ARRAY_SIZE(statuses); i++)
		if (strcmp(statuses[i].status, status) == 0)
			return (int)i;
	return -1;
}

int notify_status_valid(const char *status)
{
	return status_index(status) >= 0;
}

const char *notify_status_word(const char *status)
{
	int i = status_index(status);
	return i < 0 ? "unknown" : statuses[i].word;
}

const char *notify_status_emoji(const char *status)
{
	int i = status_index(status);
	return i < 0 ? "\xe2\x9d\x94" : statuses[i].emoji;
}

const char *notify_status_color(const char *status)
{
	int i = status_index(status);
	return i < 0 ? "#616061" : statuses[i].color;
}

const char *notify_stage_name(const char *tool)
{
	if (!tool || !*tool)
		return "event";
	if (gth_starts_with(tool, "gth-") && tool[4])
		return tool + 4;
	return tool;
}

size_t notify_utf8_len(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

char *notify_truncate(const char *s, size_t max)
{
	struct gth_buf b = GTH_BUF_INIT;
	size_t n = 0;
	const char *p;

	if (!s)
		s = "";
	if (notify_utf8_len(s) <= max)
		return strdup(s);
	if (max == 0)
		return strdup("");
	/* keep max-1 characters, then the ellipsis */
	for (p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (n == max - 1)
				break;
			n++;
		}
	}
	if (gth_buf_put(&b, s, (size_t)(p - s)) < 0 || gth_buf_puts(&b, "\xe2\x80\xa6") < 0) {
		gth_buf_release(&b);
		return NULL;
	}
	return gth_buf_detach(&b);
}

int notify_slack_escape(struct gth_buf *out, const char *s)
{
	for (; s && *s; s++) {
		int rc;
		switch (*s) {
		case '&': rc = gth_buf_puts(out, "&amp;"); break;
		case '<': rc = gth_buf_puts(out, "&lt;"); break;
		case '>': rc = gth_buf_puts(out, "&gt;"); break;
		default: rc = gth_buf_putc(out, *s); break;
		}
		if (rc < 0)
			return -1;
	}
	if (gth_buf_puts(out, "") < 0)
		return -1;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void set_once(char **dst, const char *src)
{
	if (!*dst && src && *src)
		*dst = strdup(src);
}

static char *image_of(const cJSON *ev)
{
	const cJSON *img = gth_json_path(ev, "data.image");
	const cJSON *refs, *tags;
	const char *name, *digest;

	if (!img)
		return NULL;
	refs = gth_json_arr(img, "refs");
	if (refs && cJSON_IsString(cJSON_GetArrayItem(refs, 0)))
		return strdup(cJSON_GetArrayItem(refs, 0)->valuestring);
	name = gth_json_str(img, "name");
	if (!name)
		return NULL;
	digest = gth_json_str(img, "digest");
	if (digest)
		return gth_strdupf("%s@%s", name, digest);
	tags = gth_json_arr(img, "tags");
	if (tags && cJSON_IsString(cJSON_GetArrayItem(tags, 0)))
		return gth_strdupf("%s:%s", name, cJSON_GetArrayItem(tags, 0)->valuestring);
	return strdup(name);
}

/* "https://github.example.com/acme/api/actions/runs/1" -> "https://github.example.com" */
static char *server_of(const char *url)
{
	const char *p;

	if (!url)
		return NULL;
	p = strstr(url, "://");
	if (!p)
		return NULL;
	p = strchr(p + 3, '/');
	return p ? strndup(url, (size_t)(p - url)) : strdup(url);
}

static int add_events(cJSON *all, const char *path, struct gth_error *err)
{
	cJSON *evs = NULL, *ev;

	if (gth_event_read(&evs, path, err) < 0)
		return -1;
	while ((ev = cJSON_DetachItemFromArray(evs, 0)) != NULL)
		cJSON_AddItemToArray(all, ev);
	cJSON_Delete(evs);
	return 0;
}

static int fill_rows(struct notify_msg *msg, const struct notify_input *in, struct gth_error *err)
{
	size_t n = (size_t)cJSON_GetArraySize(msg->events), i;
	int64_t sum = -1;
	time_t first = 0, last = 0;
	int span_ok = n > 0;
	int worst = -1;

	msg->rows = calloc(n ? n : 1, sizeof(*msg->rows));
	if (!msg->rows)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		const cJSON *ev = cJSON_GetArrayItem(msg->events, (int)i);
		struct notify_row *r = &msg->rows[msg->nrows];
		const char *status = gth_json_str(ev, "status");
		const char *started = gth_json_str(ev, "started_at");
		double d = gth_json_num(ev, "duration_ms", -1);
		int si = status_index(status);
		time_t t;

		if (si < 0 || strcmp(status, "started") == 0)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "%s: event %zu: status '%s' is not success, failure, inconclusive or error",
					     in->nfrom == 1 ? in->from[0] : "events", i + 1,
					     status ? status : "");
		if (statuses[si].rank > (worst < 0 ? -1 : statuses[worst].rank))
			worst = si;
		r->stage = strdup(notify_stage_name(gth_json_str(ev, "tool")));
		r->status = strdup(status);
		r->summary = dup_or_null(gth_json_str(ev, "summary"));
		r->duration_ms = d >= 0 ? (int64_t)d : -1;
		msg->nrows++;
		if (!r->stage || !r->status)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");

		set_once(&msg->app, gth_json_str(ev, "app"));
		set_once(&msg->sha, gth_json_str(gth_json_obj(ev, "git"), "sha"));
		set_once(&msg->ref, gth_json_str(gth_json_obj(ev, "git"), "ref"));
		set_once(&msg->repo, gth_json_str(gth_json_obj(ev, "git"), "repo"));
		set_once(&msg->run_url, gth_json_str(gth_json_obj(ev, "run"), "url"));
		if (!msg->image)
			msg->image = image_of(ev);

		if (r->duration_ms >= 0)
			sum = (sum < 0 ? 0 : sum) + r->duration_ms;
		if (span_ok && started && r->duration_ms >= 0 && gth_parse_time(started, &t) == 0) {
			time_t end = t + (time_t)((r->duration_ms + 999) / 1000);
			if (first == 0 || t < first)
				first = t;
			if (end > last)
				last = end;
		} else {
			span_ok = 0;
		}
	}
	if (n == 1 || !span_ok)
		msg->duration_ms = sum;
	else
		msg->duration_ms = (int64_t)(last - first) * 1000;
	if (worst >= 0) {
		msg->status = strdup(statuses[worst].status);
		if (!msg->status)
			return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	return 0;
}

static const char *worst_stage(const struct notify_msg *msg)
{
	size_t i;

	for (i = 0; i < msg->nrows; i++)
		if (strcmp(msg->rows[i].status, msg->status) == 0)
			return msg->rows[i].stage;
	return msg->rows[0].stage;
}

static int add_field(struct notify_msg *msg, const char *kv, struct gth_error *err)
{
	const char *eq = strchr(kv, '=');
	struct notify_field *f;

	if (!eq || eq == kv)
		return gth_error_set(err, GTH_EXIT_USAGE, "--field '%s': expected KEY=VALUE", kv);
	f = realloc(msg->fields, (msg->nfields + 1) * sizeof(*f));
	if (!f)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	msg->fields = f;
	f[msg->nfields].key = strndup(kv, (size_t)(eq - kv));
	f[msg->nfields].value = strdup(eq + 1);
	msg->nfields++;
	if (!f[msg->nfields - 1].key || !f[msg->nfields - 1].value)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	return 0;
}

int notify_msg_build(struct notify_msg *msg, const struct notify_input *in, struct gth_error *err)
{
	const char *srv_env = getenv("GITHUB_SERVER_URL");
	char *server = NULL;
	size_t i;
	int rc = -1;

	memset(msg, 0, sizeof(*msg));
	msg->duration_ms = -1;
	msg->events = cJSON_CreateArray();
	if (!msg->events) {
		gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
		goto done;
	}
	if (in->status && !notify_status_valid(in->status)) {
		gth_error_set(err, GTH_EXIT_USAGE,
			      "--status '%s': expected success, failure, inconclusive, error or started",
			      in->status);
		goto done;
	}
	for (i = 0; i < in->nfields; i++)
		if (add_field(msg, in->fields[i], err) < 0)
			goto done;
	if (in->nfrom == 0 && !in->status && !in->title && !in->text && in->nfields == 0 &&
	    !in->verb_says) {
		gth_error_set(err, GTH_EXIT_USAGE,
			      "nothing to say: give --from EVENT, --status, --title, --text or --field");
		goto done;
	}
	msg->overridden = in->status || in->title || in->text || in->environment || in->nfields;
	for (i = 0; i < in->nfrom; i++)
		if (add_events(msg->events, in->from[i], err) < 0)
			goto done;
	if (fill_rows(msg, in, err) < 0)
		goto done;

	if (in->status) {
		free(msg->status);
		msg->status = strdup(in->status);
	} else if (!msg->status) {
		msg->status = strdup("success");
	}
	/* Outside any event, the workflow run's own context. */
	set_once(&msg->sha, getenv("GITHUB_SHA"));
	set_once(&msg->ref, getenv("GITHUB_REF"));
	set_once(&msg->repo, getenv("GITHUB_REPOSITORY"));
	if (!msg->run_url && srv_env && *srv_env && getenv("GITHUB_REPOSITORY") &&
	    getenv("GITHUB_RUN_ID") && *getenv("GITHUB_RUN_ID"))
		msg->run_url = gth_strdupf("%s/%s/actions/runs/%s", srv_env,
					   getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"));
	msg->environment = dup_or_null(in->environment);
	if (msg->repo && msg->sha) {
		server = server_of(msg->run_url);
		if (!server)
			server = strdup(srv_env && *srv_env ? srv_env : "https://github.com");
		if (!server)
			goto oom;
		msg->commit_url = gth_strdupf("%s/%s/commit/%s", server, msg->repo, msg->sha);
		if (!msg->commit_url)
			goto oom;
	}
	if (in->text)
		msg->text = strdup(in->text);
	else if (msg->nrows == 1 && msg->rows[0].summary)
		msg->text = strdup(msg->rows[0].summary);
	if (in->title)
		msg->title = strdup(in->title);
	else if (!in->status && msg->nrows > 1 && strcmp(msg->status, "success") != 0)
		/* say where it went wrong: the first stage with the worst status */
		msg->title = gth_strdupf("%s: %s at %s", msg->app ? msg->app : "gth",
					 notify_status_word(msg->status), worst_stage(msg));
	else
		msg->title = gth_strdupf("%s: %s",
					 msg->app ? msg->app : msg->nrows == 1 ? msg->rows[0].stage : "gth",
					 notify_status_word(msg->status));
	if (!msg->status || !msg->title)
		goto oom;
	rc = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	free(server);
	return rc;
}

void notify_msg_release(struct notify_msg *msg)
{
	size_t i;

	if (!msg)
		return;
	for (i = 0; i < msg->nfields; i++) {
		free(msg->fields[i].key);
		free(msg->fields[i].value);
	}
	for (i = 0; i < msg->nrows; i++) {
		free(msg->rows[i].stage);
		free(msg->rows[i].status);
		free(msg->rows[i].summary);
	}
	free(msg->fields);
	free(msg->rows);
	free(msg->status);
	free(msg->title);
	free(msg->text);
	free(msg->app);
	free(msg->image);
	free(msg->sha);
	free(msg->ref);
	free(msg->repo);
	free(msg->environment);
	free(msg->commit_url);
	free(msg->run_url);
	cJSON_Delete(msg->events);
	memset(msg, 0, sizeof(*msg));
}
