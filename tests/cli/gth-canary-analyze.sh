#!/usr/bin/env bash
# gth-canary analyze against a real Prometheus backfilled with promtool
# (tests/servers/prometheus.sh) and a real HTTP server for the web provider:
# golden measurement sequences, run phases and messages, every exit status, and
# bad templates with file:line.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
start_prometheus || { echo "prometheus did not start"; exit 1; }
export GTH_CANARY_ERROR_RETRY=100ms
unset GTH_PROMETHEUS_URL ARGO_ROLLOUTS_PROMETHEUS_ADDRESS

# template NAME METRICS_YAML [ARGS_YAML]: an AnalysisTemplate file NAME.yaml
template() {
	{
		echo "apiVersion: argoproj.io/v1alpha1"
		echo "kind: AnalysisTemplate"
		echo "metadata:"
		echo "  name: $1"
		echo "spec:"
		[ -z "${3:-}" ] || printf '%s\n' "$3"
		echo "  metrics:"
		printf '%s\n' "$2"
	} >"$1.yaml"
}

# The measurement sequence of metric I as "value phase" lines joined by '|'.
seq_of() {
	jq -r ".data.analysis.metrics[$1].measurements | map(.value + \" \" + .phase) | join(\"|\")" <"$OUT"
}
expect_seq() {
	local got
	got=$(seq_of "$1")
	[ "$got" = "$2" ] || _fail "metric $1 measured '$got', expected '$2'"
}

ratio_metric() { # NAME JOB EXTRA_YAML
	cat <<EOF
  - name: $1
    interval: 100ms
$3
    provider:
      prometheus:
        address: $PROM_URL
        query: canary_success_ratio{job="$2"}
EOF
}

case_healthy() {
	template ok "$(ratio_metric success-rate '{{args.job}}' '    count: 3
    successCondition: result[0] >= 0.99
    failureLimit: 1')" '  args:
  - name: job'
	run gth-canary analyze ok.yaml --arg job=healthy --json
	expect_rc 0
	expect_seq 0 "[0.999] Successful|[0.999] Successful|[0.999] Successful"
	expect_json '.status == "success" and .data.analysis.phase == "Successful" and .data.analysis.message == ""'
	expect_json '.data.analysis.metrics[0] | .count == 3 and .successful == 3 and .phase == "Successful"'
	expect_err_contains "success-rate #3: [0.999] Successful"
}

case_failing_failure_limit() {
	template bad "$(ratio_metric success-rate failing '    count: 5
    successCondition: result[0] >= 0.99
    failureLimit: 1')"
	run gth-canary analyze bad.yaml --json
	expect_rc 1
	expect_seq 0 "[0.95] Failed|[0.95] Failed"
	expect_json '.status == "failure" and .data.analysis.phase == "Failed"'
	expect_json '.data.analysis.message == "Metric \"success-rate\" assessed Failed due to failed (2) > failureLimit (1)"'
	expect_err_contains 'analysis Failed: Metric "success-rate" assessed Failed due to failed (2) > failureLimit (1)'
}

case_failure_limit_not_reached() {
	# Failed measurements under the limit: the count is reached, the metric is Successful
	template fl "$(ratio_metric success-rate failing '    count: 2
    successCondition: result[0] >= 0.99
    failureLimit: 2')"
	run gth-canary analyze fl.yaml --json
	expect_rc 0
	expect_seq 0 "[0.95] Failed|[0.95] Failed"
	expect_json '.data.analysis.phase == "Successful"'
}

case_nan_inconclusive() {
	template nan "$(ratio_metric success-rate nan '    count: 3
    successCondition: result[0] >= 0.99
    failureCondition: result[0] < 0.9')"
	run gth-canary analyze nan.yaml --json
	expect_rc 2
	expect_seq 0 "[NaN] Inconclusive"
	expect_json '.status == "inconclusive" and .data.analysis.message == "Metric \"success-rate\" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)"'
	template nan2 "$(ratio_metric success-rate nan '    count: 2
    successCondition: isNaN(result[0]) || result[0] >= 0.99')"
	run gth-canary analyze nan2.yaml --json
	expect_rc 0
	expect_seq 0 "[NaN] Successful|[NaN] Successful"
	template nan3 "$(ratio_metric success-rate nan '    count: 2
    successCondition: result[0] >= 0.99')"
	run gth-canary analyze nan3.yaml --json
	expect_rc 1
	expect_seq 0 "[NaN] Failed"
}

case_empty_is_error() {
	template empty "$(ratio_metric success-rate missing '    count: 2
    successCondition: result[0] >= 0.99
    consecutiveErrorLimit: 2')"
	run gth-canary analyze empty.yaml --json
	expect_rc 1
	expect_seq 0 "[] Error|[] Error|[] Error"
	expect_json '.data.analysis.metrics[0].measurements[0].message == "index out of range: 0 (array length is 0)"'
	expect_json '.data.analysis.message == "Metric \"success-rate\" assessed Error due to consecutiveErrors (3) > consecutiveErrorLimit (2): \"Error Message: index out of range: 0 (array length is 0)\""'
	expect_json '.data.analysis.metrics[0] | .count == 0 and .error == 3'
	# the default limit is 4: five errors in a row
	template empty4 "$(ratio_metric success-rate missing '    count: 2
    successCondition: result[0] >= 0.99')"
	run gth-canary analyze empty4.yaml --json
	expect_rc 1
	expect_json '.data.analysis.metrics[0].error == 5 and .data.analysis.phase == "Error"'
	# a condition written for empty results
	template empty2 "$(ratio_metric success-rate missing '    count: 1
    successCondition: len(result) == 0 || result[0] >= 0.99')"
	run gth-canary analyze empty2.yaml --json
	expect_rc 0
	expect_seq 0 "[] Successful"
}

case_errors_do_not_count() {
	# a recovered error resets consecutiveError; errors are not part of count
	template mixed "$(ratio_metric success-rate healthy '    count: 2
    successCondition: result[0] >= 0.99 && asInt(len(result)) == 1')"
	run gth-canary analyze mixed.yaml --json
	expect_rc 0
	expect_seq 0 "[0.999] Successful|[0.999] Successful"
}

case_consecutive_success_limit() {
	template cs "$(ratio_metric success-rate healthy '    count: 5
    successCondition: result[0] >= 0.99
    consecutiveSuccessLimit: 2')"
	run gth-canary analyze cs.yaml --json
	expect_rc 0
	expect_seq 0 "[0.999] Successful|[0.999] Successful"
	# only consecutiveSuccessLimit applies (failureLimit -1): count reached without it is Failed
	template cs2 "$(ratio_metric success-rate failing '    count: 3
    successCondition: result[0] >= 0.99
    failureLimit: -1
    consecutiveSuccessLimit: 2')"
	run gth-canary analyze cs2.yaml --json
	expect_rc 1
	expect_seq 0 "[0.95] Failed|[0.95] Failed|[0.95] Failed"
	expect_json '.data.analysis.phase == "Failed"'
	# both apply: count reached without either is Inconclusive
	template cs3 "$(ratio_metric success-rate failing '    count: 3
    successCondition: result[0] >= 0.99
    failureLimit: 5
    consecutiveSuccessLimit: 2')"
	run gth-canary analyze cs3.yaml --json
	expect_rc 2
	expect_seq 0 "[0.95] Failed|[0.95] Failed|[0.95] Failed"
	expect_json '.data.analysis.phase == "Inconclusive"'
}

case_no_conditions_and_failure_only() {
	template none "$(ratio_metric m failing '    count: 1')"
	run gth-canary analyze none.yaml --json
	expect_rc 0
	expect_seq 0 "[0.95] Successful"
	template fo "$(ratio_metric m failing '    count: 2
    failureCondition: result[0] < 0.99')"
	run gth-canary analyze fo.yaml --json
	expect_rc 1
	expect_seq 0 "[0.95] Failed"
	template fo2 "$(ratio_metric m healthy '    count: 2
    failureCondition: result[0] < 0.99')"
	run gth-canary analyze fo2.yaml --json
	expect_rc 0
	expect_seq 0 "[0.999] Successful|[0.999] Successful"
}

case_one_failure_terminates_the_run() {
	template two "$(ratio_metric healthy-rate healthy '    count: 10
    successCondition: result[0] >= 0.99')
  - name: failing-rate
    successCondition: result[0] >= 0.99
    provider:
      prometheus:
        address: $PROM_URL
        query: canary_success_ratio{job=\"failing\"}"
	run gth-canary analyze two.yaml --json
	expect_rc 1
	expect_seq 0 "[0.999] Successful"
	expect_seq 1 "[0.95] Failed"
	expect_json '[.data.analysis.metrics[].phase] == ["Successful","Failed"]'
	expect_json '.data.analysis.message == "Metric \"failing-rate\" assessed Failed due to failed (1) > failureLimit (0)"'
}

case_scalar_and_matrix() {
	template sc "  - name: scalar
    successCondition: result >= 0.99
    provider:
      prometheus:
        address: $PROM_URL
        query: scalar(canary_success_ratio{job=\"healthy\"})
  - name: matrix
    successCondition: 'len(result) >= 3 && all(result, {# >= 0.99}) && any(result, # > 0.998)'
    provider:
      prometheus:
        address: $PROM_URL
        query: canary_success_ratio{job=\"healthy\"}[1m]"
	run gth-canary analyze sc.yaml --json
	expect_rc 0
	expect_seq 0 "0.999 Successful"
	expect_json '.data.analysis.metrics[1].measurements[0].value | test("^\\[0\\.999(,0\\.999)+\\]$")'
}

case_example_template_rates() {
	# the example's template, counters through rate(): 0.2% errors pass, 5% fail
	cp "$GTH_SRC/examples/gatheraa/infrastructure/k8s/analysis.yaml" .
	run gth-canary analyze analysis.yaml --arg service-name=gatheraa-backend-canary \
		--prometheus "$PROM_URL" --interval 100ms --count 2 --json
	expect_rc 0
	expect_json '[.data.analysis.metrics[0].measurements[].phase] == ["Successful","Successful"]'
	run gth-canary analyze analysis.yaml --arg service-name=gatheraa-backend-canary-failing \
		--prometheus "$PROM_URL" --interval 100ms --count 5 --json
	expect_rc 1
	expect_seq 0 "[0.95] Failed|[0.95] Failed"
	expect_json '.data.analysis.message == "Metric \"success-rate\" assessed Failed due to failed (2) > failureLimit (1)"'
	# ARGO_ROLLOUTS_PROMETHEUS_ADDRESS only fills an empty address
	sed -i 's|address: http://prometheus.monitoring:9090|address: ""|' analysis.yaml
	ARGO_ROLLOUTS_PROMETHEUS_ADDRESS=$PROM_URL run gth-canary analyze analysis.yaml \
		--arg service-name=gatheraa-backend-canary --once
	expect_rc 0
	run gth-canary analyze analysis.yaml --arg service-name=gatheraa-backend-canary --once
	expect_rc 78
	expect_err_contains "prometheus address is not configured"
}

case_once() {
	template once "$(ratio_metric a healthy '    count: 5
    initialDelay: 1h
    successCondition: result[0] >= 0.99')
$(ratio_metric b failing '    count: 5
    failureLimit: 3
    successCondition: result[0] >= 0.99')"
	run gth-canary analyze once.yaml --once --json
	expect_rc 1
	expect_seq 0 "[0.999] Successful"
	expect_seq 1 "[0.95] Failed"
	expect_json '[.data.analysis.metrics[].phase] == ["Successful","Failed"] and .data.analysis.measurements == 2'
}

case_initial_delay_and_interval_override() {
	template delay "$(ratio_metric a healthy '    count: 2
    initialDelay: 600ms
    successCondition: result[0] >= 0.99')"
	run gth-canary analyze delay.yaml --interval 300ms --json
	expect_rc 0
	expect_json '.duration_ms >= 900'
	run gth-canary analyze delay.yaml --count 1 --json
	expect_seq 0 "[0.999] Successful"
}

case_interrupt_terminates() {
	template forever "$(ratio_metric a healthy '    successCondition: result[0] >= 0.99')"
	# (a background job of a non-interactive shell starts with SIGINT ignored until
	# gth-canary installs its handler: signal until it ends, then make sure it did)
	gth-canary analyze forever.yaml --json >"$OUT" 2>"$ERR" &
	local pid=$! n=100
	while [ "$n" -gt 0 ] && ! grep -q "a #1" "$ERR"; do sleep 0.1; n=$((n - 1)); done
	sleep 0.3
	n=60
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		kill -INT "$pid" 2>/dev/null || true
		sleep 0.5
		n=$((n - 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	expect_rc 0
	expect_json '.data.analysis.phase == "Successful" and .data.analysis.message == "Run Terminated" and .data.analysis.measurements >= 1'
}

case_provider_errors() {
	local port
	port=$(free_port)
	template down "  - name: down
    consecutiveErrorLimit: 1
    successCondition: result[0] >= 0.99
    provider:
      prometheus:
        address: http://127.0.0.1:$port
        query: up"
	run gth-canary analyze down.yaml --json
	expect_rc 1
	expect_seq 0 " Error| Error"
	expect_json '.data.analysis.metrics[0].measurements[0].message | test("127.0.0.1")'
	template promql "  - name: promql
    consecutiveErrorLimit: 0
    provider:
      prometheus:
        address: $PROM_URL
        query: sum(rate(x[5m]"
	run gth-canary analyze promql.yaml --json
	expect_rc 1
	expect_json '.data.analysis.metrics[0].measurements[0].message | startswith("bad_data: ")'
}

case_web_provider() {
	mkdir www
	echo '{"data": {"ok": true, "ratio": 0.999, "status": "green"}, "items": [{"v": 1}, {"v": 2}]}' >www/metrics.json
	echo 'null' >www/null.json
	local port
	port=$(free_port)
	(cd www && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
	at_exit "kill $! 2>/dev/null"
	wait_port "$port"
	template web "  - name: ok
    successCondition: result == true
    provider:
      web:
        url: http://127.0.0.1:$port/metrics.json
        jsonPath: '{\$.data.ok}'
  - name: ratio
    successCondition: result.ratio >= 0.99 && result.status == 'green' && 'ok' in result
    provider:
      web:
        url: http://127.0.0.1:$port/metrics.json
        jsonPath: '{.data}'
  - name: items
    successCondition: len(result) == 2 && result[-1].v == 2 && all(result, .v > 0)
    provider:
      web:
        url: http://127.0.0.1:$port/metrics.json
        jsonPath: '{.items}'
  - name: nil
    successCondition: isNil(result) && default(result, 5) == 5
    provider:
      web:
        url: http://127.0.0.1:$port/null.json"
	run gth-canary analyze web.yaml --json
	expect_rc 0
	expect_seq 0 "true Successful"
	expect_seq 3 "null Successful"
	expect_json '[.data.analysis.metrics[].phase] == ["Successful","Successful","Successful","Successful"]'
	template web404 "  - name: missing
    consecutiveErrorLimit: 0
    provider:
      web:
        url: http://127.0.0.1:$port/nope.json"
	run gth-canary analyze web404.yaml --json
	expect_rc 1
	expect_json '.data.analysis.metrics[0].measurements[0].message == "received non 2xx response code: 404"'
}

case_bad_input() {
	printf 'kind: AnalysisTemplate\nspec: [\n' >notyaml.yaml
	run gth-canary analyze notyaml.yaml
	expect_rc 65
	expect_err_match 'notyaml\.yaml:[0-9]+'
	template prov "  - name: dd
    provider:
      datadog:
        query: avg:x"
	run gth-canary analyze prov.yaml
	expect_rc 65
	expect_err_contains "prov.yaml:9: spec.metrics[0].provider: unknown provider 'datadog'"
	template cond "  - name: c
    successCondition: result[0] >= 
    provider:
      prometheus:
        address: $PROM_URL
        query: up"
	run gth-canary analyze cond.yaml
	expect_rc 65
	expect_err_contains "cond.yaml:8: spec.metrics[0].successCondition: condition 'result[0] >=' does not parse: position 13: unexpected end of condition"
	template cond2 "  - name: c
    failureCondition: reslt > 1
    provider:
      prometheus:
        address: $PROM_URL
        query: up"
	run gth-canary analyze cond2.yaml
	expect_rc 65
	expect_err_contains "unknown name reslt"
	template cnt "  - name: c
    count: 3
    provider:
      prometheus:
        address: $PROM_URL
        query: up"
	run gth-canary analyze cnt.yaml
	expect_rc 65
	expect_err_contains "cnt.yaml:8: spec.metrics[0].count: interval must be specified when count is greater than 1"
	printf 'apiVersion: v1\nkind: ConfigMap\n' >cm.yaml
	run gth-canary analyze cm.yaml
	expect_rc 65
	expect_err_contains "no AnalysisTemplate or ClusterAnalysisTemplate"
	run gth-canary analyze nothere.yaml
	expect_rc 66
	template args "$(ratio_metric a '{{args.job}}' '')" '  args:
  - name: job'
	run gth-canary analyze args.yaml
	expect_rc 64
	expect_err_contains "argument 'job' has no value: give --arg job=VALUE"
	run gth-canary analyze args.yaml --arg job=healthy --arg other=1
	expect_rc 64
	expect_err_contains "--arg other: the template declares no such argument"
	run gth-canary analyze args.yaml --once --count 2
	expect_rc 64
	sed -i 's/kind: AnalysisTemplate/kind: ClusterAnalysisTemplate/' args.yaml
	run gth-canary analyze args.yaml --arg job=healthy --once
	expect_rc 0
}

t "healthy canary: three Successful measurements" case_healthy
t "5% errors: Failed past failureLimit, Argo's message" case_failing_failure_limit
t "failures under failureLimit with count reached: Successful" case_failure_limit_not_reached
t "NaN: Inconclusive, isNaN, plain comparison Failed" case_nan_inconclusive
t "empty result: Error past consecutiveErrorLimit" case_empty_is_error
t "asInt, len: errors and counts" case_errors_do_not_count
t "consecutiveSuccessLimit, alone and with failureLimit" case_consecutive_success_limit
t "no conditions; failureCondition only" case_no_conditions_and_failure_only
t "a failed metric terminates the others" case_one_failure_terminates_the_run
t "scalar and matrix results" case_scalar_and_matrix
t "the example template with rate()" case_example_template_rates
t "--once reports each measurement's phase" case_once
t "initialDelay, --interval and --count" case_initial_delay_and_interval_override
t "SIGINT terminates the run as Argo does" case_interrupt_terminates
t "provider errors are Error measurements" case_provider_errors
t "web provider: jsonPath, members, predicates, nil" case_web_provider
t "bad templates: statuses with file:line" case_bad_input
finish
