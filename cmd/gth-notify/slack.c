/* Slack: Block Kit rendering within Slack's limits, and Slack's error strings. */
#include <stdlib.h>
#include <string.h>

#include "gth/util.h"
#include "notify.h"

/* A mrkdwn text, escaped and cut to max characters. */
static char *mrkdwn(const char *s, size_t max)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *out;

	if (notify_slack_escape(&b, s) < 0) {
		gth_buf_release(&b);
		return NULL;
	}
	out = notify_truncate(gth_buf_cstr(&b), max);
	gth_buf_release(&b);
	return out;
}

static cJSON *text_obj(const char *type, const char *text)
{
	cJSON *t = cJSON_CreateObject();

	if (!t)
		return NULL;
	cJSON_AddStringToObject(t, "type", type);
	cJSON_AddStringToObject(t, "text", text);
	if (strcmp(type, "plain_text") == 0)
		cJSON_AddTrueToObject(t, "emoji");
	return t;
}

static int add_section_text(cJSON *blocks, const char *text)
{
	cJSON *s = cJSON_CreateObject();

	if (!s)
		return -1;
	cJSON_AddStringToObject(s, "type", "section");
	cJSON_AddItemToObject(s, "text", text_obj("mrkdwn", text));
	cJSON_AddItemToArray(blocks, s);
	return 0;
}

struct fieldset {
	char **v;
	size_t n;
};

static int fieldset_add(struct fieldset *fs, const char *key, const char *value, int code)
{
	struct gth_buf b = GTH_BUF_INIT;
	char **v;
	char *cut;

	if (!value || !*value)
		return 0;
	if (gth_buf_puts(&b, "*") < 0 || notify_slack_escape(&b, key) < 0 ||
	    gth_buf_puts(&b, code ? "*\n`" : "*\n") < 0 || notify_slack_escape(&b, value) < 0 ||
	    gth_buf_puts(&b, code ? "`" : "") < 0)
		goto fail;
	cut = notify_truncate(gth_buf_cstr(&b), NOTIFY_SLACK_FIELD_MAX);
	gth_buf_release(&b);
	if (!cut)
		return -1;
	v = realloc(fs->v, (fs->n + 1) * sizeof(*v));
	if (!v) {
		free(cut);
		return -1;
	}
	fs->v = v;
	fs->v[fs->n++] = cut;
	return 0;
fail:
	gth_buf_release(&b);
	return -1;
}

static int fieldset_add_raw(struct fieldset *fs, char *owned)
{
	char **v;

	if (!owned)
		return -1;
	v = realloc(fs->v, (fs->n + 1) * sizeof(*v));
	if (!v) {
		free(owned);
		return -1;
	}
	fs->v = v;
	fs->v[fs->n++] = owned;
	return 0;
}

static void fieldset_release(struct fieldset *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i]);
	free(fs->v);
}

static int commit_field(struct fieldset *fs, const struct notify_msg *msg)
{
	struct gth_buf b = GTH_BUF_INIT;
	char shortsha[13];

	if (!msg->sha)
		return 0;
	gth_strlcpy(shortsha, msg->sha, 8);
	if (gth_buf_puts(&b, "*Commit*\n") < 0)
		goto fail;
	if (msg->commit_url) {
		if (gth_buf_puts(&b, "<") < 0 || notify_slack_escape(&b, msg->commit_url) < 0 ||
		    gth_buf_puts(&b, "|") < 0 || notify_slack_escape(&b, shortsha) < 0 ||
		    gth_buf_puts(&b, ">") < 0)
			goto fail;
	}
	/* a link cut short is no link: past the limit, the short sha alone */
	if (!msg->commit_url || notify_utf8_len(gth_buf_cstr(&b)) > NOTIFY_SLACK_FIELD_MAX) {
		gth_buf_clear(&b);
		if (gth_buf_puts(&b, "*Commit*\n`") < 0 || notify_slack_escape(&b, shortsha) < 0 ||
		    gth_buf_puts(&b, "`") < 0)
			goto fail;
	}
	return fieldset_add_raw(fs, gth_buf_detach(&b));
fail:
	gth_buf_release(&b);
	return -1;
}

static char *rows_text(const struct notify_msg *msg)
{
	struct gth_buf b = GTH_BUF_INIT;
	char dur[32];
	char *out;
	size_t i;

	for (i = 0; i < msg->nrows; i++) {
		const struct notify_row *r = &msg->rows[i];
		if ((i && gth_buf_putc(&b, '\n') < 0) ||
		    gth_buf_printf(&b, "%s *", notify_status_emoji(r->status)) < 0 ||
		    notify_slack_escape(&b, r->stage) < 0 || gth_buf_puts(&b, "*") < 0)
			goto fail;
		if (r->summary && (gth_buf_puts(&b, " ") < 0 || notify_slack_escape(&b, r->summary) < 0))
			goto fail;
		if (r->duration_ms >= 0 &&
		    gth_buf_printf(&b, " (%s)", gth_format_duration(r->duration_ms, dur, sizeof(dur))) < 0)
			goto fail;
	}
	out = notify_truncate(gth_buf_cstr(&b), NOTIFY_SLACK_SECTION_MAX);
	gth_buf_release(&b);
	return out;
fail:
	gth_buf_release(&b);
	return NULL;
}

static char *context_text(const struct notify_msg *msg)
{
	struct gth_buf b = GTH_BUF_INIT;
	char *out;

	if (msg->run_url && (gth_buf_puts(&b, "<") < 0 || notify_slack_escape(&b, msg->run_url) < 0 ||
			     gth_buf_puts(&b, "|View run>") < 0))
		goto fail;
	if (msg->repo && ((b.len && gth_buf_puts(&b, " \xc2\xb7 ") < 0) ||
			  notify_slack_escape(&b, msg->repo) < 0))
		goto fail;
	if (msg->ref && ((b.len && gth_buf_puts(&b, " \xc2\xb7 ") < 0) ||
			 notify_slack_escape(&b, msg->ref) < 0))
		goto fail;
	if (!b.len) {
		gth_buf_release(&b);
		return strdup("");
	}
	out = notify_truncate(gth_buf_cstr(&b), NOTIFY_SLACK_SECTION_MAX);
	gth_buf_release(&b);
	return out;
fail:
	gth_buf_release(&b);
	return NULL;
}

int notify_render_slack(cJSON **out, const struct notify_msg *msg, struct gth_error *err)
{
	cJSON *root = cJSON_CreateObject(), *blocks, *att, *atts, *ablocks, *hdr;
	struct fieldset fs = { NULL, 0 };
	struct gth_buf b = GTH_BUF_INIT;
	char *s = NULL, dur[32];
	size_t i, nblocks = 1;
	int rc = -1;

	*out = NULL;
	if (!root)
		goto oom;
	/* The fallback text for notifications and clients without blocks. */
	if (gth_buf_printf(&b, "%s ", notify_status_emoji(msg->status)) < 0 ||
	    notify_slack_escape(&b, msg->title) < 0)
		goto oom;
	if (msg->text && (gth_buf_puts(&b, " \xe2\x80\x94 ") < 0 || notify_slack_escape(&b, msg->text) < 0))
		goto oom;
	s = notify_truncate(gth_buf_cstr(&b), NOTIFY_SLACK_TEXT_MAX);
	if (!s)
		goto oom;
	cJSON_AddStringToObject(root, "text", s);
	free(s);
	gth_buf_clear(&b);

	/* The header, with the status. */
	blocks = cJSON_AddArrayToObject(root, "blocks");
	hdr = cJSON_CreateObject();
	if (!blocks || !hdr)
		goto oom;
	if (gth_buf_printf(&b, "%s %s", notify_status_emoji(msg->status), msg->title) < 0)
		goto oom;
	s = notify_truncate(gth_buf_cstr(&b), NOTIFY_SLACK_HEADER_MAX);
	if (!s)
		goto oom;
	cJSON_AddStringToObject(hdr, "type", "header");
	cJSON_AddItemToObject(hdr, "text", text_obj("plain_text", s));
	free(s);
	s = NULL;
	cJSON_AddItemToArray(blocks, hdr);

	/* The details beside a colour bar. */
	atts = cJSON_AddArrayToObject(root, "attachments");
	att = cJSON_CreateObject();
	if (!atts || !att)
		goto oom;
	cJSON_AddItemToArray(atts, att);
	cJSON_AddStringToObject(att, "color", notify_status_color(msg->status));
	ablocks = cJSON_AddArrayToObject(att, "blocks");
	if (!ablocks)
		goto oom;
	if (msg->text) {
		if (!(s = mrkdwn(msg->text, NOTIFY_SLACK_SECTION_MAX)) || add_section_text(ablocks, s) < 0)
			goto oom;
		free(s);
		s = NULL;
		nblocks++;
	}
	if (fieldset_add(&fs, "App", msg->app, 0) < 0 || fieldset_add(&fs, "Image", msg->image, 1) < 0 ||
	    commit_field(&fs, msg) < 0 || fieldset_add(&fs, "Environment", msg->environment, 0) < 0)
		goto oom;
	if (msg->duration_ms >= 0 &&
	    fieldset_add(&fs, "Duration", gth_format_duration(msg->duration_ms, dur, sizeof(dur)), 0) < 0)
		goto oom;
	for (i = 0; i < msg->nfields; i++)
		if (fieldset_add(&fs, msg->fields[i].key, msg->fields[i].value, 0) < 0)
			goto oom;
	/* Ten fields to a section; more sections while blocks remain (two kept for
	 * the stage rows and the context line). */
	for (i = 0; i < fs.n && nblocks < NOTIFY_SLACK_BLOCKS_MAX - 2; i += NOTIFY_SLACK_FIELDS_MAX) {
		cJSON *sec = cJSON_CreateObject(), *fields;
		size_t j;

		if (!sec)
			goto oom;
		cJSON_AddItemToArray(ablocks, sec);
		cJSON_AddStringToObject(sec, "type", "section");
		fields = cJSON_AddArrayToObject(sec, "fields");
		for (j = i; j < fs.n && j < i + NOTIFY_SLACK_FIELDS_MAX; j++)
			cJSON_AddItemToArray(fields, text_obj("mrkdwn", fs.v[j]));
		nblocks++;
	}
	if (msg->nrows > 1) {
		if (!(s = rows_text(msg)) || add_section_text(ablocks, s) < 0)
			goto oom;
		free(s);
		s = NULL;
	}
	if (!(s = context_text(msg)))
		goto oom;
	if (*s) {
		cJSON *ctx = cJSON_CreateObject(), *els;
		if (!ctx)
			goto oom;
		cJSON_AddItemToArray(ablocks, ctx);
		cJSON_AddStringToObject(ctx, "type", "context");
		els = cJSON_AddArrayToObject(ctx, "elements");
		cJSON_AddItemToArray(els, text_obj("mrkdwn", s));
	}
	free(s);
	s = NULL;
	*out = root;
	root = NULL;
	rc = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	free(s);
	fieldset_release(&fs);
	gth_buf_release(&b);
	cJSON_Delete(root);
	return rc;
}

static const struct {
	const char *error;
	int exit;
	const char *hint;
} slack_errors[] = {
	/* the request itself is wrong */
	{ "invalid_payload", GTH_EXIT_DATAERR, "the body is not a valid message" },
	{ "invalid_blocks", GTH_EXIT_DATAERR, "a block is invalid" },
	{ "invalid_blocks_format", GTH_EXIT_DATAERR, "the blocks are not an array of blocks" },
	{ "invalid_attachments", GTH_EXIT_DATAERR, "an attachment is invalid" },
	{ "too_many_attachments", GTH_EXIT_DATAERR, "more than 100 attachments" },
	{ "msg_too_long", GTH_EXIT_DATAERR, "the message text is too long" },
	{ "no_text", GTH_EXIT_DATAERR, "the message has no text" },
	{ "missing_text_or_fallback_or_attachments", GTH_EXIT_DATAERR, "the message has no text" },
	{ "user_not_found", GTH_EXIT_DATAERR, "a user named in the message does not exist" },
	{ "invalid_arguments", GTH_EXIT_DATAERR, NULL },
	{ "invalid_arg_name", GTH_EXIT_DATAERR, NULL },
	{ "invalid_array_arg", GTH_EXIT_DATAERR, NULL },
	{ "invalid_charset", GTH_EXIT_DATAERR, NULL },
	{ "invalid_form_data", GTH_EXIT_DATAERR, NULL },
	{ "invalid_post_type", GTH_EXIT_DATAERR, NULL },
	{ "missing_post_type", GTH_EXIT_DATAERR, NULL },
	{ "invalid_json", GTH_EXIT_DATAERR, NULL },
	{ "json_not_object", GTH_EXIT_DATAERR, NULL },
	{ "message_not_found", GTH_EXIT_DATAERR, "no message with that ts in the channel (--update takes the ts of a message the bot posted)" },
	{ "thread_not_found", GTH_EXIT_DATAERR, "no message with that ts to reply to (--thread)" },
	{ "invalid_ts_latest", GTH_EXIT_DATAERR, NULL },
	/* who is asking is not allowed */
	{ "not_authed", GTH_EXIT_NOPERM, "no token was sent" },
	{ "invalid_auth", GTH_EXIT_NOPERM, "the token is invalid or not allowed from this address" },
	{ "invalid_token", GTH_EXIT_NOPERM, "the webhook's token is invalid" },
	{ "account_inactive", GTH_EXIT_NOPERM, "the token belongs to a deleted user or workspace" },
	{ "token_revoked", GTH_EXIT_NOPERM, "the token was revoked" },
	{ "token_expired", GTH_EXIT_NOPERM, "the token expired" },
	{ "no_permission", GTH_EXIT_NOPERM, NULL },
	{ "missing_scope", GTH_EXIT_NOPERM, "the token lacks a scope (chat:write)" },
	{ "not_allowed_token_type", GTH_EXIT_NOPERM, NULL },
	{ "not_in_channel", GTH_EXIT_NOPERM, "invite the bot to the channel" },
	{ "action_prohibited", GTH_EXIT_NOPERM, "the workspace forbids this webhook posting here" },
	{ "posting_to_general_channel_denied", GTH_EXIT_NOPERM, "only admins may post to this channel" },
	{ "restricted_action", GTH_EXIT_NOPERM, NULL },
	{ "restricted_action_read_only_channel", GTH_EXIT_NOPERM, NULL },
	{ "restricted_action_thread_only_channel", GTH_EXIT_NOPERM, NULL },
	{ "restricted_action_non_threadable_channel", GTH_EXIT_NOPERM, NULL },
	{ "cant_update_message", GTH_EXIT_NOPERM, "only the bot's own messages can be updated" },
	{ "edit_window_closed", GTH_EXIT_NOPERM, "the message can no longer be edited" },
	{ "ekm_access_denied", GTH_EXIT_NOPERM, NULL },
	{ "access_denied", GTH_EXIT_NOPERM, NULL },
	{ "two_factor_setup_required", GTH_EXIT_NOPERM, NULL },
	{ "team_access_not_granted", GTH_EXIT_NOPERM, NULL },
	/* the destination is not there */
	{ "channel_not_found", GTH_EXIT_UNAVAILABLE, "the channel does not exist (chat.update needs the channel ID)" },
	{ "channel_is_archived", GTH_EXIT_UNAVAILABLE, "the channel is archived" },
	{ "is_archived", GTH_EXIT_UNAVAILABLE, "the channel is archived" },
	{ "no_service", GTH_EXIT_UNAVAILABLE, "the webhook is disabled, removed or invalid" },
	{ "no_service_id", GTH_EXIT_UNAVAILABLE, "the webhook URL is incomplete" },
	{ "no_team", GTH_EXIT_UNAVAILABLE, "the workspace does not exist" },
	{ "team_disabled", GTH_EXIT_UNAVAILABLE, "the workspace is disabled" },
	{ "no_active_hooks", GTH_EXIT_UNAVAILABLE, "the webhook is disabled" },
	{ "rollup_error", GTH_EXIT_UNAVAILABLE, "Slack failed on its side" },
	{ "internal_error", GTH_EXIT_UNAVAILABLE, "Slack failed on its side" },
	{ "fatal_error", GTH_EXIT_UNAVAILABLE, "Slack failed on its side" },
	{ "service_unavailable", GTH_EXIT_UNAVAILABLE, NULL },
	{ "request_timeout", GTH_EXIT_UNAVAILABLE, NULL },
	{ "org_login_required", GTH_EXIT_UNAVAILABLE, NULL },
	{ "team_added_to_org", GTH_EXIT_UNAVAILABLE, NULL },
	{ "deprecated_endpoint", GTH_EXIT_UNAVAILABLE, NULL },
	{ "method_deprecated", GTH_EXIT_UNAVAILABLE, NULL },
	/* come back later */
	{ "ratelimited", GTH_EXIT_TEMPFAIL, "rate limited" },
	{ "rate_limited", GTH_EXIT_TEMPFAIL, "rate limited" },
	{ "message_limit_exceeded", GTH_EXIT_TEMPFAIL, "too many messages" },
};

int notify_slack_error_exit(const char *error, long http_status)
{
	size_t i;

	for (i = 0; error && i < GTH_ARRAY_SIZE(slack_errors); i++)
		if (strcmp(slack_errors[i].error, error) == 0)
			return slack_errors[i].exit;
	if (http_status == 401 || http_status == 403)
		return GTH_EXIT_NOPERM;
	if (http_status == 429)
		return GTH_EXIT_TEMPFAIL;
	if (http_status >= 400 && http_status < 500 && http_status != 404 && http_status != 410)
		return GTH_EXIT_DATAERR;
	return GTH_EXIT_UNAVAILABLE;
}

const char *notify_slack_error_hint(const char *error)
{
	size_t i;

	for (i = 0; error && i < GTH_ARRAY_SIZE(slack_errors); i++)
		if (strcmp(slack_errors[i].error, error) == 0)
			return slack_errors[i].hint;
	return NULL;
}
