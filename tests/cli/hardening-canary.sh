#!/usr/bin/env bash
# gth-canary analyze with tests/servers/faultproxy.py between it and a real
# Prometheus: failed queries are measurement errors (Argo's semantics), retried;
# past consecutiveErrorLimit the analysis is Error (1); nothing crashes or leaks.
. "$(dirname "$0")/lib.sh.inc"
export GTH_HTTP_BUDGET=4s
. "$GTH_SRC/tests/servers/canary.sh.inc"
. "$(dirname "$0")/faults.sh.inc"
start_prometheus || { echo "prometheus did not start"; exit 1; }
export GTH_CANARY_ERROR_RETRY=100ms
unset GTH_PROMETHEUS_URL ARGO_ROLLOUTS_PROMETHEUS_ADDRESS
PROM_PORT=${PROM_URL##*:}
PROM_PORT=${PROM_PORT%%/*}

# template FILE ADDRESS: three measurements of a healthy job's success ratio.
template() {
	cat >"$1" <<YAML
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata:
  name: faults
spec:
  metrics:
  - name: success-rate
    interval: 100ms
    count: 3
    successCondition: result[0] >= 0.99
    failureLimit: 1
    consecutiveErrorLimit: 2
    provider:
      prometheus:
        address: $2
        query: canary_success_ratio{job="healthy"}
YAML
}

case_prometheus_faults() {
	# a 503 then a dropped connection: two errors, then three good measurements
	cat >r.json <<'R'
{"rules": [{"path_re": "^/api/v1/query", "count": 1, "action": "status", "status": 503, "body": "overloaded"},
           {"path_re": "^/api/v1/query", "count": 1, "action": "drop"}]}
R
	start_faultproxy "$PROM_PORT" r.json
	template t.yaml "$FP_URL"
	run gth-canary analyze t.yaml --json
	expect_rc 0
	expect_json '.data.analysis.phase == "Successful"'
	expect_json '.data.analysis.metrics[0] | .successful == 3 and .error == 2'
	# always cut short: Error past consecutiveErrorLimit (2), status 1
	cat >r2.json <<'R'
{"rules": [{"path_re": "^/api/v1/query", "count": 0, "action": "truncate", "bytes": 30}]}
R
	start_faultproxy "$PROM_PORT" r2.json
	template t2.yaml "$FP_URL"
	run gth-canary analyze t2.yaml --json
	expect_rc 1
	expect_json '.data.analysis.phase == "Error"'
	expect_json '.data.analysis.metrics[0].error == 3'
	# always 429: the same
	cat >r3.json <<'R'
{"rules": [{"path_re": "^/api/v1/query", "count": 0, "action": "status", "status": 429, "headers": {"Retry-After": "0"}}]}
R
	start_faultproxy "$PROM_PORT" r3.json
	template t3.yaml "$FP_URL"
	run gth-canary analyze t3.yaml --json
	expect_rc 1
	expect_json '.data.analysis.phase == "Error"'
}
t "Prometheus behind 503, drops, truncation and 429: errors counted, Error past the limit" case_prometheus_faults

finish
