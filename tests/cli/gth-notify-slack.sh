#!/usr/bin/env bash
# gth-notify slack: incoming webhook and bot token against the local Slack
# (tests/servers/slack-api.py), golden-checked bodies, updates and threads.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/notify.sh.inc"

case_webhook_one_event() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	run gth-notify slack --from "$EV/build.json"
	expect_rc 0
	expect_out_empty
	expect_err_eq "gth-notify: delivered to slack (HTTP 200)"
	check [ "$(nreq "$API_LOG")" = 1 ]
	expect_req_golden 0 "$API_LOG" slack-build.json
	jq -e '.[0].headers["content-type"] == "application/json; charset=utf-8"' -s "$API_LOG" >/dev/null ||
		_fail "content type"
	# --dry-run prints exactly what was sent, and sends nothing
	run gth-notify slack --from "$EV/build.json" --dry-run
	expect_rc 0
	expect_golden "$OUT" slack-build.json
	check [ "$(nreq "$API_LOG")" = 1 ]
}
t "webhook: one event, golden body, --dry-run prints the same bytes" case_webhook_one_event

case_dry_run_json() {
	export SLACK_WEBHOOK_URL=http://127.0.0.1:9/services/T000/B000/secret-part
	run gth-notify slack --from "$EV/build.json" --dry-run --json
	expect_rc 0
	check [ "$(wc -l <"$OUT")" = 1 ]
	expect_json '.status == "success" and .data.dry_run == true and .data.delivered == false'
	expect_json '.data.requests | length == 1 and .[0].method == "POST" and .[0].url == "$SLACK_WEBHOOK_URL"'
	jq -c '.data.requests[0].body' "$OUT" >body.json
	expect_golden body.json slack-build.json
	expect_out_lacks "secret-part"
	# a bot token's dry run shows the Web API method and needs no token
	unset SLACK_WEBHOOK_URL
	run gth-notify slack --channel C0DEPLOYS --update 1.2 --status success --title t --dry-run --json
	expect_rc 0
	expect_json '.data.requests[0].url == "chat.update" and .data.requests[0].body.ts == "1.2" and .data.requests[0].body.channel == "C0DEPLOYS"'
}
t "--dry-run --json: one event holding the requests, never the secret URL" case_dry_run_json

case_webhook_stages() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	run gth-notify slack --from "$EV/stages.jsonl" --environment production --json
	expect_rc 0
	expect_json '.tool == "gth-notify" and .status == "success" and .app == "gatheraa-backend"'
	expect_json '.data.service == "slack" and .data.delivered == true and .data.http_status == 200'
	expect_req_golden 0 "$API_LOG" slack-stages.json
	# a row per stage, the failing one named in the header
	body 0 "$API_LOG" | jq -e '.blocks[0].text.text == "❌ gatheraa-backend: failed at canary"' >/dev/null ||
		_fail "header"
	body 0 "$API_LOG" | jq -e '.attachments[0].color == "#e01e5a" and
		(.attachments[0].blocks[1].text.text | split("\n") | length) == 5' >/dev/null || _fail "rows"
}
t "webhook: five events, one message with a row per stage" case_webhook_stages

case_several_from_and_stdin() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	cat "$EV/scan.json" "$EV/build.json" "$EV/bump.json" "$EV/canary.json" >rest.jsonl
	run_in rest.jsonl gth-notify slack --from "$EV/test.json" --from - --environment production
	expect_rc 0
	expect_req_golden 0 "$API_LOG" slack-stages.json
}
t "--from twice, one of them stdin with JSON lines, renders the same message" case_several_from_and_stdin

case_flags_only() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	run gth-notify slack --status started --title "Deploy api to production" \
		--text "by <octocat> & co" --field Version=1.4.2 --field Region=eu-west-1
	expect_rc 0
	expect_req_golden 0 "$API_LOG" slack-flags.json
	# mrkdwn control characters are escaped
	body 0 "$API_LOG" | grep -qF 'by &lt;octocat&gt; &amp; co' || _fail "escaping"
}
t "flags alone make a message (no event)" case_flags_only

case_limits() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	long_title=$(printf 'T%.0s' $(seq 200))
	long_text=$(printf 'x%.0s' $(seq 3500))
	args=()
	for i in $(seq 12); do args+=(--field "K$i=v$i"); done
	long_field=$(printf 'é%.0s' $(seq 2100))
	run gth-notify slack --status failure --title "$long_title" --text "$long_text" \
		"${args[@]}" --field "Long=$long_field"
	expect_rc 0
	expect_req_golden 0 "$API_LOG" slack-limits.json
	b=$(body 0 "$API_LOG")
	# header 150 characters with an ellipsis, section 3000, ten fields to a section
	jq -e '(.blocks[0].text.text | length) == 150 and (.blocks[0].text.text | endswith("…"))' <<<"$b" >/dev/null || _fail header
	jq -e '(.attachments[0].blocks[0].text.text | length) == 3000' <<<"$b" >/dev/null || _fail section
	jq -e '[.attachments[0].blocks[] | select(.fields) | .fields | length] == [10, 3]' <<<"$b" >/dev/null || _fail fields
	jq -e '[.attachments[0].blocks[] | select(.fields) | .fields[] | .text | length] | max == 2000' <<<"$b" >/dev/null || _fail field
}
t "Slack's limits: header 150, section 3000, ten fields, field 2000, with an ellipsis" case_limits

case_bot_post_update_thread() {
	start_api
	export SLACK_BOT_TOKEN=$SLACK_TOKEN SLACK_API_URL=$API/api
	export GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/gh-output GITHUB_STEP_SUMMARY=$PWD/summary.md
	: >gh-output
	run gth-notify slack --channel '#deploys' --from "$EV/test.json" --status started --json
	expect_rc 0
	[ "$(cat summary.md)" = "**gth-notify** delivered to slack: ⏳ gatheraa-backend: started" ] ||
		_fail "step summary: $(cat summary.md)"
	expect_json '.data.channel == "C0DEPLOYS" and .data.ts == "1764000001.000001" and .data.delivered'
	expect_req_golden 0 "$API_LOG" slack-api-post.json
	jq -se '.[0].path == "/api/chat.postMessage" and .[0].headers.authorization == "Bearer xoxb-test-token"' "$API_LOG" >/dev/null ||
		_fail "request line"
	grep -qx 'ts=1764000001.000001' gh-output || _fail "no ts in GITHUB_OUTPUT"
	grep -qx 'channel=C0DEPLOYS' gh-output || _fail "no channel in GITHUB_OUTPUT"
	# the token is masked in Actions and printed nowhere else
	expect_err_contains "::add-mask::$SLACK_TOKEN"
	check [ "$(grep -c "$SLACK_TOKEN" "$ERR")" = 1 ]
	expect_out_lacks "$SLACK_TOKEN"

	# the same message, edited as stages complete
	ts=1764000001.000001
	run gth-notify slack --channel C0DEPLOYS --update "$ts" --from "$EV/stages.jsonl" --json
	expect_rc 0
	expect_json '.data.ts == "1764000001.000001" and .data.channel == "C0DEPLOYS"'
	expect_req_golden 1 "$API_LOG" slack-api-update.json
	jq -se '.[1].path == "/api/chat.update"' "$API_LOG" >/dev/null || _fail "not chat.update"
	curl -fsS "$API/_state" >state.json
	jq -e '.slack.C0DEPLOYS | length == 1 and .[0].edited == true and
		(.[0].text | startswith("❌ gatheraa-backend: failed at canary"))' state.json >/dev/null ||
		_fail "message not edited: $(cat state.json)"

	# and a reply in its thread, shown in the channel too
	run gth-notify slack --channel C0DEPLOYS --thread "$ts" --broadcast --status failure \
		--title "Rolled back" --text "gth-rollback undid revision 7" --json
	expect_rc 0
	expect_json '.data.thread_ts == "1764000001.000001" and .data.ts == "1764000002.000002"'
	body 2 "$API_LOG" | jq -e '.thread_ts == "1764000001.000001" and .reply_broadcast == true and .channel == "C0DEPLOYS"' >/dev/null ||
		_fail "thread body"
}
t "bot token: postMessage, then chat.update of that ts, then a thread reply" case_bot_post_update_thread

case_template() {
	start_api
	export SLACK_WEBHOOK_URL=$API/services/T000/B000/good
	cat >tpl.json <<'T'
{"text": "{{emoji}} {{app}} {{status_word}} in {{ environment }} ({{duration}})",
 "blocks": [{"type": "section", "text": {"type": "mrkdwn",
   "text": "*{{title}}*\n{{stages}}\ncommit <{{commit_url}}|{{short_sha}}> by {{field.who}}"}}],
 "metadata": {"event_type": "gth_deploy", "event_payload": {"events": "{{events}}", "n": 5}}}
T
	run gth-notify slack --from "$EV/stages.jsonl" --environment prod --field who=octocat --template tpl.json
	expect_rc 0
	expect_req_golden 0 "$API_LOG" slack-template.json
	body 0 "$API_LOG" | jq -e '.metadata.event_payload.events | length == 5' >/dev/null || _fail "events"
}
t "--template renders the user's JSON with placeholders and the events" case_template

case_config_channel() {
	start_api
	export SLACK_BOT_TOKEN=$SLACK_TOKEN SLACK_API_URL=$API/api
	printf 'notify:\n  channel: "#deploys"\n  environment: staging\n' >gth.yaml
	run gth-notify slack --status success --title ok --json
	expect_rc 0
	expect_json '.data.channel == "C0DEPLOYS"'
	body 0 "$API_LOG" | jq -e '.channel == "#deploys"' >/dev/null || _fail "channel"
	body 0 "$API_LOG" | grep -qF '*Environment*\nstaging' || _fail "environment"
	# a flag wins over the file, GTH_NOTIFY_* over the file too
	GTH_NOTIFY_ENVIRONMENT=qa run gth-notify slack --status success --title ok -n
	grep -qF '*Environment*\nqa' "$OUT" || _fail "env var"
	printf 'notify:\n  chanel: x\n' >gth.yaml
	run gth-notify slack --status success -n
	expect_rc 78
	expect_err_contains "chanel"
}
t "gth.yaml notify section and GTH_NOTIFY_* fill what flags leave unset" case_config_channel

finish
