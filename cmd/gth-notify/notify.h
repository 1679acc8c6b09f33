/* gth-notify's own modules: the message model built from events and flags
 * (message.c), its renderings (slack.c, teams.c, discord.c, webhook.c,
 * template.c), and delivery (deliver.c, github.c).
 *
 * Every function returns 0 or -1 with err set; what comes back through ** is
 * the caller's to free (cJSON_Delete, free). */
#ifndef GTH_NOTIFY_H
#define GTH_NOTIFY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "gth/buf.h"
#include "gth/error.h"
#include "gth/http.h"

/* Slack's documented Block Kit limits (characters). */
#define NOTIFY_SLACK_HEADER_MAX 150
#define NOTIFY_SLACK_SECTION_MAX 3000
#define NOTIFY_SLACK_FIELD_MAX 2000
#define NOTIFY_SLACK_FIELDS_MAX 10
#define NOTIFY_SLACK_BLOCKS_MAX 50
#define NOTIFY_SLACK_TEXT_MAX 4000
/* GitHub cuts a deployment status description at 140 characters. */
#define NOTIFY_GITHUB_DESCRIPTION_MAX 140

struct notify_field {
	char *key;
	char *value;
};

/* One input event, as a row of the message. */
struct notify_row {
	char *stage;       /* "test" for gth-test; the tool name otherwise */
	char *status;      /* success, failure, inconclusive, error */
	char *summary;     /* may be NULL */
	int64_t duration_ms; /* -1 when unknown */
};

struct notify_msg {
	char *status;      /* success, failure, inconclusive, error, started */
	char *title;       /* never NULL after notify_msg_build */
	char *text;        /* --text, or the single event's summary; may be NULL */
	char *app, *image, *sha, *ref, *repo, *environment;
	char *commit_url, *run_url;
	int64_t duration_ms; /* -1 when unknown */
	struct notify_field *fields;
	size_t nfields;
	struct notify_row *rows;
	size_t nrows;
	cJSON *events;     /* the input events, an array (owned) */
	int overridden;    /* a flag changed what the events say */
};

#define NOTIFY_MSG_INIT { 0 }

/* What the flags say; every member may be NULL. */
struct notify_input {
	const char *const *from;   /* event files, "-" for stdin */
	size_t nfrom;
	const char *status;
	const char *title;
	const char *text;
	const char *environment;
	const char *const *fields; /* "K=V" */
	size_t nfields;
	int verb_says;             /* the verb has something to say without the above */
};

/* Read the events and apply the flags. Usage errors (a bad --status or --field,
 * nothing to say) are 64; bad events 65; a missing file 66. */
int notify_msg_build(struct notify_msg *msg, const struct notify_input *in,
		     struct gth_error *err);
void notify_msg_release(struct notify_msg *msg);

/* 1 for the statuses --status accepts. */
int notify_status_valid(const char *status);
/* "succeeded", "failed", ... */
const char *notify_status_word(const char *status);
const char *notify_status_emoji(const char *status);
/* "#2eb67d" ... */
const char *notify_status_color(const char *status);
/* The stage name of a tool: "gth-test" -> "test". */
const char *notify_stage_name(const char *tool);

/* Copy of s cut to at most max characters (UTF-8 code points), the last one
 * an ellipsis when cut. NULL only when memory runs out. */
char *notify_truncate(const char *s, size_t max);
/* Number of UTF-8 code points. */
size_t notify_utf8_len(const char *s);
/* Slack mrkdwn escaping of &, < and > into out. */
int notify_slack_escape(struct gth_buf *out, const char *s);

/* Renderings: a new JSON object, the exact body to send. */
int notify_render_slack(cJSON **out, const struct notify_msg *msg, struct gth_error *err);
int notify_render_teams(cJSON **out, const struct notify_msg *msg, struct gth_error *err);
int notify_render_discord(cJSON **out, const struct notify_msg *msg, struct gth_error *err);
int notify_render_webhook(cJSON **out, const struct notify_msg *msg, struct gth_error *err);

/* A template file: JSON whose string values may hold {{name}} placeholders (see
 * gth-notify(1)); a string that is exactly "{{events}}" becomes the events array.
 * An unknown placeholder or invalid JSON is a 65 error naming the file. */
int notify_render_template(cJSON **out, const char *path, const struct notify_msg *msg,
			   struct gth_error *err);
/* The value of one placeholder, or NULL when the name is unknown (*known = 0);
 * "" for a known one without a value. malloc'd. */
char *notify_template_var(const struct notify_msg *msg, const char *name, int *known);

/* Slack's error strings: the exit status for one (65, 77, 69 or 75), and a short
 * explanation or NULL. */
int notify_slack_error_exit(const char *error, long http_status);
const char *notify_slack_error_hint(const char *error);

/* What a verb was asked to do, after flags, environment and gth.yaml. */
struct notify_opts {
	struct notify_input in;
	const char *template_file;
	int dry_run;
	int64_t timeout_ms;        /* total budget per request, retries included; 0: the default */
	/* slack */
	const char *channel;
	const char *update_ts;
	const char *thread_ts;
	int broadcast;
	/* github-deployment */
	const char *state;
	const char *env_url;
	const char *ref;
	const char *repo;
	long long deployment_id;
	/* webhook */
	const char *url;
	const char *secret_env;
};

/* What came of it: the event's data. */
struct notify_result {
	const char *service;
	int delivered;
	long http_status;
	char *ts, *channel, *thread_ts, *message_id;
	long long deployment_id, status_id;
	const char *state;
	cJSON *requests;           /* --dry-run: [{method, url, body}] */
};

#define NOTIFY_RESULT_INIT { 0 }
void notify_result_release(struct notify_result *res);

/* The deliveries. Each renders the body, then POSTs it (or, with dry_run, adds
 * it to res->requests and prints nothing). 0, or -1 with the documented status. */
int notify_send_slack(struct notify_result *res, const struct notify_opts *o,
		      const struct notify_msg *msg, struct gth_error *err);
int notify_send_github(struct notify_result *res, const struct notify_opts *o,
		       const struct notify_msg *msg, struct gth_error *err);
int notify_send_webhook(struct notify_result *res, const struct notify_opts *o,
			const struct notify_msg *msg, struct gth_error *err);
int notify_send_teams(struct notify_result *res, const struct notify_opts *o,
		      const struct notify_msg *msg, struct gth_error *err);
int notify_send_discord(struct notify_result *res, const struct notify_opts *o,
			const struct notify_msg *msg, struct gth_error *err);

/* A secret from the environment: NAME, else the file NAME_FILE names (one
 * trailing newline dropped). Registered with the redactor (and masked in
 * Actions). *out is malloc'd, NULL when neither is set. */
int notify_secret(char **out, const char *name, struct gth_error *err);

/* GitHub deployments. */
struct notify_github {
	const char *api_url;       /* GITHUB_API_URL or https://api.github.com */
	const char *token;
	const char *repo;          /* owner/name */
	const char *ref;
	const char *environment;
	const char *state;         /* success, failure, error, inactive, in_progress, queued, pending */
	const char *environment_url;
	const char *log_url;
	const char *description;
	long long deployment_id;   /* 0: create one first */
};

int notify_github_deployment_body(cJSON **out, const struct notify_github *g);
int notify_github_status_body(cJSON **out, const struct notify_github *g);
/* The deployment state for an event status. */
const char *notify_github_state(const char *status);
int notify_github_state_valid(const char *state);
/* Map a GitHub error answer to an error (403 with exhausted rate limit is 75). */
int notify_github_error(struct gth_error *err, const struct gth_http_response *resp,
			const char *what);

/* The checks of an answer by kind (0 Slack webhook, 1 Slack API, 2 webhook,
 * 3 GitHub): 0 when it is a success, else -1 with err set. For fuzzing. */
int notify_answer_check(struct notify_result *res, const struct gth_http_response *resp, int kind,
			struct gth_error *err);

#endif
