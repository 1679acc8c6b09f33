#!/usr/bin/env bash
# gth-canary benchmarks, each against a peer on the same input in one run:
#  1. analysis overhead: N measurements of the example's success-rate query against
#     a real Prometheus; gth-canary's time per measurement beyond the query (its own
#     overhead_ms / measurements) and its total per measurement, against curl + jq
#     running the same query and comparison N times.
#  2. a 30-step canary followed by gth-canary watch against the local API server:
#     the requests it sends (counted by the server), against polling the Rollout
#     every 200 ms for the same duration (what a naive client does).
# usage: scripts/bench/gth-canary.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
[ -x "$build/bin/gth-canary" ] || cmake --build "$build" --target gth-canary >/dev/null
export PATH="$build/bin:$PATH"
tmp=$(mktemp -d)
trap '"$root/tests/servers/prometheus.sh" stop "$tmp/prom"; [ -f "$tmp/kube.pid" ] && kill "$(cat "$tmp/kube.pid")" 2>/dev/null; rm -rf "$tmp"' EXIT
n=${N:-200}

prom=$("$root/tests/servers/prometheus.sh" start "$tmp/prom")
query='sum(rate(nginx_ingress_controller_requests{namespace="gatheraa",service="gatheraa-backend-canary",status=~"2.."}[2m])) / sum(rate(nginx_ingress_controller_requests{namespace="gatheraa",service="gatheraa-backend-canary"}[2m]))'

t0=$(date +%s%N)
gth-canary analyze "$root/examples/gatheraa/infrastructure/k8s/analysis.yaml" -q \
	--arg service-name=gatheraa-backend-canary --prometheus "$prom" --interval 1ms --count "$n" \
	--json >"$tmp/analyze.json"
t1=$(date +%s%N)
for _ in $(seq "$n"); do
	curl -sf "$prom/api/v1/query" --data-urlencode "query=$query" |
		jq -e '.data.result[0].value[1] | tonumber >= 0.99' >/dev/null
done
t2=$(date +%s%N)
jq -r --argjson n "$n" --argjson gth "$(( (t1 - t0) / 1000 ))" --argjson peer "$(( (t2 - t1) / 1000 ))" '
	.data.analysis as $a |
	"analysis, \($n) measurements against a real Prometheus:",
	"  gth-canary: \($gth / $n / 1000 | . * 100 | round / 100) ms per measurement in all; query \($a.query_ms / $n | . * 1000 | round / 1000) ms; overhead beyond the query \($a.overhead_ms / $n | . * 1000 | round / 1000) ms (budget 2 ms)",
	"  curl + jq:  \($peer / $n / 1000 | . * 100 | round / 100) ms per measurement",
	"  ratio gth/peer: \($gth / $peer | . * 100 | round / 100)"' "$tmp/analyze.json"

# 2. a 30-step canary
python3 - "$root/tests/fixtures/canary/objects.json" "$tmp" <<'EOF'
import json, sys
objs = json.load(open(sys.argv[1]))
ro = objs[0]
steps = []
for i in range(15):
    steps.append({"setWeight": 5 + i * 6})
    steps.append({"pause": {"duration": "0s"}})
ro["spec"]["strategy"]["canary"]["steps"] = steps
ro["metadata"]["generation"] = 2
json.dump(objs, open(sys.argv[2] + "/objects.json", "w"))
json.dump({"steps": [{"wait_request": {"method": "GET", "path_re": "/rollouts$", "watch": True}},
                     {"rollout": {"namespace": "gatheraa", "name": "gatheraa-backend", "delay": 0.05}}]},
          open(sys.argv[2] + "/script.json", "w"))
EOF
python3 "$root/tests/servers/kube-api.py" --port-file "$tmp/port" --log "$tmp/requests.jsonl" \
	--objects "$tmp/objects.json" --script "$tmp/script.json" --pid-file "$tmp/kube.pid" 2>/dev/null &
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")
printf 'apiVersion: v1\nkind: Config\ncurrent-context: b\ncontexts:\n- name: b\n  context: {cluster: b, namespace: gatheraa}\nclusters:\n- name: b\n  cluster: {server: "%s"}\n' "$url" >"$tmp/kubeconfig"
t0=$(date +%s%N)
gth-canary watch gatheraa-backend --kubeconfig "$tmp/kubeconfig" --timeout 5m -q --json >"$tmp/watch.json"
t1=$(date +%s%N)
watch_requests=$(wc -l <"$tmp/requests.jsonl")
ms=$(( (t1 - t0) / 1000000 ))
polls=$(( ms / 200 + 1 ))
echo "30-step canary ($ms ms, $(jq .data.changes "$tmp/watch.json") state changes seen):"
echo "  gth-canary watch: $watch_requests requests (counted by the server), phase $(jq -r .data.rollout.phase "$tmp/watch.json")"
echo "  polling every 200 ms: $polls requests for the same duration (and changes shorter than 200 ms missed)"
echo "  ratio gth/peer: $(python3 -c "print(round($watch_requests / $polls, 3))")"
