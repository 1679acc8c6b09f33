#!/usr/bin/env bash
# gth-canary judge against a real Prometheus (tests/servers/prometheus.sh):
# request_latency_seconds for baseline, a canary with the same spread, a slow
# canary (+60%), a NaN canary and a missing one.
. "$(dirname "$0")/lib.sh.inc"
. "$GTH_SRC/tests/servers/canary.sh.inc"
start_prometheus || { echo "prometheus did not start"; exit 1; }
unset GTH_PROMETHEUS_URL
q() { echo "request_latency_seconds{track=\"$1\"}"; }

case_pass() {
	run gth-canary judge --prometheus "$PROM_URL" --metric latency --canary "$(q canary-good)" --baseline "$(q baseline)" --json
	expect_rc 0
	expect_json '.data.judge.result == "Pass" and .data.judge.score == 100'
	expect_json '.data.judge.metrics[0] | .verdict == "Pass" and .canary_samples == 41 and .baseline_samples == 41 and .p_value > 0.02'
	expect_json '.data.judge.confidence == 0.98 and .data.judge.tolerance == 0.25 and .data.judge.direction == "either"'
	expect_err_contains "latency: Pass (p="
}

case_high() {
	run gth-canary judge --prometheus "$PROM_URL" --metric latency --canary "$(q canary-slow)" --baseline "$(q baseline)" --direction increase --json
	expect_rc 1
	expect_json '.data.judge.metrics[0] | .verdict == "High" and .p_value < 0.0001 and .effect_size > 1.5 and .effect_size < 1.7'
	expect_json '.data.judge.result == "Fail" and .data.judge.score == 0 and .status == "failure"'
	# the same change with only decreases counting passes
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q canary-slow)" --baseline "$(q baseline)" --direction decrease --json
	expect_rc 0
	expect_json '.data.judge.metrics[0].verdict == "Pass" and .data.judge.metrics[0].name == "metric1"'
	# baseline against the slow canary is Low
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q baseline)" --baseline "$(q canary-slow)" --json
	expect_rc 1
	expect_json '.data.judge.metrics[0].verdict == "Low"'
	# a tolerance wider than the change passes
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q canary-slow)" --baseline "$(q baseline)" --tolerance 0.7 --json
	expect_rc 0
}

case_nodata() {
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q canary-nan)" --baseline "$(q baseline)" --json
	expect_rc 2
	expect_json '.data.judge.result == "Nodata" and .data.judge.score == null and .data.judge.metrics[0].nan_dropped == 41'
	expect_json '.data.judge.metrics[0] | .verdict == "Nodata" and .p_value == null'
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q missing)" --baseline "$(q baseline)" --json
	expect_rc 2
	expect_json '.data.judge.metrics[0].canary_samples == 0'
}

case_score() {
	run gth-canary judge --prometheus "$PROM_URL" --metric good --canary "$(q canary-good)" --baseline "$(q baseline)" \
		--metric slow --canary "$(q canary-slow)" --baseline "$(q baseline)" \
		--metric none --canary "$(q missing)" --baseline "$(q baseline)" --json
	expect_rc 1
	expect_json '.data.judge.score == 50 and ([.data.judge.metrics[].verdict] == ["Pass","High","Nodata"])'
	run gth-canary judge --prometheus "$PROM_URL" --canary "$(q canary-good)" --baseline "$(q baseline)" \
		--canary "$(q canary-slow)" --baseline "$(q baseline)" --marginal-score 40 --json
	expect_rc 2
	expect_json '.data.judge.result == "Marginal" and .status == "inconclusive"'
	GTH_PROMETHEUS_URL=$PROM_URL run gth-canary judge --canary "$(q canary-good)" --baseline "$(q baseline)" --range 2m --step 30s --json
	expect_rc 0
	expect_json '.data.judge.metrics[0].canary_samples == 5'
}

case_errors() {
	run gth-canary judge --canary "$(q canary-good)" --baseline "$(q baseline)"
	expect_rc 78
	expect_err_contains "no Prometheus"
	run gth-canary judge --prometheus "$PROM_URL" --canary 'sum(' --baseline "$(q baseline)"
	expect_rc 65
	expect_err_contains "metric metric1: prometheus: bad_data:"
	GTH_HTTP_BUDGET=2s run gth-canary judge --prometheus "http://127.0.0.1:$(free_port)" --canary x --baseline y
	expect_rc 69
	run gth-canary judge --prometheus "$PROM_URL" --canary a --canary b --baseline c
	expect_rc 64
	run gth-canary judge --prometheus "$PROM_URL" --canary a --baseline c --confidence 2
	expect_rc 64
	expect_err_contains "--confidence: expected a number from 0.5 to 0.9999"
	run gth-canary judge --prometheus "$PROM_URL" --canary a --baseline c --direction up
	expect_rc 64
	run gth-canary judge x --canary a --baseline c
	expect_rc 64
}

t "same distribution: Pass" case_pass
t "slower canary: High, direction and tolerance" case_high
t "NaN and empty samples: Nodata" case_nodata
t "overall score, marginal" case_score
t "errors and usage" case_errors
finish
