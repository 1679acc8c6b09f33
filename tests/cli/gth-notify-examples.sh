#!/usr/bin/env bash
# The EXAMPLES of man/gth-notify.1 run as written, against the local servers.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/notify.sh.inc"

# examples DIR: each literal block of EXAMPLES into DIR/N.sh, mdoc escapes undone.
examples() {
	awk -v dir="$1" '
		/^\.Sh EXAMPLES/ { on = 1; next }
		/^\.Sh / { on = 0 }
		on && /^\.Bd -literal/ { n++; f = dir "/" n ".sh"; inb = 1; next }
		on && /^\.Ed/ { inb = 0; next }
		on && inb { gsub(/\\e/, "\\"); print > f }
	' "$GTH_SRC/man/gth-notify.1"
}

case_examples() {
	start_api --hook-secret hook-key-1
	cp "$EV"/*.json "$EV/stages.jsonl" .
	mkdir ex
	examples ex
	check [ "$(ls ex | wc -l)" = 5 ]
	export GITHUB_TOKEN=$GH_TOKEN GITHUB_REPOSITORY=acme/api GITHUB_API_URL=$API HOOK_KEY=hook-key-1
	for f in ex/*.sh; do
		sed -i "s#https://hooks.example.com#$API/hook#" "$f"
		if grep -q -- '--channel' "$f"; then
			SLACK_BOT_TOKEN=$SLACK_TOKEN SLACK_API_URL=$API/api run bash -euo pipefail "$f"
		else
			SLACK_WEBHOOK_URL=$API/services/T000/B000/good run bash -euo pipefail "$f"
		fi
		[ "$rc" -eq 0 ] || _fail "example $f exited $rc: $(cat "$f")"
		cp "$OUT" "$f.out"
	done
	# what each example sent
	jq -r '.path' "$API_LOG" >paths
	printf '%s\n' /services/T000/B000/good /api/chat.postMessage /api/chat.update /api/chat.postMessage \
		/repos/acme/api/deployments /repos/acme/api/deployments/1000/statuses \
		/repos/acme/api/deployments/1000/statuses /hook/gth >want
	expect_file_eq paths want
	curl -fsS "$API/_state" >state.json
	jq -e '.slack.C0DEPLOYS | map(select(.via == "api")) | length == 2 and .[0].edited and
		.[1].thread_ts == .[0].ts' state.json >/dev/null || _fail "slack state: $(cat state.json)"
	jq -e '.deployments["1000"].statuses | map(.state) == ["in_progress", "failure"]' state.json >/dev/null ||
		_fail "deployment state"
	jq -e '.text == "❌ gatheraa-backend failed in production" and
		(.blocks[0].text.text | split("\n") | length) == 6' ex/5.sh.out >/dev/null ||
		_fail "template example: $(cat ex/5.sh.out)"
}
t "every example of the man page runs" case_examples

finish
