#!/usr/bin/env bash
# The EXAMPLES of man/gth-canary.1, run as written, against the local Kubernetes
# API server (playing Argo CD and Argo Rollouts) and a real Prometheus.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
start_prometheus || { echo "prometheus did not start"; exit 1; }

case_examples() {
	local F=$GTH_SRC/tests/fixtures/canary want=(0 0 0 0 0 0 0) i=0 line
	start_kube_api "$F/objects.json" "$F/sync-then-canary.json"
	cp "$GTH_SRC/examples/gatheraa/infrastructure/k8s/analysis.yaml" .
	export KUBECONFIG=$KUBECONFIG_FILE GTH_PROMETHEUS_URL=$PROM_URL
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$GTH_SRC/man/gth-canary.1" | sed -n 's/^\.Dl //p' |
		sed 's/\\(dq/"/g; s/\\-/-/g' >examples.txt
	[ "$(wc -l <examples.txt)" -eq ${#want[@]} ] || _fail "$(wc -l <examples.txt) examples, expected ${#want[@]}"
	while IFS= read -r line; do
		echo "\$ $line"
		rc=0
		eval "$line" >"$OUT" 2>"$ERR" </dev/null || rc=$?
		expect_rc "${want[$i]}"
		case "$line" in *"status gatheraa-backend"*) expect_json '.data.rollout.phase == "Healthy"' ;; esac
		i=$((i + 1))
	done <examples.txt
}

t "the man page's examples run" case_examples
finish
