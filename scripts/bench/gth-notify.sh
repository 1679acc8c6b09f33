#!/usr/bin/env bash
# gth-notify against curl: start-up plus one delivery of the same Slack body to a
# local server (httpstub), N times each, and the ratio; then the time three 429
# answers with Retry-After: 1 take (must be 3 s +-10%).
#   scripts/bench/gth-notify.sh [N]     (default 50; GTH_BENCH_BUILD=build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
n=${1:-50}
build=${GTH_BENCH_BUILD:-build/release}
if [ ! -x "$build/bin/gth-notify" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-notify >/dev/null
fi
bin=$root/$build/bin/gth-notify
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
unset SLACK_BOT_TOKEN GITHUB_ACTIONS

stub() { # stub NAME SCRIPT_JSON: starts httpstub, prints its URL
	echo "$2" >"$work/$1.json"
	python3 tests/servers/httpstub.py --script "$work/$1.json" --log "$work/$1.log" \
		--port-file "$work/$1.port" >/dev/null 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ -s "$work/$1.port" ] && break; sleep 0.05; done
	echo "http://127.0.0.1:$(cat "$work/$1.port")"
}
now_ms() { date +%s%3N; }

url=$(stub ok '{"routes": [{"method": "POST", "path": "/hook", "responses": [{"status": 200, "body": "ok"}]}]}')
event=tests/fixtures/gth-notify/events/build.json
"$bin" slack --from "$event" --dry-run >"$work/body.json"
truncate -s -1 "$work/body.json"   # the newline after the printed body

export SLACK_WEBHOOK_URL=$url/hook
"$bin" slack --from "$event" -q   # warm up both
curl -fsS -o /dev/null -H 'Content-Type: application/json; charset=utf-8' --data-binary @"$work/body.json" "$url/hook"

t0=$(now_ms)
for _ in $(seq "$n"); do "$bin" slack --from "$event" -q; done
t1=$(now_ms)
for _ in $(seq "$n"); do
	curl -fsS -o /dev/null -H 'Content-Type: application/json; charset=utf-8' \
		--data-binary @"$work/body.json" "$url/hook"
done
t2=$(now_ms)
g=$((t1 - t0)) c=$((t2 - t1))
# both must have sent the same bytes every time
sent=$(python3 -c 'import json,sys; print(len({json.loads(l)["body"] for l in open(sys.argv[1])}))' "$work/ok.log")
[ "$sent" = 1 ] || { echo "gth-notify and curl sent different bodies"; exit 1; }
printf 'delivery (start-up + one POST of %s bytes), %d runs each:\n' "$(wc -c <"$work/body.json")" "$n"
awk -v g="$g" -v c="$c" -v n="$n" 'BEGIN {
	printf "  gth-notify  %7.2f ms/run\n  curl        %7.2f ms/run\n", g / n, c / n
	printf "  ratio gth-notify/curl: %.2f\n", g / c }'

url=$(stub rl '{"routes": [{"method": "POST", "path": "/hook", "responses": [
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 429, "headers": {"Retry-After": "1"}, "body": "rate_limited"},
 {"status": 200, "body": "ok"}]}]}')
t0=$(now_ms)
SLACK_WEBHOOK_URL=$url/hook "$bin" slack --from "$event" -q
t1=$(now_ms)
ms=$((t1 - t0))
attempts=$(wc -l <"$work/rl.log")
printf 'three 429 with Retry-After: 1, then 200: %d ms, %d requests (want 3000 ms +-10%%)\n' "$ms" "$attempts"
if [ "$ms" -ge 2700 ] && [ "$ms" -le 3300 ] && [ "$attempts" -eq 4 ]; then
	echo "  PASS"
else
	echo "  FAIL"
	exit 1
fi
