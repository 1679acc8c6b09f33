#!/usr/bin/env bash
# gth-notify fails loudly: every Slack error string, rate limits, 5xx, dropped and
# slow connections, configuration and usage mistakes end with a one-line message
# and the documented exit status; secrets are never printed.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/notify.sh.inc"

# hook KEY STATUS MESSAGE: the incoming webhook KEY of slack-api.py fails so.
hook() {
	SLACK_WEBHOOK_URL=$API/services/T000/B000/$1 run gth-notify slack --status success --title hi
	expect_rc "$2"
	expect_err_eq "gth-notify: error: $3"
}
case_webhook_errors() {
	start_api
	hook nochannel 69 "slack webhook: channel_not_found (HTTP 404): the channel does not exist (chat.update needs the channel ID)"
	hook archived 69 "slack webhook: channel_is_archived (HTTP 410): the channel is archived"
	hook prohibited 77 "slack webhook: action_prohibited (HTTP 403): the workspace forbids this webhook posting here"
	hook invalidtoken 77 "slack webhook: invalid_token (HTTP 403): the webhook's token is invalid"
	hook revoked-hook 69 "slack webhook: no_service (HTTP 404): the webhook is disabled, removed or invalid"
	# a body Slack cannot use: no text, no blocks
	echo '{"unfurl_links": false}' >empty.json
	SLACK_WEBHOOK_URL=$API/services/T000/B000/good run gth-notify slack --status success --template empty.json
	expect_rc 65
	expect_err_eq "gth-notify: error: slack webhook: missing_text_or_fallback_or_attachments (HTTP 400): the message has no text"
}
t "incoming webhook: Slack's error strings, each with its exit status" case_webhook_errors

case_invalid_payload() {
	cat >s.json <<'S'
{"routes": [{"method": "POST", "path": "/hook", "responses": [{"status": 400, "body": "invalid_payload"}]}]}
S
	start_stub s.json
	SLACK_WEBHOOK_URL=$STUB_URL/hook run gth-notify slack --status success --title hi
	expect_rc 65
	expect_err_eq "gth-notify: error: slack webhook: invalid_payload (HTTP 400): the body is not a valid message"
	check [ "$(nreq "$STUB_LOG")" = 1 ]
}
t "invalid_payload is bad data (65), not retried" case_invalid_payload

# api CHANNEL STATUS MESSAGE [ARGS]: chat.postMessage to CHANNEL fails so.
api() {
	local ch=$1 st=$2 msg=$3
	shift 3
	SLACK_BOT_TOKEN=${TOKEN:-$SLACK_TOKEN} SLACK_API_URL=$API/api run gth-notify slack --channel "$ch" \
		--status success --title hi "$@"
	expect_rc "$st"
	expect_err_eq "gth-notify: error: $msg"
}
case_api_errors() {
	start_api
	TOKEN=xoxb-wrong api C0DEPLOYS 77 "slack chat.postMessage: invalid_auth (HTTP 200): the token is invalid or not allowed from this address"
	api '#nope' 69 "slack chat.postMessage: channel_not_found (HTTP 200): the channel does not exist (chat.update needs the channel ID)"
	api '#private' 77 "slack chat.postMessage: not_in_channel (HTTP 200): invite the bot to the channel"
	api C0ARCHIVE 69 "slack chat.postMessage: is_archived (HTTP 200): the channel is archived"
	api C0DEPLOYS 65 "slack chat.postMessage: thread_not_found (HTTP 200): no message with that ts to reply to (--thread)" --thread 1.000001
	api C0DEPLOYS 65 "slack chat.update: message_not_found (HTTP 200): no message with that ts in the channel (--update takes the ts of a message the bot posted)" --update 1.000001
	api '#deploys' 69 "slack chat.update: channel_not_found (HTTP 200): the channel does not exist (chat.update needs the channel ID)" --update 1.000001
	# the token shows nowhere, even with -v
	SLACK_BOT_TOKEN=xoxb-wrong-secret SLACK_API_URL=$API/api run gth-notify slack --channel C0DEPLOYS \
		--status success --title hi -v
	expect_rc 77
	expect_err_contains "gth-notify: error: slack chat.postMessage: invalid_auth (HTTP 200)"
	expect_err_lacks "xoxb-wrong-secret"
}
t "bot token: {ok:false} answers name Slack's error with its exit status" case_api_errors

case_429_retry_after() {
	cat >s.json <<'S'
{"routes": [{"method": "POST", "path": "/hook", "responses": [
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 200, "body": "ok"}]}]}
S
	start_stub s.json
	t0=$(date +%s%N)
	SLACK_WEBHOOK_URL=$STUB_URL/hook run gth-notify slack --status success --title hi
	t1=$(date +%s%N)
	expect_rc 0
	check [ "$(nreq "$STUB_LOG")" = 4 ]
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$ms" -ge 2900 ] && [ "$ms" -lt 6000 ] || _fail "three Retry-After: 1 took ${ms} ms"
	# every attempt sent the same bytes
	check [ "$(jq -r .body "$STUB_LOG" | sort -u | wc -l)" = 1 ]
}
t "429 with Retry-After is honoured and retried with the same body" case_429_retry_after

case_429_past_budget() {
	cat >s.json <<'S'
{"routes": [{"method": "POST", "path": "/hook", "responses": [
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"}]}]}
S
	start_stub s.json
	SLACK_WEBHOOK_URL=$STUB_URL/hook run gth-notify slack --status success --title hi --timeout 2500ms
	expect_rc 75
	expect_err_match '^gth-notify: error: slack webhook: rate limited \(HTTP 429, Retry-After: 1\) past the time budget after [23] attempts$'
	cat >s2.json <<'S'
{"routes": [{"method": "POST", "path": "/api/chat.postMessage", "responses": [
 {"status": 429, "headers": {"Retry-After": "30"}, "json": {"ok": false, "error": "ratelimited"}}]}]}
S
	start_stub s2.json
	SLACK_BOT_TOKEN=$SLACK_TOKEN SLACK_API_URL=$STUB_URL/api run gth-notify slack --channel C1 --status success --timeout 5s
	expect_rc 75
	expect_err_eq "gth-notify: error: slack chat.postMessage: rate limited (HTTP 429, Retry-After: 30) past the time budget after 1 attempts"
}
t "429 that outlasts the time budget is 75" case_429_past_budget

case_5xx_and_drops() {
	cat >s.json <<'S'
{"routes": [{"method": "POST", "path": "/flaky", "responses": [
   {"status": 500, "body": "rollup_error"}, {"drop": true}, {"status": 503, "body": ""}, {"status": 200, "body": "ok"}]},
 {"method": "POST", "path": "/down", "responses": [{"status": 500, "body": "rollup_error"}]},
 {"method": "POST", "path": "/gone", "responses": [{"drop": true}]},
 {"method": "POST", "path": "/slow", "responses": [{"status": 200, "body": "ok", "delay": 5}]}]}
S
	start_stub s.json
	SLACK_WEBHOOK_URL=$STUB_URL/flaky run gth-notify slack --status success --title hi
	expect_rc 0
	check [ "$(nreq "$STUB_LOG")" = 4 ]
	SLACK_WEBHOOK_URL=$STUB_URL/down run gth-notify slack --status success --title hi --timeout 2s
	expect_rc 69
	expect_err_eq "gth-notify: error: slack webhook: rollup_error (HTTP 500): Slack failed on its side"
	SLACK_WEBHOOK_URL=$STUB_URL/gone run gth-notify slack --status success --title hi --timeout 2s
	expect_rc 69
	expect_err_match '^gth-notify: error: slack webhook: '
	check [ "$(wc -l <"$ERR")" = 1 ]
	SLACK_WEBHOOK_URL=$STUB_URL/slow run gth-notify slack --status success --title hi --timeout 1s
	expect_rc 69
	expect_err_match '^gth-notify: error: slack webhook: '
	check [ "$(wc -l <"$ERR")" = 1 ]
	# the webhook URL is a secret: never printed
	expect_err_lacks "/slow"
}
t "5xx and dropped connections are retried; past the budget 69, one line" case_5xx_and_drops

case_secrets_masked_in_actions() {
	start_api
	export GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/out.txt
	: >out.txt
	SLACK_WEBHOOK_URL=$API/services/T000/B000/nochannel run gth-notify slack --status success --title hi -v
	expect_rc 69
	expect_err_contains "::add-mask::$API/services/T000/B000/nochannel"
	check [ "$(grep -c "services/T000" "$ERR")" = 1 ]
	# a webhook URL read from a *_FILE
	echo "$API/services/T000/B000/good" >hook.txt
	SLACK_WEBHOOK_URL_FILE=$PWD/hook.txt run gth-notify slack --status success --title hi
	expect_rc 0
	expect_err_contains "::add-mask::$API/services/T000/B000/good"
}
t "secrets are masked in GitHub Actions and printed nowhere else" case_secrets_masked_in_actions

case_config_and_usage() {
	run gth-notify slack --status success
	expect_rc 78
	expect_err_eq "gth-notify: error: slack: set SLACK_WEBHOOK_URL (incoming webhook) or SLACK_BOT_TOKEN (bot token)"
	SLACK_WEBHOOK_URL=http://127.0.0.1:9/x run gth-notify slack --status success --update 1.2
	expect_rc 78
	expect_err_eq "gth-notify: error: slack: --update needs SLACK_BOT_TOKEN: an incoming webhook cannot edit a message"
	SLACK_BOT_TOKEN=xoxb-1234 run gth-notify slack --status success
	expect_rc 64
	expect_err_contains "gth-notify: error: slack: a bot token needs --channel"
	run gth-notify slack -n --status great
	expect_rc 64
	expect_err_contains "gth-notify: error: --status 'great': expected success, failure, inconclusive, error or started"
	run gth-notify slack -n
	expect_rc 64
	expect_err_contains "gth-notify: error: nothing to say: give --from EVENT, --status, --title, --text or --field"
	run gth-notify slack -n --field novalue
	expect_rc 64
	expect_err_contains "gth-notify: error: --field 'novalue': expected KEY=VALUE"
	run gth-notify slack -n --bogus
	expect_rc 64
	run gth-notify slack -n --from missing.json
	expect_rc 66
	expect_err_contains "missing.json"
	echo '{"schema": "gth.event/v1", "tool": "gth-test", "status": "success"' >bad.json
	run gth-notify slack -n --from bad.json
	expect_rc 65
	expect_err_contains "bad.json"
	echo '{"schema": "other/v2"}' >other.json
	run gth-notify slack -n --from other.json
	expect_rc 65
	echo '{"schema": "gth.event/v1", "tool": "gth-test", "status": "meh"}' >meh.json
	run gth-notify slack -n --from meh.json
	expect_rc 65
	expect_err_eq "gth-notify: error: meh.json: event 1: status 'meh' is not success, failure, inconclusive or error"
	echo '{"text": "{{nope}}"}' >tpl.json
	run gth-notify slack -n --status success --template tpl.json
	expect_rc 65
	expect_err_eq "gth-notify: error: tpl.json: unknown placeholder '{{nope}}'"
	run gth-notify bogus
	expect_rc 64
	run gth-notify slack -n --status success --timeout soon
	expect_rc 64
}
t "configuration (78), usage (64), missing (66) and bad input (65)" case_config_and_usage

case_json_event_on_failure() {
	start_api
	SLACK_WEBHOOK_URL=$API/services/T000/B000/nochannel run gth-notify slack --status success --json
	expect_rc 69
	expect_json '.status == "error" and .exit == 69 and .data.delivered == false and .data.http_status == 404'
	expect_json '.summary | startswith("slack webhook: channel_not_found")'
	expect_out_lacks "services/T000"
}
t "--json writes the event on failure too, without secrets" case_json_event_on_failure

finish
