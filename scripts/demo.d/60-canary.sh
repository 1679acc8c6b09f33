#!/usr/bin/env bash
# Stage canary: the example's analysis template (examples/gatheraa/infrastructure/k8s/
# analysis.yaml: success rate from Prometheus, failing past 1% errors) run with Argo's
# semantics against a real local Prometheus, for a healthy and for a failing canary;
# a statistical judge of the canary's latency; then gth-canary watch and promote
# against a local Kubernetes API server that PLAYS Argo CD and Argo Rollouts
# (tests/servers/kube-api.py): no cluster and no Argo controller run here.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/canary
mkdir -p "$dir"
summary=${GTH_DEMO_SUMMARY:-/dev/null}
template=$root/examples/gatheraa/infrastructure/k8s/analysis.yaml

# A real Prometheus, its TSDB backfilled by promtool with generated series.
prom=$("$root/tests/servers/prometheus.sh" start "$dir/prometheus")
cp "$dir/prometheus/prometheus.pid" "$work/canary-prometheus.pid"
echo "prometheus (real, backfilled with promtool): $prom"

# The template measures once a minute, five times; the demo keeps its conditions and
# limits and measures every second, three times.
echo
echo "analysis of the healthy canary (0.2% errors):"
rc=0
gth-canary analyze "$template" --arg service-name=gatheraa-backend-canary \
	--prometheus "$prom" --interval 1s --count 3 --json >"$dir/analyze-healthy.json" || rc=$?
echo "  exit $rc: $(jq -r '.data.analysis.phase + "  " + ([.data.analysis.metrics[0].measurements[] | .value + " " + .phase] | join(", "))' "$dir/analyze-healthy.json")"
[ "$rc" -eq 0 ] || { echo "expected the healthy canary to pass" >&2; exit 1; }
printf 'canary\tgth-canary analyze\thealthy canary: %s (exit %d)\n' \
	"$(jq -r .data.analysis.phase "$dir/analyze-healthy.json")" "$rc" >>"$summary"

echo
echo "analysis of the failing canary (5% errors):"
rc=0
gth-canary analyze "$template" --arg service-name=gatheraa-backend-canary-failing \
	--prometheus "$prom" --interval 1s --count 3 --json >"$dir/analyze-failing.json" || rc=$?
echo "  exit $rc: $(jq -r '.data.analysis.phase + "  " + ([.data.analysis.metrics[0].measurements[] | .value + " " + .phase] | join(", "))' "$dir/analyze-failing.json")"
echo "  $(jq -r .data.analysis.message "$dir/analyze-failing.json")"
[ "$rc" -eq 1 ] || { echo "expected the failing canary to fail" >&2; exit 1; }
printf 'canary\tgth-canary analyze\tfailing canary: %s (exit %d), as Argo would abort\n' \
	"$(jq -r .data.analysis.phase "$dir/analyze-failing.json")" "$rc" >>"$summary"

echo
echo "judge: canary latency against the baseline (Mann-Whitney U, confidence 0.98):"
rc=0
gth-canary judge --prometheus "$prom" --metric latency \
	--canary 'request_latency_seconds{track="canary-slow"}' \
	--baseline 'request_latency_seconds{track="baseline"}' --direction increase \
	--json >"$dir/judge.json" 2>/dev/null || rc=$?
echo "  slow canary: exit $rc, $(jq -r '.data.judge.metrics[0] | .verdict + " p=" + (.p_value|tostring) + " effect=" + (.effect_size|tostring)' "$dir/judge.json")"
printf 'canary\tgth-canary judge\tslow canary latency: %s (exit %d)\n' \
	"$(jq -r .data.judge.metrics[0].verdict "$dir/judge.json")" "$rc" >>"$summary"

# The Kubernetes side. Said plainly: a local server plays the controllers.
echo
echo "NOTE: Argo CD and Argo Rollouts are PLAYED by a local server (tests/servers/kube-api.py),"
echo "      which speaks the Kubernetes API and moves the Application and the Rollout through"
echo "      a script. No cluster runs here."
rev=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567)
jq --arg rev "$rev" '(.steps[] | select(.application) | .application.revision) = $rev' \
	"$root/tests/fixtures/canary/sync-then-canary.json" >"$dir/script.json"
python3 "$root/tests/servers/kube-api.py" --port-file "$dir/kube.port" --log "$dir/kube-requests.jsonl" \
	--objects "$root/tests/fixtures/canary/objects.json" --script "$dir/script.json" \
	--pid-file "$work/canary-kube-api.pid" 2>"$dir/kube-api.log" &
for _ in $(seq 100); do [ -s "$dir/kube.port" ] && break; sleep 0.05; done
cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: demo
contexts:
- name: demo
  context: {cluster: local, user: demo, namespace: gatheraa}
clusters:
- name: local
  cluster: {server: "http://127.0.0.1:$(cat "$dir/kube.port")"}
users:
- name: demo
  user: {}
EOF
export KUBECONFIG=$dir/kubeconfig

echo
echo "\$ gth-canary watch gatheraa-backend --app gatheraa-backend --revision ${rev:0:12} --until paused"
gth-canary watch gatheraa-backend --app gatheraa-backend --revision "$rev" --until paused \
	--timeout 2m --json >"$dir/watch-paused.json"
echo "\$ gth-canary promote gatheraa-backend"
gth-canary promote gatheraa-backend --json >"$dir/promote.json"
echo "\$ gth-canary watch gatheraa-backend"
gth-canary watch gatheraa-backend --timeout 2m --json >"$dir/watch.json"
gth-canary status gatheraa-backend -q --json >"$dir/status.json" || true
n=$(wc -l <"$dir/kube-requests.jsonl")
echo "the local API server received $n requests in all (lists, watches, GETs of the analysis run, the promote patch)"
printf 'canary\tgth-canary watch\tsynced %s, paused for approval, promoted, %s (%d API requests; Argo played by a local server)\n' \
	"${rev:0:12}" "$(jq -r .data.rollout.phase "$dir/watch.json")" "$n" >>"$summary"
