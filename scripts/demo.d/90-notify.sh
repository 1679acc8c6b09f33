#!/usr/bin/env bash
# Stage notify: one Slack message with every earlier stage's event, delivered to a
# local stand-in for Slack (tests/servers/slack-api.py), then printed as received;
# the same events to a signed webhook. No account anywhere.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/notify
mkdir -p "$dir"

# Every gth.event/v1 the earlier stages left in the work folder, oldest file first.
: >"$dir/events.jsonl"
while IFS= read -r f; do
	jq -c 'if type == "array" then .[] else . end | select(type == "object" and .schema == "gth.event/v1")' \
		"$f" 2>/dev/null >>"$dir/events.jsonl" || true
done < <(find "$work" -path "$dir" -prune -o -type f \( -name '*.json' -o -name '*.jsonl' \) -printf '%T@ %p\n' |
	sort -n | cut -d' ' -f2-)
# one row per stage: each tool's latest event, in pipeline order (start time)
jq -sc 'group_by(.tool) | map(last) | sort_by(.started_at // "") | .[]' "$dir/events.jsonl" >"$dir/sorted.jsonl"
mv "$dir/sorted.jsonl" "$dir/events.jsonl"
n=$(wc -l <"$dir/events.jsonl")

python3 "$root/tests/servers/slack-api.py" --port-file "$dir/port" --log "$dir/requests.jsonl" \
	--hook-secret demo-signing-key >"$dir/sink.log" 2>&1 &
echo $! >"$work/notify-sink.pid"
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
sink=http://127.0.0.1:$(cat "$dir/port")

export SLACK_WEBHOOK_URL=$sink/services/T000/B000/good
if [ "$n" -gt 0 ]; then
	from=(--from "$dir/events.jsonl")
else
	from=(--status inconclusive --text "no stage left an event in $work")
fi
gth-notify slack "${from[@]}" --environment demo --field Source=scripts/demo --json -q >"$dir/slack.event.json"
DEMO_HOOK_KEY=demo-signing-key gth-notify webhook "$sink/hook/demo" "${from[@]}" --environment demo \
	--secret-env DEMO_HOOK_KEY -q

echo "notification received by the local Slack ($n stage events):"
jq -rs '.[0].body | fromjson |
	"  " + .blocks[0].text.text,
	(.attachments[0].blocks[] |
		if .fields then (.fields[] | "  " + (.text | gsub("\n"; ": ")))
		elif .type == "section" then (.text.text | split("\n")[] | "  " + .)
		else "  " + .elements[0].text end)' "$dir/requests.jsonl"
echo "signed webhook: $(jq -rs '.[1] | .path + " " + .headers["x-gth-signature-256"]' "$dir/requests.jsonl") (verified by the receiver)"

printf 'notify\tgth-notify\t%s\n' \
	"$(jq -r '"delivered to " + .data.service + " (HTTP " + (.data.http_status | tostring) + "), '"$n"' events"' \
		"$dir/slack.event.json")" >>"${GTH_DEMO_SUMMARY:-/dev/null}"
