#!/usr/bin/env bash
# gth-notify webhook (HMAC-SHA256 signed), teams (Adaptive Card) and discord
# (embeds) against the local receivers of tests/servers/slack-api.py.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/notify.sh.inc"

case_webhook_signed() {
	start_api --hook-secret s3cret-key
	export HOOK_SECRET=s3cret-key
	run gth-notify webhook "$API/hook/deploys" --from "$EV/build.json" --secret-env HOOK_SECRET
	expect_rc 0
	expect_err_eq "gth-notify: delivered to webhook (HTTP 200)"
	# one event and no flags: the event itself
	expect_req_golden 0 "$API_LOG" webhook-build.json
	body 0 "$API_LOG" | jq -e --slurpfile ev "$EV/build.json" '. == $ev[0]' >/dev/null || _fail "not the event"
	# the signature is HMAC-SHA256 over the exact bytes, checked independently
	want=$(printf '%s' "$(body 0 "$API_LOG")" | openssl dgst -sha256 -hmac s3cret-key | sed 's/.*= //')
	got=$(jq -r '.headers["x-gth-signature-256"]' "$API_LOG")
	[ "$got" = "sha256=$want" ] || _fail "signature $got, expected sha256=$want"
	jq -e '.headers["x-gth-delivery"] | test("^[0-9a-f]{32}$")' "$API_LOG" >/dev/null || _fail delivery
	# a wrong key is refused by the receiver: 77
	HOOK_SECRET=other-key run gth-notify webhook "$API/hook/deploys" --from "$EV/build.json" --secret-env HOOK_SECRET
	expect_rc 77
	expect_err_eq "gth-notify: error: webhook: HTTP 401: signature mismatch"
	expect_err_lacks "other-key"
	run env -u HOOK_SECRET gth-notify webhook "$API/hook/deploys" --status success --secret-env HOOK_SECRET
	expect_rc 78
	expect_err_eq "gth-notify: error: webhook: --secret-env HOOK_SECRET: HOOK_SECRET is not set"
}
t "webhook: the event JSON, signed with X-Gth-Signature-256" case_webhook_signed

case_webhook_stages() {
	start_api
	run gth-notify webhook "$API/hook/x" --from "$EV/stages.jsonl" --environment production --field ticket=OPS-7
	expect_rc 0
	expect_req_golden 0 "$API_LOG" webhook-stages.json
	jq -e '.headers["x-gth-signature-256"] == null' "$API_LOG" >/dev/null || _fail "signed without a secret"
	run gth-notify webhook "$API/nothing" --status success
	expect_rc 69
	expect_err_eq "gth-notify: error: webhook: HTTP 404: not found"
	run gth-notify webhook ftp://example.com/x --status success
	expect_rc 64
	run gth-notify webhook --status success
	expect_rc 64
}
t "webhook: several events become one gth.event/v1 with them all" case_webhook_stages

case_webhook_url_token() {
	cat >s.json <<'S'
{"routes": [{"method": "POST", "path": "/slow", "responses": [{"status": 200, "body": "ok", "delay": 5}]}]}
S
	start_stub s.json
	run gth-notify webhook "$STUB_URL/slow?token=sekrit-123" --status success --timeout 1s -v
	expect_rc 69
	expect_err_match '^gth-notify: error: webhook: '
	expect_err_lacks "sekrit-123"
	run gth-notify webhook "http://user:pa55word@127.0.0.1:9/x" --status success --timeout 1s
	expect_rc 69
	expect_err_lacks "pa55word"
}
t "webhook: a token in the URL's query or user part is never printed" case_webhook_url_token

case_teams() {
	start_api
	TEAMS_WEBHOOK_URL=$API/teams/good run gth-notify teams --from "$EV/stages.jsonl" --environment production --json
	expect_rc 0
	expect_json '.data.service == "teams" and .data.http_status == 202'
	expect_req_golden 0 "$API_LOG" teams-stages.json
	TEAMS_WEBHOOK_URL=$API/teams/removed run gth-notify teams --status success
	expect_rc 69
	expect_err_eq "gth-notify: error: teams webhook: HTTP 404: The workflow trigger was not found."
	echo '{"text": "{{title}}"}' >plain.json
	TEAMS_WEBHOOK_URL=$API/teams/good run gth-notify teams --status success --template plain.json
	expect_rc 65
	expect_err_eq "gth-notify: error: teams webhook: HTTP 400: The request content is not an Adaptive Card message."
	run gth-notify teams --status success
	expect_rc 78
}
t "teams: an Adaptive Card through a Workflows webhook" case_teams

case_discord() {
	start_api
	export GITHUB_ACTIONS=true GITHUB_OUTPUT=$PWD/o.txt
	: >o.txt
	DISCORD_WEBHOOK_URL=$API/discord/api/webhooks/1/good run gth-notify discord --from "$EV/stages.jsonl" --json
	expect_rc 0
	expect_json '.data.message_id == "1100000000000000001" and .data.channel == "900000000000000001"'
	expect_req_golden 0 "$API_LOG" discord-stages.json
	jq -e '.query == "wait=true"' "$API_LOG" >/dev/null || _fail "no wait=true"
	grep -qx 'message_id=1100000000000000001' o.txt || _fail "GITHUB_OUTPUT"
	unset GITHUB_ACTIONS
	DISCORD_WEBHOOK_URL=$API/discord/api/webhooks/1/stale run gth-notify discord --status success
	expect_rc 77
	expect_err_eq "gth-notify: error: discord webhook: HTTP 401: Invalid Webhook Token"
	DISCORD_WEBHOOK_URL=$API/discord/api/webhooks/2/good run gth-notify discord --status success
	expect_rc 69
	expect_err_eq "gth-notify: error: discord webhook: HTTP 404: Unknown Webhook"
	# embed limits: a 5000-character text and 30 long fields are cut to fit 6000 characters
	args=()
	for i in $(seq 30); do args+=(--field "k$i=$(printf 'v%.0s' $(seq 300))"); done
	DISCORD_WEBHOOK_URL=$API/discord/api/webhooks/1/good run gth-notify discord --status failure \
		--text "$(printf 'x%.0s' $(seq 5000))" "${args[@]}"
	expect_rc 0
	body -1 "$API_LOG" | jq -e '(.embeds[0].fields | length) == 19 and (.embeds[0].description | length) >= 1 and
		([.embeds[0] | .title, .description, .footer.text, (.fields[] | .name, .value)] | map(length) | add) <= 6000' >/dev/null ||
		_fail "limits"
}
t "discord: embeds within Discord's limits, the message id reported" case_discord

finish
