/* gth-notify: tell people. Options, one call per verb, exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gth/config.h"
#include "gth/error.h"
#include "gth/event.h"
#include "gth/gha.h"
#include "gth/http.h"
#include "gth/log.h"
#include "gth/opts.h"
#include "gth/util.h"
#include "notify.h"

#define TOOL "gth-notify"

static const char synopsis[] =
	"gth-notify slack [--from EVENT]... [--channel C] [--update TS] [--thread TS] [options]\n"
	"gth-notify github-deployment [--from EVENT]... [--environment E] [--state S] [--url U] [options]\n"
	"gth-notify webhook URL [--from EVENT]... [--secret-env VAR] [options]\n"
	"gth-notify teams [--from EVENT]... [options]\n"
	"gth-notify discord [--from EVENT]... [options]";

static const char commands[] =
	"commands:\n"
	"  slack              a Block Kit message by incoming webhook or bot token\n"
	"  github-deployment  a GitHub deployment and its status\n"
	"  webhook            POST the event JSON, signed with HMAC-SHA256\n"
	"  teams              an Adaptive Card to a Microsoft Teams Workflows webhook\n"
	"  discord            an embed to a Discord webhook\n"
	"\n";

enum verb { VERB_SLACK, VERB_GITHUB, VERB_WEBHOOK, VERB_TEAMS, VERB_DISCORD };

struct verb_def {
	const char *name;
	enum verb verb;
	const char *synopsis;
	int (*send)(struct notify_result *, const struct notify_opts *, const struct notify_msg *,
		    struct gth_error *);
};

static const struct verb_def verbs[] = {
	{ "slack", VERB_SLACK,
	  "gth-notify slack [--from EVENT]... [--channel C] [--update TS] [--thread TS]\n"
	  "[--status S] [--title T] [--text T] [--field K=V]... [options]",
	  notify_send_slack },
	{ "github-deployment", VERB_GITHUB,
	  "gth-notify github-deployment [--from EVENT]... [--environment E] [--state S] [--url U]\n"
	  "[--ref REF] [--repo OWNER/NAME] [--deployment-id ID] [options]",
	  notify_send_github },
	{ "webhook", VERB_WEBHOOK, "gth-notify webhook URL [--from EVENT]... [--secret-env VAR] [options]",
	  notify_send_webhook },
	{ "teams", VERB_TEAMS, "gth-notify teams [--from EVENT]... [options]", notify_send_teams },
	{ "discord", VERB_DISCORD, "gth-notify discord [--from EVENT]... [options]", notify_send_discord },
};

struct cli {
	struct gth_common_opts common;
	struct gth_strlist from, fields;
	const char *status, *title, *text, *environment, *template_file, *timeout;
	int dry_run;
	const char *channel, *update, *thread;
	int broadcast;
	const char *state, *url, *ref, *repo;
	long deployment_id;
	const char *secret_env;
};

#define NOTIFY_MSG_OPTS(o)                                                                    \
	{ GTH_OPT_LIST, 0, "from", &(o)->from, "EVENT",                                       \
	  "a gth event file, - for stdin (repeatable; JSON lines allowed)", 0, 0 },          \
	{ GTH_OPT_STR, 0, "status", &(o)->status, "S",                                        \
	  "success, failure, inconclusive, error or started (default: the events')", 0, 0 }, \
	{ GTH_OPT_STR, 0, "title", &(o)->title, "T", "the headline", 0, 0 },                  \
	{ GTH_OPT_STR, 0, "text", &(o)->text, "T", "the body text", 0, 0 },                   \
	{ GTH_OPT_LIST, 0, "field", &(o)->fields, "K=V", "an extra field (repeatable)", 0, 0 }, \
	{ GTH_OPT_STR, 0, "environment", &(o)->environment, "E",                              \
	  "the environment deployed to", 0, 0 },                                               \
	{ GTH_OPT_FLAG, 'n', "dry-run", &(o)->dry_run, NULL,                                  \
	  "print the exact JSON instead of sending it", 0, 0 },                               \
	{ GTH_OPT_STR, 0, "timeout", &(o)->timeout, "DUR",                                    \
	  "time budget per request, retries included (default 2m)", 0, 0 }

#define NOTIFY_TEMPLATE_OPT(o)                                                                \
	{ GTH_OPT_STR, 0, "template", &(o)->template_file, "FILE",                            \
	  "render the body from a JSON template", 0, 0 }

static void print_main_usage(FILE *out)
{
	struct gth_common_opts c = GTH_COMMON_OPTS_INIT;
	const struct gth_opt common[] = { GTH_OPTS_COMMON(&c), GTH_OPTS_END };

	gth_opts_usage(out, synopsis, common);
	fputs("\n", out);
	fputs(commands, out);
	fputs("Run 'gth-notify VERB --help' for a verb's options.\n", out);
}

/* gth.yaml's notify section and GTH_NOTIFY_* give what flags left unset. */
static int apply_config(struct cli *o, const struct gth_node *cfg, struct gth_error *err)
{
	static const char *const known[] = { "channel", "environment", "template", "timeout", NULL };
	const char *env;

	if (!o->channel && (env = getenv("GTH_NOTIFY_CHANNEL")) && *env)
		o->channel = env;
	if (!o->environment && (env = getenv("GTH_NOTIFY_ENVIRONMENT")) && *env)
		o->environment = env;
	if (!cfg)
		return 0;
	if (gth_node_check_keys(cfg, known, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->channel && gth_node_get_str(cfg, "channel", &o->channel, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->environment &&
	    gth_node_get_str(cfg, "environment", &o->environment, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->template_file &&
	    gth_node_get_str(cfg, "template", &o->template_file, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	if (!o->timeout && gth_node_get_str(cfg, "timeout", &o->timeout, GTH_EXIT_CONFIG, err) < 0)
		return -1;
	return 0;
}

static int resolve(struct notify_opts *no, struct cli *o, enum verb verb,
		   const struct gth_strlist *operands, struct gth_error *err)
{
	memset(no, 0, sizeof(*no));
	if (verb == VERB_WEBHOOK) {
		if (operands->n != 1)
			return gth_error_set(err, GTH_EXIT_USAGE, "webhook takes one URL");
		no->url = operands->v[0];
	} else if (operands->n) {
		return gth_error_set(err, GTH_EXIT_USAGE, "unexpected argument '%s'", operands->v[0]);
	}
	if (o->timeout && (gth_parse_duration(o->timeout, &no->timeout_ms) < 0 || no->timeout_ms <= 0))
		return gth_error_set(err, GTH_EXIT_USAGE, "--timeout '%s': expected a duration like 30s",
				     o->timeout);
	no->in.from = o->from.v;
	no->in.nfrom = o->from.n;
	no->in.fields = o->fields.v;
	no->in.nfields = o->fields.n;
	no->in.status = o->status;
	no->in.title = o->title;
	no->in.text = o->text;
	no->in.environment = o->environment;
	no->in.verb_says = verb == VERB_GITHUB && (o->state || o->deployment_id);
	no->template_file = o->template_file;
	no->dry_run = o->dry_run;
	no->channel = o->channel;
	no->update_ts = o->update;
	no->thread_ts = o->thread;
	no->broadcast = o->broadcast;
	no->state = o->state;
	no->env_url = o->url;
	no->ref = o->ref;
	no->repo = o->repo;
	no->deployment_id = o->deployment_id;
	no->secret_env = o->secret_env;
	return 0;
}

static void fill_event(struct gth_event *ev, const struct notify_result *res, int dry_run)
{
	cJSON *d = ev->data;

	cJSON_AddStringToObject(d, "service", res->service ? res->service : "");
	cJSON_AddBoolToObject(d, "delivered", res->delivered);
	if (dry_run)
		cJSON_AddTrueToObject(d, "dry_run");
	if (res->http_status)
		cJSON_AddNumberToObject(d, "http_status", (double)res->http_status);
	if (res->ts)
		cJSON_AddStringToObject(d, "ts", res->ts);
	if (res->channel)
		cJSON_AddStringToObject(d, "channel", res->channel);
	if (res->thread_ts)
		cJSON_AddStringToObject(d, "thread_ts", res->thread_ts);
	if (res->message_id)
		cJSON_AddStringToObject(d, "message_id", res->message_id);
	if (res->deployment_id)
		cJSON_AddNumberToObject(d, "deployment_id", (double)res->deployment_id);
	if (res->status_id)
		cJSON_AddNumberToObject(d, "status_id", (double)res->status_id);
	if (res->state)
		cJSON_AddStringToObject(d, "state", res->state);
	if (res->requests)
		cJSON_AddItemToObject(d, "requests", cJSON_Duplicate(res->requests, 1));
}

/* --dry-run without --json: each body on its own line, exactly as it would go. */
static void print_requests(const struct notify_result *res)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, res->requests) {
		char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r, "body"));

		if (s) {
			fputs(s, stdout);
			fputc('\n', stdout);
		}
		free(s);
	}
}

static void say_done(const struct notify_result *res)
{
	if (res->ts)
		gth_note("delivered to %s (channel %s, ts %s)", res->service, res->channel, res->ts);
	else if (res->deployment_id)
		gth_note("deployment %lld: %s", res->deployment_id, res->state);
	else if (res->message_id)
		gth_note("delivered to %s (message %s)", res->service, res->message_id);
	else
		gth_note("delivered to %s (HTTP %ld)", res->service, res->http_status);
}

static int run_verb(const struct verb_def *vd, int argc, char **argv)
{
	struct cli o;
	struct notify_opts no;
	struct notify_msg msg = NOTIFY_MSG_INIT;
	struct notify_result res = NOTIFY_RESULT_INIT;
	struct gth_strlist operands = GTH_STRLIST_INIT;
	struct gth_error err = GTH_ERROR_INIT;
	struct gth_config cfg = GTH_CONFIG_INIT;
	struct gth_event ev = GTH_EVENT_INIT;
	const struct gth_node *section = NULL;
	int rc = GTH_EXIT_SOFTWARE, event_begun = 0, http_init = 0;

	memset(&o, 0, sizeof(o));
	memset(&no, 0, sizeof(no));
	{
		const struct gth_opt slack[] = {
			NOTIFY_MSG_OPTS(&o), NOTIFY_TEMPLATE_OPT(&o),
			{ GTH_OPT_STR, 0, "channel", &o.channel, "C",
			  "channel ID or name (bot token; required with it)", 0, 0 },
			{ GTH_OPT_STR, 0, "update", &o.update, "TS", "edit the message TS (chat.update)", 0, 0 },
			{ GTH_OPT_STR, 0, "thread", &o.thread, "TS", "reply in the thread of message TS", 0, 0 },
			{ GTH_OPT_FLAG, 0, "broadcast", &o.broadcast, NULL,
			  "with --thread, also show the reply in the channel", 0, 0 },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt github[] = {
			NOTIFY_MSG_OPTS(&o),
			{ GTH_OPT_STR, 0, "state", &o.state, "S",
			  "deployment state (default: from the status)", 0, 0 },
			{ GTH_OPT_STR, 0, "url", &o.url, "U", "the environment's URL", 0, 0 },
			{ GTH_OPT_STR, 0, "ref", &o.ref, "REF", "what to deploy (default: the events' commit)", 0, 0 },
			{ GTH_OPT_STR, 0, "repo", &o.repo, "OWNER/NAME", "the repository (default: GITHUB_REPOSITORY)", 0, 0 },
			{ GTH_OPT_INT, 0, "deployment-id", &o.deployment_id, "ID",
			  "add a status to this deployment instead of creating one", 1, 0x7fffffffL },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt webhook[] = {
			NOTIFY_MSG_OPTS(&o), NOTIFY_TEMPLATE_OPT(&o),
			{ GTH_OPT_STR, 0, "secret-env", &o.secret_env, "VAR",
			  "sign the body with HMAC-SHA256 keyed by $VAR", 0, 0 },
			GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt plain[] = {
			NOTIFY_MSG_OPTS(&o), NOTIFY_TEMPLATE_OPT(&o), GTH_OPTS_COMMON(&o.common), GTH_OPTS_END
		};
		const struct gth_opt *table = vd->verb == VERB_SLACK ? slack
					      : vd->verb == VERB_GITHUB ? github
					      : vd->verb == VERB_WEBHOOK ? webhook : plain;

		if ((rc = gth_opts_verb(&operands, table, &o.common, TOOL, vd->synopsis, argc,
					argv)) >= 0)
			goto done;
	}
	/* Only --json needs the event; building it looks up the git repository,
	 * which is most of the start-up outside GitHub Actions. */
	if (o.common.json) {
		if (gth_event_begin(&ev, TOOL) < 0) {
			gth_error_set(&err, GTH_EXIT_SOFTWARE, "out of memory");
			goto fail;
		}
		event_begun = 1;
	}
	if (gth_config_load(&cfg, o.common.config, &err) < 0 ||
	    gth_config_section(&section, &cfg, "notify", &err) < 0 ||
	    apply_config(&o, section, &err) < 0 || resolve(&no, &o, vd->verb, &operands, &err) < 0)
		goto fail;
	if (notify_msg_build(&msg, &no.in, &err) < 0)
		goto fail;
	if (event_begun && msg.app)
		gth_event_set_app(&ev, msg.app);
	if (gth_http_global_init(&err) < 0)
		goto fail;
	http_init = 1;
	if (vd->send(&res, &no, &msg, &err) < 0)
		goto fail;
	if (no.dry_run) {
		if (event_begun)
			gth_event_set_summary(&ev, "dry run: %d request%s to %s", cJSON_GetArraySize(res.requests),
				      cJSON_GetArraySize(res.requests) == 1 ? "" : "s", res.service);
		if (!o.common.json)
			print_requests(&res);
	} else {
		char *md;

		say_done(&res);
		if (event_begun)
			gth_event_set_summary(&ev, "delivered to %s", res.service);
		md = gth_strdupf("**gth-notify** delivered to %s: %s %s\n", res.service,
				 notify_status_emoji(msg.status), msg.title);
		if (md && gth_gha_summary(md, &err) < 0) {
			free(md);
			goto fail;
		}
		free(md);
	}
	rc = 0;
	goto finish;

fail:
	rc = gth_fail(&err);
	if (rc == GTH_EXIT_USAGE)
		gth_opts_usage(stderr, vd->synopsis, NULL);
	if (event_begun) {
		char *safe = gth_redact(err.msg);

		gth_event_set_summary(&ev, "%s", safe ? safe : "error");
		free(safe);
	}
finish:
	if (event_begun && o.common.json)
		fill_event(&ev, &res, no.dry_run);
	rc = gth_event_end(&ev, event_begun && o.common.json, rc);
done:
	notify_result_release(&res);
	notify_msg_release(&msg);
	gth_event_release(&ev);
	gth_config_release(&cfg);
	gth_strlist_release(&o.from);
	gth_strlist_release(&o.fields);
	gth_strlist_release(&operands);
	if (http_init)
		gth_http_global_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	size_t v = 0;
	int rc;

	gth_log_init(TOOL);
	rc = gth_opts_dispatch(&v, argc, argv, TOOL, verbs, GTH_ARRAY_SIZE(verbs),
			       sizeof(verbs[0]), print_main_usage);
	return rc >= 0 ? rc : run_verb(&verbs[v], argc - 1, argv + 1);
}
