/* Microsoft Teams (Adaptive Card through a Workflows webhook), Discord (embeds)
 * and the generic webhook (a gth.event/v1 event). */
#include <stdlib.h>
#include <string.h>

#include "gth/event.h"
#include "gth/json.h"
#include "gth/util.h"
#include "notify.h"

/* Discord's documented embed limits. */
#define DISCORD_TITLE_MAX 256
#define DISCORD_DESCRIPTION_MAX 4096
#define DISCORD_FIELDS_MAX 25
#define DISCORD_FIELD_NAME_MAX 256
#define DISCORD_FIELD_VALUE_MAX 1024
#define DISCORD_EMBED_TOTAL_MAX 6000

static const char *teams_color(const char *status)
{
	if (strcmp(status, "success") == 0)
		return "Good";
	if (strcmp(status, "inconclusive") == 0)
		return "Warning";
	if (strcmp(status, "started") == 0)
		return "Accent";
	return "Attention";
}

static cJSON *fact(const char *title, const char *value)
{
	cJSON *f = cJSON_CreateObject();

	if (f) {
		cJSON_AddStringToObject(f, "title", title);
		cJSON_AddStringToObject(f, "value", value);
	}
	return f;
}

static cJSON *text_block(const char *text)
{
	cJSON *t = cJSON_CreateObject();

	if (t) {
		cJSON_AddStringToObject(t, "type", "TextBlock");
		cJSON_AddStringToObject(t, "text", text);
		cJSON_AddTrueToObject(t, "wrap");
	}
	return t;
}

static char *row_line(const struct notify_row *r, const char *bold)
{
	char dur[32];

	return gth_strdupf("%s %s%s%s%s%s%s%s%s", notify_status_emoji(r->status), bold, r->stage, bold,
			   r->summary ? " " : "", r->summary ? r->summary : "",
			   r->duration_ms >= 0 ? " (" : "",
			   r->duration_ms >= 0 ? gth_format_duration(r->duration_ms, dur, sizeof(dur)) : "",
			   r->duration_ms >= 0 ? ")" : "");
}

static void add_open_url(cJSON *actions, const char *title, const char *url)
{
	cJSON *a;

	if (!url)
		return;
	a = cJSON_CreateObject();
	if (!a)
		return;
	cJSON_AddStringToObject(a, "type", "Action.OpenUrl");
	cJSON_AddStringToObject(a, "title", title);
	cJSON_AddStringToObject(a, "url", url);
	cJSON_AddItemToArray(actions, a);
}

int notify_render_teams(cJSON **out, const struct notify_msg *msg, struct gth_error *err)
{
	cJSON *root = cJSON_CreateObject(), *att, *card, *body, *facts, *fs, *hdr, *actions;
	char *s = NULL, dur[32];
	size_t i;

	*out = NULL;
	if (!root)
		goto oom;
	cJSON_AddStringToObject(root, "type", "message");
	att = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "attachments"), att);
	cJSON_AddStringToObject(att, "contentType", "application/vnd.microsoft.card.adaptive");
	cJSON_AddNullToObject(att, "contentUrl");
	card = cJSON_AddObjectToObject(att, "content");
	if (!card)
		goto oom;
	cJSON_AddStringToObject(card, "$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
	cJSON_AddStringToObject(card, "type", "AdaptiveCard");
	cJSON_AddStringToObject(card, "version", "1.4");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(card, "msteams"), "width", "Full");
	body = cJSON_AddArrayToObject(card, "body");
	if (!(s = gth_strdupf("%s %s", notify_status_emoji(msg->status), msg->title)))
		goto oom;
	hdr = text_block(s);
	free(s);
	s = NULL;
	if (!hdr)
		goto oom;
	cJSON_AddStringToObject(hdr, "size", "Large");
	cJSON_AddStringToObject(hdr, "weight", "Bolder");
	cJSON_AddStringToObject(hdr, "color", teams_color(msg->status));
	cJSON_AddItemToArray(body, hdr);
	if (msg->text)
		cJSON_AddItemToArray(body, text_block(msg->text));

	facts = cJSON_CreateArray();
	if (!facts)
		goto oom;
	if (msg->app)
		cJSON_AddItemToArray(facts, fact("App", msg->app));
	if (msg->image)
		cJSON_AddItemToArray(facts, fact("Image", msg->image));
	if (msg->sha) {
		char shortsha[8];
		gth_strlcpy(shortsha, msg->sha, sizeof(shortsha));
		s = msg->commit_url ? gth_strdupf("[%s](%s)", shortsha, msg->commit_url) : strdup(shortsha);
		if (!s)
			goto oom;
		cJSON_AddItemToArray(facts, fact("Commit", s));
		free(s);
		s = NULL;
	}
	if (msg->environment)
		cJSON_AddItemToArray(facts, fact("Environment", msg->environment));
	if (msg->duration_ms >= 0)
		cJSON_AddItemToArray(facts, fact("Duration", gth_format_duration(msg->duration_ms, dur, sizeof(dur))));
	for (i = 0; i < msg->nfields; i++)
		cJSON_AddItemToArray(facts, fact(msg->fields[i].key, msg->fields[i].value));
	if (cJSON_GetArraySize(facts) > 0) {
		fs = cJSON_CreateObject();
		cJSON_AddStringToObject(fs, "type", "FactSet");
		cJSON_AddItemToObject(fs, "facts", facts);
		cJSON_AddItemToArray(body, fs);
	} else {
		cJSON_Delete(facts);
	}
	if (msg->nrows > 1) {
		for (i = 0; i < msg->nrows; i++) {
			if (!(s = row_line(&msg->rows[i], "**")))
				goto oom;
			cJSON_AddItemToArray(body, text_block(s));
			free(s);
			s = NULL;
		}
	}
	if (msg->run_url || msg->commit_url) {
		actions = cJSON_AddArrayToObject(card, "actions");
		add_open_url(actions, "View run", msg->run_url);
		add_open_url(actions, "View commit", msg->commit_url);
	}
	*out = root;
	return 0;
oom:
	free(s);
	cJSON_Delete(root);
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

static int discord_field(cJSON *fields, const char *name, const char *value, size_t *total)
{
	cJSON *f;
	char *n, *v;

	if (!value || !*value || cJSON_GetArraySize(fields) >= DISCORD_FIELDS_MAX)
		return 0;
	n = notify_truncate(name, DISCORD_FIELD_NAME_MAX);
	v = notify_truncate(value, DISCORD_FIELD_VALUE_MAX);
	f = cJSON_CreateObject();
	if (!n || !v || !f) {
		free(n);
		free(v);
		cJSON_Delete(f);
		return -1;
	}
	/* past the 6000-character total Discord refuses the whole message */
	if (*total + notify_utf8_len(n) + notify_utf8_len(v) > DISCORD_EMBED_TOTAL_MAX) {
		free(n);
		free(v);
		cJSON_Delete(f);
		return 0;
	}
	*total += notify_utf8_len(n) + notify_utf8_len(v);
	cJSON_AddStringToObject(f, "name", n);
	cJSON_AddStringToObject(f, "value", v);
	cJSON_AddTrueToObject(f, "inline");
	cJSON_AddItemToArray(fields, f);
	free(n);
	free(v);
	return 0;
}

int notify_render_discord(cJSON **out, const struct notify_msg *msg, struct gth_error *err)
{
	cJSON *root = cJSON_CreateObject(), *embed, *fields;
	struct gth_buf desc = GTH_BUF_INIT;
	char *s = NULL, dur[32];
	size_t i, total = 0, room;
	long color;

	*out = NULL;
	if (!root)
		goto oom;
	cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "embeds"), embed = cJSON_CreateObject());
	if (!embed)
		goto oom;
	if (!(s = gth_strdupf("%s %s", notify_status_emoji(msg->status), msg->title)))
		goto oom;
	{
		char *t = notify_truncate(s, DISCORD_TITLE_MAX);
		free(s);
		s = NULL;
		if (!t)
			goto oom;
		total += notify_utf8_len(t) + strlen("gth-notify");
		cJSON_AddStringToObject(embed, "title", t);
		free(t);
	}
	if (msg->run_url)
		cJSON_AddStringToObject(embed, "url", msg->run_url);
	color = strtol(notify_status_color(msg->status) + 1, NULL, 16);
	cJSON_AddNumberToObject(embed, "color", (double)color);

	fields = cJSON_CreateArray();
	if (!fields)
		goto oom;
	cJSON_AddItemToObject(embed, "fields", fields);
	if (discord_field(fields, "App", msg->app, &total) < 0 ||
	    discord_field(fields, "Image", msg->image, &total) < 0)
		goto oom;
	if (msg->sha) {
		char shortsha[8];
		gth_strlcpy(shortsha, msg->sha, sizeof(shortsha));
		s = msg->commit_url ? gth_strdupf("[%s](%s)", shortsha, msg->commit_url) : strdup(shortsha);
		if (!s || discord_field(fields, "Commit", s, &total) < 0)
			goto oom;
		free(s);
		s = NULL;
	}
	if (discord_field(fields, "Environment", msg->environment, &total) < 0)
		goto oom;
	if (msg->duration_ms >= 0 &&
	    discord_field(fields, "Duration", gth_format_duration(msg->duration_ms, dur, sizeof(dur)), &total) < 0)
		goto oom;
	for (i = 0; i < msg->nfields; i++)
		if (discord_field(fields, msg->fields[i].key, msg->fields[i].value, &total) < 0)
			goto oom;

	if (msg->text && gth_buf_puts(&desc, msg->text) < 0)
		goto oom;
	for (i = 0; msg->nrows > 1 && i < msg->nrows; i++) {
		if (!(s = row_line(&msg->rows[i], "**")))
			goto oom;
		if ((desc.len && gth_buf_putc(&desc, '\n') < 0) || gth_buf_puts(&desc, s) < 0)
			goto oom;
		free(s);
		s = NULL;
	}
	/* The description takes what the 6000-character total leaves. */
	room = total < DISCORD_EMBED_TOTAL_MAX ? DISCORD_EMBED_TOTAL_MAX - total : 1;
	if (room > DISCORD_DESCRIPTION_MAX)
		room = DISCORD_DESCRIPTION_MAX;
	if (desc.len) {
		if (!(s = notify_truncate(gth_buf_cstr(&desc), room)))
			goto oom;
		cJSON_AddStringToObject(embed, "description", s);
		free(s);
		s = NULL;
	}
	cJSON_AddStringToObject(cJSON_AddObjectToObject(embed, "footer"), "text", "gth-notify");
	/* Nothing in an event may ping @everyone. */
	cJSON_AddArrayToObject(cJSON_AddObjectToObject(root, "allowed_mentions"), "parse");
	gth_buf_release(&desc);
	*out = root;
	return 0;
oom:
	free(s);
	gth_buf_release(&desc);
	cJSON_Delete(root);
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
}

/* The exit status that goes with the message's status: that of the first event
 * with the same status, else the suite's usual one. */
static int status_exit(const struct notify_msg *msg)
{
	const cJSON *ev;

	cJSON_ArrayForEach(ev, msg->events) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(ev, "exit");
		const char *st = gth_json_str(ev, "status");

		if (st && strcmp(st, msg->status) == 0 && cJSON_IsNumber(x))
			return x->valueint;
	}
	if (strcmp(msg->status, "failure") == 0)
		return GTH_EXIT_FAIL;
	if (strcmp(msg->status, "inconclusive") == 0)
		return GTH_EXIT_UNDECIDED;
	if (strcmp(msg->status, "error") == 0)
		return GTH_EXIT_SOFTWARE;
	return 0;
}

int notify_render_webhook(cJSON **out, const struct notify_msg *msg, struct gth_error *err)
{
	cJSON *ev, *git, *data, *fields;
	size_t i;

	*out = NULL;
	/* One event and no flags: the event as it came. */
	if (cJSON_GetArraySize(msg->events) == 1 && !msg->overridden) {
		*out = cJSON_Duplicate(cJSON_GetArrayItem(msg->events, 0), 1);
		return *out ? 0 : gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	}
	ev = cJSON_CreateObject();
	if (!ev)
		return gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
	cJSON_AddStringToObject(ev, "schema", GTH_EVENT_SCHEMA);
	cJSON_AddStringToObject(ev, "tool", "gth-notify");
	cJSON_AddStringToObject(ev, "status", msg->status);
	cJSON_AddNumberToObject(ev, "exit", (double)status_exit(msg));
	if (msg->app)
		cJSON_AddStringToObject(ev, "app", msg->app);
	cJSON_AddStringToObject(ev, "summary", msg->title);
	if (msg->sha || msg->ref || msg->repo) {
		git = cJSON_AddObjectToObject(ev, "git");
		if (msg->sha)
			cJSON_AddStringToObject(git, "sha", msg->sha);
		if (msg->ref)
			cJSON_AddStringToObject(git, "ref", msg->ref);
		if (msg->repo)
			cJSON_AddStringToObject(git, "repo", msg->repo);
	}
	if (msg->run_url)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "run"), "url", msg->run_url);
	if (msg->duration_ms >= 0)
		cJSON_AddNumberToObject(ev, "duration_ms", (double)msg->duration_ms);
	data = cJSON_AddObjectToObject(ev, "data");
	cJSON_AddStringToObject(data, "title", msg->title);
	if (msg->text)
		cJSON_AddStringToObject(data, "text", msg->text);
	if (msg->image)
		cJSON_AddStringToObject(data, "image", msg->image);
	if (msg->environment)
		cJSON_AddStringToObject(data, "environment", msg->environment);
	fields = cJSON_AddObjectToObject(data, "fields");
	for (i = 0; i < msg->nfields; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(fields, msg->fields[i].key);
		cJSON_AddStringToObject(fields, msg->fields[i].key, msg->fields[i].value);
	}
	cJSON_AddItemToObject(data, "events", cJSON_Duplicate(msg->events, 1));
	*out = ev;
	return 0;
}

/* Stage rows as plain lines, for templates. */
static char *rows_plain(const struct notify_msg *msg)
{
	struct gth_buf b = GTH_BUF_INIT;
	size_t i;

	for (i = 0; i < msg->nrows; i++) {
		char *s = row_line(&msg->rows[i], "");
		if (!s || (i && gth_buf_putc(&b, '\n') < 0) || gth_buf_puts(&b, s) < 0) {
			free(s);
			gth_buf_release(&b);
			return NULL;
		}
		free(s);
	}
	return b.len ? gth_buf_detach(&b) : strdup("");
}

char *notify_template_var(const struct notify_msg *msg, const char *name, int *known)
{
	char dur[32];
	const char *v = NULL;
	size_t i;

	*known = 1;
	if (strcmp(name, "status") == 0)
		v = msg->status;
	else if (strcmp(name, "status_word") == 0)
		v = notify_status_word(msg->status);
	else if (strcmp(name, "emoji") == 0)
		v = notify_status_emoji(msg->status);
	else if (strcmp(name, "color") == 0)
		v = notify_status_color(msg->status);
	else if (strcmp(name, "title") == 0)
		v = msg->title;
	else if (strcmp(name, "text") == 0)
		v = msg->text;
	else if (strcmp(name, "app") == 0)
		v = msg->app;
	else if (strcmp(name, "image") == 0)
		v = msg->image;
	else if (strcmp(name, "sha") == 0)
		v = msg->sha;
	else if (strcmp(name, "short_sha") == 0)
		return msg->sha ? strndup(msg->sha, 7) : strdup("");
	else if (strcmp(name, "ref") == 0)
		v = msg->ref;
	else if (strcmp(name, "repo") == 0)
		v = msg->repo;
	else if (strcmp(name, "commit_url") == 0)
		v = msg->commit_url;
	else if (strcmp(name, "run_url") == 0)
		v = msg->run_url;
	else if (strcmp(name, "environment") == 0)
		v = msg->environment;
	else if (strcmp(name, "duration") == 0)
		v = msg->duration_ms >= 0 ? gth_format_duration(msg->duration_ms, dur, sizeof(dur)) : NULL;
	else if (strcmp(name, "duration_ms") == 0)
		return msg->duration_ms >= 0 ? gth_strdupf("%lld", (long long)msg->duration_ms) : strdup("");
	else if (strcmp(name, "stages") == 0)
		return rows_plain(msg);
	else if (gth_starts_with(name, "field.")) {
		for (i = msg->nfields; i-- > 0;)
			if (strcmp(msg->fields[i].key, name + 6) == 0)
				return strdup(msg->fields[i].value);
		v = NULL;
	} else {
		*known = 0;
		return NULL;
	}
	return strdup(v ? v : "");
}
