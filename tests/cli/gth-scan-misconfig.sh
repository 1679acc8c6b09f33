#!/usr/bin/env bash
# gth-scan fs: misconfiguration checks of Kubernetes workloads and Dockerfiles,
# exact ids and lines against tests/fixtures/gth-scan/misconfig/expected.txt.
. "$(dirname "$0")/lib.sh.inc"
FIX=$GTH_SRC/tests/fixtures/gth-scan/misconfig

case_exact_ids_and_lines() {
	cp -r "$FIX" m
	rm m/expected.txt
	run gth-scan fs m --scanners misconfig --json -v
	expect_rc 0
	jq -r '.data.findings[] | "\(.path):\(.line):\(.id)"' "$OUT" | sort >got.txt
	diff "$FIX/expected.txt" got.txt || _fail "misconfiguration findings differ"
	expect_err_contains "k8s/template.yaml: not YAML, no misconfiguration checks"
	expect_json '[.data.findings[] | select(.id == "GTH-K8S-001")][0].resource == "Deployment/api container app"'
	expect_json '[.data.findings[] | select(.id == "GTH-DF-004")] | map(.match) | sort == ["DB_PASSWORD=s3cr…", "GITHUB_TOKEN=ghp_…"]'
	expect_json '[.data.findings[] | select(.path == "docker/Dockerfile.hardened" or (.path | test("not-k8s")))] == []'
}
t "Kubernetes and Dockerfile checks give exact ids and lines" case_exact_ids_and_lines

case_severities() {
	cp -r "$FIX" m
	run gth-scan fs m --scanners misconfig --json -q --severity HIGH,CRITICAL --fail-on HIGH
	expect_rc 1
	expect_json '[.data.findings[].id] | unique == ["GTH-DF-001", "GTH-DF-004", "GTH-K8S-001", "GTH-K8S-005", "GTH-K8S-009", "GTH-K8S-010"]'
}
t "check severities: --severity HIGH,CRITICAL keeps the high ones and the gate fails" case_severities

case_disable_check() {
	cp -r "$FIX/docker" d
	printf 'scan:\n  disable: [GTH-DF-001, GTH-DF-003]\n' >gth.yaml
	run gth-scan fs d --scanners misconfig --json -q
	expect_json '[.data.findings[].id] | unique == ["GTH-DF-002", "GTH-DF-004"]'
}
t "checks can be disabled in gth.yaml" case_disable_check

finish
