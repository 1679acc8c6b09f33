#!/usr/bin/env bash
# scripts/demo, the README's main command, runs the whole pipeline end to end: every
# stage reports in the summary, the healthy release is promoted and the bad one rolled
# back with the GitOps repository on the previous image, every server it started is
# stopped, and a second run works too.
. "$(dirname "$0")/lib.sh.inc"

case_demo() {
	export GTH_DEMO_WORK=$T/demo
	for run in 1 2; do
		run bash "$GTH_SRC/scripts/demo"
		expect_rc 0
		expect_out_contains "demo summary"
		for stage in test scan build image-scan bump canary rollback notify; do
			grep -q "^$stage " "$OUT" || _fail "run $run: no summary row for $stage"
		done
		expect_out_match '^test +gth-test +2 of 2 gates passed'
		expect_out_match '^canary +gth-canary watch .*promoted, Healthy'
		expect_out_match '^rollback +gth-canary watch .*Degraded, aborted by its analysis \(exit 1\)'
		expect_out_match '^rollback +gth-rollback +--gitops: aborted, reverted [0-9a-f]{12} in git, Argo CD synced'
		expect_out_match '^notify +gth-notify +delivered'
		expect_out_contains "PLAYED by a local server"
		# Every server the demo started is stopped.
		for f in "$GTH_DEMO_WORK"/*.pid; do
			[ -f "$f" ] || continue
			! kill -0 "$(cat "$f")" 2>/dev/null || _fail "run $run: $(basename "$f") still runs"
		done
	done
}
t "scripts/demo runs the whole pipeline, twice, and stops what it started" case_demo

finish
