#!/usr/bin/env bash
# gth-scan: the gate (--fail-on gives 1, errors never do), severity filter,
# .gthignore and .trivyignore with expiry, malformed ignore files, report FILE.
. "$(dirname "$0")/lib.sh.inc"
export GTH_SCAN_NOW=2026-06-01T12:00:00Z
SECRET="ghp_$(printf 'Qw7%.0s' $(seq 12))"
KEY="sk_live_$(printf 'Rt5%.0s' $(seq 8))"
setup_tree() {
	mkdir -p app lib
	printf 'x\nGH=%s\n' "$SECRET" >app/a.env
	printf 'STRIPE=%s\n' "$KEY" >lib/b.env
	printf 'STRIPE=sk_test_%s\n' "$(printf 'Yu3%.0s' $(seq 8))" >lib/test.env
}

case_gate() {
	setup_tree
	run gth-scan fs . --json
	expect_rc 0
	expect_json '.data.counts == {"CRITICAL":2,"HIGH":0,"MEDIUM":0,"LOW":1,"UNKNOWN":0} and .status == "success"'
	run gth-scan fs . --fail-on critical --json
	expect_rc 1
	expect_json '.status == "failure" and .exit == 1 and .data.gate_failed == true and .data.fail_on == "CRITICAL"'
	expect_err_contains "gate: 2 findings at or above CRITICAL"
	run gth-scan fs lib/test.env --fail-on MEDIUM
	expect_rc 0
	run gth-scan fs . --fail-on LOW --severity CRITICAL,HIGH --json -q
	expect_rc 1
	expect_json '.data.counts.LOW == 0 and (.data.findings | length) == 2'
}
t "--fail-on gives 1 when a finding at or above it remains, else 0" case_gate

case_errors_are_not_1() {
	setup_tree
	run gth-scan fs . --fail-on HIGHEST
	expect_rc 64
	run gth-scan fs . --format xml
	expect_rc 64
	run gth-scan fs . --scanners secrets,bogus
	expect_rc 64
	run gth-scan fs nowhere --fail-on LOW --json
	expect_rc 66
	expect_json '.status == "error" and .exit == 66'
	run gth-scan fs . --fail-on LOW --ignore-file missing.yaml
	expect_rc 66
	run gth-scan fs . --format sarif --json
	expect_rc 64
	expect_err_contains "needs -o FILE"
	run gth-scan frobnicate
	expect_rc 64
	run gth-scan
	expect_rc 64
}
t "errors have their own statuses, never 1" case_errors_are_not_1

case_gthignore() {
	setup_tree
	fp=$(gth-scan fs . --json -q | jq -r '.data.findings[] | select(.path == "lib/b.env") | .fingerprint')
	cat >.gthignore <<Y
- id: github-pat
  paths: ["app/**"]
  reason: rotated, see INC-42
  expires: 2026-12-31
- fingerprint: $fp
- id: stripe-test-secret-key
  paths: ["other/**"]
Y
	run gth-scan fs . --fail-on LOW --json
	expect_rc 1
	expect_json '[.data.findings[].id] == ["stripe-test-secret-key"]'
	expect_json '[.data.ignored[] | "\(.id):\(.reason)"] == ["github-pat:rotated, see INC-42 (./.gthignore:1)", "stripe-secret-key:./.gthignore:5"]'
	run gth-scan fs . --fail-on CRITICAL
	expect_rc 0
	expect_out_contains "1 finding (1 LOW), 2 ignored"
}
t ".gthignore ignores by id, paths and fingerprint" case_gthignore

case_expired_entry() {
	setup_tree
	printf -- '- id: github-pat\n  expires: 2026-05-31\n  reason: was rotated\n- id: stripe-secret-key\n  expires: "2026-06-01"\n' >.gthignore
	run gth-scan fs . --fail-on CRITICAL --json
	expect_rc 1
	expect_err_contains "./.gthignore:1: ignore entry for github-pat expired on 2026-05-31; no longer ignored"
	expect_json '[.data.findings[].id] == ["github-pat", "stripe-test-secret-key"] and [.data.ignored[].id] == ["stripe-secret-key"]'
	expect_json '.data.warnings == ["./.gthignore:1: ignore entry for github-pat expired on 2026-05-31; no longer ignored"]'
}
t "an expired .gthignore entry stops ignoring and says so" case_expired_entry

case_trivyignore() {
	setup_tree
	printf '# accepted\ngithub-pat exp:2027-01-01\nstripe-secret-key exp:2025-01-01\n\nstripe-test-secret-key\n' >.trivyignore
	run gth-scan fs . --fail-on CRITICAL
	expect_rc 1
	expect_err_contains "./.trivyignore:3: ignore entry for stripe-secret-key expired on 2025-01-01"
	run gth-scan fs . --json -q
	expect_json '[.data.findings[].id] == ["stripe-secret-key"]'
	cp .trivyignore custom.trivyignore
	rm .trivyignore
	run gth-scan fs . --ignore-file custom.trivyignore --json -q
	expect_json '[.data.findings[].id] == ["stripe-secret-key"]'
}
t ".trivyignore ids with exp: are honoured, expired ones reported" case_trivyignore

case_malformed_ignore() {
	setup_tree
	printf -- '- id: github-pat\n  paths: [app\n' >.gthignore
	run gth-scan fs . --fail-on LOW
	expect_rc 78
	expect_err_match '\.gthignore:[0-9]+:'
	printf -- '- id: github-pat\n- reason: no id\n' >.gthignore
	run gth-scan fs .
	expect_rc 78
	expect_err_contains ".gthignore:2:"
	expect_err_contains "an entry needs an id or a fingerprint"
	printf -- '- id: github-pat\n  expire: 2026-01-01\n' >.gthignore
	run gth-scan fs .
	expect_rc 78
	expect_err_contains ".gthignore:2:"
	printf -- '- id: github-pat\n  expires: next week\n' >.gthignore
	run gth-scan fs .
	expect_rc 78
	expect_err_contains ".gthignore:2:"
	rm .gthignore
	printf 'github-pat\nstripe-secret-key until:2026-01-01\n' >.trivyignore
	run gth-scan fs .
	expect_rc 78
	expect_err_contains "./.trivyignore:2: unexpected 'until:2026-01-01'"
	printf 'github-pat exp:soon\n' >.trivyignore
	run gth-scan fs .
	expect_rc 78
	expect_err_contains "./.trivyignore:1: invalid expiry 'soon'"
}
t "a malformed ignore file is 78 with file and line" case_malformed_ignore

case_trivy_report() {
	run gth-scan report "$GTH_SRC/tests/fixtures/gth-scan/trivy-report.json" --json --fail-on HIGH
	expect_rc 1
	expect_json '.data.target == "ghcr.io/acme/api:1.4.0" and .data.counts == {"CRITICAL":2,"HIGH":2,"MEDIUM":0,"LOW":1,"UNKNOWN":0}'
	expect_json '[.data.findings[] | "\(.kind):\(.id)"] == ["secret:github-pat", "vuln:CVE-2024-0001", "vuln:GHSA-aaaa-bbbb-cccc", "misconfig:KSV017", "vuln:CVE-2024-0002"]'
	expect_json '.data.findings[1].package == {"ecosystem":"Debian","name":"openssl","version":"3.0.11-1~deb12u2","fixed":"3.0.13-1~deb12u1"}'
	expect_json '.data.findings[3].line == 21 and .data.findings[0].match == "GH=*…"'
	printf 'CVE-2024-0001\nGHSA-aaaa-bbbb-cccc\ngithub-pat\nKSV017\n' >.trivyignore
	run gth-scan report "$GTH_SRC/tests/fixtures/gth-scan/trivy-report.json" --fail-on HIGH
	expect_rc 0
	run gth-scan report "$GTH_SRC/tests/fixtures/gth-scan/trivy-report.json" --ignore-unfixed --json -q
	expect_json '[.data.findings[].id] | index("CVE-2024-0002") == null'
	printf '{"Results": 3}' >bad.json
	run gth-scan report bad.json
	expect_rc 65
	printf '{"Results": [' >bad2.json
	run gth-scan report bad2.json
	expect_rc 65
	run gth-scan report nope.json
	expect_rc 66
}
t "report gates and renders a Trivy JSON report" case_trivy_report

finish
